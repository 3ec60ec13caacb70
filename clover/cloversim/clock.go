package cloversim

import (
	"net/http"
	"time"
)

// AdvanceClock moves the Sim's test clock forward by d and runs everything
// that falls due on the way, in time order: a year of monthly billing runs
// in one call, each charge dated at its run. Negative d is ignored: the
// clock never goes back.
func (s *Sim) AdvanceClock(d time.Duration) {
	defer s.direct()()
	s.advanceClockBy(d)
}

func (s *Sim) advanceClockBy(d time.Duration) {
	if d <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	final := s.clockOffset + d
	s.billDueLocked(s.nowLocked().Add(d))
	s.setClockOffsetLocked(final)
}

// Now is the simulated time: the wall clock plus the test clock. Sandbox
// mode gives it to paybridge as its clock (billing.Clock.Base), so both
// sides of the sandbox read one time.
func (s *Sim) Now() time.Time { return s.now() }

// ClockOffset is how far the test clock has been advanced.
func (s *Sim) ClockOffset() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clockOffset
}

// setClockOffsetLocked moves the test clock; s.mu must be held.
func (s *Sim) setClockOffsetLocked(off time.Duration) {
	s.clockOffset = off
	s.ext.clockNanos.Store(int64(off))
}

// registerClock serves GET /_sim/clock and POST /_sim/clock/advance.
func (s *Sim) registerClock() {
	s.mux.HandleFunc("GET /_sim/clock", s.getClock)
	s.mux.HandleFunc("POST /_sim/clock/advance", s.advanceClock)
}

type clockView struct {
	Now           string `json:"now"`    // RFC 3339
	NowMS         int64  `json:"now_ms"` // Unix ms
	OffsetSeconds int64  `json:"offset_seconds"`
}

func (s *Sim) clockView() clockView {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	return clockView{Now: now.UTC().Format(time.RFC3339Nano), NowMS: now.UnixMilli(), OffsetSeconds: int64(s.clockOffset / time.Second)}
}

func (s *Sim) getClock(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.clockView())
}

// advanceClock takes {"seconds":N} or {"duration":"720h"}.
func (s *Sim) advanceClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Seconds  int64  `json:"seconds"`
		Duration string `json:"duration"`
	}
	if err := extDecode(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", err.Error())
		return
	}
	d := time.Duration(req.Seconds) * time.Second
	if req.Duration != "" {
		v, err := time.ParseDuration(req.Duration)
		if err != nil || req.Seconds != 0 {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", `Give either "seconds" or a Go "duration" such as "720h".`)
			return
		}
		d = v
	}
	if d <= 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", "The clock only moves forward: give a positive duration.")
		return
	}
	s.advanceClockBy(d)
	writeJSON(w, http.StatusOK, s.clockView())
}
