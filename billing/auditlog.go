package billing

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/paybridge/paybridge"
)

// AuditLog writes audit entries in batches, off the request path: a paid
// invoice produces several entries (each Clover call, the API request), and
// one commit per batch instead of one per entry keeps them from costing the
// payment its latency. Entries wait at most FlushEvery in memory; Close
// flushes what remains, so only a crash of the process (kill -9, power)
// can lose the last few milliseconds of entries — never a payment, whose
// own rows are committed before and after every Clover call.
type AuditLog struct {
	Store      paybridge.Store
	Logger     *slog.Logger
	FlushEvery time.Duration
	BatchSize  int

	in    chan *paybridge.AuditEntry
	flush chan chan struct{}
	done  chan struct{}
	once  sync.Once
}

// NewAuditLog returns a started AuditLog writing to store.
func NewAuditLog(store paybridge.Store, logger *slog.Logger) *AuditLog {
	a := &AuditLog{Store: store, Logger: logger, FlushEvery: 5 * time.Millisecond, BatchSize: 256,
		in: make(chan *paybridge.AuditEntry, 4096), flush: make(chan chan struct{}), done: make(chan struct{})}
	go a.run()
	return a
}

// Record queues e. When the queue is full it waits: an audit entry is
// never dropped.
func (a *AuditLog) Record(e *paybridge.AuditEntry) {
	defer func() {
		if recover() != nil { // closed: write it directly
			a.write([]*paybridge.AuditEntry{e})
		}
	}()
	a.in <- e
}

// Flush returns once every entry recorded before the call is stored.
func (a *AuditLog) Flush() {
	reply := make(chan struct{})
	select {
	case a.flush <- reply:
		<-reply
	case <-a.done:
	}
}

// Close flushes every queued entry and stops the writer.
func (a *AuditLog) Close() {
	a.once.Do(func() { close(a.in) })
	<-a.done
}

func (a *AuditLog) run() {
	defer close(a.done)
	t := time.NewTicker(a.FlushEvery)
	defer t.Stop()
	batch := make([]*paybridge.AuditEntry, 0, a.BatchSize)
	flush := func() {
		if len(batch) > 0 {
			a.write(batch)
			batch = batch[:0]
		}
	}
	for {
		select {
		case e, ok := <-a.in:
			if !ok {
				flush()
				return
			}
			if batch = append(batch, e); len(batch) >= a.BatchSize {
				flush()
			}
		case <-t.C:
			flush()
		case reply := <-a.flush:
			for drained := false; !drained; {
				select {
				case e := <-a.in:
					batch = append(batch, e)
				default:
					drained = true
				}
			}
			flush()
			close(reply)
		}
	}
}

func (a *AuditLog) write(batch []*paybridge.AuditEntry) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Store.AppendAudit(ctx, batch...); err != nil {
		a.Logger.Error("write audit entries", "count", len(batch), "err", err)
	}
}
