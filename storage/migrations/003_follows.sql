-- Who follows which story, what each story's alerts have covered, threads opened per channel, held alerts.
CREATE TABLE follows (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    follower_kind TEXT NOT NULL CHECK (follower_kind IN ('user', 'channel')),
    follower_id INTEGER NOT NULL,
    guild_id INTEGER,                           -- where a channel follow lives
    ping_role_id INTEGER,
    since_development_id INTEGER NOT NULL DEFAULT 0,  -- developments up to here predate the follow
    muted_until TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (story_id, follower_kind, follower_id)
);
CREATE INDEX follows_by_follower ON follows (follower_kind, follower_id);

-- How far each story's developments have been fanned out, and when its last alert went.
CREATE TABLE story_alerts (
    story_id INTEGER PRIMARY KEY REFERENCES stories (id) ON DELETE CASCADE,
    alerted_through_id INTEGER NOT NULL DEFAULT 0,
    last_alert_at TEXT
);

-- Alerts held while a follower is muted; released into their next digest or one catch-up message.
CREATE TABLE held_alerts (
    follow_id INTEGER NOT NULL REFERENCES follows (id) ON DELETE CASCADE,
    development_id INTEGER NOT NULL REFERENCES developments (id) ON DELETE CASCADE,
    PRIMARY KEY (follow_id, development_id)
) WITHOUT ROWID;

-- A channel's card message and thread for a story: later alerts go into the thread.
CREATE TABLE story_threads (
    channel_id INTEGER NOT NULL,
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    card_message_id INTEGER,
    thread_id INTEGER,
    PRIMARY KEY (channel_id, story_id)
) WITHOUT ROWID;
