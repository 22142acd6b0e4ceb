-- The business: residents, technicians' availability, appointments, money, tickets.
CREATE TABLE customers (
    id          bigserial PRIMARY KEY,
    full_name   text NOT NULL,
    email       text NOT NULL UNIQUE,
    phone       text,
    building    text NOT NULL,
    unit        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE technicians (
    id     bigserial PRIMARY KEY,
    name   text NOT NULL,
    skill  text NOT NULL CHECK (skill IN ('plumbing', 'electrical', 'hvac', 'appliance', 'general', 'leasing'))
);

-- A bookable window of a technician (maintenance) or a leasing agent (viewing).
CREATE TABLE slots (
    id             bigserial PRIMARY KEY,
    technician_id  bigint NOT NULL REFERENCES technicians(id),
    kind           text NOT NULL CHECK (kind IN ('maintenance', 'viewing')),
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX slots_kind_starts ON slots (kind, starts_at);

CREATE TABLE appointments (
    id           bigserial PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers(id),
    slot_id      bigint NOT NULL REFERENCES slots(id),
    kind         text NOT NULL CHECK (kind IN ('maintenance', 'viewing')),
    category     text NOT NULL DEFAULT 'general',
    description  text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled', 'completed')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
-- A slot holds at most one live booking.
CREATE UNIQUE INDEX appointments_one_live_per_slot ON appointments (slot_id) WHERE status = 'booked';
CREATE INDEX appointments_customer ON appointments (customer_id);

CREATE TABLE invoices (
    id           bigserial PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers(id),
    kind         text NOT NULL CHECK (kind IN ('rent', 'fee', 'utility')),
    description  text NOT NULL,
    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
    paid_cents   bigint NOT NULL DEFAULT 0 CHECK (paid_cents >= 0),
    issued_on    date NOT NULL,
    due_on       date NOT NULL,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'void')),
    CHECK (paid_cents <= amount_cents)
);
CREATE INDEX invoices_customer ON invoices (customer_id, due_on);

CREATE TABLE payment_methods (
    id           bigserial PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers(id),
    kind         text NOT NULL CHECK (kind IN ('card', 'bank')),
    brand        text NOT NULL,
    last4        char(4) NOT NULL,
    is_default   boolean NOT NULL DEFAULT false
);

CREATE TABLE payments (
    id                bigserial PRIMARY KEY,
    customer_id       bigint NOT NULL REFERENCES customers(id),
    invoice_id        bigint REFERENCES invoices(id),
    method_id         bigint NOT NULL REFERENCES payment_methods(id),
    amount_cents      bigint NOT NULL CHECK (amount_cents > 0),
    idempotency_key   text NOT NULL UNIQUE,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_customer ON payments (customer_id);

CREATE TABLE tickets (
    id           bigserial PRIMARY KEY,
    customer_id  bigint REFERENCES customers(id),
    session_id   uuid,
    category     text NOT NULL,
    priority     text NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    subject      text NOT NULL,
    body         text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'closed')),
    created_at   timestamptz NOT NULL DEFAULT now()
);
