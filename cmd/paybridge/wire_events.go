package main

// STUB seam of the events issue (events, outbound webhooks, River, Clover
// webhooks in, reconciliation jobs): its helper replaces this file.

import (
	"context"

	"github.com/paybridge/paybridge/httpapi"
)

// startJobs starts background work. Until River lands, a plain loop
// reconciles unknown outcomes.
func (m *Main) startJobs(ctx context.Context) error {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.Service.RunReconciler(ctx, m.Config.ReconcileInterval)
	}()
	return nil
}

// stopJobs stops what startJobs started (the loop ends with its context).
func (m *Main) stopJobs(ctx context.Context) {}

// eventRoutes registers the events issue's routes: authenticated /v1 ones
// with rt.Handle, inbound webhooks with rt.HandlePublic.
func (m *Main) eventRoutes(rt *httpapi.Router) {}
