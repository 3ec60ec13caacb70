package cloversim

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"sync/atomic"

	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/paybridge/paybridge/seal"
)

// A Sim opened with Open keeps its whole state in a SQLite file, write-ahead:
// every request's changes are in the file before a byte of its answer is
// sent, so a Sim killed with -9 and opened again has every charge, refund,
// token and subscription it ever acknowledged.
//
// The choke point is the Sim itself, not its handlers: ServeHTTP holds each
// answer back until commit has saved the state, and every exported method
// that changes state commits before it returns. commit renders every
// stateTables row as JSON and writes only the rows that differ from the
// file (one transaction), so nothing a handler does can be forgotten, and
// a field added to an entity is saved with no change here.
type simStore struct {
	db *sql.DB
	mu sync.Mutex // one commit at a time
	// gate is held shared by every request while it runs and exclusively
	// by a snapshot, so a snapshot never sees a request half done (a charge
	// without its idempotency record would be charged again on retry).
	gate   sync.RWMutex
	last   map[rowKey][]byte // the rows the file holds, in plaintext
	closed bool
	// ended counts requests (and direct calls) done changing state; each
	// takes its number while still holding the gate, so a snapshot that
	// reads ended includes every change numbered up to it. saved is the
	// number the file holds: a commit for a number already saved is free
	// (group commit: one write covers every request that ended before it).
	ended atomic.Int64
	saved int64
	// sealer encrypts every row: saved cards and tokens keep their full
	// number (the simulator decides approve/decline by it), and no card
	// number is ever in a file in plaintext.
	sealer *seal.Sealer
}

// aad binds a sealed row to its place.
func (k rowKey) aad() string { return "cloversim:" + k.kind + ":" + k.id }

type rowKey struct{ kind, id string }

const stateSchema = `CREATE TABLE IF NOT EXISTS sim_state (
	kind TEXT NOT NULL,
	id   BLOB NOT NULL,
	body BLOB NOT NULL,
	PRIMARY KEY (kind, id)
) WITHOUT ROWID`

// Open returns a Sim whose state lives in the SQLite file at path (created
// if missing), every row encrypted with the key in path+".key" (created
// too, mode 0600). A file with state in it wins over opts' identity fields (app,
// first merchant, tokens, secrets: the ones clients were given before); a
// webhook URL given in opts replaces the stored one. Close closes the file.
func Open(path string, opts Options) (*Sim, error) {
	key, err := seal.LoadOrCreateKeyFile(path + ".key")
	if err != nil {
		return nil, err
	}
	sealer, err := seal.New("k1", map[string][]byte{"k1": key})
	if err != nil {
		return nil, err
	}
	// WAL with synchronous(NORMAL), as paybridge's own store: a commit is
	// in the file (the OS has it) before the answer goes out, which is
	// what survives kill -9; an OS crash may lose the last few.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(stateSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("cloversim state %s: %w", path, err)
	}
	s := New(opts)
	s.store = &simStore{db: db, last: map[rowKey][]byte{}, sealer: sealer}
	restored, err := s.load()
	if err != nil { // leave the file as it is: no commit
		s.ext.hooks.close()
		db.Close()
		return nil, fmt.Errorf("cloversim state %s: %w", path, err)
	}
	if restored {
		h := s.ext.hooks
		h.mu.Lock()
		for dst, v := range map[*string]string{&h.url: opts.WebhookURL, &h.checkoutURL: opts.CheckoutWebhookURL, &h.checkoutCasing: opts.CheckoutWebhookCasing} {
			if v != "" {
				*dst = v
			}
		}
		h.mu.Unlock()
		s.log.Info("cloversim state restored", "path", path, "merchants", len(s.merchants), "clock_offset", s.clockOffset)
	}
	if err := s.commit(); err != nil {
		s.Close()
		return nil, fmt.Errorf("cloversim state %s: %w", path, err)
	}
	return s, nil
}

// load replaces the fresh state New made with the file's, if it has any.
func (s *Sim) load() (bool, error) {
	var n int
	if err := s.store.db.QueryRow(`SELECT count(*) FROM sim_state`).Scan(&n); err != nil || n == 0 {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.stateTables() {
		if t.reset != nil {
			t.reset()
		}
	}
	for _, t := range s.stateTables() {
		rows, err := s.store.db.Query(`SELECT id, body FROM sim_state WHERE kind = $1 ORDER BY id`, t.kind)
		if err != nil {
			return false, err
		}
		for rows.Next() {
			var id, sealed []byte
			if err := rows.Scan(&id, &sealed); err != nil {
				rows.Close()
				return false, err
			}
			body, err := s.store.sealer.Open(sealed, rowKey{t.kind, string(id)}.aad())
			if err != nil {
				rows.Close()
				return false, fmt.Errorf("%s %q: %w", t.kind, id, err)
			}
			if err := t.load(string(id), body); err != nil {
				rows.Close()
				return false, fmt.Errorf("%s %q: %w", t.kind, id, err)
			}
			s.store.last[rowKey{t.kind, string(id)}] = body
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return false, err
		}
	}
	for _, m := range s.merchants {
		m.initMaps()
	}
	s.setClockOffsetLocked(s.clockOffset)
	return true, nil
}

// commit saves every row that changed since the last commit, in one
// transaction. It waits for requests in flight to finish their changes.
func (s *Sim) commit() error {
	if s.store == nil {
		return nil
	}
	return s.commitUpTo(math.MaxInt64)
}

// commitUpTo makes the changes numbered up to n durable: at once when a
// commit since has saved them, else by committing.
func (s *Sim) commitUpTo(n int64) error {
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return errors.New("the state file is closed")
	}
	if st.saved >= n {
		return nil
	}
	st.gate.Lock()
	gen := st.ended.Load()
	s.mu.Lock()
	cur := make(map[rowKey][]byte, len(st.last))
	var changed []rowKey
	var err error
	for _, t := range s.stateTables() {
		t.rows(func(id string, v any) {
			if err != nil {
				return
			}
			k := rowKey{t.kind, id}
			if t.final != nil {
				if old, ok := st.last[k]; ok && t.final(v) {
					cur[k] = old
					return
				}
			}
			var b []byte
			if b, err = json.Marshal(v); err != nil {
				err = fmt.Errorf("%s %q: %w", t.kind, id, err)
				return
			}
			if old, ok := st.last[k]; ok && bytes.Equal(old, b) {
				b = old
			} else {
				changed = append(changed, k)
			}
			cur[k] = b
		})
	}
	s.mu.Unlock()
	st.gate.Unlock()
	if err != nil {
		return err
	}
	var gone []rowKey
	for k := range st.last {
		if _, ok := cur[k]; !ok {
			gone = append(gone, k)
		}
	}
	if len(changed) > 0 || len(gone) > 0 {
		if err := st.write(cur, changed, gone); err != nil {
			return err
		}
	}
	st.last, st.saved = cur, gen
	return nil
}

func (st *simStore) write(cur map[rowKey][]byte, changed, gone []rowKey) error {
	ctx := context.Background()
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, k := range changed {
		sealed, err := st.sealer.Seal(cur[k], k.aad())
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sim_state (kind, id, body) VALUES ($1, $2, $3)
			ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body`, k.kind, []byte(k.id), sealed); err != nil {
			return err
		}
	}
	for _, k := range gone {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sim_state WHERE kind = $1 AND id = $2`, k.kind, []byte(k.id)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// direct brackets an exported method that changes state: the returned
// function, deferred, commits. Handlers call the unexported variants: the
// request they serve commits on its way out.
func (s *Sim) direct() func() {
	st := s.store
	if st == nil {
		return func() {}
	}
	st.gate.RLock()
	return func() {
		n := st.ended.Add(1)
		st.gate.RUnlock()
		if err := s.commitUpTo(n); err != nil {
			s.log.Error("cloversim: state NOT saved", "err", err)
		}
	}
}

// reqTx is a request's hold on the state gate, in its context so the
// pipeline can let go while it only waits (injected latency) and commit
// early before it hangs (timeout after commit).
type reqTx struct {
	s     *Sim
	write bool // not GET or HEAD
	held  bool
	done  bool
	err   error
}

type reqTxKey struct{}

// serveDurably serves r with its answer held back until the state it
// changed is saved. An answer whose state could not be saved becomes a 500.
func (s *Sim) serveDurably(w http.ResponseWriter, r *http.Request) {
	tx := &reqTx{s: s, write: r.Method != http.MethodGet && r.Method != http.MethodHead}
	s.store.gate.RLock()
	tx.held = true
	held := &heldResponse{h: w.Header()}
	func() {
		defer tx.end()
		s.mux.ServeHTTP(held, r.WithContext(context.WithValue(r.Context(), reqTxKey{}, tx)))
	}()
	if tx.err != nil {
		s.log.Error("cloversim: state NOT saved; answering 500", "method", r.Method, "path", r.URL.Path, "err", tx.err)
		writeError(w, http.StatusInternalServerError, "api_error", "processing_error", "cloversim could not save its state.")
		return
	}
	if held.status == 0 {
		held.status = http.StatusOK
	}
	w.WriteHeader(held.status)
	_, _ = w.Write(held.body.Bytes())
}

// end lets go of the gate and commits, once. Reads (GET, HEAD) commit
// nothing: Clover's GETs change nothing, and should one change something
// here, the next write's commit saves it (commit diffs the whole state).
func (tx *reqTx) end() {
	if tx.done {
		return
	}
	tx.done = true
	st := tx.s.store
	n := st.ended.Add(1)
	if tx.held {
		tx.held = false
		st.gate.RUnlock()
	}
	if tx.write {
		tx.err = tx.s.commitUpTo(n)
	}
}

// commitNow saves r's changes at once (the pipeline calls it before a
// timeout-after-commit hang: the write happened, its answer never comes).
func commitNow(r *http.Request) {
	if tx, ok := r.Context().Value(reqTxKey{}).(*reqTx); ok {
		tx.end()
	}
}

// outsideTx runs wait (which must not touch state) with r's hold on the
// gate released, so a slow request does not hold up everyone's commits.
func outsideTx(r *http.Request, wait func() bool) bool {
	tx, ok := r.Context().Value(reqTxKey{}).(*reqTx)
	if !ok || !tx.held {
		return wait()
	}
	tx.s.store.gate.RUnlock()
	tx.held = false
	defer func() {
		tx.s.store.gate.RLock()
		tx.held = true
	}()
	return wait()
}

// heldResponse buffers an answer until its state is saved.
type heldResponse struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.h }

func (h *heldResponse) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(b)
}

// closeStore closes the state file after a last commit.
func (s *Sim) closeStore() error {
	st := s.store
	if st == nil {
		return nil
	}
	err := s.commit()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return nil
	}
	st.closed = true
	return errors.Join(err, st.db.Close())
}
