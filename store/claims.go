package store

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/paybridge/paybridge"
)

// Idempotency keys on SQLite, inside a request under Defer. An in-flight
// key row exists so that a second request with the same key is refused
// while the first runs, and so that the key and the request's writes are
// found together after a crash. Written on its own, it was a write
// transaction on the one writer for every idempotent request (two per paid
// invoice, a quarter of the writer's transactions): measured at 200
// payments/s, the writer's queue added 2.5–3.5 ms to paybridge's p99.
//
// So under Defer the key is claimed in memory (this process is SQLite's
// only writer: every write goes through its committer) and its in-flight
// row is written by the committer at the start of the request's first
// write transaction, inside it: the key and the first writes commit
// together or not at all. A request that writes nothing before it
// completes inserts its completed row directly. A second request with the
// key finds the claim while the first runs, and the row once it completed,
// because the claim is dropped only after the row is committed.
//
// Without Defer, BeginIdempotent writes the row at once, as on PostgreSQL;
// both ways check the claims first.

// claim is an idempotency key claimed by a request in this process.
type claim struct {
	rec     paybridge.IdempotencyRecord // as begun, never changed
	settled chan struct{}               // closed once the claimer looked for a stored key
	held    bool                        // set before settled: none was stored, the claim holds
	written atomic.Bool                 // its in-flight row is committed
	ending  atomic.Bool                 // Complete or Release is writing its end
}

type claimKey struct{ merchantID, key string }

// claims are the keys in flight in this process.
type claims struct {
	mu sync.Mutex
	m  map[claimKey]*claim
}

// take claims rec's key, or returns the claim that holds it.
func (cs *claims) take(rec *paybridge.IdempotencyRecord) (mine *claim, held *claim) {
	k := claimKey{rec.MerchantID, rec.Key}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c := cs.m[k]; c != nil {
		return nil, c
	}
	if cs.m == nil {
		cs.m = map[claimKey]*claim{}
	}
	c := &claim{rec: *rec, settled: make(chan struct{})}
	cs.m[k] = c
	return c, nil
}

// holder returns the claim that holds the key, if any: a claim still
// looking for a stored key is waited for (a few microseconds), so that a
// key stored as completed is never reported in flight because a request
// was checking it at that moment.
func (cs *claims) holder(merchantID, key string) *claim {
	c := cs.get(merchantID, key)
	if c == nil {
		return nil
	}
	<-c.settled
	if !c.held {
		return nil
	}
	return c
}

func (cs *claims) get(merchantID, key string) *claim {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.m[claimKey{merchantID, key}]
}

func (cs *claims) drop(merchantID, key string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.m, claimKey{merchantID, key})
}

// inFlight is the record a second request sees while c runs.
func (c *claim) inFlight() *paybridge.IdempotencyRecord {
	r := c.rec
	r.Completed, r.Status, r.Body = false, 0, nil
	return &r
}

// claimIdempotent is BeginIdempotent under Defer on SQLite: claim the key,
// then look for a stored one (the claim first, so a request completing in
// between is found by the read: it drops its claim after committing).
func (db *DB) claimIdempotent(ctx context.Context, d *deferral, rec *paybridge.IdempotencyRecord) (*paybridge.IdempotencyRecord, error) {
	cs := &db.group.claims
	for {
		c, other := cs.take(rec)
		if other != nil {
			if <-other.settled; other.held {
				return other.inFlight(), nil
			}
			continue // it found the key stored and let go: look again
		}
		stored, err := db.readIdempotent(ctx, db.r, rec.MerchantID, rec.Key)
		if err != nil || stored != nil {
			cs.drop(rec.MerchantID, rec.Key)
			close(c.settled)
			return stored, db.mapErr("read idempotency key", err)
		}
		c.held = true
		close(c.settled)
		d.claim.Store(c)
		return nil, nil
	}
}

// writeClaim inserts the in-flight row of ctx's claim, if any and not yet
// written (nor by earlier work of the same group), in the transaction
// about to run ctx's work (the committer calls it), and returns the claim
// it wrote. A row that exists already (another process, which must not
// share this file) is ECONFLICT.
func writeClaim(ctx context.Context, tx *sql.Tx, group []*claim) (*claim, error) {
	d := deferralOf(ctx)
	if d == nil {
		return nil, nil
	}
	c := d.claim.Load()
	if c == nil || c.written.Load() || c.ending.Load() || slices.Contains(group, c) {
		return nil, nil
	}
	res, err := tx.ExecContext(ctx, insertKey, c.rec.MerchantID, c.rec.Key, c.rec.RequestHash, false, 0, nil,
		micros(c.rec.CreatedAt))
	if err != nil {
		return nil, wrapf(err, "insert idempotency key")
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, wrapf(err, "insert idempotency key")
	} else if n == 0 {
		return nil, errKeyInFlight
	}
	return c, nil
}

var errKeyInFlight = paybridge.Errorf(paybridge.ECONFLICT, "Idempotency-Key",
	"A request with this Idempotency-Key is still being processed; retry later.").WithCode("idempotency_in_flight")

// endClaim writes the end of a claimed key whose row was never written:
// the completed row (status, body), or nothing for a release. It reports
// false when the key is not claimed here or its row exists, for the
// caller to update the row instead.
func (db *DB) endClaim(ctx context.Context, merchantID, key string, complete bool, status int, body []byte) (bool, error) {
	if db.group == nil {
		return false, nil
	}
	c := db.group.claims.get(merchantID, key)
	if c == nil {
		return false, nil
	}
	c.ending.Store(true) // no write of the request may insert the row now
	if c.written.Load() {
		return false, nil
	}
	if !complete {
		return true, nil
	}
	res, err := db.exec(ctx, insertKey, merchantID, key, c.rec.RequestHash, true, status, body, micros(c.rec.CreatedAt))
	if err == nil {
		if n, rerr := res.RowsAffected(); rerr != nil {
			err = rerr
		} else if n == 0 {
			return true, errKeyInFlight
		}
	}
	return true, db.mapErr("complete idempotency key", err)
}

// insertKey inserts an idempotency key row unless the key exists.
const insertKey = `INSERT INTO idempotency_keys (merchant_id, key, request_hash, completed, status, body, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (merchant_id, key) DO NOTHING`
