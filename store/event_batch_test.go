package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/store"
	"github.com/paybridge/paybridge/store/storetest"
)

// TestEventsInsertedAtCommit: a transaction's events are inserted together
// just before it commits, across the store's rows-per-statement boundary:
// every one is stored in the order emitted, the commit hook gets exactly
// those of merchants with an enabled endpoint, in that order, and a
// transaction that fails stores none.
func TestEventsInsertedAtCommit(t *testing.T) {
	t.Parallel()
	eachEngine(t, testEventsInsertedAtCommit)
}

func testEventsInsertedAtCommit(t *testing.T, db *store.DB) {
	ctx := context.Background()
	var heard, quiet, muted = newMerchant(t, db), newMerchant(t, db), newMerchant(t, db)
	storetest.Listen(t, db, heard, true)
	storetest.Listen(t, db, muted, false)
	var hooked []string
	db.OnEvents = func(_ context.Context, _ store.Tx, evs []*paybridge.Event) error {
		for _, e := range evs {
			hooked = append(hooked, e.ID)
		}
		return nil
	}
	want := map[string][]string{}
	err := db.WithRiverTx(ctx, func(tx store.Tx) error {
		for i := range 150 {
			m := []*paybridge.Merchant{heard, quiet, muted}[i%3]
			ev := &paybridge.Event{MerchantID: m.ID, Type: paybridge.EventInvoicePaid, ObjectType: "invoice",
				ObjectID: fmt.Sprintf("inv_%03d", i)}
			if err := store.Emit(ctx, db, tx.SQL, ev); err != nil {
				return err
			}
			want[m.ID] = append(want[m.ID], ev.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[heard.ID], hooked); diff != "" {
		t.Errorf("commit hook: the listened merchant's events in order, no others (-want +got):\n%s", diff)
	}
	boom := errors.New("boom")
	err = db.WithRiverTx(ctx, func(tx store.Tx) error {
		if err := store.Emit(ctx, db, tx.SQL, &paybridge.Event{MerchantID: heard.ID, Type: paybridge.EventInvoicePaid,
			ObjectType: "invoice", ObjectID: "inv_failed"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) && paybridge.ErrorKind(err) != paybridge.EINTERNAL {
		t.Fatalf("failed transaction: %v", err)
	}
	for _, m := range []*paybridge.Merchant{heard, quiet, muted} {
		var got []string
		for cur := ""; ; {
			page, next, err := db.ListEvents(ctx, m.ID, paybridge.EventFilter{Cursor: cur, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				got = append(got, e.ID)
			}
			if cur = next; cur == "" {
				break
			}
		}
		if diff := cmp.Diff(want[m.ID], got); diff != "" {
			t.Errorf("%s's stored events in order, none of the failed transaction (-want +got):\n%s", m.ID, diff)
		}
	}
}

// newMerchant stores an active merchant.
func newMerchant(t *testing.T, db *store.DB) *paybridge.Merchant {
	t.Helper()
	id := paybridge.NewID(paybridge.PrefixMerchant)
	m := &paybridge.Merchant{ID: id, CloverMerchantID: "CM" + id[4:15], Name: "Shop", Currency: "usd",
		Status: paybridge.MerchantActive}
	if err := db.CreateMerchant(context.Background(), m, []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	return m
}
