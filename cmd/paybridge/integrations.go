package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/paybridge/paybridge/onboarding"
	"github.com/paybridge/paybridge/store"
)

const integrationsUsage = `Usage: paybridge integrations unlink --id <integration id> [--data-dir DIR]

  unlink   forget the integration's merchant (the next merchant to connect binds it)
           and revoke every API key issued through it, at once`

// runIntegrations is the operators' command for integrations.
func runIntegrations(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "unlink" {
		fmt.Fprintln(stderr, integrationsUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return errHelp
		}
		return errUsage
	}
	cfg, err := loadConfig(environ())
	if err != nil {
		return err
	}
	fs := newFlagSet("integrations unlink", "Unlink an integration from its merchant and revoke its API keys.", stderr)
	id := fs.String("id", "", "integration id (a UUID)")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (PAYBRIDGE_DATA_DIR)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *id == "" {
		return errors.New("--id is required")
	}
	cfg.resolvePaths()
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Migrate: true})
	if err != nil {
		return err
	}
	defer db.Close()
	svc := onboarding.New(db, nil, nil, nil, cfg.PublicURL, cfg.Clover.AppID)
	if err := svc.Unlink(ctx, *id, "operator:cli"); err != nil {
		return fmt.Errorf("integration %s: %w", *id, err)
	}
	fmt.Fprintln(stdout, "unlinked", *id)
	return nil
}
