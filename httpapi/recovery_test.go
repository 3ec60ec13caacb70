package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/apikey"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/seal"
	"github.com/paybridge/paybridge/store"
)

// TestRetryFinishesAnOrphanedKey: a retry with the key of a request whose
// process died (its lease gone) is answered at once, by the middleware
// itself, from the key's recovery point, on the real SQLite store: a key
// that had created nothing runs afresh (the handler runs once); one that
// had created its invoice answers with that invoice (the handler does not
// run again); one whose owner lives stays 409.
func TestRetryFinishesAnOrphanedKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "paybridge.db"), store.Options{Migrate: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := &paybridge.Merchant{ID: paybridge.NewID(paybridge.PrefixMerchant), CloverMerchantID: "CMRECOVERY01", Name: "Shop",
		Currency: "usd", Status: paybridge.MerchantActive}
	if err := db.CreateMerchant(ctx, m, []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	cu := &paybridge.Customer{MerchantID: m.ID, Email: "pat@example.com"}
	if err := db.CreateCustomer(ctx, cu); err != nil {
		t.Fatal(err)
	}
	body := `{"customer_id":"` + cu.ID + `"}`
	hash := requestHash(httptest.NewRequest("POST", "/v1/invoices", nil), []byte(body))

	// The dead process took three keys; under one it created an invoice.
	db.Instance = "ins_dead"
	for _, k := range []string{"started", "created"} {
		if _, err := db.BeginIdempotent(ctx, &paybridge.IdempotencyRecord{MerchantID: m.ID, Key: k, RequestHash: hash, Claim: "dead-" + k}); err != nil {
			t.Fatal(err)
		}
	}
	inv := &paybridge.Invoice{MerchantID: m.ID, CustomerID: cu.ID, Currency: "usd", Status: paybridge.InvoiceOpen,
		LineItems: []paybridge.LineItem{{Description: "Visit", Quantity: 1, UnitAmount: 4200}}}
	inv.ComputeTotals()
	if err := db.CreateInvoice(paybridge.WithRequestKey(ctx, paybridge.RequestKey{MerchantID: m.ID, Key: "created", Claim: "dead-created"}), inv); err != nil {
		t.Fatal(err)
	}
	db.Instance = "ins_alive"
	if err := db.HoldLease(ctx, "slot-alive", time.Minute, true); err != nil {
		t.Fatal(err)
	}
	if _, err := db.BeginIdempotent(ctx, &paybridge.IdempotencyRecord{MerchantID: m.ID, Key: "alive", RequestHash: hash, Claim: "alive"}); err != nil {
		t.Fatal(err)
	}

	var runs atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		WriteJSON(w, r, http.StatusCreated, map[string]string{"id": "inv_fresh"})
	})
	sealer, err := seal.New("k1", map[string][]byte{"k1": bytes.Repeat([]byte{7}, seal.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	keys := SealedIdempotency{Store: db, Sealer: sealer}
	rc := &Recovery{Keys: keys, Orphans: db, Service: billing.New(db, nil, nil)}
	mw := IdempotencyRecovering(keys, rc, nil)(h)
	post := func(key string) (int, map[string]any) {
		r := httptest.NewRequest("POST", "/v1/invoices", strings.NewReader(body))
		r.Header.Set("Idempotency-Key", key)
		r = r.WithContext(WithClaims(r.Context(), &apikey.Claims{MerchantID: m.ID}))
		w := httptest.NewRecorder()
		mw.ServeHTTP(w, r)
		b, _ := io.ReadAll(w.Body)
		var out map[string]any
		_ = json.Unmarshal(b, &out)
		return w.Code, out
	}

	if st, out := post("started"); st != http.StatusCreated || out["id"] != "inv_fresh" || runs.Load() != 1 {
		t.Fatalf("orphaned at started: %d %v, %d runs", st, out, runs.Load())
	}
	if st, out := post("created"); st != http.StatusCreated || out["id"] != inv.ID || runs.Load() != 1 {
		t.Fatalf("orphaned at created: %d %v, %d runs", st, out, runs.Load())
	}
	if st, out := post("created"); st != http.StatusCreated || out["id"] != inv.ID {
		t.Fatalf("replay of the finished key: %d %v", st, out)
	}
	if st, out := post("alive"); st != http.StatusConflict || out["code"] != "idempotency_in_flight" {
		t.Fatalf("key of a live owner: %d %v", st, out)
	}
}
