package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/paybridge/paybridge/apikey"
	"github.com/paybridge/paybridge/store"
)

// runKeys is `paybridge keys issue --merchant mer_…`: an API key for a
// connected merchant, signed with the active key of the keyring.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "issue" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(stderr, "Usage: paybridge keys issue --merchant mer_… [--employee ID]")
			return errHelp
		}
		fmt.Fprintln(stderr, "Usage: paybridge keys issue --merchant mer_… [--employee ID]")
		return errUsage
	}
	cfg, err := loadConfig(environ())
	if err != nil {
		return err
	}
	fs := newFlagSet("keys issue", "Issue an API key (a JWT) for a connected merchant and print it.", stderr)
	merchant := fs.String("merchant", "", "paybridge merchant id (mer_…)")
	employee := fs.String("employee", "", "Clover employee id the key acts as (optional)")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (PAYBRIDGE_DATA_DIR)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *merchant == "" {
		return errors.New("--merchant is required")
	}
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = filepath.Join(cfg.DataDir, "paybridge.db")
	}
	if cfg.KeyringPath == "" {
		cfg.KeyringPath = filepath.Join(cfg.DataDir, "keys.json")
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := db.GetMerchant(ctx, *merchant)
	if err != nil {
		return fmt.Errorf("merchant %s: %w", *merchant, err)
	}
	kr, err := apikey.LoadOrCreateKeyring(cfg.KeyringPath)
	if err != nil {
		return err
	}
	key, err := kr.Issue(apikey.Claims{MerchantID: m.ID, EmployeeID: *employee, AppID: cfg.Clover.AppID}, apiKeyTTL)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, key)
	return nil
}
