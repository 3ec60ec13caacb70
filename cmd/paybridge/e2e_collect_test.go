package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// invoiceFor creates an invoice of 50.00 for a customer, due on due
// ("" for none).
func (e *sbx) invoiceFor(cus, due string) map[string]any {
	e.t.Helper()
	body := map[string]any{"customer_id": cus, "currency": "usd",
		"line_items": []map[string]any{{"description": "Gutter cleaning", "quantity": 1, "unit_amount": 5000}}}
	if due != "" {
		body["due_date"] = due
	}
	return e.must(201, "POST", "/v1/invoices", body)
}

// day is the test clock's date plus n days.
func (e *sbx) day(n int) string {
	return e.m.Clock.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly)
}

// mailsAbout counts the outbox mails of a kind that mention text.
func (e *sbx) mailsAbout(kind, text string) int {
	n := 0
	for _, m := range e.m.Outbox.Messages() {
		if m.Kind == kind && (strings.Contains(m.Text, text) || strings.Contains(m.Subject, text)) {
			n++
		}
	}
	return n
}

// TestAutopayOnDueDate: a customer with autopay on has a new invoice
// charged on its due date, not before, once; a customer whose card
// declines gets invoice.autopay_failed and a mail with an update-card
// link; a customer without autopay is not charged.
func TestAutopayOnDueDate(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	cus, card := e.savedCustomer(visaOK)
	e.must(200, "POST", "/v1/customers/"+cus+"/autopay", map[string]any{"enabled": true, "card_id": card["id"]})
	inv := e.invoiceFor(cus, e.day(3))
	declining, dcard := e.savedCustomer(mcOK)
	e.must(200, "POST", "/v1/customers/"+declining+"/autopay", map[string]any{"enabled": true, "card_id": dcard["id"]})
	saved, err := e.m.DB.GetCard(t.Context(), e.m.Sandbox.MerchantID, dcard["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	e.m.Sim.SetCardDeclining(saved.CloverCardID, true)
	dinv := e.invoiceFor(declining, e.day(3))
	manual, _ := e.savedCustomer(visaOK)
	minv := e.invoiceFor(manual, e.day(3))
	mid := e.m.Sim.Options().MerchantID
	before := e.m.Sim.ChargeCount(mid)

	e.advance(2 * 24 * time.Hour)
	if got := e.must(200, "GET", "/v1/invoices/"+inv["id"].(string), nil); got["status"] != "open" || e.m.Sim.ChargeCount(mid) != before {
		t.Fatalf("a day before due: %v, %d charges (was %d)", got["status"], e.m.Sim.ChargeCount(mid), before)
	}
	e.advance(24 * time.Hour)
	e.advance(time.Hour) // a second pass on the due date charges nothing more
	if got := e.must(200, "GET", "/v1/invoices/"+inv["id"].(string), nil); got["status"] != "paid" {
		t.Fatalf("on the due date: %v", got["status"])
	}
	pays := e.must(200, "GET", "/v1/payments?invoice_id="+inv["id"].(string), nil)["data"].([]any)
	if len(pays) != 1 || pays[0].(map[string]any)["method"] != "card" {
		t.Fatalf("payments %v: want one saved-card payment", pays)
	}
	// One charge for the autopay invoice, one declined try for the other.
	if n := e.m.Sim.ChargeCount(mid) - before; n < 1 || n > 2 {
		t.Fatalf("%d Clover charges on the due date", n)
	}
	if got := e.must(200, "GET", "/v1/invoices/"+minv["id"].(string), nil); got["status"] != "open" {
		t.Fatalf("invoice of a customer without autopay: %v", got["status"])
	}
	if got := e.must(200, "GET", "/v1/invoices/"+dinv["id"].(string), nil); got["status"] != "open" {
		t.Fatalf("declined autopay invoice: %v", got["status"])
	}
	if n := e.eventCounts()["invoice.autopay_failed"]; n != 1 {
		t.Fatalf("invoice.autopay_failed × %d, want 1", n)
	}
	if e.mailsAbout("payment_failed", dinv["number"].(string)) != 1 || e.mailsAbout("payment_failed", "/card/") < 1 {
		t.Fatal("no payment_failed mail with an update-card link for the declined autopay")
	}
}

// TestRemindersFollowSchedule: reminders go out before, on and after the
// due date per the merchant's schedule, once each, and stop when the
// invoice is paid or void.
func TestRemindersFollowSchedule(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	e.must(200, "POST", "/v1/billing-settings", map[string]any{"reminder_days": []int{-2, 0, 3}, "dunning_days": []int{1}})
	unpaid := e.invoiceFor(e.customer(), e.day(5))["number"].(string)
	paid := e.invoiceFor(e.customer(), e.day(5))
	void := e.invoiceFor(e.customer(), e.day(5))
	e.must(200, "POST", "/v1/invoices/"+void["id"].(string)+"/void", nil)
	count := func(num string) int { return e.mailsAbout("reminder", num) }

	e.advance(24 * time.Hour) // due − 4
	if count(unpaid) != 0 {
		t.Fatal("reminder before the schedule")
	}
	e.advance(2 * 24 * time.Hour) // due − 2
	if count(unpaid) != 1 || count(paid["number"].(string)) != 1 || count(void["number"].(string)) != 0 {
		t.Fatalf("at due−2: unpaid %d, paid %d, void %d", count(unpaid), count(paid["number"].(string)), count(void["number"].(string)))
	}
	e.advance(time.Hour) // the same day again: nothing new
	if count(unpaid) != 1 {
		t.Fatalf("a reminder sent twice: %d", count(unpaid))
	}
	e.must(201, "POST", "/v1/invoices/"+paid["id"].(string)+"/payments", map[string]any{"source": e.token(visaOK)})
	e.advance(2 * 24 * time.Hour) // due
	e.advance(3 * 24 * time.Hour) // due + 3
	e.advance(20 * 24 * time.Hour)
	if count(unpaid) != 3 || count(paid["number"].(string)) != 1 || count(void["number"].(string)) != 0 {
		t.Fatalf("after the schedule: unpaid %d (want 3), paid %d (want 1), void %d", count(unpaid), count(paid["number"].(string)), count(void["number"].(string)))
	}
	if n := e.eventCounts()["invoice.reminder_sent"]; n != 4 {
		t.Fatalf("invoice.reminder_sent × %d, want 4", n)
	}
}

// TestBillingSettingsValidation: schedules are checked before they are
// stored.
func TestBillingSettingsValidation(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	def := e.must(200, "GET", "/v1/billing-settings", nil)
	for _, bad := range []map[string]any{
		{"reminder_days": []int{0}, "dunning_days": []int{3, 1}},
		{"reminder_days": []int{0}, "dunning_days": []int{0}},
		{"reminder_days": []int{0}, "dunning_days": []int{61}},
		{"reminder_days": []int{0}, "dunning_days": []int{2, 2}},
		{"reminder_days": []int{-61}, "dunning_days": []int{1}},
		{"reminder_days": []int{61}, "dunning_days": []int{1}},
		{"reminder_days": []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, "dunning_days": []int{1}},
	} {
		raw, _ := json.Marshal(bad) // []byte: past the spec-checking client, so the server's own checks answer
		if st, out := e.call("POST", "/v1/billing-settings", raw); st != 400 || out["code"] != "invalid_schedule" {
			t.Errorf("%v = %d %v, want 400 invalid_schedule", bad, st, out)
		}
	}
	if got := e.must(200, "GET", "/v1/billing-settings", nil); got["updated_at"] != def["updated_at"] || len(got["dunning_days"].([]any)) != 4 {
		t.Fatalf("a refused schedule changed the settings: %v", got)
	}
	e.must(200, "POST", "/v1/billing-settings", map[string]any{"reminder_days": []int{-3, 0, 7}, "dunning_days": []int{2, 4}})
	got := e.must(200, "GET", "/v1/billing-settings", nil)
	if d := got["dunning_days"].([]any); len(d) != 2 || d[0] != float64(2) || len(got["reminder_days"].([]any)) != 3 {
		t.Fatalf("settings %v", got)
	}
}

// TestSavedCardConcurrentPaysChargeOnce: 50 pays of one invoice at once
// with a saved card → one Clover charge.
func TestSavedCardConcurrentPaysChargeOnce(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	cus, card := e.savedCustomer(visaOK)
	id := e.invoiceFor(cus, "")["id"].(string)
	mid := e.m.Sim.Options().MerchantID
	before := e.m.Sim.ChargeCount(mid)
	const n = 50
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			statuses[i], _ = e.call("POST", "/v1/invoices/"+id+"/payments", map[string]any{"card_id": card["id"]})
		})
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		switch s {
		case 201:
			ok++
		case 409:
		default:
			t.Errorf("status %d", s)
		}
	}
	if ok != 1 || e.m.Sim.ChargeCount(mid)-before != 1 {
		t.Fatalf("%d payments accepted, %d Clover charges; want 1 and 1 (%v)", ok, e.m.Sim.ChargeCount(mid)-before, statuses)
	}
	if inv := e.must(200, "GET", "/v1/invoices/"+id, nil); inv["status"] != "paid" {
		t.Fatalf("invoice %v", inv["status"])
	}
}

// TestNoCardDataKept: after saving cards every way (pay with save_card,
// POST /cards, the update-card page's API twin) and charging them, neither
// the data directory (SQLite file, WAL, everything) nor any API answer
// holds the card number or its first six digits.
func TestNoCardDataKept(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	const number, first6 = mcOK, "222100"
	inv := e.invoice(nil)
	cus := inv["customer_id"].(string)
	e.must(201, "POST", "/v1/invoices/"+inv["id"].(string)+"/payments", map[string]any{"source": e.token(number), "save_card": true})
	c2 := e.must(201, "POST", "/v1/customers/"+cus+"/cards", map[string]any{"source": e.token(number)})
	p := e.must(201, "POST", "/v1/invoices/"+e.invoiceFor(cus, "")["id"].(string)+"/payments", map[string]any{"card_id": c2["id"]})
	if p["status"] != "succeeded" {
		t.Fatalf("card_id payment %v", p)
	}
	for _, path := range []string{"/v1/customers/" + cus + "/cards", "/v1/payments?limit=100", "/v1/invoices?limit=100",
		"/v1/events?limit=100", "/v1/customers/" + cus} {
		_, body, _ := e.raw(e.key, "GET", path, nil)
		if bytes.Contains(body, []byte(number)) || bytes.Contains(body, []byte(first6)) {
			t.Errorf("GET %s shows card digits", path)
		}
		if path == "/v1/customers/"+cus+"/cards" && !bytes.Contains(body, []byte(`"last4":"0009"`)) {
			t.Errorf("cards: %s", body)
		}
	}
	scanned := 0
	err := filepath.WalkDir(e.m.Config.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned += len(b)
		if bytes.Contains(b, []byte(number)) || bytes.Contains(b, []byte(first6)) {
			t.Errorf("%s holds the card number or its first six digits", filepath.Base(path))
		}
		return nil
	})
	if err != nil || scanned == 0 {
		t.Fatalf("scan: %v (%d bytes)", err, scanned)
	}
}
