package main

import (
	"os"
	"runtime"
)

// syscallHeadroom runs Go code on two more threads than the CPUs it would
// otherwise use, unless GOMAXPROCS is set.
//
// Why: a goroutine inside a blocking system call keeps its scheduler slot
// (its P) until the runtime's monitor takes it back, which can take up to
// 10 ms when the monitor has been idle. SQLite's WAL sync and checkpoints
// sit in fdatasync/fsync for 0.2–2 ms many times a second (store/walsync.go,
// store/checkpoint.go), so on a 2-CPU host one of the two Ps was often
// stuck and every other goroutine queued for the one left: at 200
// payments/s runnable goroutines waited p99 3.1 ms to run (runtime
// metric /sched/latencies), 0.65 ms with two spare Ps, one for each of the
// two goroutines that can be in a sync at once. The spare Ps only run when
// others are blocked, or share the CPUs through the kernel when all are busy.
func syscallHeadroom() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 2)
}
