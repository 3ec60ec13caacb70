package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/store"
)

// testUninstallRace: Clover's app-uninstall notice marks the merchant
// reauthorization_required only when it is newer than the merchant's last
// connect, in either order of arrival.
func testUninstallRace(t *testing.T, db *store.DB) {
	ctx := context.Background()
	it := newIntegration(t, db, "crm-uninstall-"+paybridge.NewID(""))
	m := freshMerchant()
	tc := time.Now().UTC().Truncate(time.Millisecond)
	ok(t, db.Connect(ctx, connection(m, it.ID, "u1"), tc))
	// status checks the merchant's status and its count of
	// merchant.reauthorization_required and merchant.reactivated events.
	status := func(want paybridge.MerchantStatus, reauthEvents, reactivatedEvents int) {
		t.Helper()
		got, err := db.GetMerchant(ctx, m.ID)
		ok(t, err)
		n := map[paybridge.EventType]int{}
		for _, e := range eventsOf(t, db, m, m.ID) {
			n[e.Type]++
		}
		if got.Status != want || n[paybridge.EventMerchantReauthRequired] != reauthEvents ||
			n[paybridge.EventMerchantReactivated] != reactivatedEvents {
			t.Fatalf("merchant %s with %d reauthorization and %d reactivated events, want %s with %d and %d", got.Status,
				n[paybridge.EventMerchantReauthRequired], n[paybridge.EventMerchantReactivated], want, reauthEvents, reactivatedEvents)
		}
	}
	mark := func(at time.Time, want bool) {
		t.Helper()
		got, err := db.MarkAppUninstalled(ctx, m.ID, at)
		ok(t, err)
		if got != want {
			t.Fatalf("uninstall at %s (connected %s): marked %t, want %t", at, tc, got, want)
		}
	}
	mark(tc.Add(-time.Second), false) // uninstalled before this connect
	status(paybridge.MerchantActive, 0, 0)
	mark(tc.Add(time.Second), true)
	status(paybridge.MerchantReauthorizationRequired, 1, 0)
	// The merchant reconnects; the same uninstall arriving again (late,
	// replayed) leaves it connected.
	ok(t, db.Connect(ctx, connection(m, it.ID, "u2"), tc.Add(2*time.Second)))
	connected, err := db.MerchantConnectedAt(ctx, m.ID)
	ok(t, err)
	if !connected.Equal(tc.Add(2 * time.Second)) {
		t.Fatalf("connected at %s, want %s", connected, tc.Add(2*time.Second))
	}
	mark(tc.Add(time.Second), false)
	status(paybridge.MerchantActive, 1, 1) // the reconnect said merchant.reactivated
	// A later uninstall marks it again.
	mark(tc.Add(3*time.Second), true)
	status(paybridge.MerchantReauthorizationRequired, 2, 1)
	// Unknown merchant.
	if _, err := db.MarkAppUninstalled(ctx, "mer_missing", tc); paybridge.ErrorKind(err) != paybridge.ENOTFOUND {
		t.Fatalf("unknown merchant: %v", err)
	}
	// A merchant created without the onboarding flow counts from its
	// creation.
	plain := newMerchant(t, db)
	if marked, err := db.MarkAppUninstalled(ctx, plain.ID, plain.CreatedAt.Add(-time.Minute)); err != nil || marked {
		t.Fatalf("uninstall before creation: marked %t, %v", marked, err)
	}
	if marked, err := db.MarkAppUninstalled(ctx, plain.ID, plain.CreatedAt.Add(time.Minute)); err != nil || !marked {
		t.Fatalf("uninstall after creation: marked %t, %v", marked, err)
	}
}
