package jobs_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for schema setup

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/jobs"
	"github.com/paybridge/paybridge/seal"
	"github.com/paybridge/paybridge/store"
	"github.com/paybridge/paybridge/webhook"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// engines runs fn on SQLite, and on PostgreSQL when
// PAYBRIDGE_TEST_POSTGRES_URL is set.
func engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "pb.db"), store.Options{Migrate: true, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		fn(t, db)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		base := os.Getenv("PAYBRIDGE_TEST_POSTGRES_URL")
		if base == "" {
			t.Skip("PAYBRIDGE_TEST_POSTGRES_URL is not set: skipping River on PostgreSQL")
		}
		fn(t, openPostgres(t, base))
	})
}

func openPostgres(t *testing.T, base string) *store.DB {
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	schema := "j_" + paybridge.NewID("")
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := store.Open(ctx, u.String(), store.Options{Migrate: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
		admin.Close()
	})
	return db
}

// bundle is a started runner and what tests drive it with.
type bundle struct {
	db     *store.DB
	r      *jobs.Runner
	sealer *seal.Sealer
	m      *paybridge.Merchant
}

func setup(t testing.TB, db *store.DB, periodics ...jobs.Periodic) *bundle {
	t.Helper()
	key := make([]byte, 32)
	sealer, err := seal.New("k1", map[string][]byte{"k1": key})
	if err != nil {
		t.Fatal(err)
	}
	svc := billing.New(db, clover.New(clover.Config{}), sealer)
	svc.Logger = quiet
	r := jobs.New(db, svc, sealer, webhook.NewSender(true))
	r.Logger, r.RetryBase, r.RetryCap, r.PollInterval = quiet, 10*time.Millisecond, 50*time.Millisecond, 20*time.Millisecond
	r.Periodics = periodics
	ctx := context.Background()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.Stop(ctx)
	})
	id := paybridge.NewID(paybridge.PrefixMerchant)
	m := &paybridge.Merchant{ID: id, CloverMerchantID: "CM" + id[4:15], Name: "Shop", Currency: "usd"}
	if err := db.CreateMerchant(ctx, m, nil); err != nil {
		t.Fatal(err)
	}
	return &bundle{db: db, r: r, sealer: sealer, m: m}
}

func (b *bundle) endpoint(t testing.TB, u string) (string, string) {
	t.Helper()
	secret := webhook.NewSecret()
	e := &paybridge.WebhookEndpoint{ID: paybridge.NewID(paybridge.PrefixEndpoint), MerchantID: b.m.ID, URL: u,
		Events: []paybridge.EventType{"*"}}
	var err error
	if e.SealedSecret, err = b.sealer.Seal([]byte(secret), webhook.SecretAAD(e.ID)); err != nil {
		t.Fatal(err)
	}
	if err := b.db.CreateWebhookEndpoint(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e.ID, secret
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// A state change's event is enqueued in its transaction and delivered,
// signed, after the receiver's failures: on both engines.
func TestDeliveryOnBothEngines(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		var mu sync.Mutex
		var got []*http.Request
		var bodies [][]byte
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if calls.Add(1) <= 2 {
				w.WriteHeader(500)
				return
			}
			mu.Lock()
			got, bodies = append(got, r), append(bodies, body)
			mu.Unlock()
		}))
		defer srv.Close()
		_, secret := b.endpoint(t, srv.URL)
		ctx := context.Background()
		ok := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		ok(b.db.SetMerchantStatus(ctx, b.m.ID, paybridge.MerchantReauthorizationRequired))
		waitFor(t, "delivery", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 1 })
		mu.Lock()
		r, body := got[0], bodies[0]
		mu.Unlock()
		if err := webhook.Verify(secret, r.Header.Get(webhook.HeaderID), r.Header.Get(webhook.HeaderTimestamp),
			r.Header.Get(webhook.HeaderSignature), body, time.Now(), time.Minute); err != nil {
			t.Fatalf("signature: %v", err)
		}
		if calls.Load() != 3 {
			t.Fatalf("%d attempts, want 3", calls.Load())
		}
		// Redeliver by hand: to the endpoint that wants the event, not to
		// one subscribed only to other types.
		other := &paybridge.WebhookEndpoint{ID: paybridge.NewID(paybridge.PrefixEndpoint), MerchantID: b.m.ID,
			URL: srv.URL, Events: []paybridge.EventType{"refund.succeeded"}}
		sealed, err := b.sealer.Seal([]byte(webhook.NewSecret()), webhook.SecretAAD(other.ID))
		other.SealedSecret = sealed
		ok(err)
		ok(b.db.CreateWebhookEndpoint(ctx, other))
		evs, _, err := b.db.ListEvents(ctx, b.m.ID, paybridge.EventFilter{})
		ok(err)
		n, err := b.r.Redeliver(ctx, b.m.ID, evs[0].ID, "")
		if err != nil || n != 1 {
			t.Fatalf("redeliver = %d, %v", n, err)
		}
		waitFor(t, "redelivery", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 2 })
	})
}

// An endpoint failing past DisableAfter is disabled with an event, and
// deliveries to it stop.
func TestFailingEndpointIsDisabled(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		b.r.DisableAfter = 0 // fail once = failing "for days"
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.WriteHeader(503)
		}))
		defer srv.Close()
		id, _ := b.endpoint(t, srv.URL)
		ctx := context.Background()
		if err := b.db.SetMerchantStatus(ctx, b.m.ID, paybridge.MerchantReauthorizationRequired); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "endpoint disabled", func() bool {
			e, err := b.db.GetWebhookEndpoint(ctx, b.m.ID, id)
			return err == nil && e.Disabled
		})
		evs, _, err := b.db.ListEvents(ctx, b.m.ID, paybridge.EventFilter{Type: paybridge.EventWebhookEndpointDisabled})
		if err != nil || len(evs) != 1 || evs[0].ObjectID != id {
			t.Fatalf("disabled events = %v %v", evs, err)
		}
	})
}

// A replayed Clover webhook is accepted once and its job runs once.
func TestAcceptCloverDedupes(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		ctx := context.Background()
		p := &clover.WebhookPayload{AppID: "APP", Merchants: map[string][]clover.WebhookEvent{
			b.m.CloverMerchantID: {{ObjectID: "A:APP", Type: "DELETE", TS: time.Now().Add(time.Second).UnixMilli()}}}}
		for i, want := range []int{1, 0, 0} {
			n, err := b.r.AcceptClover(ctx, p)
			if err != nil || n != want {
				t.Fatalf("accept %d = %d, %v; want %d", i, n, err, want)
			}
		}
		waitFor(t, "merchant marked", func() bool {
			m, err := b.db.GetMerchant(ctx, b.m.ID)
			return err == nil && m.Status == paybridge.MerchantReauthorizationRequired
		})
		evs, _, _ := b.db.ListEvents(ctx, b.m.ID, paybridge.EventFilter{Type: paybridge.EventMerchantReauthRequired})
		if len(evs) != 1 {
			t.Fatalf("%d reauthorization events", len(evs))
		}
	})
}

// Periodic tasks run as River periodic jobs.
func TestPeriodicRuns(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		var runs atomic.Int32
		setup(t, db, jobs.Periodic{Name: "tick", Every: 50 * time.Millisecond, Run: func(context.Context) error {
			runs.Add(1)
			return nil
		}})
		waitFor(t, "two runs", func() bool { return runs.Load() >= 2 })
	})
}

func ExamplePayload() {
	b, _ := jobs.Payload(&paybridge.Event{ID: "evt_1", Type: paybridge.EventInvoicePaid, ObjectType: "invoice",
		ObjectID: "inv_1", ObjectVersion: 3, Data: []byte(`{"id":"inv_1"}`), CreatedAt: time.Unix(0, 0).UTC()})
	fmt.Println(string(b))
	// Output: {"id":"evt_1","type":"invoice.paid","object_type":"invoice","object_id":"inv_1","object_version":3,"data":{"id":"inv_1"},"created_at":"1970-01-01T00:00:00Z"}
}
