package main

// STUB seam of the events issue (events, outbound webhooks, River, Clover
// webhooks in, reconciliation jobs): its helper replaces this file.

import (
	"context"
	"time"

	"github.com/paybridge/paybridge/httpapi"
)

// startJobs starts background work: until River lands, one ticker loop per
// periodic job.
func (m *Main) startJobs(ctx context.Context) error {
	for _, p := range m.periodics() {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			t := time.NewTicker(p.Every)
			defer t.Stop()
			for {
				if err := p.Run(ctx); err != nil && ctx.Err() == nil {
					m.Logger.Error("periodic job", "job", p.Name, "err", err)
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	return nil
}

// stopJobs stops what startJobs started (the loops end with their context).
func (m *Main) stopJobs(ctx context.Context) {}

// eventRoutes registers the events issue's routes: authenticated /v1 ones
// with rt.Handle, inbound webhooks with rt.HandlePublic.
func (m *Main) eventRoutes(rt *httpapi.Router) {}
