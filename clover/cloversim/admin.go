package cloversim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// registerAdmin mounts the unauthenticated inspection and control surface:
//
//	GET  /_sim/ledger[?merchant_id=]  {entries:[LedgerEntry], totals:LedgerTotals}
//	GET  /_sim/faults                 the faults in force (durations as Go strings, "150ms")
//	PUT  /_sim/faults                 replace them; latency_p50/latency_p99 are a Go
//	                                  duration string ("1.5s") or a number of milliseconds
//	POST /_sim/merchants {name?, merchant_id?, currency?}  {merchant_id, access_token, pakms_key}
//	GET  /_sim/state                  counts of everything
//	GET  /_sim/app                    {app_id, client_id}: which app this Clover serves,
//	                                  so a client can check its configuration at start
//
// The test clock, webhooks and OAuth grant controls live with their surfaces.
func (s *Sim) registerAdmin() {
	s.mux.HandleFunc("GET /_sim/ledger", s.adminLedger)
	s.mux.HandleFunc("GET /_sim/faults", s.adminGetFaults)
	s.mux.HandleFunc("PUT /_sim/faults", s.adminPutFaults)
	s.mux.HandleFunc("POST /_sim/merchants", s.adminAddMerchant)
	s.mux.HandleFunc("GET /_sim/state", s.adminState)
	s.mux.HandleFunc("GET /_sim/app", s.adminApp)
	s.registerDashboard() // dashboard.go
}

func (s *Sim) adminApp(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, 200, map[string]string{"app_id": s.app.ID, "client_id": s.app.ClientID})
}

func (s *Sim) adminLedger(w http.ResponseWriter, r *http.Request) {
	e := s.Ledger(r.URL.Query().Get("merchant_id"))
	writeJSON(w, 200, map[string]any{"entries": e, "totals": totals(e)})
}

// faultsJSON is Faults on the admin wire: durations as strings or ms.
type faultsJSON struct {
	LatencyP50             jsonDuration `json:"latency_p50"`
	LatencyP99             jsonDuration `json:"latency_p99"`
	ErrorRate              float64      `json:"error_rate"`
	TimeoutAfterCommitRate float64      `json:"timeout_after_commit_rate"`
	RateLimitRate          float64      `json:"rate_limit_rate"`
	DeclinedButCaptured    float64      `json:"declined_but_captured_rate"`
}

// jsonDuration is a duration written as a Go duration string and read from
// either a string ("250ms", "1.5s") or a number of milliseconds.
type jsonDuration time.Duration

func (d jsonDuration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	var ms float64
	if err := json.Unmarshal(b, &ms); err == nil {
		*d = jsonDuration(time.Duration(ms * float64(time.Millisecond)))
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("duration: want a string like \"150ms\" or a number of ms")
	}
	v, err := time.ParseDuration(str)
	if err != nil {
		return err
	}
	*d = jsonDuration(v)
	return nil
}

func (s *Sim) adminGetFaults(w http.ResponseWriter, _ *http.Request) {
	f := s.currentFaults()
	writeJSON(w, 200, faultsJSON{LatencyP50: jsonDuration(f.LatencyP50), LatencyP99: jsonDuration(f.LatencyP99),
		ErrorRate: f.ErrorRate, TimeoutAfterCommitRate: f.TimeoutAfterCommitRate, RateLimitRate: f.RateLimitRate,
		DeclinedButCaptured: f.DeclinedButCapturedRate})
}

func (s *Sim) adminPutFaults(w http.ResponseWriter, r *http.Request) {
	var fj faultsJSON
	if err := json.NewDecoder(r.Body).Decode(&fj); err != nil {
		writeError(w, 400, "invalid_request_error", "invalid_request", "Invalid faults: "+err.Error())
		return
	}
	for _, rate := range []float64{fj.ErrorRate, fj.TimeoutAfterCommitRate, fj.RateLimitRate, fj.DeclinedButCaptured} {
		if rate < 0 || rate > 1 {
			writeError(w, 400, "invalid_request_error", "invalid_request", "Rates must be within [0,1].")
			return
		}
	}
	if fj.LatencyP50 < 0 || fj.LatencyP99 < 0 {
		writeError(w, 400, "invalid_request_error", "invalid_request", "Latencies must not be negative.")
		return
	}
	s.setFaults(Faults{LatencyP50: time.Duration(fj.LatencyP50), LatencyP99: time.Duration(fj.LatencyP99),
		ErrorRate: fj.ErrorRate, TimeoutAfterCommitRate: fj.TimeoutAfterCommitRate, RateLimitRate: fj.RateLimitRate,
		DeclinedButCapturedRate: fj.DeclinedButCaptured})
	s.adminGetFaults(w, r)
}

// MerchantSpec describes a merchant to add; every field may be "" (a
// random id, a default name, usd).
type MerchantSpec struct {
	ID       string `json:"merchant_id"`
	Name     string `json:"name"`
	Currency string `json:"currency"` // lowercase ISO 4217
}

// AddMerchant creates another merchant of the app with its own ready access
// token and PAKMS key (name "" gets a default), for multi-merchant tests.
func (s *Sim) AddMerchant(name string) (mid, token, pakms string) {
	mid, token, pakms, _ = s.AddMerchantWith(MerchantSpec{Name: name})
	return mid, token, pakms
}

// AddMerchantWith is AddMerchant for a merchant with a given id (refused
// when taken or not a Clover id) or currency (refused unless supported).
func (s *Sim) AddMerchantWith(spec MerchantSpec) (mid, token, pakms string, err error) {
	defer s.direct()()
	return s.addMerchantWith(spec)
}

func (s *Sim) addMerchantWith(spec MerchantSpec) (mid, token, pakms string, err error) {
	if spec.Name == "" {
		spec.Name = "Sandbox Merchant"
	}
	if spec.ID != "" && !clover.ValidID(spec.ID) {
		return "", "", "", fmt.Errorf("merchant id %q is not 13 characters of A-Z and 0-9", spec.ID)
	}
	if spec.Currency != "" && !paybridge.ValidCurrency(spec.Currency) {
		return "", "", "", fmt.Errorf("currency %q is not a lowercase ISO 4217 code paybridge supports", spec.Currency)
	}
	token = randHex(16)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.merchants[spec.ID] != nil {
		return "", "", "", fmt.Errorf("merchant %s exists", spec.ID)
	}
	m := s.addMerchant(spec, "")
	s.grants[token] = &grant{MerchantID: m.ID, Expires: s.nowLocked().Add(100 * 365 * 24 * time.Hour)}
	return m.ID, token, m.PAKMSKey, nil
}

func (s *Sim) adminAddMerchant(w http.ResponseWriter, r *http.Request) {
	var p MerchantSpec
	if r.ContentLength != 0 {
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			writeError(w, 400, "invalid_request_error", "invalid_request", "Invalid JSON body.")
			return
		}
	}
	mid, tok, pk, err := s.addMerchantWith(p)
	if err != nil {
		writeError(w, 400, "invalid_request_error", "invalid_request", err.Error())
		return
	}
	writeJSON(w, 200, map[string]string{"merchant_id": mid, "access_token": tok, "pakms_key": pk})
}

func (s *Sim) adminState(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	st := map[string]int{"merchants": len(s.merchants), "grants": len(s.grants), "tokens": len(s.tokens),
		"ledger_entries": len(s.ledger), "idempotency_keys": len(s.idem)}
	for _, m := range s.merchants {
		st["customers"] += len(m.Customers)
		st["cards"] += len(m.Cards)
		st["charges"] += len(m.Charges)
		st["orders"] += len(m.Orders)
		st["refunds"] += len(m.Refunds)
		st["returns"] += len(m.Returns)
		st["tax_rates"] += len(m.TaxRates)
	}
	s.mu.Unlock()
	writeJSON(w, 200, st)
}
