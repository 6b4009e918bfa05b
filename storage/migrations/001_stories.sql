-- Tracked stories, their sections and key points, their developments and where they came from.
CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    guild_id INTEGER,                          -- NULL: visible everywhere; else owned by one server
    title TEXT NOT NULL,
    dek TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL,
    lead_json TEXT NOT NULL DEFAULT '[]',     -- body paragraphs before the first heading
    published_at TEXT NOT NULL,                -- ISO 8601, UTC
    timezone_assumed INTEGER NOT NULL DEFAULT 0,
    reading_minutes INTEGER,
    source TEXT,
    url TEXT,
    tags_json TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_development_at TEXT NOT NULL
);
CREATE INDEX stories_by_scope_and_activity ON stories (guild_id, last_development_at DESC);
CREATE INDEX stories_by_activity ON stories (last_development_at DESC);

CREATE TABLE sections (
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    heading TEXT NOT NULL,
    kind TEXT NOT NULL,
    paragraphs_json TEXT NOT NULL,
    bullets_json TEXT NOT NULL,
    PRIMARY KEY (story_id, position)
) WITHOUT ROWID;

CREATE TABLE key_points (
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (story_id, position)
) WITHOUT ROWID;

-- A story's timeline: each development that followed the original article.
CREATE TABLE developments (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    headline TEXT NOT NULL,
    body TEXT NOT NULL,
    key_points_json TEXT NOT NULL DEFAULT '[]',
    url TEXT,
    source TEXT,
    published_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    UNIQUE (story_id, content_hash)
);
CREATE INDEX developments_by_story ON developments (story_id, published_at);
CREATE INDEX developments_by_creation ON developments (id, created_at);

-- Where each story or development came from, so re-imports are idempotent.
CREATE TABLE sources (
    origin TEXT PRIMARY KEY,                   -- e.g. "file:seeds/000_x.txt" or a feed entry id
    content_hash TEXT NOT NULL,
    story_id INTEGER REFERENCES stories (id) ON DELETE CASCADE,
    development_id INTEGER REFERENCES developments (id) ON DELETE CASCADE,
    imported_at TEXT NOT NULL
);
CREATE INDEX sources_by_story ON sources (story_id);
CREATE INDEX sources_by_hash ON sources (content_hash);

CREATE VIRTUAL TABLE story_search USING fts5 (
    title, sections, key_points,
    tokenize = 'porter unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);

-- Small key/value settings the bot keeps for itself (e.g. the command tree hash).
CREATE TABLE bot_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
