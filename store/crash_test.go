package store_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/store"
)

// crashChildEnv names the database a re-executed test binary writes to
// before killing itself.
const crashChildEnv = "PAYBRIDGE_STORE_CRASH_CHILD_DB"

// TestSQLiteCrashSafety writes a payment in a child process that then
// dies by SIGKILL, before any close or checkpoint, and checks that the
// acknowledged payment and its invoice are there on reopen (DESIGN.md §8:
// a kill -9 loses no acknowledged payment).
func TestSQLiteCrashSafety(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(t, path)
		return
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSQLiteCrashSafety$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "ACK "); ok {
			ids = strings.Fields(rest)
		}
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v", err)
	}
	if len(ids) != 3 {
		t.Fatalf("child acknowledged %v, want merchant, invoice and payment ids", ids)
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("no WAL left behind (the child was meant to die before a checkpoint): %v", err)
	}

	db, err := store.Open(context.Background(), path, store.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := db.GetPayment(context.Background(), ids[0], ids[2])
	if err != nil {
		t.Fatalf("acknowledged payment lost: %v", err)
	}
	inv, err := db.GetInvoice(context.Background(), ids[0], ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != paybridge.PaymentSucceeded || inv.Status != paybridge.InvoicePaid || inv.AmountPaid != inv.Total {
		t.Errorf("after crash: payment %s, invoice %s paid %d of %d", p.Status, inv.Status, inv.AmountPaid, inv.Total)
	}
}

// crashChild writes a paid invoice, acknowledges it on stdout, and dies
// without closing anything.
func crashChild(t *testing.T, path string) {
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{Migrate: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	m := &paybridge.Merchant{CloverMerchantID: "CRASHMERCHANT", Name: "Crash", Currency: "usd"}
	must(t, db.CreateMerchant(ctx, m, nil))
	c := &paybridge.Customer{MerchantID: m.ID, Email: "c@example.com"}
	must(t, db.CreateCustomer(ctx, c))
	inv := &paybridge.Invoice{MerchantID: m.ID, CustomerID: c.ID, Currency: "usd",
		LineItems: []paybridge.LineItem{{Description: "x", Quantity: 1, UnitAmount: 1234}}}
	inv.ComputeTotals()
	must(t, db.CreateInvoice(ctx, inv))
	p := &paybridge.Payment{MerchantID: m.ID, InvoiceID: inv.ID, Amount: inv.Total, Currency: "usd",
		Method: paybridge.MethodToken, IdempotencyKey: "k"}
	must(t, db.CreatePayment(ctx, p))
	p.Status = paybridge.PaymentSucceeded
	_, err = db.ApplyPayment(ctx, p, paybridge.PaymentPending, time.Now())
	must(t, err)
	os.Stdout.WriteString("ACK " + m.ID + " " + inv.ID + " " + p.ID + "\n")
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // SIGKILL cannot be caught; never return normally
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
