package governor

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/paybridge/paybridge/clover"
)

// bigBudget is far above what a benchmark can use, yet finite, so every call
// still runs the real window and concurrency checks.
var bigBudget = clover.Budget{TokenRPS: 1e9, TokenConcurrent: 1 << 20, AppRPS: 1e9, AppConcurrent: 1 << 20}

// BenchmarkAcquireUncontended measures the governor's overhead per call when
// nothing has to wait: one Acquire and its release.
func BenchmarkAcquireUncontended(b *testing.B) {
	g := NewLocal(bigBudget)
	ctx := context.Background()
	k := clover.BudgetKey{App: "app", Token: "tok", Merchant: "m"}
	b.ReportAllocs()
	for b.Loop() {
		release, err := g.Acquire(ctx, k)
		if err != nil {
			b.Fatal(err)
		}
		release()
	}
}

// BenchmarkAcquireParallel measures Acquire and release from all
// GOMAXPROCS goroutines across 1000 tokens of one app, where they share the
// governor's one mutex.
func BenchmarkAcquireParallel(b *testing.B) {
	g := NewLocal(bigBudget)
	ctx := context.Background()
	keys := make([]clover.BudgetKey, 1000)
	for i := range keys {
		keys[i] = clover.BudgetKey{App: "app", Token: fmt.Sprintf("tok%04d", i)}
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1))
		for pb.Next() {
			release, err := g.Acquire(ctx, keys[i%len(keys)])
			if err != nil {
				b.Error(err)
				return
			}
			release()
			i += 7
		}
	})
}
