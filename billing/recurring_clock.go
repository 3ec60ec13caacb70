package billing

import (
	"sync/atomic"
	"time"
)

// Clock is paybridge's clock with a test offset. In sandbox mode the
// billing service, the collectors and cloversim share one offset, so
// advancing it runs a year of billing in seconds; in production the offset
// stays zero.
type Clock struct {
	// Base is the real clock (time.Now when nil).
	Base   func() time.Time
	offset atomic.Int64
}

// Now is Base plus the offset.
func (c *Clock) Now() time.Time {
	base := time.Now
	if c.Base != nil {
		base = c.Base
	}
	return base().Add(time.Duration(c.offset.Load()))
}

// Advance moves the clock forward by d (never back).
func (c *Clock) Advance(d time.Duration) {
	if d > 0 {
		c.offset.Add(int64(d))
	}
}

// Offset is how far the clock was advanced.
func (c *Clock) Offset() time.Duration { return time.Duration(c.offset.Load()) }
