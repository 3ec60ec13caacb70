package cloversim

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// extState is the state of the OAuth, webhook, recurring, hosted-checkout
// and clock surfaces. Everything except hooks is guarded by s.mu; hooks has
// its own lock because notify may be called with s.mu held.
type extState struct {
	// OAuth (oauth.go).
	codes   map[string]*oauthCode    // authorization code → binding
	refresh map[string]*oauthRefresh // refresh token → binding
	owners  map[string]string        // merchant id → default employee id
	// issued lists every access and refresh token of an (app, merchant,
	// employee) triple so a new authorization can invalidate them at once.
	issued map[string]*oauthIssued
	// refreshCap and revokeOnRefresh are the refresh rules in force
	// (refresh_rules.go; Options, PUT /_sim/oauth).
	refreshCap      int
	revokeOnRefresh bool

	// Recurring (recurring.go).
	plans    map[string]*recPlan
	subs     map[string]*recSub
	subOrder []string // subscription ids in creation order
	// declined holds the real number of saved cards forced to decline.
	declined map[string]string

	// Hosted checkout (checkout.go).
	checkouts map[string]*hcoSession

	// clockNanos mirrors s.clockOffset so notify can read the simulated
	// time without s.mu.
	clockNanos atomic.Int64

	hooks *whHub
}

// initExt prepares the extension state; the webhook goroutine starts on the
// first event and stops on Close.
func (s *Sim) initExt() {
	s.ext = extState{
		codes:   map[string]*oauthCode{},
		refresh: map[string]*oauthRefresh{},
		owners:  map[string]string{},
		issued:  map[string]*oauthIssued{},

		refreshCap:      s.opts.RefreshTokenCap,
		revokeOnRefresh: s.opts.RevokeAccessOnRefresh,
		plans:           map[string]*recPlan{},
		subs:            map[string]*recSub{},
		declined:        map[string]string{},
		checkouts:       map[string]*hcoSession{},
	}
	s.ext.hooks = newWHHub(s)
}

// Close stops the webhook delivery goroutine and abandons undelivered
// events. Callers that create a Sim should Close it when done (tests:
// t.Cleanup(s.Close)); a Sim keeps serving HTTP after Close but sends no more
// webhooks. Close is idempotent.
func (s *Sim) Close() error {
	s.ext.hooks.close()
	return s.closeStore()
}

// extNow is the simulated time for code that may run with or without s.mu.
func (s *Sim) extNow() time.Time {
	return s.opts.Now().Add(time.Duration(s.ext.clockNanos.Load()))
}

// cloverTime formats t as Clover's recurring API does:
// "2023-09-19T10:02:59.476+0000".
func cloverTime(t time.Time) string { return t.UTC().Format(cloverTimeLayout) }

const cloverTimeLayout = "2006-01-02T15:04:05.000-0700"

// extDecode decodes a JSON body strictly: unknown fields and trailing data
// are refused, as a strict emulator should.
func extDecode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON body: %v", err)
	}
	if dec.More() {
		return errors.New("invalid JSON body: trailing data")
	}
	return nil
}

// extAbsURL reports whether u is an absolute http or https URL.
func extAbsURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

// extUUID returns a random UUIDv4 string.
func extUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
