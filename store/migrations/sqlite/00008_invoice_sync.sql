-- +goose Up
-- Local-first invoices (issue 17): an invoice is stored before its Clover
-- order exists, and a job creates the order. These columns say where that
-- stands; clover_sync_key is the idempotency key of the order's creation,
-- persisted before the first call and sent on every retry ('' = the key
-- derived from the invoice id). Invoices stored before this migration had
-- their order created first, so they are synced.
ALTER TABLE invoices ADD COLUMN clover_sync_status     TEXT NOT NULL DEFAULT 'synced';
ALTER TABLE invoices ADD COLUMN clover_sync_attempts   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN clover_sync_error_code TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN clover_sync_error      TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN clover_synced_at       INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN clover_sync_key        TEXT NOT NULL DEFAULT '';
-- The sweep that makes sure every pending invoice has its job reads these.
CREATE INDEX invoices_sync_pending ON invoices (seq) WHERE clover_sync_status = 'pending';

-- +goose Down
DROP INDEX invoices_sync_pending;
ALTER TABLE invoices DROP COLUMN clover_sync_key;
ALTER TABLE invoices DROP COLUMN clover_synced_at;
ALTER TABLE invoices DROP COLUMN clover_sync_error;
ALTER TABLE invoices DROP COLUMN clover_sync_error_code;
ALTER TABLE invoices DROP COLUMN clover_sync_attempts;
ALTER TABLE invoices DROP COLUMN clover_sync_status;
