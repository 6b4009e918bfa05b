-- Platform-qualified ids (issue 11). Every server, workspace, channel, user and role id the store keeps becomes
-- text, "<platform>:<id>" (bot/ids.py): Slack's ids are strings, and two platforms' ids must never meet. Every
-- row written before this migration is Discord's. A platform's message ids (a Discord message id, a Slack `ts`)
-- belong to their channel and are kept as plain text. `guild_id` and `scope_guild_id` become `scope_id`: a
-- server or a workspace. The outbox says which platform's worker delivers each row.
--
-- SQLite cannot change a column's type in place: each table is rebuilt (new table, copy, drop, rename), with
-- foreign keys off while the migration runs (storage/database.py) and checked before it commits.
-- An integer id is a Discord one and gets 'discord:' in front; text (already qualified) and NULL stay as they are.

CREATE TABLE stories_new (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    scope_id TEXT,                             -- NULL: visible everywhere; else owned by one server or workspace
    title TEXT NOT NULL,
    dek TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL,
    lead_json TEXT NOT NULL DEFAULT '[]',
    published_at TEXT NOT NULL,
    timezone_assumed INTEGER NOT NULL DEFAULT 0,
    reading_minutes INTEGER,
    source TEXT,
    url TEXT,
    tags_json TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_development_at TEXT NOT NULL,
    date_assumed INTEGER NOT NULL DEFAULT 0,
    published_zone TEXT NOT NULL DEFAULT 'UTC',
    author TEXT,
    extra_json TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO stories_new (
    id, slug, scope_id, title, dek, summary, lead_json, published_at, timezone_assumed, reading_minutes, source,
    url, tags_json, created_at, updated_at, last_development_at, date_assumed, published_zone, author, extra_json
)
SELECT
    id, slug, CASE WHEN typeof(guild_id) = 'integer' THEN 'discord:' || guild_id ELSE guild_id END, title, dek,
    summary, lead_json, published_at, timezone_assumed, reading_minutes, source, url, tags_json, created_at,
    updated_at, last_development_at, date_assumed, published_zone, author, extra_json
FROM stories;
DROP TABLE stories;
ALTER TABLE stories_new RENAME TO stories;
CREATE INDEX stories_by_scope_and_activity ON stories (scope_id, last_development_at DESC);
CREATE INDEX stories_by_activity ON stories (last_development_at DESC);
CREATE INDEX stories_by_activity_scope ON stories (last_development_at DESC, id DESC, scope_id);
CREATE INDEX stories_by_url ON stories (url) WHERE url IS NOT NULL;
CREATE INDEX stories_by_title ON stories (title);

CREATE TABLE digest_schedules_new (
    id INTEGER PRIMARY KEY,
    audience_kind TEXT NOT NULL CHECK (audience_kind IN ('guild', 'user')),
    audience_id TEXT NOT NULL,                 -- a server/workspace, or a user
    scope_id TEXT,                             -- whose stories the digest shows (NULL: global only)
    channel_id TEXT,                           -- server digests post here; user digests go by DM
    time_of_day TEXT NOT NULL,
    timezone TEXT NOT NULL,
    days TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    next_fire_at TEXT,
    next_slot_date TEXT,
    last_digest_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (audience_kind, audience_id)
);
INSERT INTO digest_schedules_new (
    id, audience_kind, audience_id, scope_id, channel_id, time_of_day, timezone, days, enabled, next_fire_at,
    next_slot_date, last_digest_at, created_at, updated_at
)
SELECT
    id, audience_kind,
    CASE WHEN typeof(audience_id) = 'integer' THEN 'discord:' || audience_id ELSE audience_id END,
    CASE WHEN typeof(scope_guild_id) = 'integer' THEN 'discord:' || scope_guild_id ELSE scope_guild_id END,
    CASE WHEN typeof(channel_id) = 'integer' THEN 'discord:' || channel_id ELSE channel_id END,
    time_of_day, timezone, days, enabled, next_fire_at, next_slot_date, last_digest_at, created_at, updated_at
FROM digest_schedules;
DROP TABLE digest_schedules;
ALTER TABLE digest_schedules_new RENAME TO digest_schedules;
CREATE INDEX digest_schedules_due ON digest_schedules (next_fire_at) WHERE enabled = 1;

CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    nonce TEXT NOT NULL,
    kind TEXT NOT NULL,
    ref TEXT,
    platform TEXT NOT NULL,                    -- whose worker delivers it: the target's platform
    target_kind TEXT NOT NULL CHECK (target_kind IN ('channel', 'user')),
    target_id TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    message_id TEXT                            -- the platform's own id for the message (a Slack `ts`)
);
INSERT INTO outbox_new (
    id, dedupe_key, nonce, kind, ref, platform, target_kind, target_id, payload_json, status, attempts,
    next_attempt_at, last_error, created_at, finished_at, message_id
)
SELECT
    id, dedupe_key, nonce, kind, ref,
    CASE WHEN typeof(target_id) = 'integer' THEN 'discord' ELSE substr(target_id, 1, instr(target_id, ':') - 1) END,
    target_kind,
    CASE WHEN typeof(target_id) = 'integer' THEN 'discord:' || target_id ELSE target_id END,
    payload_json, status, attempts, next_attempt_at, last_error, created_at, finished_at, CAST(message_id AS TEXT)
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
-- Each platform's worker claims its own due rows by walking this index.
CREATE INDEX outbox_due ON outbox (platform, next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_by_ref ON outbox (ref, id);

CREATE TABLE dm_channels_new (
    user_id TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL
);
INSERT INTO dm_channels_new (user_id, channel_id)
SELECT
    CASE WHEN typeof(user_id) = 'integer' THEN 'discord:' || user_id ELSE user_id END,
    CASE WHEN typeof(channel_id) = 'integer' THEN 'discord:' || channel_id ELSE channel_id END
FROM dm_channels;
DROP TABLE dm_channels;
ALTER TABLE dm_channels_new RENAME TO dm_channels;

CREATE TABLE closed_dms_new (
    user_id TEXT PRIMARY KEY,
    closed_at TEXT NOT NULL,
    notified INTEGER NOT NULL DEFAULT 0
);
INSERT INTO closed_dms_new (user_id, closed_at, notified)
SELECT CASE WHEN typeof(user_id) = 'integer' THEN 'discord:' || user_id ELSE user_id END, closed_at, notified
FROM closed_dms;
DROP TABLE closed_dms;
ALTER TABLE closed_dms_new RENAME TO closed_dms;

CREATE TABLE follows_new (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    follower_kind TEXT NOT NULL CHECK (follower_kind IN ('user', 'channel')),
    follower_id TEXT NOT NULL,
    scope_id TEXT,                              -- where a channel follow lives
    ping_role_id TEXT,
    since_development_id INTEGER NOT NULL DEFAULT 0,
    muted_until TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (story_id, follower_kind, follower_id)
);
INSERT INTO follows_new (
    id, story_id, follower_kind, follower_id, scope_id, ping_role_id, since_development_id, muted_until, created_at
)
SELECT
    id, story_id, follower_kind,
    CASE WHEN typeof(follower_id) = 'integer' THEN 'discord:' || follower_id ELSE follower_id END,
    CASE WHEN typeof(guild_id) = 'integer' THEN 'discord:' || guild_id ELSE guild_id END,
    CASE WHEN typeof(ping_role_id) = 'integer' THEN 'discord:' || ping_role_id ELSE ping_role_id END,
    since_development_id, muted_until, created_at
FROM follows;
DROP TABLE follows;
ALTER TABLE follows_new RENAME TO follows;
CREATE INDEX follows_by_follower ON follows (follower_kind, follower_id);

CREATE TABLE story_threads_new (
    channel_id TEXT NOT NULL,
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    card_message_id TEXT,                       -- the platform's message id (a Slack `ts`)
    thread_id TEXT,                             -- a Discord thread's id, a Slack thread's `ts`
    PRIMARY KEY (channel_id, story_id)
) WITHOUT ROWID;
INSERT INTO story_threads_new (channel_id, story_id, card_message_id, thread_id)
SELECT
    CASE WHEN typeof(channel_id) = 'integer' THEN 'discord:' || channel_id ELSE channel_id END,
    story_id, CAST(card_message_id AS TEXT), CAST(thread_id AS TEXT)
FROM story_threads;
DROP TABLE story_threads;
ALTER TABLE story_threads_new RENAME TO story_threads;

CREATE TABLE feeds_new (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    scope_id TEXT,                              -- NULL: a global feed (the operator's, from the CLI)
    channel_id TEXT,                            -- where it was added: a disabled feed is announced there
    story_id INTEGER REFERENCES stories (id) ON DELETE CASCADE,
    every_minutes INTEGER NOT NULL CHECK (every_minutes BETWEEN 5 AND 1440),
    include_json TEXT NOT NULL DEFAULT '[]',
    exclude_json TEXT NOT NULL DEFAULT '[]',
    title TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    next_check_at TEXT,
    last_fetch_at TEXT,
    last_status INTEGER,
    failure_count INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    disabled_at TEXT,
    disabled_reason TEXT,
    created_at TEXT NOT NULL,
    item_count INTEGER NOT NULL DEFAULT 0
);
INSERT INTO feeds_new (
    id, url, scope_id, channel_id, story_id, every_minutes, include_json, exclude_json, title, etag, last_modified,
    next_check_at, last_fetch_at, last_status, failure_count, last_error, disabled_at, disabled_reason, created_at,
    item_count
)
SELECT
    id, url,
    CASE WHEN typeof(guild_id) = 'integer' THEN 'discord:' || guild_id ELSE guild_id END,
    CASE WHEN typeof(channel_id) = 'integer' THEN 'discord:' || channel_id ELSE channel_id END,
    story_id, every_minutes, include_json, exclude_json, title, etag, last_modified, next_check_at, last_fetch_at,
    last_status, failure_count, last_error, disabled_at, disabled_reason, created_at, item_count
FROM feeds;
DROP TABLE feeds;
ALTER TABLE feeds_new RENAME TO feeds;
-- One feed per URL per server or workspace ('' never is a qualified id).
CREATE UNIQUE INDEX feeds_by_scope_url ON feeds (COALESCE(scope_id, ''), url);
CREATE INDEX feeds_by_scope ON feeds (scope_id, id);
CREATE INDEX feeds_due ON feeds (next_check_at) WHERE next_check_at IS NOT NULL;

-- A link a server added is kept under an origin that names the server (bot/intake.py, link_origin): the same
-- link added again must find the same story, so the origin names the qualified server too.
UPDATE sources SET origin = 'server:discord:' || substr(origin, 8)
WHERE origin GLOB 'server:[0-9]*:url:*';

-- A queued alert names the role it pings in its payload (bot/payloads.py): qualified like the follow's.
UPDATE outbox
SET payload_json = json_set(payload_json, '$.ping_role_id', 'discord:' || json_extract(payload_json, '$.ping_role_id'))
WHERE json_valid(payload_json) AND json_type(payload_json, '$.ping_role_id') = 'integer';
