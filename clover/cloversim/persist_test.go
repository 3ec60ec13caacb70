package cloversim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/paybridge/paybridge/clover"
)

// notState are the Sim's fields that are deliberately not persisted (see
// stateTables); every other field of Sim, ecomState and extState is state
// and must come back after a reopen.
var notState = map[string]bool{
	"opts": true, "log": true, "mux": true, "mu": true, "faults": true, "store": true,
	"ecom.rng": true, "ecom.limits": true, "ecom.gate": true,
	"ext.clockNanos": true, // mirrors clockOffset
	"ext.hooks":      true, // its settings are checked on their own
	// The refresh rules are configuration, given again on each start.
	"ext.refreshCap": true, "ext.revokeOnRefresh": true,
}

// stateFields walks the Sim's state fields by name (unexported ones made
// settable), so the round trip covers fields added after this test.
func stateFields(s *Sim) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name := prefix + f.Name
			if notState[name] {
				continue
			}
			fv := reflect.NewAt(f.Type, unsafe.Pointer(v.Field(i).UnsafeAddr())).Elem()
			if name == "ecom" || name == "ext" {
				walk(name+".", fv)
				continue
			}
			out[name] = fv
		}
	}
	walk("", reflect.ValueOf(s).Elem())
	return out
}

// filler gives every field a distinct non-zero value, unexported ones too
// (a field JSON cannot see would be lost on restart: the test must fail).
type filler struct{ n int }

var timeType = reflect.TypeFor[time.Time]()

func (f *filler) fill(v reflect.Value, depth int) {
	f.n++
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, f.n*1000, time.UTC)))
		return
	case v.Type() == reflect.TypeFor[json.RawMessage]():
		v.SetBytes([]byte(fmt.Sprintf(`{"n":%d}`, f.n)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("V%d", f.n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(f.n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.n % 200))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(f.n) + 0.5)
	case reflect.Pointer:
		if depth > 6 {
			return
		}
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		for i := range v.NumField() {
			f.fill(reflect.NewAt(v.Field(i).Type(), unsafe.Pointer(v.Field(i).UnsafeAddr())).Elem(), depth+1)
		}
	case reflect.Slice:
		if depth > 6 {
			return
		}
		sl := reflect.MakeSlice(v.Type(), 2, 2)
		f.fill(sl.Index(0), depth+1)
		f.fill(sl.Index(1), depth+1)
		v.Set(sl)
	case reflect.Array:
		for i := range v.Len() {
			f.fill(v.Index(i), depth+1)
		}
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		if depth > 6 {
			return
		}
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		f.fill(k, depth+1)
		f.fill(e, depth+1)
		v.SetMapIndex(k, e)
	}
}

// TestPersistRoundTrip fills every piece of state with values (every field
// of every entity, nested ones included), reopens the file and wants all
// of it back. A new map on the Sim, or an entity field JSON cannot carry,
// fails it until stateTables (persist_tables.go) has it.
func TestPersistRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sim.db")
	s, err := Open(path, Options{LimitsOff: true, WebhookURL: "https://crm.example/hooks"})
	if err != nil {
		t.Fatal(err)
	}
	f := &filler{}
	s.mu.Lock()
	want := stateFields(s)
	for name, v := range want {
		f.fill(v, 0)
		if name == "merchants" { // a merchant row is found by its key
			for _, k := range v.MapKeys() {
				m := v.MapIndex(k).Interface().(*merchant)
				m.ID = k.String()
			}
		}
	}
	s.mu.Unlock()
	id := s.identity()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	r, err := Open(path, Options{LimitsOff: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := stateFields(r)
	for name, w := range want {
		if d := cmp.Diff(w.Interface(), got[name].Interface(), cmp.Exporter(func(reflect.Type) bool { return true })); d != "" {
			t.Errorf("%s not restored (add it to stateTables, or to notState if it must not survive a restart) (-want +got):\n%s", name, d)
		}
	}
	if d := cmp.Diff(id, r.identity()); d != "" {
		t.Errorf("identity (-want +got):\n%s", d)
	}
	if h := r.ext.hooks.settings(); h.URL != "https://crm.example/hooks" {
		t.Errorf("webhook settings: %+v", h)
	}
	if time.Duration(r.ext.clockNanos.Load()) != r.clockOffset {
		t.Errorf("clock mirror %v, offset %v", time.Duration(r.ext.clockNanos.Load()), r.clockOffset)
	}
}

// TestPersistKill9 reopens the file while the first Sim is still open and
// never closed, as after kill -9: every answered request is in it. The
// charge is refundable and its idempotency key replays instead of
// charging again.
func TestPersistKill9(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sim.db")
	clock := &testClock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	s, err := Open(path, Options{LimitsOff: true, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	b := serve(t, s, clock)
	params := clover.ChargeParams{Amount: 1500, Currency: "usd", Source: b.tokenize("4242424242424242")}
	ch := b.do("POST", "/v1/charges", params, "idempotency-key", "k-1")
	expect(t, ch, 200)
	var c clover.Charge
	ch.json(t, &c)
	expect(t, b.do("POST", "/_sim/clock/advance", map[string]any{"duration": "48h"}), 200)

	r, err := Open(path, Options{LimitsOff: true, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); s.Close() })
	b2 := serve(t, r, clock)
	if b2.mid != b.mid || b2.token != b.token || b2.pakms != b.pakms {
		t.Fatalf("identity changed: %s %s", b2.mid, b.mid)
	}
	again := b2.do("POST", "/v1/charges", params, "idempotency-key", "k-1")
	expect(t, again, 200)
	var c2 clover.Charge
	again.json(t, &c2)
	if c2.ID != c.ID || r.ChargeCount(b.mid) != 1 {
		t.Fatalf("the retried key charged again: %s vs %s, %d charges", c2.ID, c.ID, r.ChargeCount(b.mid))
	}
	expect(t, b2.do("POST", "/v1/refunds", map[string]any{"charge": c.ID}), 200)
	if off := r.clockView().OffsetSeconds; off != 48*3600 {
		t.Fatalf("clock offset %d s after reopen", off)
	}
	if n := len(r.Ledger(b.mid)); n != 2 {
		t.Fatalf("ledger has %d entries, want charge + refund", n)
	}
}

// TestPersistGoAPI: exported methods that change state commit too.
func TestPersistGoAPI(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sim.db")
	s, err := Open(path, Options{LimitsOff: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mid, tok, _ := s.AddMerchant("Second")
	s.AdvanceClock(time.Hour)
	r, err := Open(path, Options{LimitsOff: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if g := r.grants[tok]; g == nil || g.MerchantID != mid || r.clockOffset != time.Hour {
		t.Fatalf("AddMerchant/AdvanceClock not saved: %+v %v", g, r.clockOffset)
	}
	if !strings.HasPrefix(r.merchants[mid].Name, "Second") {
		t.Fatalf("merchant %+v", r.merchants[mid])
	}
}

// BenchmarkPersistCommit is one charge (tokenize and charge with an
// idempotency key: two commits) against a Sim holding every earlier one.
func BenchmarkPersistCommit(b *testing.B) {
	clock := &testClock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	s, err := Open(filepath.Join(b.TempDir(), "sim.db"), Options{LimitsOff: true, Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()
	o := s.Options()
	post := func(path string, body any, hdr ...string) map[string]any {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+o.AccessToken)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
			b.Fatalf("%s: %d %v", path, resp.StatusCode, err)
		}
		return out
	}
	for i := range b.N {
		tok := post("/v1/tokens", clover.TokenParams{Card: &clover.CardDetails{Number: "4242424242424242", ExpMonth: "12", ExpYear: "2030", CVV: "123"}}, "apikey", o.PAKMSKey)
		post("/v1/charges", clover.ChargeParams{Amount: 1500, Currency: "usd", Source: tok["id"].(string)}, "idempotency-key", fmt.Sprint("k-", i))
	}
}
