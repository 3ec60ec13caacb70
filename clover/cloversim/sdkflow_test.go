package cloversim

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestSDKTokenizesInFakeBrowser runs sdk.js and field.js under Node in a
// fake browser (testdata/sdk_harness.js: windows, iframes, postMessage with
// origin checks) against a real Sim: events reach the page, invalid cards
// give errors, a good card comes back as a token only, and a Google Pay
// PAYMENT_REQUEST_BUTTON mounts beside the card fields without throwing.
func TestSDKTokenizesInFakeBrowser(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: the SDK flow is not exercised")
	}
	e := newExtEnv(t)
	out, err := exec.Command(node, "testdata/sdk_harness.js", e.srv.URL, e.pakms, e.mid).Output()
	if err != nil {
		t.Fatalf("harness: %v\n%s", err, out)
	}
	var got struct {
		Styled []string `json:"styled"`
		Footer int      `json:"footer"`
		States []map[string]struct {
			Error   string `json:"error"`
			Touched bool   `json:"touched"`
		} `json:"states"`
		Invalid struct {
			Token  string            `json:"token"`
			Errors map[string]string `json:"errors"`
		} `json:"invalid"`
		Good struct {
			Token  string            `json:"token"`
			Errors map[string]string `json:"errors"`
			Card   map[string]string `json:"card"`
		} `json:"good"`
		Log           []string `json:"log"`
		Wallet        []string `json:"wallet"`
		UnknownThrows bool     `json:"unknownThrows"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("harness output %s: %v", out, err)
	}
	if len(got.Styled) != 1 || !strings.Contains(got.Styled[0], "font-size:16px") {
		t.Errorf("styles not applied in the iframe: %v", got.Styled)
	}
	if got.Footer != 1 {
		t.Errorf("%d clover-footer divs, want 1", got.Footer)
	}
	if n := len(got.States); n < 2 || got.States[n-1]["CARD_NUMBER"].Error != "Card number is invalid." || !got.States[n-1]["CARD_NUMBER"].Touched {
		t.Errorf("change/blur states = %+v", got.States)
	}
	if got.Invalid.Token != "" || got.Invalid.Errors["CARD_NUMBER"] == "" || got.Invalid.Errors["CARD_DATE"] == "" {
		t.Errorf("invalid card result = %+v", got.Invalid)
	}
	if !strings.HasPrefix(got.Good.Token, "clv_") || got.Good.Errors != nil || got.Good.Card["last4"] != "4242" {
		t.Fatalf("good card result = %+v (log %v)", got.Good, got.Log)
	}
	if _, leaked := got.Good.Card["number"]; leaked {
		t.Error("the card number reached the page")
	}
	e.sim.mu.Lock()
	tok := e.sim.tokens[got.Good.Token]
	e.sim.mu.Unlock()
	if tok == nil || tok.MerchantID != e.mid {
		t.Errorf("token %s is not the merchant's", got.Good.Token)
	}
	// PAYMENT_REQUEST_BUTTON is created and mounted without throwing (a
	// page offering Google Pay still tokenizes cards); unknown types throw.
	if len(got.Wallet) != 1 || got.Wallet[0] != "clover-wallet-unavailable" || !got.UnknownThrows {
		t.Errorf("wallet button %v, unknown element throws: %v", got.Wallet, got.UnknownThrows)
	}
	if len(got.Log) != 0 {
		t.Errorf("messages blocked by origin checks: %v", got.Log)
	}
}
