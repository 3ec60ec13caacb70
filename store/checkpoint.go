package store

import (
	"database/sql"
	"log/slog"
	"sync/atomic"
	"time"
)

// Checkpoints off the writer. SQLite copies the WAL back into the database
// file in checkpoints, by default inside the COMMIT that takes the WAL past
// 1 000 pages, on the committing connection. On the one writer that was a
// stall of several milliseconds (a thousand pages read and written, two
// fsyncs) every few dozen milliseconds under load, which every transaction
// queued behind it waited out: at 200 payments/s the checkpoints, not the
// fsyncs, were most of paybridge's latency tail.
//
// So the writer never checkpoints on commit. A background connection runs
// a PASSIVE checkpoint every checkpointEvery: it copies whatever readers
// allow, alongside the writer, never blocking it. A PASSIVE checkpoint
// cannot finish while commits keep coming, and only a finished one lets the
// next write restart the WAL from its beginning, so when the WAL has grown
// past checkpointPages the background asks the committer to run one more
// between two groups, on the writer: it copies only the few frames written
// since the background pass, and the WAL stays small.

const (
	checkpointEvery = 50 * time.Millisecond
	checkpointPages = 1000 // SQLite's default auto-checkpoint size
)

type checkpointer struct {
	conn *sql.DB
	log  *slog.Logger
	due  atomic.Bool // the writer should finish a checkpoint between groups
	stop chan struct{}
	done chan struct{}
}

func newCheckpointer(conn *sql.DB, log *slog.Logger) *checkpointer {
	c := &checkpointer{conn: conn, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		var busy, frames, copied int
		if err := c.conn.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
			c.log.Warn("store: background checkpoint", "err", err)
			continue
		}
		if frames >= checkpointPages {
			c.due.Store(true)
		}
	}
}

// finish runs the due checkpoint on the writer (the committer calls it
// between groups, holding the lead).
func (c *checkpointer) finish(w *sql.DB) {
	if !c.due.CompareAndSwap(true, false) {
		return
	}
	if _, err := w.Exec("PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
		c.log.Warn("store: checkpoint", "err", err)
	}
}

func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.conn.Close()
}
