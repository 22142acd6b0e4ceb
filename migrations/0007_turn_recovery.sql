-- Turn recovery and per-session order (issue 14). Was 0005_turn_recovery.sql for a few minutes
-- (0005 was taken); written to be safe on a database that already applied it under that name.
--
-- A turn is a durable unit: the user message (with the client's client_id), its tool calls (by
-- idempotency key) and the reply. At most one turn per session is pending at a time; the node
-- running it holds a lease (owner, lease_until) that it renews while it runs. A pending turn
-- whose lease has expired belongs to a process that died: whichever node next touches the
-- session, or the sweeper, claims it and finishes it, replaying the stored tool results.
ALTER TABLE messages ADD COLUMN IF NOT EXISTS client_id text;
CREATE UNIQUE INDEX IF NOT EXISTS messages_session_client_id ON messages (session_id, client_id) WHERE client_id IS NOT NULL;

ALTER TABLE turns ADD COLUMN IF NOT EXISTS owner text;
ALTER TABLE turns ADD COLUMN IF NOT EXISTS lease_until timestamptz;
ALTER TABLE turns ADD COLUMN IF NOT EXISTS reply_id bigint REFERENCES messages(id);
CREATE INDEX IF NOT EXISTS turns_message ON turns (message_id);

-- Sessions that already hold several pending turns (crashes before this migration): the newest
-- stays pending and is recovered; the older ones are closed so the rule below can hold.
UPDATE turns t SET outcome = 'abandoned', finished_at = now()
 WHERE t.outcome = 'pending'
   AND EXISTS (SELECT 1 FROM turns n WHERE n.session_id = t.session_id AND n.outcome = 'pending' AND n.id > t.id);
CREATE UNIQUE INDEX IF NOT EXISTS turns_one_pending_per_session ON turns (session_id) WHERE outcome = 'pending';
CREATE INDEX IF NOT EXISTS turns_pending_lease ON turns (lease_until) WHERE outcome = 'pending';

-- What a turn starts from, returned with it so a turn needs no further reads: the session row
-- (with the customer's name) and up to 19 messages before the turn's own, oldest first.
CREATE OR REPLACE FUNCTION cc_turn_context(p_session uuid, p_before integer, OUT session jsonb, OUT history jsonb)
LANGUAGE sql STABLE AS $$
    SELECT (SELECT to_jsonb(s) || jsonb_build_object('customer_name', c.full_name)
              FROM sessions s LEFT JOIN customers c ON c.id = s.customer_id WHERE s.id = p_session),
           (SELECT COALESCE(jsonb_agg(jsonb_build_array(h.role, h.text) ORDER BY h.seq), '[]'::jsonb)
              FROM (SELECT role, text, seq FROM messages WHERE session_id = p_session AND seq < p_before
                    ORDER BY seq DESC LIMIT 19) h)
$$;

-- Start a turn in one round trip. Serialised per session by the session row's lock, it decides:
--   replied     the client_id was seen and its turn finished: here is the stored reply
--   resume      the client_id was seen and its turn is pending with no live owner: now yours
--   recover     another message's turn is pending with no live owner: now yours; run it, then call again
--   busy        a live turn of this session is running elsewhere: retry after retry_after_s
--   new         the message is stored and its turn opened, owned by you
-- resume, recover and new also return the turn's context (cc_turn_context).
--   held        a person at the desk holds the session (0004_desk): the message is stored for them, no turn
--   idle        nothing pending and no text given (p_text NULL: only finish what is pending)
--   no_session  the session does not exist
-- A turn is "yours to take" when its lease expired or you already own it (a node runs one turn
-- per session at a time, so its own stale turn is one whose coroutine failed).
CREATE OR REPLACE FUNCTION cc_begin_turn(p_session uuid, p_text text, p_client_id text, p_owner text, p_lease_s double precision)
RETURNS TABLE (kind text, turn_id bigint, message_id bigint, message_text text, reply text,
               reply_agent text, vertical text, confidence double precision, retry_after_s double precision,
               session jsonb, history jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    t turns%ROWTYPE;
    m messages%ROWTYPE;
    r messages%ROWTYPE;
    lease interval := make_interval(secs => p_lease_s);
    held bigint;
BEGIN
    SELECT held_by INTO held FROM sessions WHERE id = p_session FOR UPDATE;
    IF NOT FOUND THEN
        kind := 'no_session';
        RETURN NEXT;
        RETURN;
    END IF;
    IF p_client_id IS NOT NULL THEN
        SELECT * INTO m FROM messages WHERE session_id = p_session AND client_id = p_client_id;
        IF FOUND THEN
            SELECT * INTO t FROM turns WHERE turns.message_id = m.id ORDER BY id DESC LIMIT 1;
            message_id := m.id; message_text := m.text;
            IF NOT FOUND THEN  -- stored for the person holding the session (0004_desk): no turn
                kind := 'held';
                RETURN NEXT;
                RETURN;
            END IF;
            turn_id := t.id;
            IF t.outcome <> 'pending' THEN
                SELECT * INTO r FROM messages WHERE id = t.reply_id;
                kind := 'replied'; reply := r.text; reply_agent := r.agent;
                vertical := t.vertical; confidence := t.confidence;
            ELSIF t.owner IS NOT DISTINCT FROM p_owner OR t.lease_until IS NULL OR t.lease_until < clock_timestamp() THEN
                UPDATE turns SET owner = p_owner, lease_until = clock_timestamp() + lease WHERE id = t.id;
                kind := 'resume';
                SELECT * INTO session, history FROM cc_turn_context(p_session, m.seq);
            ELSE
                kind := 'busy';
                retry_after_s := GREATEST(0.1, LEAST(2.0, extract(epoch FROM t.lease_until - clock_timestamp())));
            END IF;
            RETURN NEXT;
            RETURN;
        END IF;
    END IF;
    IF held IS NOT NULL AND p_text IS NOT NULL THEN  -- a person at the desk holds the session: store, no turn
        INSERT INTO messages (session_id, seq, role, text, client_id)
        SELECT p_session, COALESCE(MAX(seq), 0) + 1, 'user', p_text, p_client_id FROM messages
         WHERE session_id = p_session
        RETURNING * INTO m;
        kind := 'held'; message_id := m.id; message_text := m.text;
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT * INTO t FROM turns WHERE session_id = p_session AND outcome = 'pending';
    IF FOUND THEN
        turn_id := t.id;
        IF t.owner IS NOT DISTINCT FROM p_owner OR t.lease_until IS NULL OR t.lease_until < clock_timestamp() THEN
            UPDATE turns SET owner = p_owner, lease_until = clock_timestamp() + lease WHERE id = t.id;
            SELECT * INTO m FROM messages WHERE id = t.message_id;
            kind := 'recover'; message_id := m.id; message_text := m.text;
            SELECT * INTO session, history FROM cc_turn_context(p_session, m.seq);
        ELSE
            kind := 'busy';
            retry_after_s := GREATEST(0.1, LEAST(2.0, extract(epoch FROM t.lease_until - clock_timestamp())));
        END IF;
        RETURN NEXT;
        RETURN;
    END IF;
    IF p_text IS NULL THEN  -- only finishing what is pending (the sweeper, a resume)
        kind := 'idle';
        RETURN NEXT;
        RETURN;
    END IF;
    INSERT INTO messages (session_id, seq, role, text, client_id)
    SELECT p_session, COALESCE(MAX(seq), 0) + 1, 'user', p_text, p_client_id FROM messages WHERE session_id = p_session
    RETURNING * INTO m;
    INSERT INTO turns (session_id, message_id, owner, lease_until)
    VALUES (p_session, m.id, p_owner, clock_timestamp() + lease)
    RETURNING * INTO t;
    kind := 'new'; turn_id := t.id; message_id := m.id; message_text := m.text;
    SELECT * INTO session, history FROM cc_turn_context(p_session, m.seq);
    RETURN NEXT;
END
$$;
