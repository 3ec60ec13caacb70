package governor

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// TestSentFreesSlotAfterWritePlusMargin: a call whose request was written
// at 0 and whose answer came at 600 ms frees its rate slot at 1 s plus the
// arrival margin, not at 1.6 s; with no write time it frees at 1.6 s.
func TestSentFreesSlotAfterWritePlusMargin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		wrote bool
		want  time.Duration
	}{
		{"write time known", true, time.Second + 50*time.Millisecond},
		{"no write time", false, 1600 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				g := NewLocal(clover.Budget{TokenRPS: 1, TokenConcurrent: 10})
				t0 := time.Now()
				rel, err := g.AcquireSent(t.Context(), key("a"))
				if err != nil {
					t.Fatal(err)
				}
				wrote := time.Now()
				next := acquireAsync(t.Context(), g, key("a"), t0)
				time.Sleep(600 * time.Millisecond)
				if tc.wrote {
					rel(wrote)
				} else {
					rel(time.Time{})
				}
				r := <-next
				if r.err != nil || r.at != tc.want {
					t.Fatalf("next call: (%v at %v), want at %v", r.err, r.at, tc.want)
				}
				r.release()
			})
		})
	}
}

// TestWindowReleaseAtKeepsOrder: releases recorded out of order (an early
// write time released late) keep the ring sorted, so the earliest slot
// frees first.
func TestWindowReleaseAtKeepsOrder(t *testing.T) {
	t.Parallel()
	w := newWindow(3)
	for range 3 {
		w.start()
	}
	w.releaseAt(500*time.Millisecond, 500*time.Millisecond)
	w.releaseAt(600*time.Millisecond, 100*time.Millisecond) // written early, answered late
	w.releaseAt(700*time.Millisecond, 300*time.Millisecond)
	if got := w.allowedAt(); got != 1100*time.Millisecond {
		t.Errorf("allowedAt = %v, want 1.1s (the 100 ms reference + 1 s)", got)
	}
	w.prune(1200 * time.Millisecond)
	if got := w.allowedAt(); got != never {
		t.Errorf("after the oldest frees: allowedAt = %v, want a free slot", got)
	}
	if w.n != 2 || w.ends[w.head] != 300*time.Millisecond {
		t.Errorf("ring holds %d, oldest %v; want 2 with 300ms oldest", w.n, w.ends[w.head])
	}
}
