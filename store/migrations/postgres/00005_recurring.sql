-- +goose Up
-- Card on file, plans and subscriptions, autopay, dunning and reminders
-- (issue 7). Cards keep brand, last4 and expiry only, plus the consent.
CREATE TABLE cards (
    seq             BIGSERIAL PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,
    merchant_id     TEXT    NOT NULL REFERENCES merchants (id),
    customer_id     TEXT    NOT NULL REFERENCES customers (id),
    brand           TEXT    NOT NULL,
    last4           TEXT    NOT NULL,
    exp_month       TEXT    NOT NULL,
    exp_year        TEXT    NOT NULL,
    clover_card_id  TEXT    NOT NULL,
    consent_actor   TEXT    NOT NULL,
    consent_text    TEXT    NOT NULL,
    consent_ip      TEXT    NOT NULL,
    consent_at      BIGINT     NOT NULL,
    created_at      BIGINT     NOT NULL,
    removed_at      BIGINT     NOT NULL DEFAULT 0,
    UNIQUE (merchant_id, clover_card_id)
);
CREATE INDEX cards_customer ON cards (merchant_id, customer_id, seq);

CREATE TABLE customer_autopay (
    customer_id TEXT    PRIMARY KEY REFERENCES customers (id),
    merchant_id TEXT    NOT NULL REFERENCES merchants (id),
    enabled     BOOLEAN    NOT NULL,
    card_id     TEXT    NOT NULL,
    updated_at  BIGINT     NOT NULL
);

CREATE TABLE plans (
    seq             BIGSERIAL PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,
    merchant_id     TEXT    NOT NULL REFERENCES merchants (id),
    name            TEXT    NOT NULL,
    amount          BIGINT     NOT NULL,
    currency        TEXT    NOT NULL,
    interval_unit   TEXT    NOT NULL,
    interval_count  INTEGER NOT NULL,
    active          BOOLEAN    NOT NULL,
    clover_plan_id  TEXT    NOT NULL,
    created_at      BIGINT     NOT NULL
);
CREATE INDEX plans_merchant ON plans (merchant_id, seq);

CREATE TABLE subscriptions (
    seq                    BIGSERIAL PRIMARY KEY,
    id                     TEXT    NOT NULL UNIQUE,
    merchant_id            TEXT    NOT NULL REFERENCES merchants (id),
    customer_id            TEXT    NOT NULL REFERENCES customers (id),
    plan_id                TEXT    NOT NULL REFERENCES plans (id),
    status                 TEXT    NOT NULL,
    amount                 BIGINT     NOT NULL,
    currency               TEXT    NOT NULL,
    start_date             TEXT    NOT NULL,
    failure_count          INTEGER NOT NULL,
    last_run_date          TEXT    NOT NULL,
    clover_subscription_id TEXT    NOT NULL,
    synced_through         BIGINT     NOT NULL,
    version                BIGINT     NOT NULL,
    created_at             BIGINT     NOT NULL,
    updated_at             BIGINT     NOT NULL,
    canceled_at            BIGINT     NOT NULL DEFAULT 0
);
CREATE INDEX subscriptions_merchant ON subscriptions (merchant_id, seq);
CREATE INDEX subscriptions_status ON subscriptions (status);

-- One invoice per Clover recurring charge.
CREATE TABLE subscription_charges (
    merchant_id      TEXT    NOT NULL REFERENCES merchants (id),
    clover_charge_id TEXT    NOT NULL,
    subscription_id  TEXT    NOT NULL REFERENCES subscriptions (id),
    invoice_id       TEXT    NOT NULL,
    paid             BOOLEAN    NOT NULL,
    created_at       BIGINT     NOT NULL,
    PRIMARY KEY (merchant_id, clover_charge_id)
);

-- paybridge's own collection of an invoice: autopay and dunning.
CREATE TABLE collections (
    invoice_id      TEXT    PRIMARY KEY REFERENCES invoices (id),
    merchant_id     TEXT    NOT NULL REFERENCES merchants (id),
    customer_id     TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    subscription_id TEXT    NOT NULL,
    failures        INTEGER NOT NULL,
    next_attempt_at BIGINT     NOT NULL,
    last_error      TEXT    NOT NULL,
    done            BOOLEAN    NOT NULL,
    version         BIGINT     NOT NULL,
    created_at      BIGINT     NOT NULL,
    updated_at      BIGINT     NOT NULL
);
CREATE INDEX collections_due ON collections (done, next_attempt_at);

CREATE TABLE invoice_reminders (
    invoice_id  TEXT    NOT NULL REFERENCES invoices (id),
    merchant_id TEXT    NOT NULL,
    day_offset  INTEGER NOT NULL,
    sent_at     BIGINT     NOT NULL,
    PRIMARY KEY (invoice_id, day_offset)
);

CREATE TABLE billing_settings (
    merchant_id   TEXT    PRIMARY KEY REFERENCES merchants (id),
    reminder_days TEXT    NOT NULL,
    dunning_days  TEXT    NOT NULL,
    updated_at    BIGINT     NOT NULL
);

CREATE INDEX invoices_due ON invoices (status, due_date);

-- +goose Down
DROP INDEX invoices_due;
DROP TABLE billing_settings;
DROP TABLE invoice_reminders;
DROP TABLE collections;
DROP TABLE subscription_charges;
DROP TABLE subscriptions;
DROP TABLE plans;
DROP TABLE customer_autopay;
DROP TABLE cards;
