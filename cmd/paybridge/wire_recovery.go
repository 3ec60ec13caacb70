package main

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"time"

	"github.com/paybridge/paybridge/httpapi"
)

// instanceName is the slot a serve process fills, by default its host and
// data directory: a process starting in a slot knows the slot's earlier
// process is gone and takes over what it left in flight at once
// (store.HoldLease).
func (c Config) instanceName() string {
	if c.InstanceName != "" {
		return c.InstanceName
	}
	host, _ := os.Hostname()
	dir, err := filepath.Abs(c.DataDir)
	if err != nil {
		dir = c.DataDir
	}
	return host + ":" + dir
}

// startLease gives this process its lease id and holds the lease, renewing
// it every third of PAYBRIDGE_INSTANCE_LEASE until Close (issue 17: what a
// dead process left in flight is recovered by lease, not "my own rows").
func (m *Main) startLease(ctx context.Context) error {
	ttl := max(m.Config.InstanceLease, time.Second)
	m.DB.Instance = "ins_" + rand.Text()
	name := m.Config.instanceName()
	if err := m.DB.HoldLease(ctx, name, ttl, true); err != nil {
		return err
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.stopLease = cancel
	m.leaseDone = make(chan struct{})
	go func() {
		defer close(m.leaseDone)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-bg.Done():
				return
			case <-t.C:
				if err := m.DB.HoldLease(bg, name, ttl, false); err != nil && bg.Err() == nil {
					m.Logger.Error("renew instance lease", "err", err)
				}
			}
		}
	}()
	return nil
}

// endLease stops renewing the lease and drops it: after a clean shutdown
// nothing of this process is in flight, and anything that is gets
// recovered at once.
func (m *Main) endLease(ctx context.Context) {
	if m.stopLease == nil {
		return
	}
	m.stopLease()
	<-m.leaseDone
	m.stopLease = nil
	if err := m.DB.DropLease(ctx); err != nil {
		m.Logger.Warn("drop instance lease", "err", err)
	}
}

// newRecovery is the Finisher of orphaned Idempotency-Keys.
func (m *Main) newRecovery(keys httpapi.IdempotencyStore) *httpapi.Recovery {
	m.Recovery = &httpapi.Recovery{Keys: keys, Orphans: m.DB, Service: m.Service, Logger: m.Logger}
	return m.Recovery
}

// recover finishes what dead processes left in flight: their orphaned
// Idempotency-Keys, the River jobs they were running, and their pending
// payments. It runs once at start-up in every
// instance (River's periodic jobs run on one leader, elected later) and
// then as the "recover" periodic job.
func (m *Main) recover(ctx context.Context) error {
	if n, err := m.Recovery.Pass(ctx); err != nil {
		return err
	} else if n > 0 {
		m.Logger.Info("finished orphaned idempotency keys", "count", n)
	}
	if n, err := m.DB.RescueJobs(ctx); err != nil {
		return err
	} else if n > 0 {
		m.Logger.Info("rescued the jobs of dead processes", "count", n)
	}
	_, err := m.Service.Reconcile(ctx)
	return err
}
