package main

import (
	"context"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
)

// An app-uninstall webhook marks the merchant reauthorization_required
// only if it is newer than the merchant's last connect: Clover's webhooks
// can arrive after the merchant already reconnected.
func TestUninstallVersusReconnect(t *testing.T) {
	t.Parallel()
	o := startOnboarding(t)
	mid, _, _ := o.m.Sim.AddMerchant("Uninstall Plumbing")
	id, connectURL := o.integration("crm-uninstall", o.crm.URL+"/return")
	_, ho := o.handoff(id, o.connect(browser(t), connectURL, mid, ""))
	merID := ho["merchant"].(map[string]any)["id"].(string)
	auth, app := o.m.Sim.Options().WebhookAuthCode, o.m.Sim.Options().AppID
	uninstall := func(ts time.Time) {
		t.Helper()
		st, out := o.postClover(auth, map[string]any{"appId": app, "merchants": map[string]any{
			mid: []map[string]any{{"objectId": "A:" + app, "type": "DELETE", "ts": ts.UnixMilli()}}}})
		if st != 200 || num(out, "new_items") != 1 {
			t.Fatalf("uninstall webhook = %d %v", st, out)
		}
		o.waitCloverSynced()
	}
	reconnect := func() {
		t.Helper()
		if st, _ := o.handoff(id, o.connect(browser(t), connectURL, mid, "")); st != 200 || o.status(merID) != paybridge.MerchantActive {
			t.Fatalf("reconnect = %d, status %s", st, o.status(merID))
		}
	}

	// In order: uninstalled, then reconnected.
	uninstalledAt := time.Now()
	uninstall(uninstalledAt)
	if s := o.status(merID); s != paybridge.MerchantReauthorizationRequired {
		t.Fatalf("after the uninstall: %s", s)
	}
	reconnect()

	// Out of order: an uninstall from before the reconnect arrives late
	// (a second notice of the old uninstall): the merchant stays connected.
	uninstall(uninstalledAt.Add(time.Millisecond))
	if s := o.status(merID); s != paybridge.MerchantActive {
		t.Fatalf("a stale uninstall after the reconnect left the merchant %s", s)
	}
	// A new uninstall, after the reconnect, counts.
	uninstall(time.Now().Add(time.Second))
	if s := o.status(merID); s != paybridge.MerchantReauthorizationRequired {
		t.Fatalf("after a new uninstall: %s", s)
	}
	o.m.Service.Audit.Flush()
	audits, _, err := o.m.DB.ListAudit(context.Background(), merID, paybridge.AuditFilter{ObjectID: merID})
	n := 0
	for _, a := range audits {
		if a.Action == "merchant.reauthorization_required" && a.Actor == "clover:webhook" {
			n++
		}
	}
	if err != nil || n != 2 {
		t.Fatalf("%d uninstall audit entries (%v), want 2", n, err)
	}
	evs, _, err := o.m.DB.ListEvents(context.Background(), merID, paybridge.EventFilter{Type: paybridge.EventMerchantReauthRequired})
	if err != nil || len(evs) != 2 {
		t.Fatalf("%d merchant.reauthorization_required events (%v), want 2", len(evs), err)
	}
}
