-- Customers' and the bot's messages are announced after their transaction commits, not by the
-- trigger (issue 14, all cores). NOTIFY takes one lock for the whole cluster from the notifying
-- transaction's pre-commit until after its commit record is flushed, so every transaction that
-- stored a message waited for the previous one's WAL fsync: a turn stores two (the customer's
-- message, the reply), and turns/s topped out near 1 / (2 x fsync) whatever the number of
-- workers (under load, 3.3 of 10 busy backends were waiting on that lock, wait event
-- Lock/object). The node now sends those notifications itself right after the commit
-- (ConversationStore's notifier: `SELECT pg_notify(...)` with no write, so no WAL flush under the
-- lock), a turn's customer message with its reply in one statement. A person's messages
-- ('agent', from the desk) and 'system' ones keep the trigger: few, and they must reach the
-- customer's socket at once.
DROP TRIGGER IF EXISTS messages_notify ON messages;
CREATE TRIGGER messages_notify AFTER INSERT ON messages
    FOR EACH ROW WHEN (NEW.role NOT IN ('user', 'assistant')) EXECUTE FUNCTION callcenter_notify_message();
