package jobs_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/jobs"
	"github.com/paybridge/paybridge/seal"
	"github.com/paybridge/paybridge/store"
	"github.com/paybridge/paybridge/webhook"
)

// Three instances starting together on one new PostgreSQL schema all come
// up: paybridge's migrations and River's are serialised, not raced.
func TestConcurrentStartOnPostgres(t *testing.T) {
	t.Parallel()
	base := os.Getenv("PAYBRIDGE_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("PAYBRIDGE_TEST_POSTGRES_URL is not set")
	}
	ctx := context.Background()
	for round := range 3 { // a race does not always show: a few fresh schemas
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		schema := "jm_" + paybridge.NewID("")
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(base)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		sealer, _ := seal.New("k1", map[string][]byte{"k1": make([]byte, 32)})
		var wg sync.WaitGroup
		errs := make([]error, 3)
		runners := make([]*jobs.Runner, 3)
		dbs := make([]*store.DB, 3)
		start := make(chan struct{})
		for i := range 3 {
			wg.Go(func() {
				<-start
				db, err := store.Open(ctx, u.String(), store.Options{Migrate: true, Logger: quiet})
				if err != nil {
					errs[i] = err
					return
				}
				dbs[i] = db
				r := jobs.New(db, billing.New(db, clover.New(clover.Config{}), sealer), sealer, webhook.NewSender(true))
				r.Logger = quiet
				errs[i] = r.Start(ctx)
				if errs[i] == nil {
					runners[i] = r
				}
			})
		}
		close(start)
		wg.Wait()
		for i := range 3 {
			if errs[i] != nil {
				t.Errorf("round %d: instance %d did not start: %v", round, i, errs[i])
			}
			if runners[i] != nil {
				sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				_ = runners[i].Stop(sctx)
				cancel()
			}
			if dbs[i] != nil {
				dbs[i].Close()
			}
		}
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
		admin.Close()
		if t.Failed() {
			return
		}
	}
}
