-- +goose Up
-- What the pay page tells customers about the business, copied from
-- Clover's merchant record (its address expanded) when the merchant
-- connects, so no customer's page load waits on Clover.
CREATE TABLE merchant_profiles (
    merchant_id TEXT    PRIMARY KEY REFERENCES merchants (id),
    name        TEXT    NOT NULL,
    address1    TEXT    NOT NULL,
    address2    TEXT    NOT NULL,
    city        TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    postal_code TEXT    NOT NULL,
    country     TEXT    NOT NULL,
    phone       TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- +goose Down
DROP TABLE merchant_profiles;
