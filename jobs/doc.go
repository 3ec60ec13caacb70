// Package jobs runs paybridge's background work on River, on SQLite
// (riversqlite over the store's single writer connection) or PostgreSQL
// (riverpgxv5 over the store's pgx pool). Every job that belongs to a state
// change is inserted in that change's transaction (store.DB.OnEvents and
// store.DB.WithRiverTx hand over the transaction), so it is durable exactly
// when the change is: outbound webhook fan-out and delivery, syncing Clover
// platform webhooks, and every periodic task (reconciliation, drift
// sweeps, token upkeep) as River periodic jobs, which only the elected
// leader enqueues, so one instance at a time runs each.
package jobs
