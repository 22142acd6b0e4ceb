-- Caller verification on the phone (docs/voice.md, "Caller verification"): a resident's voice PIN
-- is kept only as a salted scrypt hash; every attempt is audited (never the digits), and a caller
-- number that keeps guessing wrong is locked out for a while.
ALTER TABLE customers ADD COLUMN voice_pin_hash text;

-- One row per verification step on a call: which number (last ten digits, or 'call:<sid>' when
-- the caller id is withheld), which resident it was checked against, and how it went.
CREATE TABLE voice_pin_attempts (
    id           bigserial PRIMARY KEY,
    caller       text NOT NULL,
    customer_id  bigint REFERENCES customers(id),
    call_sid     text,
    session_id   uuid,
    method       text CHECK (method IN ('dtmf', 'speech')),
    outcome      text NOT NULL CHECK (outcome IN ('verified', 'wrong', 'locked', 'refused_locked', 'no_pin',
                                                  'unknown_unit')),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX voice_pin_attempts_caller ON voice_pin_attempts (caller, created_at);

-- A caller number that may not try a PIN until locked_until.
CREATE TABLE voice_pin_lockouts (
    caller        text PRIMARY KEY,
    locked_until  timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
