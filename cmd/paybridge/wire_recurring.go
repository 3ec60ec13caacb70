package main

// Wiring of the recurring issue: cards on file, autopay, plans and
// subscriptions, dunning and reminders, and the sandbox test clock.

import (
	"context"
	"net/http"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/httpapi"
)

// recurringRoutes registers the /v1 card, plan and subscription endpoints,
// hooks card saves and notices into the service and, in sandbox mode,
// serves the test clock (POST /v1/test-clock/advance). The service runs on
// m.Clock, which in sandbox mode is cloversim's (startSim).
func (m *Main) recurringRoutes(rt *httpapi.Router) {
	if m.Clock == nil {
		m.Clock = &billing.Clock{}
	}
	svc := m.Service
	svc.Now = m.Clock.Now
	svc.OnCardSaved = svc.ResumeWithCard
	web := m.webServer()
	n := &billing.Notifier{Service: svc, Mail: web.Mail, Logger: m.Logger.With("component", "notices"),
		PayLink: func(ctx context.Context, c billing.Caller, invoiceID string) (string, error) {
			u, _, err := web.CreateLink(ctx, c, invoiceID, 0)
			return u, err
		},
		UpdateCardLink: func(ctx context.Context, c billing.Caller, customerID string) (string, error) {
			u, _, err := web.CreateCardLink(ctx, c, customerID)
			return u, err
		}}
	web.RegisterCardPages(rt)
	svc.Notify = n.Notify
	(&httpapi.V1Recurring{Service: svc}).Routes(rt)
	if m.Sim != nil {
		rt.Handle("POST /v1/test-clock/advance", http.HandlerFunc(m.advanceTestClock))
	}
}

// advanceTestClock moves the sandbox's one clock (cloversim's, which
// paybridge reads) forward a day at most at a time, and at each step does
// what the periodic jobs would have done by then: Clover token refreshes
// first (an hour-long access token lives through a year of steps), then
// the recurring work (sync, collections, reminders).
func (m *Main) advanceTestClock(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Seconds int64 `json:"seconds"`
	}
	if err := httpapi.Decode(w, r, &in); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	if in.Seconds <= 0 || in.Seconds > 10*366*24*3600 {
		httpapi.WriteError(w, r, paybridge.Errorf(paybridge.EINVALID, "seconds",
			"seconds must be between 1 and %d (ten years)", 10*366*24*3600).WithCode("invalid_duration"))
		return
	}
	var synced, collected, reminded int
	for left := time.Duration(in.Seconds) * time.Second; left > 0; {
		step := min(left, testClockStep)
		m.Sim.AdvanceClock(step)
		left -= step
		if m.Onboarding != nil {
			if err := m.Onboarding.RefreshDue(r.Context()); err != nil {
				m.Logger.Error("token refresh", "err", err)
			}
		}
		s, c, rem := m.runRecurring(r.Context())
		synced, collected, reminded = synced+s, collected+c, reminded+rem
	}
	httpapi.WriteJSON(w, r, http.StatusOK, map[string]any{"now": m.Clock.Now().UTC(), "offset_seconds": int64(m.Sim.ClockOffset().Seconds()),
		"synced": synced, "collected": collected, "reminded": reminded})
}

// testClockStep is the longest jump of one test-clock step.
const testClockStep = 24 * time.Hour

// runRecurring makes one pass of the recurring work. Passes never overlap
// within an instance (a test-clock advance waits for a periodic pass in
// progress, mails included), so the sandbox's clock is deterministic: when
// an advance returns, the work due by the new time is done.
func (m *Main) runRecurring(ctx context.Context) (synced, collected, reminded int) {
	m.recurring.Lock()
	defer m.recurring.Unlock()
	var err error
	if synced, err = m.Service.SyncSubscriptions(ctx); err != nil {
		m.Logger.Error("sync subscriptions", "err", err)
	}
	if collected, err = m.Service.RunCollections(ctx); err != nil {
		m.Logger.Error("collections", "err", err)
	}
	if reminded, err = m.Service.SendReminders(ctx); err != nil {
		m.Logger.Error("reminders", "err", err)
	}
	return synced, collected, reminded
}

// recurringPeriodics are the recurring issue's periodic jobs.
func (m *Main) recurringPeriodics() []Periodic {
	return []Periodic{
		{Name: "recurring-sync", Every: time.Minute, Run: m.oneAtATime(func(ctx context.Context) error {
			_, err := m.Service.SyncSubscriptions(ctx)
			return err
		})},
		{Name: "collections", Every: time.Minute, Run: m.oneAtATime(func(ctx context.Context) error {
			_, err := m.Service.RunCollections(ctx)
			return err
		})},
		{Name: "reminders", Every: 10 * time.Minute, Run: m.oneAtATime(func(ctx context.Context) error {
			_, err := m.Service.SendReminders(ctx)
			return err
		})},
	}
}

// oneAtATime runs a periodic part of the recurring work under the same
// lock as runRecurring.
func (m *Main) oneAtATime(run func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		m.recurring.Lock()
		defer m.recurring.Unlock()
		return run(ctx)
	}
}
