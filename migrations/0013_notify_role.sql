-- A message's notification names its role (issue 14, CPU per turn). Every customer socket follows
-- its session for what a person at the desk writes ('agent' messages) and used to read each
-- notified message back to learn its role: two queries per turn (the customer's message and the
-- reply) that found nothing to deliver. With the role in the payload they are skipped; the desk,
-- which shows every message, still reads the row (payloads carry ids and the role, never text).
CREATE OR REPLACE FUNCTION callcenter_notify_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('callcenter_events',
        json_build_object('k', 'message', 's', NEW.session_id, 'm', NEW.id, 'r', NEW.role)::text);
    RETURN NULL;
END $$;
