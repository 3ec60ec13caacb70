-- +goose Up
-- Events someone listens to that were committed while no job runner was
-- hooked into the store (a start-up step before the runner starts, an
-- operator command in its own process, a write during shutdown): the
-- runner takes them at start and every few seconds and enqueues their
-- fan-out in the same transaction, so no event goes undelivered. Rows
-- exist only for those moments; with a runner hooked nothing is written.
CREATE TABLE pending_fanouts (
    event_id    TEXT    PRIMARY KEY REFERENCES events (id),
    merchant_id TEXT    NOT NULL,
    created_at  INTEGER  NOT NULL
);

-- +goose Down
DROP TABLE pending_fanouts;
