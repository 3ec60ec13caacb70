package loadtest

import (
	"context"
	"sync"
	"time"
)

// Sample is the outcome of one arrival.
type Sample struct {
	Group string // e.g. "hot" or "others"; "" for a single group
	Start time.Time
	// Total is the client-side response time; Clover and Budget are the
	// parts of it spent inside Clover calls and waiting for the Clover
	// budget (zero when unknown, e.g. against an external target).
	Total, Clover, Budget time.Duration
	// CloverCalls is how many Clover calls the arrival caused (-1 if
	// unknown).
	CloverCalls int
	OK          bool
	Err         string // a short reason when !OK (never secrets)
}

// Added is the time paybridge itself added: the response time less Clover
// calls and the budget wait (never below zero).
func (s Sample) Added() time.Duration { return max(0, s.Total-s.Clover-s.Budget) }

// Arrivals is one stream of requests at a fixed rate.
type Arrivals struct {
	Group string
	Rate  float64 // per second
	// Do performs arrival i; its ctx carries the per-request timeout.
	Do func(ctx context.Context, i int) Sample
}

// RunOptions bound a run.
type RunOptions struct {
	Duration time.Duration // how long arrivals are scheduled
	Timeout  time.Duration // per arrival (default 10s)
	// MaxOutstanding caps arrivals in flight (default 20000); arrivals
	// beyond it are recorded as errors ("overload") without being sent, so
	// the tool stays bounded.
	MaxOutstanding int
}

// Run schedules every stream's arrivals evenly for o.Duration (stream j of
// n offset by j/n of its gap) and returns
// all samples once the last arrival has finished or timed out: it always
// ends within Duration + Timeout (plus the time to build the last
// samples). Cancelling ctx stops scheduling and cancels arrivals.
func Run(ctx context.Context, o RunOptions, streams ...Arrivals) []Sample {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxOutstanding <= 0 {
		o.MaxOutstanding = 20000
	}
	var (
		mu      sync.Mutex
		samples []Sample
		wg      sync.WaitGroup
		sem     = make(chan struct{}, o.MaxOutstanding)
	)
	add := func(s Sample) {
		mu.Lock()
		samples = append(samples, s)
		mu.Unlock()
	}
	t0 := time.Now()
	var sched sync.WaitGroup
	for j, st := range streams {
		if st.Rate <= 0 {
			continue
		}
		n := int(st.Rate * o.Duration.Seconds())
		gap := time.Duration(float64(time.Second) / st.Rate)
		// Streams start out of phase, so that many slow streams do not
		// arrive all at once every gap.
		phase := time.Duration(float64(gap) * float64(j) / float64(len(streams)))
		sched.Go(func() {
			t := time.NewTimer(0)
			defer t.Stop()
			for i := range n {
				at := t0.Add(phase + time.Duration(i)*gap)
				t.Reset(time.Until(at))
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				select {
				case sem <- struct{}{}:
				default:
					add(Sample{Group: st.Group, Start: time.Now(), Err: "overload", CloverCalls: -1})
					continue
				}
				wg.Go(func() {
					defer func() { <-sem }()
					actx, cancel := context.WithTimeout(ctx, o.Timeout)
					defer cancel()
					s := st.Do(actx, i)
					s.Group = st.Group
					add(s)
				})
			}
		})
	}
	sched.Wait()
	wg.Wait()
	return samples
}
