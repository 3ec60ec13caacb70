-- +goose Up
-- Card-on-file follow-ups (issue 7b): single-use update-card links (only
-- the token's hash is kept), and the consent of a payment that saves its
-- card, recorded before Clover is called so a payment settled later by the
-- reconciler still records the card with the customer's own consent.
CREATE TABLE card_links (
    id          TEXT    PRIMARY KEY,
    merchant_id TEXT    NOT NULL REFERENCES merchants (id),
    customer_id TEXT    NOT NULL REFERENCES customers (id),
    token_hash  TEXT    NOT NULL UNIQUE,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT NOT NULL DEFAULT 0,
    card_id     TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX card_links_customer ON card_links (merchant_id, customer_id);

CREATE TABLE card_intents (
    payment_id     TEXT    PRIMARY KEY,
    merchant_id    TEXT    NOT NULL REFERENCES merchants (id),
    customer_id    TEXT    NOT NULL,
    clover_card_id TEXT    NOT NULL,
    consent_actor  TEXT    NOT NULL,
    consent_text   TEXT    NOT NULL,
    consent_ip     TEXT    NOT NULL,
    consent_at     BIGINT NOT NULL
);

CREATE INDEX collections_customer ON collections (merchant_id, customer_id, done);

-- +goose Down
DROP INDEX collections_customer;
DROP TABLE card_intents;
DROP TABLE card_links;
