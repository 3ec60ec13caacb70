package paybridge

import (
	"testing"
	"time"
)

func TestValidCurrency(t *testing.T) {
	t.Parallel()
	for c, want := range map[string]bool{"usd": true, "cad": true, "eur": true, "jpy": true,
		"USD": false, "xts": false, "zwd": false, "": false, "us": false, "usdd": false} {
		if got := ValidCurrency(c); got != want {
			t.Errorf("ValidCurrency(%q) = %v, want %v", c, got, want)
		}
	}
}

func TestValidateAmount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		amount int64
		ok     bool
	}{{1, true}, {MaxAmount, true}, {0, false}, {-1, false}, {MaxAmount + 1, false}} {
		err := ValidateAmount("amount", tc.amount)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateAmount(%d) = %v", tc.amount, err)
		}
		if err != nil && (ErrorKind(err) != EINVALID || err.(*Error).Param != "amount") {
			t.Errorf("ValidateAmount(%d): kind %s, param %q", tc.amount, ErrorKind(err), err.(*Error).Param)
		}
	}
}

func TestComputeTotals(t *testing.T) {
	t.Parallel()
	inv := Invoice{LineItems: []LineItem{
		{Quantity: 2, UnitAmount: 5000, TaxRateBPS: 1000}, // 10000, tax 1000
		{Quantity: 1, UnitAmount: 2500},                   // untaxed
		{Quantity: 3, UnitAmount: 333, TaxRateBPS: 825},   // 999 × 8.25% = 82.4175 → 82
		{Quantity: 1, UnitAmount: 10, TaxRateBPS: 500},    // 0.5 → rounds half up to 1
	}}
	inv.ComputeTotals()
	if inv.Subtotal != 13509 || inv.TaxAmount != 1083 || inv.Total != 14592 {
		t.Fatalf("totals = %d + %d = %d", inv.Subtotal, inv.TaxAmount, inv.Total)
	}
	if li := inv.LineItems[2]; li.Amount != 999 || li.TaxAmount != 82 {
		t.Fatalf("line 3 = %d tax %d", li.Amount, li.TaxAmount)
	}
}

func TestSettle(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for _, tc := range []struct {
		name                  string
		from                  InvoiceStatus
		total, paid, refunded int64
		want                  InvoiceStatus
	}{
		{"nothing paid", InvoiceOpen, 1000, 0, 0, InvoiceOpen},
		{"deposit", InvoiceOpen, 1000, 300, 0, InvoicePartiallyPaid},
		{"paid", InvoicePartiallyPaid, 1000, 1000, 0, InvoicePaid},
		{"partly refunded", InvoicePaid, 1000, 1000, 100, InvoicePartiallyRefunded},
		{"fully refunded", InvoicePartiallyRefunded, 1000, 1000, 1000, InvoiceRefunded},
		{"void stays void", InvoiceVoid, 1000, 0, 0, InvoiceVoid},
		{"draft stays draft", InvoiceDraft, 1000, 0, 0, InvoiceDraft},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := Invoice{Status: tc.from, Total: tc.total, AmountPaid: tc.paid, AmountRefunded: tc.refunded}
			inv.Settle(now)
			if inv.Status != tc.want {
				t.Fatalf("status %s, want %s", inv.Status, tc.want)
			}
			if paid := inv.AmountPaid >= inv.Total && tc.from != InvoiceVoid && tc.from != InvoiceDraft; paid != (inv.PaidAt != nil) {
				t.Fatalf("PaidAt = %v with paid %d of %d", inv.PaidAt, inv.AmountPaid, inv.Total)
			}
		})
	}
}

// TestPaymentStateMachine pins DESIGN.md §4's diagram: every allowed edge,
// and that money-final states never go back.
func TestPaymentStateMachine(t *testing.T) {
	t.Parallel()
	all := []PaymentStatus{PaymentPending, PaymentSucceeded, PaymentAuthorized, PaymentCaptured, PaymentVoided,
		PaymentFailed, PaymentUnknown, PaymentPartiallyRefunded, PaymentRefunded}
	allowed := map[[2]PaymentStatus]bool{}
	for _, e := range [][2]PaymentStatus{
		{PaymentPending, PaymentSucceeded}, {PaymentPending, PaymentAuthorized}, {PaymentPending, PaymentFailed},
		{PaymentPending, PaymentUnknown}, {PaymentUnknown, PaymentUnknown}, {PaymentUnknown, PaymentSucceeded},
		{PaymentUnknown, PaymentAuthorized}, {PaymentUnknown, PaymentFailed}, {PaymentAuthorized, PaymentCaptured},
		{PaymentAuthorized, PaymentVoided}, {PaymentSucceeded, PaymentPartiallyRefunded}, {PaymentSucceeded, PaymentRefunded},
		{PaymentCaptured, PaymentPartiallyRefunded}, {PaymentCaptured, PaymentRefunded},
		{PaymentPartiallyRefunded, PaymentPartiallyRefunded}, {PaymentPartiallyRefunded, PaymentRefunded},
	} {
		allowed[e] = true
	}
	for _, from := range all {
		for _, to := range all {
			if got := CanTransition(from, to); got != allowed[[2]PaymentStatus{from, to}] {
				t.Errorf("CanTransition(%s, %s) = %v", from, to, got)
			}
		}
	}
	for _, s := range []PaymentStatus{PaymentFailed, PaymentVoided, PaymentRefunded} {
		for _, to := range all {
			if CanTransition(s, to) {
				t.Errorf("final status %s can move to %s", s, to)
			}
		}
	}
}

func TestNewID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id := NewID(PrefixPayment)
		if !HasPrefix(id, PrefixPayment) || len(id) != len(PrefixPayment)+24 || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}

func TestErrorHelpers(t *testing.T) {
	t.Parallel()
	e := Errorf(ENOTFOUND, "id", "no invoice %s", "inv_1").WithCode("resource_missing")
	if ErrorKind(e) != ENOTFOUND || ErrorCode(e) != "resource_missing" || ErrorMessage(e) != "no invoice inv_1" {
		t.Fatalf("helpers: %s %s %s", ErrorKind(e), ErrorCode(e), ErrorMessage(e))
	}
	plain := errorString("db down: password=secret")
	if ErrorKind(plain) != EINTERNAL || ErrorMessage(plain) == plain.Error() {
		t.Fatal("a non-domain error must be internal with a generic message")
	}
	if s := (Credentials{AccessToken: "tok"}).String(); s != "Credentials{redacted}" {
		t.Fatalf("Credentials print %q", s)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

// TestEventTypesDescribed: every event type has a description in the
// catalogue, and the catalogue describes no type that does not exist.
func TestEventTypesDescribed(t *testing.T) {
	for _, info := range EventTypeInfos() {
		if info.Description == "" || info.ObjectType == "" {
			t.Errorf("%s: no description or object type in event_types.go", info.Type)
		}
	}
	if len(eventDescriptions) != len(EventTypes) {
		t.Errorf("%d descriptions for %d event types", len(eventDescriptions), len(EventTypes))
	}
}
