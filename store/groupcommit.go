package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// Group commit on SQLite. Every write goes through the writer's one
// connection. A paid invoice is several small transactions (its
// idempotency keys, the invoice, the payment before and after Clover's
// answer), and when each COMMIT waited for an fsync of the WAL while holding
// the connection, the fsyncs, not the SQL, were the queue that set
// paybridge's latency tail at a few hundred payments a second.
//
// Two things change that, without weakening what a caller is told:
//
//   - The transactions that queue up while one group runs are run as one
//     SQLite transaction, each in its own savepoint. Each caller still gets
//     its own outcome: an error rolls back to its savepoint only. Running
//     them one after another on one connection is a serial order, so each
//     sees exactly what it would have seen had it committed alone; if the
//     COMMIT fails, none of them is durable and all get the error.
//   - The writer commits with synchronous=NORMAL (SQLite writes the WAL but
//     does not wait for the disk), and the callers are answered only after
//     an fdatasync of the WAL that began after their COMMIT returned
//     (walsync.go). The connection is free for the next group while the
//     disk works, and one fdatasync serves every commit written before it.
//     What a caller is told is committed is on disk, as with
//     synchronous=FULL (DESIGN.md §8).
//
// Nothing waits to fill a group: a lone transaction commits at once, on
// its caller's goroutine.

// maxGroup bounds one group, so a burst cannot hold the connection (and
// the callers that came first) for long.
const maxGroup = 64

// txReq is one caller's transaction waiting for its group.
type txReq struct {
	ctx  context.Context
	fn   func(Tx) error
	done chan txResult
}

// txResult is a transaction's outcome: an error, or the WAL position its
// commit must be synced to; lead hands the caller the next group instead.
type txResult struct {
	err  error
	seq  uint64
	lead bool
}

// committer groups the SQLite writer's transactions. It has no goroutine
// of its own: the caller that finds nobody committing leads, commits the
// queue's head group (its own transaction first) and hands the lead to the
// next caller waiting, if any, before waiting for the disk.
type committer struct {
	db      *DB
	wal     *walSync
	ckpt    *checkpointer // nil without a WAL file
	mu      sync.Mutex
	queue   []*txReq
	leading bool
	closed  bool
}

// errClosed answers transactions after Close.
var errClosed = errors.New("store: database is closed")

// panicked carries a transaction's panic back to its caller's goroutine,
// where it is raised again as if the transaction had run there.
type panicked struct{ v any }

func (p *panicked) Error() string { return "store: transaction panicked" }

// runFn runs fn, turning a panic into *panicked so the other callers of
// the group survive it.
func runFn(fn func(Tx) error, t Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicked{v}
		}
	}()
	return fn(t)
}

// do runs fn in a group and waits for its outcome, and unless lazy, for
// its commit to be on disk. It waits even if ctx ends once fn has started:
// returning early could report a failure for work that then commits. A
// transaction whose ctx has ended before it starts is not run.
//
// lazy is for writes nothing outside the database depends on until a
// later durable commit, which (the WAL being written in order) makes them
// durable too.
func (c *committer) do(ctx context.Context, lazy bool, fn func(Tx) error) error {
	r := &txReq{ctx: ctx, fn: fn, done: make(chan txResult, 1)}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.db.internal("tx", errClosed)
	}
	c.queue = append(c.queue, r)
	res := txResult{lead: !c.leading}
	c.leading = true
	c.mu.Unlock()
	if !res.lead {
		res = <-r.done
	}
	if res.lead {
		c.lead()
		res = <-r.done
	}
	if p, ok := res.err.(*panicked); ok {
		panic(p.v)
	}
	if res.err != nil || lazy {
		return res.err
	}
	if d := deferralOf(ctx); d != nil {
		d.raise(res.seq) // defer.go: synced before anything depends on it
		return nil
	}
	return c.db.syncTo(res.seq)
}

// lead commits the queue's head group, whose first transaction is the
// leader's own (a caller leads only from the head of the queue), then
// hands the lead on.
func (c *committer) lead() {
	c.mu.Lock()
	n := min(len(c.queue), maxGroup)
	group := c.queue[:n:n]
	c.queue = c.queue[n:]
	c.mu.Unlock()
	defer func() {
		p := recover()
		if p != nil {
			// The group's own work panicked (a transaction's panic is
			// caught by runFn): answer everyone it had not answered, so no
			// caller waits forever, before the leader panics on.
			for _, r := range group {
				select {
				case r.done <- txResult{err: errInternal}:
				default:
				}
			}
		}
		c.mu.Lock()
		if len(c.queue) > 0 {
			c.queue[0].done <- txResult{lead: true}
		} else {
			c.leading = false
			c.queue = nil
		}
		c.mu.Unlock()
		if p != nil {
			panic(p)
		}
	}()
	if c.ckpt != nil {
		c.ckpt.finish(c.db.w)
	}
	c.commit(group)
}

// close refuses transactions from now on and stops the background
// checkpoints.
func (c *committer) close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	if c.ckpt != nil {
		return c.ckpt.close()
	}
	return nil
}

// commit runs one group in one transaction and answers every caller.
func (c *committer) commit(group []*txReq) {
	db := c.db
	res := make([]txResult, len(group))
	answer := func() {
		for i, r := range group {
			r.done <- res[i]
		}
	}
	// The transaction is the group's: a caller's context ending must not
	// roll back the others' work (database/sql rolls a transaction back
	// when its BeginTx context ends; the writer's statements ignore their
	// contexts' ends, stmtcache.go).
	tx, err := db.w.BeginTx(context.Background(), nil)
	if err != nil {
		for i := range res {
			res[i].err = db.internal("begin", err)
		}
		answer()
		return
	}
	st := &txState{}
	db.txs.Store(tx, st)
	defer db.txs.Delete(tx)
	t := Tx{SQL: tx}
	ran := false // some caller's work is in the transaction
	// A group of one needs no savepoint: its failure rolls the whole
	// transaction back.
	sp := len(group) > 1
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			res[i].err = err
			continue
		}
		if _, err := execIf(sp, tx, "SAVEPOINT pb_group"); err != nil {
			c.abandon(tx, res, i, err)
			answer()
			return
		}
		*st = txState{}
		err := runFn(func(t Tx) error {
			if err := r.fn(t); err != nil {
				return err
			}
			return db.beforeCommit(r.ctx, t, st)
		}, t)
		if err != nil {
			if _, ok := err.(*panicked); !ok {
				err = db.mapErr("tx", err)
			}
			res[i].err = err
			if _, rerr := execIf(sp, tx, "ROLLBACK TO pb_group"); rerr != nil {
				// SQLite rolled the whole transaction back (an I/O error,
				// a full disk): the work before this one is gone too.
				c.abandon(tx, res, i+1, rerr)
				answer()
				return
			}
		} else {
			ran = true
		}
		if _, err := execIf(sp, tx, "RELEASE pb_group"); err != nil {
			c.abandon(tx, res, i+1, err)
			answer()
			return
		}
	}
	if !ran {
		_ = tx.Rollback()
	} else if err := tx.Commit(); err != nil {
		cerr := db.mapErr("commit", err)
		for i := range res {
			if res[i].err == nil {
				res[i].err = cerr
			}
		}
	} else {
		seq := c.wal.wrote()
		for i := range res {
			res[i].seq = seq
		}
	}
	answer()
}

// execIf runs a savepoint statement when the group uses savepoints.
func execIf(sp bool, tx *sql.Tx, stmt string) (sql.Result, error) {
	if !sp {
		return nil, nil
	}
	return tx.Exec(stmt)
}

// abandon rolls back a group whose transaction broke: every caller from
// index from on, and every caller before it whose work had succeeded, gets
// err.
func (c *committer) abandon(tx *sql.Tx, res []txResult, from int, err error) {
	_ = tx.Rollback()
	ierr := c.db.internal("group", err)
	for i := range res {
		if i >= from || res[i].err == nil {
			res[i].err = ierr
		}
	}
}
