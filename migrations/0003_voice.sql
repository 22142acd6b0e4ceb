-- Voice channels: a session remembers the telephony call it belongs to (Twilio's callSid for a
-- live ConversationRelay call, the caller-supplied call_id for a finished transcript), so a
-- reconnecting relay resumes its session and a re-posted transcript is stored only once.
-- Unique per channel: the live call and its later transcript may share a call id.
ALTER TABLE sessions ADD COLUMN external_id text;
ALTER TABLE sessions ADD CONSTRAINT sessions_channel_external_id UNIQUE (channel, external_id);
