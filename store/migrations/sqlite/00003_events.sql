-- +goose Up
-- Events and webhooks (issue 6): events written in the transaction of the
-- change they report, the CRM's webhook endpoints (secrets sealed), Clover
-- platform webhook items seen (deduplication), and operator-visible
-- settings such as Clover's webhook verification code.
CREATE TABLE events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT    NOT NULL UNIQUE,
    merchant_id    TEXT    NOT NULL REFERENCES merchants (id),
    type           TEXT    NOT NULL,
    object_type    TEXT    NOT NULL,
    object_id      TEXT    NOT NULL,
    object_version INTEGER  NOT NULL,
    data           TEXT    NOT NULL,
    created_at     INTEGER  NOT NULL
);
CREATE INDEX events_merchant ON events (merchant_id, seq);
CREATE INDEX events_merchant_type ON events (merchant_id, type, seq);

CREATE TABLE webhook_endpoints (
    seq                   INTEGER PRIMARY KEY AUTOINCREMENT,
    id                    TEXT    NOT NULL UNIQUE,
    merchant_id           TEXT    NOT NULL REFERENCES merchants (id),
    url                   TEXT    NOT NULL,
    events                TEXT    NOT NULL,
    description           TEXT    NOT NULL DEFAULT '',
    disabled              INTEGER NOT NULL DEFAULT 0,
    failing_since         INTEGER  NOT NULL DEFAULT 0,
    sealed_secret         BLOB    NOT NULL,
    sealed_old_secret     BLOB,
    old_secret_expires_at INTEGER  NOT NULL DEFAULT 0,
    created_at            INTEGER  NOT NULL,
    updated_at            INTEGER  NOT NULL
);
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, seq);

CREATE TABLE clover_notices (
    notice_key  TEXT    PRIMARY KEY,
    received_at INTEGER  NOT NULL
);

-- One paybridge refund per Clover refund: a refund made on the dashboard
-- and synced twice (two webhooks, two instances) is recorded once.
CREATE UNIQUE INDEX refunds_clover_refund ON refunds (merchant_id, clover_refund_id) WHERE clover_refund_id <> '';

CREATE TABLE settings (
    name       TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER  NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP INDEX refunds_clover_refund;
DROP TABLE clover_notices;
DROP TABLE webhook_endpoints;
DROP TABLE events;
