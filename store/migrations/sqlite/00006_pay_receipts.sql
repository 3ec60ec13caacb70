-- +goose Up
-- Pay-page follow-ups (issue 5b): the language a customer paid in (so the
-- receipt speaks it), and one row per receipt mailed so a payment settled by
-- the pay page, the hosted-checkout webhook or the reconciler is receipted
-- once, never twice.
ALTER TABLE link_attempts ADD COLUMN lang TEXT NOT NULL DEFAULT '';
ALTER TABLE checkout_sessions ADD COLUMN lang TEXT NOT NULL DEFAULT '';
CREATE INDEX link_attempts_payment ON link_attempts (payment_id) WHERE payment_id <> '';

CREATE TABLE payment_receipts (
    payment_id  TEXT    PRIMARY KEY,
    merchant_id TEXT    NOT NULL,
    claimed_at  INTEGER NOT NULL,
    sent_at     INTEGER NOT NULL DEFAULT 0
);
-- Payments made before this table existed were receipted already by the
-- pay page itself: record them, so the sweep does not mail them again.
INSERT INTO payment_receipts (payment_id, merchant_id, claimed_at, sent_at)
SELECT a.payment_id, l.merchant_id, a.updated_at, a.updated_at
FROM link_attempts a JOIN payment_links l ON l.id = a.link_id
WHERE a.payment_id <> ''
ON CONFLICT (payment_id) DO NOTHING;

-- +goose Down
DROP TABLE payment_receipts;
DROP INDEX link_attempts_payment;
ALTER TABLE checkout_sessions DROP COLUMN lang;
ALTER TABLE link_attempts DROP COLUMN lang;
