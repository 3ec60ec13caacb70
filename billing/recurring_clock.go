package billing

import "time"

// Clock is paybridge's sense of time. In sandbox mode its Base is
// cloversim's simulated clock (the wall clock plus the test clock), so the
// billing service, token lifetimes and refreshes, reminders and dunning run
// on the same time as cloversim's tokens and subscription runs: advancing
// the test clock a year runs a year of both. In production Base is nil and
// the clock is time.Now.
type Clock struct {
	// Base is the clock to read (time.Now when nil).
	Base func() time.Time
}

// Now is Base's time.
func (c *Clock) Now() time.Time {
	if c.Base != nil {
		return c.Base()
	}
	return time.Now()
}
