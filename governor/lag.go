package governor

import (
	"context"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// Lagged delays every release of the governor it wraps by Grace, off the
// caller's path. Clover stops counting a request as in flight when its
// handler returns, which can be a moment after the client has read the
// answer and started its next call; without the lag a governor that frees
// concurrency at release can start a sixth call while Clover still counts
// five, and draw a 429 (seen against cloversim under load). The rate slot
// is held Grace longer too, which costs little: Grace per call against a
// one-second window.
type Lagged struct {
	Governor clover.Governor
	Grace    time.Duration
}

var _ clover.SentGovernor = (*Lagged)(nil)

// Acquire acquires from the wrapped governor; the release it returns hands
// the slot back Grace later.
func (l *Lagged) Acquire(ctx context.Context, key clover.BudgetKey) (func(), error) {
	rel, err := l.Governor.Acquire(ctx, key)
	if err != nil || l.Grace <= 0 {
		return rel, err
	}
	return func() { time.AfterFunc(l.Grace, rel) }, nil
}

// AcquireSent is Acquire passing the request's write time on to the
// wrapped governor, if it takes one.
func (l *Lagged) AcquireSent(ctx context.Context, key clover.BudgetKey) (func(wrote time.Time), error) {
	sg, ok := l.Governor.(clover.SentGovernor)
	if !ok {
		rel, err := l.Acquire(ctx, key)
		if err != nil {
			return nil, err
		}
		return func(time.Time) { rel() }, nil
	}
	rel, err := sg.AcquireSent(ctx, key)
	if err != nil || l.Grace <= 0 {
		return rel, err
	}
	return func(wrote time.Time) { time.AfterFunc(l.Grace, func() { rel(wrote) }) }, nil
}
