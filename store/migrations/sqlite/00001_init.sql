-- +goose Up
-- Times are BIGINT Unix microseconds (0 = unset); booleans INTEGER 0/1;
-- metadata JSON TEXT. seq orders rows for cursor pagination.
CREATE TABLE merchants (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    id                 TEXT    NOT NULL UNIQUE,
    clover_merchant_id TEXT    NOT NULL UNIQUE,
    name               TEXT    NOT NULL,
    currency           TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    pakms_key          TEXT    NOT NULL,
    sealed_creds       BLOB,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

CREATE TABLE counters (
    merchant_id TEXT    NOT NULL REFERENCES merchants (id),
    name        TEXT    NOT NULL,
    value       INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, name)
);

CREATE TABLE customers (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    id                 TEXT    NOT NULL UNIQUE,
    merchant_id        TEXT    NOT NULL REFERENCES merchants (id),
    email              TEXT    NOT NULL,
    email_lower        TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    phone              TEXT    NOT NULL,
    metadata           TEXT    NOT NULL,
    clover_customer_id TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX customers_merchant ON customers (merchant_id, seq);
CREATE INDEX customers_email ON customers (merchant_id, email_lower, seq);

CREATE TABLE invoices (
    seq                    INTEGER PRIMARY KEY AUTOINCREMENT,
    id                     TEXT    NOT NULL UNIQUE,
    merchant_id            TEXT    NOT NULL REFERENCES merchants (id),
    customer_id            TEXT    NOT NULL REFERENCES customers (id),
    number                 TEXT    NOT NULL,
    status                 TEXT    NOT NULL,
    currency               TEXT    NOT NULL,
    subtotal               INTEGER NOT NULL,
    tax_amount             INTEGER NOT NULL,
    total                  INTEGER NOT NULL,
    amount_paid            INTEGER NOT NULL DEFAULT 0,
    tip_paid               INTEGER NOT NULL DEFAULT 0,
    amount_refunded        INTEGER NOT NULL DEFAULT 0,
    amount_returned        INTEGER NOT NULL DEFAULT 0,
    amount_reserved        INTEGER NOT NULL DEFAULT 0,
    allow_tip              INTEGER NOT NULL,
    allow_partial          INTEGER NOT NULL,
    minimum_partial_amount INTEGER NOT NULL,
    due_date               TEXT    NOT NULL,
    metadata               TEXT    NOT NULL,
    clover_order_id        TEXT    NOT NULL,
    order_paid             INTEGER NOT NULL,
    version                INTEGER NOT NULL,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    paid_at                INTEGER NOT NULL,
    voided_at              INTEGER NOT NULL,
    UNIQUE (merchant_id, number),
    CHECK (amount_reserved >= 0)
);
CREATE INDEX invoices_merchant ON invoices (merchant_id, seq);

CREATE TABLE line_items (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT    NOT NULL UNIQUE,
    invoice_id        TEXT    NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    description       TEXT    NOT NULL,
    quantity          INTEGER NOT NULL,
    unit_amount       INTEGER NOT NULL,
    tax_rate_bps      INTEGER NOT NULL,
    amount            INTEGER NOT NULL,
    tax_amount        INTEGER NOT NULL,
    quantity_returned INTEGER NOT NULL DEFAULT 0,
    quantity_reserved INTEGER NOT NULL DEFAULT 0,
    clover_item_id    TEXT    NOT NULL,
    CHECK (quantity_reserved >= 0)
);
CREATE INDEX line_items_invoice ON line_items (invoice_id, position);

CREATE TABLE payments (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    merchant_id      TEXT    NOT NULL REFERENCES merchants (id),
    invoice_id       TEXT REFERENCES invoices (id),
    customer_id      TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    method           TEXT    NOT NULL,
    route            TEXT    NOT NULL,
    amount           INTEGER NOT NULL,
    tip_amount       INTEGER NOT NULL,
    currency         TEXT    NOT NULL,
    capture          INTEGER NOT NULL,
    amount_captured  INTEGER NOT NULL,
    amount_refunded  INTEGER NOT NULL,
    amount_reserved  INTEGER NOT NULL DEFAULT 0,
    card_brand       TEXT,
    card_last4       TEXT,
    card_exp_month   TEXT,
    card_exp_year    TEXT,
    description      TEXT    NOT NULL,
    source           TEXT    NOT NULL,
    clover_charge_id TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL,
    failure_code     TEXT    NOT NULL,
    failure_message  TEXT    NOT NULL,
    client_ip        TEXT    NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    version          INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK (amount_reserved >= 0)
);
CREATE INDEX payments_merchant ON payments (merchant_id, seq);
CREATE INDEX payments_invoice ON payments (invoice_id, seq);
CREATE INDEX payments_due ON payments (status, next_attempt_at);
-- One in-flight payment per invoice: what serialises concurrent attempts.
CREATE UNIQUE INDEX payments_one_in_flight ON payments (invoice_id)
    WHERE status IN ('pending', 'unknown');

CREATE TABLE refunds (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    merchant_id      TEXT    NOT NULL REFERENCES merchants (id),
    payment_id       TEXT    NOT NULL REFERENCES payments (id),
    invoice_id       TEXT    NOT NULL,
    return_id        TEXT    NOT NULL,
    amount           INTEGER NOT NULL,
    currency         TEXT    NOT NULL,
    reason           TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    clover_refund_id TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL,
    failure_code     TEXT    NOT NULL,
    failure_message  TEXT    NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX refunds_merchant ON refunds (merchant_id, seq);
CREATE INDEX refunds_due ON refunds (status, next_attempt_at);

CREATE TABLE returns (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    merchant_id      TEXT    NOT NULL REFERENCES merchants (id),
    invoice_id       TEXT    NOT NULL REFERENCES invoices (id),
    items            TEXT    NOT NULL,
    amount           INTEGER NOT NULL,
    currency         TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    clover_return_id TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL,
    failure_code     TEXT    NOT NULL,
    failure_message  TEXT    NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX returns_invoice ON returns (invoice_id, seq);
CREATE INDEX returns_due ON returns (status, next_attempt_at);

CREATE TABLE audit_log (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    merchant_id     TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    object_id       TEXT    NOT NULL,
    outcome         TEXT    NOT NULL,
    latency_ms      INTEGER NOT NULL,
    request_id      TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    detail          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX audit_log_merchant ON audit_log (merchant_id, seq);
CREATE INDEX audit_log_object ON audit_log (merchant_id, object_id, seq);

CREATE TABLE idempotency_keys (
    merchant_id  TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    completed    INTEGER NOT NULL,
    status       INTEGER NOT NULL,
    body         BLOB,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE audit_log;
DROP TABLE returns;
DROP TABLE refunds;
DROP TABLE payments;
DROP TABLE line_items;
DROP TABLE invoices;
DROP TABLE customers;
DROP TABLE counters;
DROP TABLE merchants;
