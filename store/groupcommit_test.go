package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
)

func openGroupDB(t *testing.T) *DB {
	db, _ := openGroupDBAt(t)
	return db
}

// openGroupDBAt also returns the database file's path.
func openGroupDBAt(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pb.db")
	db, err := Open(context.Background(), path, Options{Migrate: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func putSetting(ctx context.Context, t Tx, name string) error {
	_, err := t.SQL.ExecContext(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1, '', 0)`, name)
	return err
}

func hasSetting(t *testing.T, db *DB, name string) bool {
	t.Helper()
	var n int
	if err := db.w.QueryRow(`SELECT count(*) FROM settings WHERE name = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func commits(db *DB) uint64 {
	db.group.wal.mu.Lock()
	defer db.group.wal.mu.Unlock()
	return db.group.wal.written
}

// holdWriter runs a transaction that keeps the writer until release is
// closed, so the transactions started meanwhile queue into one group. It
// returns once the transaction is running.
func holdWriter(t *testing.T, db *DB) (release func(), done <-chan error) {
	t.Helper()
	running, hold, out := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		out <- db.withTx(context.Background(), func(tx Tx) error {
			close(running)
			<-hold
			return putSetting(context.Background(), tx, "holder")
		})
	}()
	<-running
	return func() { close(hold) }, out
}

// waitQueued waits until n transactions are queued behind the holder.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		db.group.mu.Lock()
		q := len(db.group.queue)
		db.group.mu.Unlock()
		if q == n {
			return
		}
	}
	t.Fatalf("%d transactions never queued", n)
}

// TestGroupCommitKeepsOutcomesApart: transactions committed together
// still succeed, fail and panic on their own, and share one COMMIT.
func TestGroupCommitKeepsOutcomesApart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openGroupDB(t)
	var events [][]string
	db.OnEvents = func(_ context.Context, _ Tx, evs []*paybridge.Event) error {
		var ids []string
		for _, e := range evs {
			ids = append(ids, e.ID)
		}
		events = append(events, ids)
		return nil
	}
	m := &paybridge.Merchant{ID: "mer_group", CloverMerchantID: "CMGROUP", Name: "Shop", Currency: "usd",
		Status: paybridge.MerchantActive}
	if err := db.CreateMerchant(ctx, m, []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateWebhookEndpoint(ctx, &paybridge.WebhookEndpoint{MerchantID: m.ID, URL: "https://crm.example.com/h",
		Events: []paybridge.EventType{"*"}, SealedSecret: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	emit := func(tx Tx, id string) {
		ev := &paybridge.Event{ID: id, MerchantID: m.ID, Type: paybridge.EventInvoicePaid, ObjectType: "invoice", ObjectID: "inv_1"}
		if err := db.emit(ctx, tx.SQL, ev, struct{}{}, time.Time{}); err != nil {
			t.Error(err)
		}
	}
	release, held := holdWriter(t, db)
	before := commits(db)

	boom := errors.New("boom")
	type outcome struct {
		err      error
		panicked any
	}
	run := []func(tx Tx) error{
		func(tx Tx) error { emit(tx, "ev_b"); return putSetting(ctx, tx, "b") },
		func(tx Tx) error {
			emit(tx, "ev_c")
			if err := putSetting(ctx, tx, "c"); err != nil {
				return err
			}
			return boom
		},
		func(tx Tx) error {
			if err := putSetting(ctx, tx, "d"); err != nil {
				return err
			}
			panic("d panicked")
		},
		func(tx Tx) error { emit(tx, "ev_e"); return putSetting(ctx, tx, "e") },
	}
	outs := make([]outcome, len(run))
	var wg sync.WaitGroup
	for i, fn := range run {
		waitQueued(t, db, i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { outs[i].panicked = recover() }()
			outs[i].err = db.withTx(ctx, fn)
		}()
	}
	waitQueued(t, db, len(run))
	release()
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}

	if got := commits(db) - before; got != 2 {
		t.Errorf("%d commits for the holder and four queued transactions, want 2 (one group)", got)
	}
	if outs[0].err != nil || outs[3].err != nil {
		t.Errorf("the succeeding transactions got %v, %v", outs[0].err, outs[3].err)
	}
	if !errors.Is(outs[1].err, boom) && paybridge.ErrorKind(outs[1].err) != paybridge.EINTERNAL {
		t.Errorf("the failing transaction got %v", outs[1].err)
	}
	if outs[1].err == nil {
		t.Error("the failing transaction got no error")
	}
	if outs[2].panicked != "d panicked" {
		t.Errorf("the panicking transaction's caller saw %v, want its panic", outs[2].panicked)
	}
	for name, want := range map[string]bool{"holder": true, "b": true, "c": false, "d": false, "e": true} {
		if got := hasSetting(t, db, name); got != want {
			t.Errorf("row %q stored = %v, want %v", name, got, want)
		}
	}
	want := [][]string{{"ev_b"}, {"ev_e"}}
	if len(events) != 2 || events[0][0] != "ev_b" || events[1][0] != "ev_e" || len(events[0])+len(events[1]) != 2 {
		t.Errorf("commit hook saw %v, want %v (each caller's own events, none of the failed one)", events, want)
	}
}

// TestGroupCommitCancelledCallers: a caller whose context ends before its
// turn is not run; one whose context ends during a statement loses only
// its own work, even though SQLite rolls a whole transaction back when a
// statement in it is interrupted.
func TestGroupCommitCancelledCallers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openGroupDB(t)
	release, held := holdWriter(t, db)

	early, cancelEarly := context.WithCancel(ctx)
	cancelEarly()
	mid, cancelMid := context.WithCancel(ctx)
	defer cancelMid()
	ran := false
	var errs [3]error
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		errs[0] = db.withTx(ctx, func(tx Tx) error { return putSetting(ctx, tx, "first") })
	}()
	waitQueued(t, db, 1)
	go func() {
		defer wg.Done()
		errs[1] = db.withTx(mid, func(tx Tx) error {
			if err := putSetting(mid, tx, "mid"); err != nil {
				return err
			}
			time.AfterFunc(5*time.Millisecond, cancelMid)
			// Long enough to be running when the context ends.
			if _, err := tx.SQL.ExecContext(mid, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)
				INSERT INTO settings (name, value, updated_at) SELECT 'slow', '', 0 FROM c WHERE x = 100000`); err != nil {
				return err
			}
			<-mid.Done()
			return mid.Err()
		})
	}()
	waitQueued(t, db, 2)
	go func() {
		defer wg.Done()
		errs[2] = db.withTx(early, func(Tx) error { ran = true; return nil })
	}()
	waitQueued(t, db, 3)
	release()
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil {
		t.Errorf("the first caller of the group got %v; a later caller's cancellation must not undo its work", errs[0])
	}
	if !errors.Is(errs[1], context.Canceled) {
		t.Errorf("the caller cancelled midway got %v, want context.Canceled", errs[1])
	}
	if !errors.Is(errs[2], context.Canceled) || ran {
		t.Errorf("the caller cancelled before its turn got %v (ran %v), want context.Canceled, not run", errs[2], ran)
	}
	for name, want := range map[string]bool{"holder": true, "first": true, "mid": false, "slow": false} {
		if got := hasSetting(t, db, name); got != want {
			t.Errorf("row %q stored = %v, want %v", name, got, want)
		}
	}
}

// TestDurableCommitWaitsForTheDisk: a durable transaction's caller is
// answered only after a WAL sync that began after its commit; a lazy one's
// is not held up by it.
func TestDurableCommitWaitsForTheDisk(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openGroupDB(t)
	if db.group.wal.sync == nil {
		t.Fatal("a file database has no WAL sync")
	}
	entered, unblock := make(chan struct{}, 8), make(chan struct{})
	db.group.wal.sync = func() error {
		entered <- struct{}{}
		<-unblock
		return nil
	}
	durable := make(chan error, 1)
	go func() { durable <- db.withTx(ctx, func(tx Tx) error { return putSetting(ctx, tx, "durable") }) }()
	<-entered
	select {
	case err := <-durable:
		t.Fatalf("the durable transaction returned (%v) while its sync was still running", err)
	case <-time.After(50 * time.Millisecond):
	}
	if err := db.withLazyTx(ctx, func(tx Tx) error { return putSetting(ctx, tx, "lazy") }); err != nil {
		t.Fatalf("lazy transaction: %v", err)
	}
	close(unblock)
	if err := <-durable; err != nil {
		t.Fatal(err)
	}
}

func TestInMemoryDatabaseSyncsItself(t *testing.T) {
	t.Parallel()
	db, err := Open(context.Background(), "file:groupmem?mode=memory&cache=shared", Options{Migrate: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.group.wal.sync != nil {
		t.Error("an in-memory database has a WAL to sync")
	}
	var sync string
	if err := db.w.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil || sync != "2" {
		t.Errorf("synchronous = %q (%v), want 2 (FULL) without a WAL", sync, err)
	}
}

// TestWALSyncCoversOnlyEarlierCommits: one sync answers every commit
// written before it began; a commit written while it runs gets a sync of
// its own, which need not wait for the first.
func TestWALSyncCoversOnlyEarlierCommits(t *testing.T) {
	t.Parallel()
	started := make(chan chan struct{}, 8) // each sync's release
	w := newWALSync(func() error {
		release := make(chan struct{})
		started <- release
		<-release
		return nil
	})
	first, second := w.wrote(), w.wrote()
	waited := make(chan uint64, 8)
	wait := func(n uint64) {
		go func() {
			if err := w.wait(n); err != nil {
				t.Error(err)
			}
			waited <- n
		}()
	}
	wait(first)
	sync1 := <-started // covers commits 1 and 2
	wait(second)
	third := w.wrote()
	wait(third)
	sync2 := <-started // began after commit 3
	wait(third)        // a second caller of commit 3 waits for sync 2
	select {
	case release := <-started:
		close(release)
		t.Fatal("a third sync started; commits 1-3 were covered by the two running")
	case n := <-waited:
		t.Fatalf("commit %d answered before any sync returned", n)
	case <-time.After(20 * time.Millisecond):
	}
	close(sync1)
	got := map[uint64]bool{<-waited: true, <-waited: true}
	if !got[first] || !got[second] {
		t.Fatalf("after the first sync, %v were answered, want commits %d and %d", got, first, second)
	}
	select {
	case n := <-waited:
		t.Fatalf("commit %d was answered by a sync that began before it was written", n)
	case <-time.After(20 * time.Millisecond):
	}
	close(sync2)
	if a, b := <-waited, <-waited; a != third || b != third {
		t.Fatalf("answered %d and %d, want commit %d twice", a, b, third)
	}
}

func TestWALSyncFailureIsSticky(t *testing.T) {
	t.Parallel()
	fail := errors.New("EIO")
	calls := 0
	w := newWALSync(func() error {
		calls++
		if calls == 1 {
			return fail
		}
		return nil
	})
	if err := w.wait(w.wrote()); !errors.Is(err, fail) {
		t.Fatalf("wait = %v, want the sync's error", err)
	}
	if err := w.wait(w.wrote()); !errors.Is(err, fail) {
		t.Fatalf("after a failed sync, wait = %v; a later sync cannot vouch for pages the kernel dropped", err)
	}
	if calls != 1 {
		t.Errorf("%d syncs after a failure, want no more", calls)
	}
}

// TestDeferredWritesSyncAtSyncPoints: under Defer a durable write returns
// without waiting for the disk; Sync (before a Clover call, before a
// response) and SyncAll (before a job) wait for it.
func TestDeferredWritesSyncAtSyncPoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openGroupDB(t)
	started, release := make(chan struct{}, 8), make(chan struct{})
	db.group.wal.sync = func() error {
		started <- struct{}{}
		<-release
		return nil
	}
	if err := db.Sync(ctx); err != nil {
		t.Fatalf("Sync without Defer: %v", err)
	}
	dctx := db.Defer(ctx)
	if err := db.withTx(dctx, func(tx Tx) error { return putSetting(dctx, tx, "deferred") }); err != nil {
		t.Fatal(err)
	}
	if !hasSetting(t, db, "deferred") {
		t.Fatal("a deferred write is not visible once it returns")
	}
	// In this order: after SyncAll, Sync has nothing left to wait for.
	for _, sp := range []struct {
		name string
		run  func() error
	}{
		{"Sync", func() error { return db.Sync(dctx) }},
		{"SyncAll", func() error { return db.SyncAll(ctx) }},
	} {
		name := sp.name
		done := make(chan error, 1)
		go func() { done <- sp.run() }()
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s never started a WAL sync", name)
		}
		select {
		case err := <-done:
			t.Fatalf("%s returned (%v) before the WAL sync did", name, err)
		case <-time.After(20 * time.Millisecond):
		}
		release <- struct{}{}
		if err := <-done; err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name == "Sync" {
			// Synced already: SyncAll needs a sync only for later commits.
			if err := db.withTx(dctx, func(tx Tx) error { return putSetting(dctx, tx, "later") }); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestSyncAllCoversWritesOutsideTheCommitter: River commits its own
// transactions on the writer's connection; SyncAll must still wait for a
// sync after them, even when every commit the committer made is synced.
func TestSyncAllCoversWritesOutsideTheCommitter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openGroupDB(t)
	if err := db.withTx(ctx, func(tx Tx) error { return putSetting(ctx, tx, "ours") }); err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}, 1), make(chan struct{})
	db.group.wal.sync = func() error {
		started <- struct{}{}
		<-release
		return nil
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ('river', '', 0)`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- db.SyncAll(ctx) }()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("SyncAll returned (%v) without syncing a commit made outside the committer", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestWALStaysSmallUnderSteadyWrites: with checkpoints off the writer, the
// WAL still restarts from its beginning under a steady stream of commits
// and reads (its header's checkpoint sequence number moves on), instead of
// growing without bound.
func TestWALStaysSmallUnderSteadyWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, path := openGroupDBAt(t)
	restarts := func() uint32 { // the WAL header's checkpoint sequence number
		b := make([]byte, 16)
		f, err := os.Open(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.ReadAt(b, 0); err != nil {
			t.Fatal(err)
		}
		return uint32(b[12])<<24 | uint32(b[13])<<16 | uint32(b[14])<<8 | uint32(b[15])
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var n int
				_ = db.r.QueryRowContext(ctx, `SELECT count(*) FROM settings`).Scan(&n)
			}
		}()
	}
	pad := strings.Repeat("x", 3000) // about a page per row
	before, maxWAL := restarts(), int64(0)
	pages := 0
	for i := 0; pages < 3*checkpointPages; i++ {
		if err := db.withTx(ctx, func(tx Tx) error {
			_, err := tx.SQL.ExecContext(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, 0)`,
				fmt.Sprintf("k%d", i), pad)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		pages++
		if fi, err := os.Stat(path + "-wal"); err == nil {
			maxWAL = max(maxWAL, fi.Size())
		}
	}
	close(stop)
	readers.Wait()
	if restarts() == before {
		t.Fatalf("the WAL never restarted over %d commits of a page or more (largest %d bytes)", pages, maxWAL)
	}
	if bound := int64(4 * checkpointPages * (4096 + 24)); maxWAL > bound {
		t.Errorf("the WAL reached %d bytes, over %d: it is not restarted soon enough", maxWAL, bound)
	}
}

// panicHandler is a slog handler that panics, to make the committer's own
// work (not a transaction) panic.
type panicHandler struct{ slog.Handler }

func (panicHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (panicHandler) Handle(context.Context, slog.Record) error { panic("logger exploded") }

// TestGroupCommitterPanicLeavesNobodyWaiting: if committing a group panics
// outside any transaction (here the error log when BEGIN fails), the
// leader panics on, every caller of the group gets an answer instead of
// waiting forever, and the lead is handed back.
func TestGroupCommitterPanicLeavesNobodyWaiting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openGroupDB(t)
	c := db.group
	reqs := make([]*txReq, 3)
	c.mu.Lock()
	for i := range reqs {
		reqs[i] = &txReq{ctx: ctx, fn: func(Tx) error { return nil }, done: make(chan txResult, 1)}
		c.queue = append(c.queue, reqs[i])
	}
	c.leading = true
	c.mu.Unlock()
	if err := db.w.Close(); err != nil { // BEGIN fails, and logging it panics
		t.Fatal(err)
	}
	db.Logger = slog.New(panicHandler{})
	func() {
		defer func() {
			if p := recover(); p != "logger exploded" {
				t.Errorf("the leader saw %v, want the panic", p)
			}
		}()
		c.lead()
	}()
	for i, r := range reqs {
		select {
		case res := <-r.done:
			if res.err == nil || res.lead {
				t.Errorf("caller %d got %+v, want an error", i, res)
			}
		default:
			t.Errorf("caller %d got no answer: it would wait forever", i)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leading {
		t.Error("the lead was never handed back")
	}
}

// TestSyncCommitsSyncsOnlyWhatIsNew: SyncCommits waits for a deferred
// commit's sync, and costs no sync at all when every commit is on disk.
func TestSyncCommitsSyncsOnlyWhatIsNew(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openGroupDB(t)
	var syncs atomic.Int32
	started, release := make(chan struct{}, 1), make(chan struct{})
	db.group.wal.sync = func() error {
		syncs.Add(1)
		started <- struct{}{}
		<-release
		return nil
	}
	dctx := db.Defer(ctx)
	if err := db.withTx(dctx, func(tx Tx) error { return putSetting(dctx, tx, "deferred") }); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- db.SyncCommits(ctx) }()
	<-started
	select {
	case err := <-done:
		t.Fatalf("SyncCommits returned (%v) before the sync of the deferred commit", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := db.SyncCommits(ctx); err != nil || syncs.Load() != 1 {
		t.Fatalf("with every commit on disk: err %v, %d syncs in all, want no new one", err, syncs.Load())
	}
}

// TestSavepointJournalsStayInMemory: every group transaction's savepoint
// journal, and every sort and RETURNING buffer, is kept in memory, never in
// a temporary file created and unlinked inside the writer's group.
func TestSavepointJournalsStayInMemory(t *testing.T) {
	t.Parallel()
	db := openGroupDB(t)
	for name, q := range map[string]interface {
		QueryRow(string, ...any) *sql.Row
	}{"writer": db.w, "reader": db.r.DB} {
		var store string
		if err := q.QueryRow("PRAGMA temp_store").Scan(&store); err != nil || store != "2" {
			t.Errorf("%s: temp_store = %q (%v), want 2 (MEMORY)", name, store, err)
		}
	}
}
