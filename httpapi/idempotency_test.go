package httpapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/apikey"
)

// fakeIdem is an in-memory IdempotencyStore following paybridge.Store's contract.
type fakeIdem struct {
	mu   sync.Mutex
	recs map[string]*paybridge.IdempotencyRecord
}

func newFakeIdem() *fakeIdem { return &fakeIdem{recs: map[string]*paybridge.IdempotencyRecord{}} }

func (f *fakeIdem) BeginIdempotent(_ context.Context, rec *paybridge.IdempotencyRecord) (*paybridge.IdempotencyRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := rec.MerchantID + "\x00" + rec.Key
	if prev, ok := f.recs[k]; ok {
		c := *prev
		return &c, nil
	}
	c := *rec
	f.recs[k] = &c
	return nil, nil
}

func (f *fakeIdem) CompleteIdempotent(_ context.Context, m, key string, status int, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.recs[m+"\x00"+key]
	r.Completed, r.Status, r.Body = true, status, append([]byte(nil), body...)
	return nil
}

func (f *fakeIdem) ReleaseIdempotent(_ context.Context, m, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.recs, m+"\x00"+key)
	return nil
}

func (f *fakeIdem) get(m, key string) (*paybridge.IdempotencyRecord, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.recs[m+"\x00"+key]
	return r, ok
}

// idemServer wraps h in Idempotency with claims for merchant set directly.
func idemServer(store IdempotencyStore, h http.Handler) func(merchant, key, body string) *httptest.ResponseRecorder {
	mw := Idempotency(store, nil)(h)
	return func(merchant, key, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/v1/payments", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if key != "" {
			r.Header.Set("Idempotency-Key", key)
		}
		r = r.WithContext(WithClaims(r.Context(), &apikey.Claims{MerchantID: merchant}))
		w := httptest.NewRecorder()
		mw.ServeHTTP(w, r)
		return w
	}
}

func TestIdempotencyReplayAndReuse(t *testing.T) {
	t.Parallel()
	store := newFakeIdem()
	var calls atomic.Int32
	do := idemServer(store, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		body, _ := io.ReadAll(r.Body) // the handler still gets the body
		WriteJSON(w, r, http.StatusCreated, map[string]any{"call": n, "echo": string(body)})
	}))
	first := do("mer_a", "k1", `{"amount":100}`)
	if first.Code != 201 || first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %v", first.Code, first.Header())
	}
	again := do("mer_a", "k1", `{"amount":100}`)
	if again.Code != 201 || again.Header().Get("Idempotent-Replayed") != "true" || again.Body.String() != first.Body.String() {
		t.Errorf("replay: %d %q %s", again.Code, again.Header().Get("Idempotent-Replayed"), again.Body)
	}
	if calls.Load() != 1 {
		t.Errorf("handler ran %d times", calls.Load())
	}
	other := do("mer_a", "k1", `{"amount":200}`)
	if other.Code != 422 || !strings.Contains(other.Body.String(), `"code":"idempotency_key_reused"`) {
		t.Errorf("different body: %d %s", other.Code, other.Body)
	}
	// Keys are per merchant: the same key for another merchant is new.
	b := do("mer_b", "k1", `{"amount":200}`)
	if b.Code != 201 || b.Header().Get("Idempotent-Replayed") != "" || calls.Load() != 2 {
		t.Errorf("other merchant: %d replayed=%q calls=%d", b.Code, b.Header().Get("Idempotent-Replayed"), calls.Load())
	}
	// No key: no idempotency.
	do("mer_a", "", `{"amount":100}`)
	do("mer_a", "", `{"amount":100}`)
	if calls.Load() != 4 {
		t.Errorf("keyless requests ran %d times in all, want 4", calls.Load())
	}
}

func TestIdempotencyInFlight(t *testing.T) {
	t.Parallel()
	store := newFakeIdem()
	entered, release := make(chan struct{}), make(chan struct{})
	do := idemServer(store, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		WriteJSON(w, r, http.StatusCreated, map[string]string{"ok": "yes"})
	}))
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- do("mer_a", "k", `{}`) }()
	<-entered
	w := do("mer_a", "k", `{}`)
	if w.Code != 409 || !strings.Contains(w.Body.String(), `"code":"idempotency_in_flight"`) {
		t.Errorf("while in flight: %d %s", w.Code, w.Body)
	}
	close(release)
	if first := <-done; first.Code != 201 {
		t.Errorf("first: %d", first.Code)
	}
	if w := do("mer_a", "k", `{}`); w.Code != 201 || w.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("after completion: %d", w.Code)
	}
}

func TestIdempotencyReleasesOn5xxAndPanic(t *testing.T) {
	t.Parallel()
	store := newFakeIdem()
	var fail atomic.Bool
	fail.Store(true)
	do := idemServer(store, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			WriteError(w, r, &paybridge.Error{Kind: paybridge.EUNAVAILABLE, Message: "Clover is down."})
			return
		}
		WriteJSON(w, r, http.StatusCreated, map[string]string{"ok": "yes"})
	}))
	if w := do("mer_a", "k", `{}`); w.Code != 503 {
		t.Fatalf("first: %d", w.Code)
	}
	if _, ok := store.get("mer_a", "k"); ok {
		t.Error("key kept after a 503")
	}
	fail.Store(false)
	if w := do("mer_a", "k", `{}`); w.Code != 201 || w.Header().Get("Idempotent-Replayed") != "" {
		t.Errorf("retry after 503: %d replayed=%q", w.Code, w.Header().Get("Idempotent-Replayed"))
	}

	panicky := idemServer(store, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	func() {
		defer func() { _ = recover() }()
		panicky("mer_a", "p", `{}`)
	}()
	if _, ok := store.get("mer_a", "p"); ok {
		t.Error("key kept after a panic")
	}
}

func TestIdempotencyStoresNoCardData(t *testing.T) {
	t.Parallel()
	store := newFakeIdem()
	do := idemServer(store, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Amount int64 `json:"amount"`
		}
		if err := Decode(w, r, &in); err != nil {
			WriteError(w, r, err)
			return
		}
		WriteJSON(w, r, 201, in)
	}))
	w := do("mer_a", "k", `{"amount":100,"note":"4242 4242 4242 4242"}`)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "raw_card_data") {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
	rec, ok := store.get("mer_a", "k")
	if !ok || rec.Status != 400 {
		t.Fatalf("record %+v", rec)
	}
	if strings.Contains(string(rec.Body), "4242") || strings.Contains(rec.RequestHash, "4242 4242") {
		t.Error("card digits stored")
	}
}

func TestIdempotencyKeyValidation(t *testing.T) {
	t.Parallel()
	do := idemServer(newFakeIdem(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
	}))
	for name, key := range map[string]string{
		"too long":    strings.Repeat("a", 256),
		"control":     "abc\x01",
		"non-ascii":   "clé",
		"card number": "4242424242424242",
	} {
		w := do("mer_a", key, `{}`)
		if w.Code != 400 {
			t.Errorf("%s: status %d", name, w.Code)
		}
	}
	if w := do("mer_a", strings.Repeat("a", 255), `{}`); w.Code != 201 {
		t.Errorf("255-char key: %d", w.Code)
	}
	big := idemServer(newFakeIdem(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) }))
	if w := big("mer_a", "k", `{"a":"`+strings.Repeat("x", MaxBodyBytes)+`"}`); w.Code != 400 || !strings.Contains(w.Body.String(), "body_too_large") {
		t.Errorf("oversized body: %d %s", w.Code, w.Body)
	}
}

// deferringIdem is a fakeIdem that defers durability (Deferrer) and
// records the order of events.
type deferringIdem struct {
	*fakeIdem
	mu  sync.Mutex
	log []string
}

type deferMark struct{}

func (d *deferringIdem) note(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.log = append(d.log, s)
}

func (d *deferringIdem) Defer(ctx context.Context) context.Context {
	d.note("defer")
	return context.WithValue(ctx, deferMark{}, true)
}

func (d *deferringIdem) Sync(ctx context.Context) error {
	if ctx.Value(deferMark{}) != true {
		d.note("sync without the handler's context")
	}
	d.note("sync")
	return nil
}

func (d *deferringIdem) CompleteIdempotent(ctx context.Context, m, key string, status int, body []byte) error {
	if ctx.Value(deferMark{}) != nil {
		d.note("complete deferred") // the stored response must be durable
	}
	d.note("complete")
	return d.fakeIdem.CompleteIdempotent(ctx, m, key, status, body)
}

// sentWriter records when the response is first written.
type sentWriter struct {
	*httptest.ResponseRecorder
	d *deferringIdem
}

func (w sentWriter) WriteHeader(code int) {
	w.d.note("send")
	w.ResponseRecorder.WriteHeader(code)
}

// TestIdempotencyDefersUntilStored: with a Deferrer, the handler runs
// under Defer, the response is stored durably, the handler's writes are
// synced, and only then is anything sent (a large body included, which
// would otherwise start flowing before the handler returns).
func TestIdempotencyDefersUntilStored(t *testing.T) {
	t.Parallel()
	d := &deferringIdem{fakeIdem: newFakeIdem()}
	big := strings.Repeat("x", 64<<10)
	h := Idempotency(d, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Value(deferMark{}) != true {
			t.Error("the handler does not run under Defer")
		}
		d.note("handler")
		w.Header().Set("X-From-Handler", "1")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, big)
		d.note("handler done")
	}))
	req := httptest.NewRequest(http.MethodPost, "/v1/things", strings.NewReader(`{}`))
	req.Header.Set("Idempotency-Key", "k1")
	req = req.WithContext(WithClaims(req.Context(), &apikey.Claims{MerchantID: "mer_1"}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(sentWriter{rec, d}, req)

	want := []string{"defer", "handler", "handler done", "complete", "sync", "send"}
	if strings.Join(d.log, ",") != strings.Join(want, ",") {
		t.Fatalf("order %v, want %v", d.log, want)
	}
	if rec.Code != http.StatusCreated || rec.Body.Len() != len(big) || rec.Header().Get("X-From-Handler") != "1" {
		t.Errorf("sent %d, %d bytes, header %q", rec.Code, rec.Body.Len(), rec.Header().Get("X-From-Handler"))
	}
	if r, ok := d.get("mer_1", "k1"); !ok || !r.Completed || r.Status != http.StatusCreated || len(r.Body) != len(big) {
		t.Errorf("stored %+v", r)
	}
}
