-- The language a conversation is in (issue 9, languages as data files): written by the turn that
-- detects a change (callcenter/language/turn.py), read by the next turn, the agent desk and the
-- phone relay. NULL: nothing but the business's own language seen so far.
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS language text;
