package cloversim

import (
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

func TestAdminLedger(t *testing.T) {
	t.Parallel()
	b := setup(t)
	no := false
	b.mustCharge(clover.ChargeParams{Amount: 1000, TipAmount: 100, Currency: "usd", Source: b.tokenize(visa)})
	a := b.mustCharge(clover.ChargeParams{Amount: 500, Currency: "usd", Source: b.tokenize(visa), Capture: &no})
	expect(t, b.do("POST", "/v1/charges/"+a.ID+"/capture", clover.CaptureParams{Amount: 400}), 200)
	midB, tokB, pkB := b.sim.AddMerchant("B")
	r, _ := b.reqAs(t.Context(), tokB, "POST", "/v1/charges", clover.ChargeParams{Amount: 7, Currency: "usd", Source: b.tokenizeWith(pkB, visa)})
	expect(t, r, 200)

	var out struct {
		Entries []LedgerEntry `json:"entries"`
		Totals  LedgerTotals  `json:"totals"`
	}
	b.do("GET", "/_sim/ledger?merchant_id="+b.mid, nil, "Authorization", "").json(t, &out)
	tt := out.Totals
	if len(out.Entries) != 3 || tt.Charged != 1000 || tt.Captured != 400 || tt.Tips != 100 || tt.Net != 1500 ||
		tt.Count[KindAuth] != 1 || tt.Count[KindCapture] != 1 || tt.Count[KindCharge] != 1 {
		t.Errorf("ledger %+v", out)
	}
	b.do("GET", "/_sim/ledger", nil).json(t, &out)
	if len(out.Entries) != 4 || out.Entries[3].MerchantID != midB {
		t.Errorf("all merchants %+v", out.Entries)
	}
}

func TestAdminFaults(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.do("PUT", "/_sim/faults", []byte(`{"latency_p50":"20ms","latency_p99":250,"error_rate":0.1,"timeout_after_commit_rate":0.05,"rate_limit_rate":0.2}`))
	expect(t, r, 200)
	want := Faults{LatencyP50: 20 * time.Millisecond, LatencyP99: 250 * time.Millisecond, ErrorRate: 0.1, TimeoutAfterCommitRate: 0.05, RateLimitRate: 0.2}
	if got := b.sim.currentFaults(); got != want {
		t.Errorf("faults %+v", got)
	}
	g := b.do("GET", "/_sim/faults", nil)
	if !strings.Contains(string(g.Raw), `"latency_p50":"20ms","latency_p99":"250ms"`) {
		t.Errorf("GET %s", g.Raw)
	}
	for _, bad := range []string{`{"error_rate":2}`, `{"latency_p50":"soon"}`, `{"latency_p50":-5}`, `nope`} {
		expect(t, b.do("PUT", "/_sim/faults", []byte(bad)), 400)
	}
	if got := b.sim.currentFaults(); got != want {
		t.Errorf("bad PUT changed faults: %+v", got)
	}
}

func TestAdminMerchantsAndState(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var m struct {
		MerchantID  string `json:"merchant_id"`
		AccessToken string `json:"access_token"`
		PAKMSKey    string `json:"pakms_key"`
	}
	r := b.do("POST", "/_sim/merchants", []byte(`{"name":"Second Shop"}`))
	expect(t, r, 200)
	r.json(t, &m)
	var v3 clover.Merchant
	rr, _ := b.reqAs(t.Context(), m.AccessToken, "GET", "/v3/merchants/"+m.MerchantID, nil)
	expect(t, rr, 200)
	rr.json(t, &v3)
	if v3.Name != "Second Shop" {
		t.Errorf("merchant %+v", v3)
	}
	b.tokenizeWith(m.PAKMSKey, visa)
	var st map[string]int
	b.do("GET", "/_sim/state", nil).json(t, &st)
	if st["merchants"] < 2 || st["tokens"] != 1 {
		t.Errorf("state %+v", st)
	}
}
