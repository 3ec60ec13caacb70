-- +goose Up
-- The hosted pay page (issue 5): payment links (only the token's SHA-256 is
-- kept), pay-form attempts (one payment per rendered form), hosted checkout
-- sessions, and each merchant's pay-page settings.
CREATE TABLE payment_links (
    id          TEXT    PRIMARY KEY,
    merchant_id TEXT    NOT NULL REFERENCES merchants (id),
    invoice_id  TEXT    NOT NULL REFERENCES invoices (id),
    token_hash  TEXT    NOT NULL UNIQUE,
    expires_at  INTEGER  NOT NULL,
    revoked_at  INTEGER  NOT NULL DEFAULT 0,
    created_at  INTEGER  NOT NULL
);
CREATE INDEX payment_links_invoice ON payment_links (merchant_id, invoice_id);

CREATE TABLE link_attempts (
    link_id     TEXT    NOT NULL REFERENCES payment_links (id),
    attempt_key TEXT    NOT NULL,
    payment_id  TEXT    NOT NULL DEFAULT '',
    error_code  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER  NOT NULL,
    updated_at  INTEGER  NOT NULL,
    PRIMARY KEY (link_id, attempt_key)
);

CREATE TABLE checkout_sessions (
    id          TEXT    PRIMARY KEY,
    merchant_id TEXT    NOT NULL REFERENCES merchants (id),
    invoice_id  TEXT    NOT NULL REFERENCES invoices (id),
    link_id     TEXT    NOT NULL,
    amount      INTEGER  NOT NULL,
    created_at  INTEGER  NOT NULL
);

CREATE TABLE web_settings (
    merchant_id       TEXT    PRIMARY KEY REFERENCES merchants (id),
    checkout_mode     TEXT    NOT NULL,
    sealed_hco_secret BLOB,
    updated_at        INTEGER  NOT NULL
);

-- A hosted-checkout webhook names a Clover payment once per delivery;
-- this index makes recording it twice impossible.
CREATE UNIQUE INDEX payments_hosted_charge ON payments (merchant_id, clover_charge_id)
    WHERE method = 'hosted';

-- +goose Down
DROP INDEX payments_hosted_charge;
DROP TABLE web_settings;
DROP TABLE checkout_sessions;
DROP TABLE link_attempts;
DROP TABLE payment_links;
