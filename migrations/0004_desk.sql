-- The agent desk: people who take over conversations, who holds which session, and the
-- notifications that carry desk events between server processes (ids only; receivers read rows).
CREATE TABLE operators (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$'),
    role        text NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'supervisor', 'admin')),
    disabled    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A human handoff waits in the queue until an operator takes it; then it is held, and finally
-- released to the bot or closed. Agent-to-agent handoffs keep the default and are never queued.
ALTER TABLE handoffs
    ADD COLUMN status      text NOT NULL DEFAULT 'waiting'
                           CHECK (status IN ('waiting', 'held', 'released', 'closed')),
    ADD COLUMN operator_id bigint REFERENCES operators(id),
    ADD COLUMN taken_at    timestamptz,
    ADD COLUMN closed_at   timestamptz,
    ADD COLUMN resolution  text;
CREATE INDEX handoffs_waiting ON handoffs (created_at) WHERE kind = 'human' AND status = 'waiting';

-- While held_by is set, the bot does not answer: the customer's messages go to that operator.
ALTER TABLE sessions ADD COLUMN held_by bigint REFERENCES operators(id);

-- Messages a person on the team wrote in the conversation: role 'agent', with who wrote them.
ALTER TABLE messages DROP CONSTRAINT messages_role_check;
ALTER TABLE messages ADD CONSTRAINT messages_role_check CHECK (role IN ('user', 'assistant', 'system', 'agent'));
ALTER TABLE messages ADD COLUMN operator_id bigint REFERENCES operators(id);

-- Desk events for every server process: NOTIFY callcenter_events with ids only.
CREATE FUNCTION callcenter_notify_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('callcenter_events',
        json_build_object('k', 'message', 's', NEW.session_id, 'm', NEW.id)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER messages_notify AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION callcenter_notify_message();

CREATE FUNCTION callcenter_notify_handoff() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('callcenter_events',
        json_build_object('k', 'queue', 's', NEW.session_id, 'h', NEW.id)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER handoffs_notify AFTER INSERT OR UPDATE ON handoffs
    FOR EACH ROW WHEN (NEW.kind = 'human') EXECUTE FUNCTION callcenter_notify_handoff();

CREATE FUNCTION callcenter_notify_hold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('callcenter_events', json_build_object('k', 'hold', 's', NEW.id)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER sessions_hold_notify AFTER UPDATE OF held_by ON sessions
    FOR EACH ROW WHEN (OLD.held_by IS DISTINCT FROM NEW.held_by) EXECUTE FUNCTION callcenter_notify_hold();
