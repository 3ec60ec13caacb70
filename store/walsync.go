package store

import (
	"errors"
	"os"
	"sync"
)

// walSync makes the SQLite writer's commits durable after the fact
// (groupcommit.go): the writer commits with synchronous=NORMAL, counting
// each commit, and a caller waiting for commit n is answered once an
// fdatasync of the WAL file that began after commit n was written has
// returned. fdatasync flushes the file's dirty pages whichever descriptor
// wrote them, and SQLite writes its WAL with plain writes, so the frames of
// every commit counted before the sync began are on disk when it returns.
// A caller whose commit a running sync covers waits for it; one whose
// commit came after every running sync began starts another at once (the
// kernel flushes only what is still dirty), so no caller waits for more
// than one sync.
//
// If the WAL is restarted in between (after a checkpoint that copied every
// frame into the database file and synced it), the commit is already on
// disk in the database file and the sync is merely redundant.
type walSync struct {
	sync func() error // fdatasync of the WAL; nil for an in-memory database

	mu       sync.Mutex
	cond     sync.Cond
	written  uint64 // commits written to the WAL
	synced   uint64 // commits known to be on disk
	covering uint64 // the highest commit a running sync began after
	failed   error  // a failed sync: nothing written since can be trusted durable
}

func newWALSync(sync func() error) *walSync {
	w := &walSync{sync: sync}
	w.cond.L = &w.mu
	return w
}

// wrote counts a commit just written (or marks everything written so far,
// SyncAll) and returns its number.
func (w *walSync) wrote() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.written++
	return w.written
}

// last is the number of the latest commit written.
func (w *walSync) last() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written
}

// wait returns once commit n is on disk. A failed fdatasync is sticky, as
// in PostgreSQL: the kernel may have dropped the dirty pages it could not
// write, so no later sync can vouch for them, and every durable write is
// refused until paybridge is restarted and SQLite recovers from its WAL.
func (w *walSync) wait(n uint64) error {
	if w.sync == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.synced < n && w.failed == nil {
		if w.covering >= n {
			w.cond.Wait() // a sync that began after commit n is running
			continue
		}
		target := w.written
		w.covering = max(w.covering, target)
		w.mu.Unlock()
		err := w.sync()
		w.mu.Lock()
		if err != nil {
			w.failed = err
		} else {
			w.synced = max(w.synced, target)
		}
		w.cond.Broadcast()
	}
	return w.failed
}

// syncFile returns an fdatasync of the file at path. It opens the file
// each time (a few microseconds beside the sync), so it never holds a
// descriptor of a WAL SQLite has since replaced.
func syncFile(path string) func() error {
	return func() error {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if errors.Is(err, os.ErrNotExist) {
			return nil // no WAL: nothing was written to one
		} else if err != nil {
			return err
		}
		err = datasync(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
}
