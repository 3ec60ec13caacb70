package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/paybridge/paybridge/apikey"
	"github.com/paybridge/paybridge/store"
)

const keysUsage = `Usage: paybridge keys <subcommand> [flags]

  issue  --merchant mer_… [--employee ID]   issue an API key (a JWT) for a connected merchant
  rotate                                    add a new signing key and make it active (old keys verify until retired)
  retire --kid k_…                          remove a signing key: keys it signed stop verifying
  list                                      list the signing keys (* = active)

Running servers read the keyring at start: restart them after rotate or retire.`

// runKeys manages API keys and the keyring that signs them.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, keysUsage)
		return errUsage
	}
	switch args[0] {
	case "issue":
		return runKeysIssue(ctx, args[1:], stdout, stderr)
	case "rotate", "retire", "list":
		return runKeyring(args[0], args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stderr, keysUsage)
		return errHelp
	}
	fmt.Fprintln(stderr, keysUsage)
	return errUsage
}

// runKeysIssue is `paybridge keys issue --merchant mer_…`: an API key for a
// connected merchant, signed with the active key of the keyring.
func runKeysIssue(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(environ())
	if err != nil {
		return err
	}
	fs := newFlagSet("keys issue", "Issue an API key (a JWT) for a connected merchant and print it.", stderr)
	merchant := fs.String("merchant", "", "paybridge merchant id (mer_…)")
	employee := fs.String("employee", "", "Clover employee id the key acts as (optional)")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (PAYBRIDGE_DATA_DIR)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *merchant == "" {
		return errors.New("--merchant is required")
	}
	cfg.resolvePaths()
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
	key, err := issueKey(ctx, kr, db, apikey.Claims{MerchantID: m.ID, EmployeeID: *employee, AppID: cfg.Clover.AppID}, true)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, key)
	return nil
}

// runKeyring is `paybridge keys rotate|retire|list`: the keyring file is
// rewritten atomically (mode 0600).
func runKeyring(sub string, args []string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(environ())
	if err != nil {
		return err
	}
	synopsis := map[string]string{
		"rotate": "Add a fresh signing key and make it active; older keys keep verifying until retired.",
		"retire": "Remove a signing key: every API key it signed stops verifying. The active key cannot be retired.",
		"list":   "List the signing keys; * marks the active one.",
	}[sub]
	fs := newFlagSet("keys "+sub, synopsis, stderr)
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (PAYBRIDGE_DATA_DIR)")
	fs.StringVar(&cfg.KeyringPath, "keyring", cfg.KeyringPath, "keyring file (PAYBRIDGE_KEYRING_PATH; default <data dir>/keys.json)")
	kid := ""
	if sub == "retire" {
		fs.StringVar(&kid, "kid", "", "the key id to retire (k_…)")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg.resolvePaths()
	kr, err := apikey.LoadOrCreateKeyring(cfg.KeyringPath)
	if err != nil {
		return err
	}
	switch sub {
	case "rotate":
		if kid, err = kr.Rotate(); err != nil {
			return err
		}
		if err := kr.Save(cfg.KeyringPath); err != nil {
			return err
		}
		fmt.Fprintln(stdout, kid)
	case "retire":
		if kid == "" {
			return errors.New("--kid is required")
		}
		if err := kr.Retire(kid); err != nil {
			return err
		}
		if err := kr.Save(cfg.KeyringPath); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "retired", kid)
	case "list":
		for _, k := range kr.KIDs() {
			mark := " "
			if k == kr.ActiveKID() {
				mark = "*"
			}
			fmt.Fprintln(stdout, mark, k)
		}
	}
	return nil
}
