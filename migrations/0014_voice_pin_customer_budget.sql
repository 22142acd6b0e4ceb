-- Wrong voice PINs counted per customer, not only per caller number (red-team F3): caller id is
-- trivially spoofed, so a per-number lockout let rotating numbers guess one customer's PIN without
-- bound. One row per customer a wrong PIN was checked against (several when a unit has several
-- customers); a correct PIN clears the customer's rows. Never the digits.
CREATE TABLE IF NOT EXISTS voice_pin_customer_failures (
    customer_id  bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS voice_pin_customer_failures_customer
    ON voice_pin_customer_failures (customer_id, created_at);

-- The audit trail names the new refusal: a customer whose PIN budget is spent.
ALTER TABLE voice_pin_attempts DROP CONSTRAINT IF EXISTS voice_pin_attempts_outcome_check;
ALTER TABLE voice_pin_attempts ADD CONSTRAINT voice_pin_attempts_outcome_check
    CHECK (outcome IN ('verified', 'wrong', 'locked', 'refused_locked', 'no_pin', 'unknown_unit',
                       'customer_locked'));
