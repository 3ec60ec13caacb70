-- +goose Up
-- Crash recovery (issue 17). Each running paybridge holds a lease: a row
-- renewed every few seconds; a process that dies stops renewing it. The
-- rows it left in flight name it as their owner, so any instance can tell
-- a request or payment whose process died from one still running (by the
-- lease, never by "my own rows") and finish it at once instead of after
-- the 5-minute staleness rule.
CREATE TABLE instance_leases (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX instance_leases_name ON instance_leases (name);

-- An Idempotency-Key's recovery point (Brandur Leach's design): phase is
-- started, then created once the request's resource (resource: its id)
-- is committed in the same transaction, then answered. claim is the
-- request's own token: a write under a key another request has taken over
-- fails instead of doing the work twice.
ALTER TABLE idempotency_keys ADD COLUMN phase TEXT NOT NULL DEFAULT 'answered';
ALTER TABLE idempotency_keys ADD COLUMN resource TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN claim TEXT NOT NULL DEFAULT '';
CREATE INDEX idempotency_keys_in_flight ON idempotency_keys (completed, owner);

ALTER TABLE payments ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE returns ADD COLUMN owner TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE returns DROP COLUMN owner;
ALTER TABLE refunds DROP COLUMN owner;
ALTER TABLE payments DROP COLUMN owner;
DROP INDEX idempotency_keys_in_flight;
ALTER TABLE idempotency_keys DROP COLUMN claim;
ALTER TABLE idempotency_keys DROP COLUMN owner;
ALTER TABLE idempotency_keys DROP COLUMN resource;
ALTER TABLE idempotency_keys DROP COLUMN phase;
DROP TABLE instance_leases;
