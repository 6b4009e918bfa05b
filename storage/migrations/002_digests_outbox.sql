-- Digest schedules (one per server, one per user who asks), the slots they processed, and the outbox.
CREATE TABLE digest_schedules (
    id INTEGER PRIMARY KEY,
    audience_kind TEXT NOT NULL CHECK (audience_kind IN ('guild', 'user')),
    audience_id INTEGER NOT NULL,
    scope_guild_id INTEGER,                    -- whose stories the digest shows (NULL: global only)
    channel_id INTEGER,                        -- guild digests post here; user digests go by DM
    time_of_day TEXT NOT NULL,                 -- HH:MM
    timezone TEXT NOT NULL,                    -- IANA name
    days TEXT NOT NULL,                        -- "mon,tue,..."
    enabled INTEGER NOT NULL DEFAULT 1,
    next_fire_at TEXT,                         -- UTC instant of the next slot
    next_slot_date TEXT,                       -- that slot's local date (its identity)
    last_digest_at TEXT,                       -- what "new since the last digest" is measured from
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (audience_kind, audience_id)
);
CREATE INDEX digest_schedules_due ON digest_schedules (next_fire_at) WHERE enabled = 1;

CREATE TABLE digest_slots (
    schedule_id INTEGER NOT NULL REFERENCES digest_schedules (id) ON DELETE CASCADE,
    slot_date TEXT NOT NULL,
    status TEXT NOT NULL,                      -- sent | empty | skipped
    detail TEXT NOT NULL DEFAULT '',
    fire_at TEXT NOT NULL,
    processed_at TEXT NOT NULL,
    PRIMARY KEY (schedule_id, slot_date)
) WITHOUT ROWID;

-- Everything the bot posts on its own. A row is pending until delivered or permanently failed.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    nonce TEXT NOT NULL,
    kind TEXT NOT NULL,                        -- digest | alert | ...
    ref TEXT,                                  -- what it belongs to, e.g. "schedule:12"
    target_kind TEXT NOT NULL CHECK (target_kind IN ('channel', 'user')),
    target_id INTEGER NOT NULL,
    payload_json TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',    -- pending | sent | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    message_id INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_by_ref ON outbox (ref, id);

-- DM channels the bot opened, and users whose DMs are closed (50007), so nobody is retried daily.
CREATE TABLE dm_channels (
    user_id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL
);
CREATE TABLE closed_dms (
    user_id INTEGER PRIMARY KEY,
    closed_at TEXT NOT NULL,
    notified INTEGER NOT NULL DEFAULT 0
);
