-- +goose Up
-- Onboarding (DESIGN.md §3): integrations, OAuth connect states, hand-off
-- codes, issued API keys (jti only, never the key) and token upkeep.
-- States and hand-off codes are stored as SHA-256 hashes.
CREATE TABLE integrations (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    type         TEXT    NOT NULL,
    external_key TEXT    NOT NULL,
    return_url   TEXT    NOT NULL,
    merchant_id  TEXT    NOT NULL DEFAULT '',
    unlinked_at  INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (type, external_key)
);

CREATE TABLE connect_states (
    state_hash      TEXT    PRIMARY KEY,
    integration_id  TEXT    NOT NULL REFERENCES integrations (id),
    sealed_verifier BLOB,
    crm_state       TEXT    NOT NULL DEFAULT '',
    expires_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX connect_states_expires ON connect_states (expires_at);

CREATE TABLE handoffs (
    code_hash      TEXT    PRIMARY KEY,
    integration_id TEXT    NOT NULL REFERENCES integrations (id),
    merchant_id    TEXT    NOT NULL REFERENCES merchants (id),
    employee_id    TEXT    NOT NULL,
    app_id         TEXT    NOT NULL,
    expires_at     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX handoffs_expires ON handoffs (expires_at);
CREATE INDEX handoffs_triple ON handoffs (app_id, merchant_id, employee_id);

CREATE TABLE api_keys (
    jti            TEXT    PRIMARY KEY,
    merchant_id    TEXT    NOT NULL REFERENCES merchants (id),
    employee_id    TEXT    NOT NULL,
    app_id         TEXT    NOT NULL,
    integration_id TEXT    NOT NULL,
    issued_at      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_triple ON api_keys (app_id, merchant_id, employee_id);
CREATE INDEX api_keys_integration ON api_keys (integration_id);

CREATE TABLE token_upkeep (
    merchant_id     TEXT    PRIMARY KEY REFERENCES merchants (id),
    access_expires  INTEGER NOT NULL,
    refresh_expires INTEGER NOT NULL,
    lease_until     INTEGER NOT NULL DEFAULT 0,
    inflight_fp     TEXT    NOT NULL DEFAULT '',
    inflight_since  INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    updated_at      INTEGER NOT NULL
);
CREATE INDEX token_upkeep_due ON token_upkeep (access_expires);

-- +goose Down
DROP TABLE token_upkeep;
DROP TABLE api_keys;
DROP TABLE handoffs;
DROP TABLE connect_states;
DROP TABLE integrations;
