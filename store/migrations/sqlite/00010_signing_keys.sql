-- +goose Up
-- The API-key signing ring (apikey.Keyring), shared by every instance and
-- reloaded by each without a restart. Seeds are sealed with the master key
-- (AAD names the kid). The newest live key is the active one.
CREATE TABLE signing_keys (
    kid         TEXT    PRIMARY KEY,
    sealed_seed BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE signing_keys;
