package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/apikey"
	"github.com/paybridge/paybridge/seal"
	"github.com/paybridge/paybridge/store"
)

const keysUsage = `Usage: paybridge keys <subcommand> [flags]

  issue  --merchant mer_… [--employee ID]   issue an API key (a JWT) for a connected merchant
  revoke JTI|API_KEY                        revoke one API key (by its jti, or the key itself); the merchant's other keys keep working
  rotate                                    add a new signing key and make it active (old keys verify until retired)
  retire --kid k_…                          remove a signing key: keys it signed stop verifying
  list                                      list the signing keys (* = active)

The signing ring and revocations live in the database: every running server follows rotate and
retire within PAYBRIDGE_KEYRING_RELOAD (default 2s) and refuses a revoked key on its next
request, without a restart.`

// runKeys manages API keys and the keyring that signs them.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, keysUsage)
		return errUsage
	}
	switch args[0] {
	case "issue", "revoke", "rotate", "retire", "list":
		return runKeysCmd(ctx, args[0], args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stderr, keysUsage)
		return errHelp
	}
	fmt.Fprintln(stderr, keysUsage)
	return errUsage
}

// runKeysCmd runs one `paybridge keys` subcommand against the database
// (and the master key, which seals the signing seeds).
func runKeysCmd(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(environ())
	if err != nil {
		return err
	}
	synopsis := map[string]string{
		"issue":  "Issue an API key (a JWT) for a connected merchant and print it.",
		"revoke": "Revoke one API key, named by its jti or given whole; every server refuses it on its next request.",
		"rotate": "Add a fresh signing key and make it active; older keys keep verifying until retired.",
		"retire": "Remove a signing key: every API key it signed stops verifying. The active key cannot be retired.",
		"list":   "List the signing keys; * marks the active one.",
	}[sub]
	fs := newFlagSet("keys "+sub, synopsis, stderr)
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (PAYBRIDGE_DATA_DIR)")
	fs.StringVar(&cfg.KeyringPath, "keyring", cfg.KeyringPath, "keyring file imported on first use (PAYBRIDGE_KEYRING_PATH; default <data dir>/keys.json)")
	var kid, merchant, employee string
	switch sub {
	case "retire":
		fs.StringVar(&kid, "kid", "", "the key id to retire (k_…)")
	case "issue":
		fs.StringVar(&merchant, "merchant", "", "paybridge merchant id (mer_…)")
		fs.StringVar(&employee, "employee", "", "Clover employee id the key acts as (optional)")
	}
	var target string // revoke's JTI|API_KEY, before or after the flags
	if sub == "revoke" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		target, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if target == "" && fs.NArg() == 1 {
		target = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return errors.New("unexpected arguments: " + strings.Join(fs.Args(), " "))
	}
	cfg.resolvePaths()
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Migrate: true})
	if err != nil {
		return err
	}
	defer db.Close()
	sealer, err := newSealer(&cfg)
	if err != nil {
		return err
	}
	switch sub {
	case "issue":
		return keysIssue(ctx, db, sealer, &cfg, merchant, employee, stdout)
	case "revoke":
		if target == "" {
			return errors.New("give one jti or API key to revoke")
		}
		jti, err := jtiOf(target)
		if err != nil {
			return err
		}
		if err := db.RevokeAPIKey(ctx, jti, time.Now()); err != nil {
			return fmt.Errorf("api key %s: %w", jti, err)
		}
		fmt.Fprintln(stdout, "revoked", jti)
	case "rotate":
		if _, err := openKeyring(ctx, db, sealer, cfg.KeyringPath); err != nil {
			return err
		}
		if kid, err = rotateKeyring(ctx, db, sealer); err != nil {
			return err
		}
		fmt.Fprintln(stdout, kid)
	case "retire":
		if kid == "" {
			return errors.New("--kid is required")
		}
		if err := db.RetireSigningKey(ctx, kid, time.Now()); err != nil {
			return fmt.Errorf("signing key %s: %w", kid, err)
		}
		fmt.Fprintln(stdout, "retired", kid)
	case "list":
		kr, err := openKeyring(ctx, db, sealer, cfg.KeyringPath)
		if err != nil {
			return err
		}
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

// keysIssue is `paybridge keys issue --merchant mer_…`: an API key for a
// connected merchant, signed with the ring's active key.
func keysIssue(ctx context.Context, db *store.DB, sealer *seal.Sealer, cfg *Config, merchant, employee string, stdout io.Writer) error {
	if merchant == "" {
		return errors.New("--merchant is required")
	}
	m, err := db.GetMerchant(ctx, merchant)
	if err != nil {
		return fmt.Errorf("merchant %s: %w", merchant, err)
	}
	kr, err := openKeyring(ctx, db, sealer, cfg.KeyringPath)
	if err != nil {
		return err
	}
	key, err := issueKey(ctx, kr, db, apikey.Claims{MerchantID: m.ID, EmployeeID: employee, AppID: cfg.Clover.AppID}, true)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, key)
	return nil
}

// jtiOf reads the jti of a whole API key (without verifying it: an
// operator revoking a leaked key may hold one signed by a retired key), or
// takes the argument as a jti.
func jtiOf(arg string) (string, error) {
	if strings.Count(arg, ".") != 2 {
		return arg, nil
	}
	var c apikey.Claims
	if _, _, err := jwt.NewParser().ParseUnverified(arg, &c); err != nil || c.ID == "" {
		return "", paybridge.Errorf(paybridge.EINVALID, "", "the argument is neither a jti nor an API key")
	}
	return c.ID, nil
}
