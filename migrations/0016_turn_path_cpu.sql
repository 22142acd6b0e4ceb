-- The turn path in fewer statements and fewer index writes (issue 14, CPU per turn).
--
-- A new turn in cc_begin_turn ran six statements after the session lock (store the message, open
-- the turn, then cc_turn_context: a SQL function whose body PostgreSQL parses and plans again on
-- every call from PL/pgSQL, and its two reads). The message, the turn and the context are now one
-- statement with plans PL/pgSQL caches. Same decisions, same results (0007 documents them).
--
-- Two indexes of `turns` were written on every turn and read almost never:
--   turns_pending_lease   the sweeper's "pending, lease expired" scan: the partial unique index
--                         turns_one_pending_per_session holds exactly the pending turns (at most one
--                         per session), so the sweeper scans that one instead;
--   turns_message         a resent client_id's turn: found by (session_id, message_id) through
--                         turns_session, among that one session's turns.
-- Each turn inserted into both and, when it finished (an UPDATE that cannot be HOT: it changes
-- `outcome`), into turns_message again.
DROP INDEX IF EXISTS turns_pending_lease;
DROP INDEX IF EXISTS turns_message;

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
            SELECT * INTO t FROM turns WHERE turns.session_id = p_session AND turns.message_id = m.id ORDER BY id DESC LIMIT 1;
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
    -- The message, its turn and what the turn starts from (cc_turn_context's two reads, inlined so
    -- PL/pgSQL caches their plans), in one statement: its snapshot predates the insert, so the
    -- history is every earlier message, as before.
    WITH nm AS (
        INSERT INTO messages (session_id, seq, role, text, client_id)
        SELECT p_session, COALESCE(MAX(x.seq), 0) + 1, 'user', p_text, p_client_id FROM messages x
         WHERE x.session_id = p_session
        RETURNING messages.id, messages.text),
    nt AS (
        INSERT INTO turns (session_id, message_id, owner, lease_until)
        SELECT p_session, nm.id, p_owner, clock_timestamp() + lease FROM nm
        RETURNING turns.id)
    SELECT nt.id, nm.id, nm.text,
           (SELECT to_jsonb(s) || jsonb_build_object('customer_name', c.full_name)
              FROM sessions s LEFT JOIN customers c ON c.id = s.customer_id WHERE s.id = p_session),
           (SELECT COALESCE(jsonb_agg(jsonb_build_array(h.role, h.text) ORDER BY h.seq), '[]'::jsonb)
              FROM (SELECT y.role, y.text, y.seq FROM messages y WHERE y.session_id = p_session
                    ORDER BY y.seq DESC LIMIT 19) h)
      INTO turn_id, message_id, message_text, session, history
      FROM nm, nt;
    kind := 'new';
    RETURN NEXT;
END
$$;
