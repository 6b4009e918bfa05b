-- Feeds: what is polled, when, and what became of every item seen (issue 10). A feed belongs to one server
-- (guild_id) or is global (NULL, added from the CLI); every query is scoped by it.
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,                          -- where it is polled; a permanent redirect moves it
    guild_id INTEGER,                           -- NULL: a global feed (the operator's, from the CLI)
    channel_id INTEGER,                         -- where it was added: a disabled feed is announced there
    story_id INTEGER REFERENCES stories (id) ON DELETE CASCADE,  -- a source for this story only; NULL: any
    every_minutes INTEGER NOT NULL CHECK (every_minutes BETWEEN 5 AND 1440),
    include_json TEXT NOT NULL DEFAULT '[]',    -- plain words or phrases, never patterns
    exclude_json TEXT NOT NULL DEFAULT '[]',
    title TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    next_check_at TEXT,                         -- UTC; NULL when disabled
    last_fetch_at TEXT,
    last_status INTEGER,                        -- HTTP status of the last fetch, NULL when it failed before one
    failure_count INTEGER NOT NULL DEFAULT 0,   -- failures in a row
    last_error TEXT,                            -- why the last fetch failed; NULL after a success
    disabled_at TEXT,
    disabled_reason TEXT,
    created_at TEXT NOT NULL,
    item_count INTEGER NOT NULL DEFAULT 0
);
-- One feed per URL per server (0 never is a server's id).
CREATE UNIQUE INDEX feeds_by_scope_url ON feeds (COALESCE(guild_id, 0), url);
CREATE INDEX feeds_by_guild ON feeds (guild_id, id);
-- The tick claims due feeds by walking this index.
CREATE INDEX feeds_due ON feeds (next_check_at) WHERE next_check_at IS NOT NULL;

-- Every item ever seen, per feed: the dedupe memory (unbounded; survives restarts) and `/feed why`'s evidence.
CREATE TABLE feed_items (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    item_key TEXT NOT NULL,                     -- bot.feeds.identity.item_key
    link TEXT,                                  -- http(s) only
    link_key TEXT,                              -- the normalised link, which `/feed why <link>` looks up
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',           -- kept to rebuild the matcher's statistics at start
    outlet TEXT,
    published_at TEXT,
    first_seen_at TEXT NOT NULL,
    outcome TEXT NOT NULL,                      -- bot.feeds.service.ItemOutcome
    story_id INTEGER REFERENCES stories (id) ON DELETE SET NULL,
    development_id INTEGER REFERENCES developments (id) ON DELETE SET NULL,
    score REAL,
    best_story_id INTEGER REFERENCES stories (id) ON DELETE SET NULL,
    best_score REAL,
    reason TEXT NOT NULL DEFAULT '',
    filter_word TEXT,                           -- the include or exclude word that filtered it
    article_note TEXT,                          -- why the linked article was not read, when it was not
    UNIQUE (feed_id, item_key)
);
CREATE INDEX feed_items_by_link ON feed_items (link_key) WHERE link_key IS NOT NULL;
CREATE INDEX feed_items_by_feed_seen ON feed_items (feed_id, first_seen_at);

-- "Also reported by": other outlets' items that were duplicates of a development.
CREATE TABLE development_reports (
    development_id INTEGER NOT NULL REFERENCES developments (id) ON DELETE CASCADE,
    outlet TEXT NOT NULL,
    link TEXT,
    reported_at TEXT NOT NULL,
    PRIMARY KEY (development_id, outlet)
) WITHOUT ROWID;
