-- Wrong voice PINs counted per resident, not only per caller number (red-team F3): caller id is
-- trivially spoofed, so a per-number lockout let rotating numbers guess one resident's PIN without
-- bound. One row per resident a wrong PIN was checked against (several when a unit has several
-- residents); a correct PIN clears the resident's rows. Never the digits.
CREATE TABLE IF NOT EXISTS voice_pin_resident_failures (
    customer_id  bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS voice_pin_resident_failures_customer
    ON voice_pin_resident_failures (customer_id, created_at);

-- The audit trail names the new refusal: a resident whose PIN budget is spent.
ALTER TABLE voice_pin_attempts DROP CONSTRAINT IF EXISTS voice_pin_attempts_outcome_check;
ALTER TABLE voice_pin_attempts ADD CONSTRAINT voice_pin_attempts_outcome_check
    CHECK (outcome IN ('verified', 'wrong', 'locked', 'refused_locked', 'no_pin', 'unknown_unit',
                       'resident_locked'));
