-- The engine: sessions, their messages and turns, every tool and model call, handoffs.
CREATE TABLE sessions (
    id           uuid PRIMARY KEY,
    customer_id  bigint REFERENCES customers(id),
    channel      text NOT NULL,
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'human', 'closed')),
    active_agent text,
    state        jsonb NOT NULL DEFAULT '{}'::jsonb,
    step_count   integer NOT NULL DEFAULT 0,
    policy       text NOT NULL DEFAULT 'routed',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_customer ON sessions (customer_id);

CREATE TABLE messages (
    id          bigserial PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions(id),
    seq         integer NOT NULL,
    role        text NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    text        text NOT NULL,
    agent       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, seq)
);

-- One row per user turn: what the router decided and how the turn ended.
CREATE TABLE turns (
    id            bigserial PRIMARY KEY,
    session_id    uuid NOT NULL REFERENCES sessions(id),
    message_id    bigint NOT NULL REFERENCES messages(id),
    vertical      text,
    confidence    double precision,
    difficulty    double precision,
    agent         text,
    tier          smallint,
    outcome       text NOT NULL DEFAULT 'pending',
    escalations   integer NOT NULL DEFAULT 0,
    latency_ms    double precision,
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE INDEX turns_session ON turns (session_id);

CREATE TABLE tool_calls (
    id               bigserial PRIMARY KEY,
    session_id       uuid NOT NULL REFERENCES sessions(id),
    turn_id          bigint REFERENCES turns(id),
    agent            text,
    tool             text NOT NULL,
    idempotency_key  text NOT NULL,
    arguments        jsonb NOT NULL,
    result           jsonb,
    status           text NOT NULL CHECK (status IN ('ok', 'error')),
    error            text,
    latency_ms       double precision,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, idempotency_key)
);

CREATE TABLE model_calls (
    id                  bigserial PRIMARY KEY,
    session_id          uuid REFERENCES sessions(id),
    turn_id             bigint REFERENCES turns(id),
    agent               text,
    step_type           text NOT NULL,
    provider            text NOT NULL,
    model               text NOT NULL,
    tier                smallint NOT NULL,
    input_tokens        integer NOT NULL DEFAULT 0,
    output_tokens       integer NOT NULL DEFAULT 0,
    cache_write_tokens  integer NOT NULL DEFAULT 0,
    cache_read_tokens   integer NOT NULL DEFAULT 0,
    cost_usd            numeric(14, 8) NOT NULL DEFAULT 0,
    frontier_cost_usd   numeric(14, 8) NOT NULL DEFAULT 0,
    latency_ms          double precision,
    ttft_ms             double precision,
    escalation_of       bigint REFERENCES model_calls(id),
    escalation_reason   text,
    status              text NOT NULL DEFAULT 'ok',
    error               text,
    prices_read_on      date,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX model_calls_session ON model_calls (session_id);

CREATE TABLE handoffs (
    id           bigserial PRIMARY KEY,
    session_id   uuid NOT NULL REFERENCES sessions(id),
    turn_id      bigint REFERENCES turns(id),
    from_agent   text NOT NULL,
    to_agent     text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('agent', 'human')),
    vertical     text,
    confidence   double precision,
    priority     text NOT NULL DEFAULT 'normal',
    queue        text,
    summary      text NOT NULL DEFAULT '',
    context      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX handoffs_session ON handoffs (session_id);
