-- Search without a second copy of every text (issue 9). story_search kept each story's text twice (its own copy,
-- plus 2-, 3- and 4-letter prefix indexes over whole sections). Its replacement keeps no text (contentless) and
-- only titles get prefix indexes, for autocomplete. storage/search_index.py says what each entry holds; after
-- this file, the migration step there (`rebuild`) indexes the stored stories again, CJK text included.
DROP TABLE story_search;

CREATE VIRTUAL TABLE story_text USING fts5 (
    title, body,
    content = '',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE VIRTUAL TABLE story_titles USING fts5 (
    title,
    content = '',
    prefix = '2 3 4',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- How an imported file that is new (a copy, or a moved file) and edited finds its story: by the article's url,
-- else by its title (storage/story_import.py, StoryImport).
CREATE INDEX stories_by_url ON stories (url) WHERE url IS NOT NULL;
CREATE INDEX stories_by_title ON stories (title);
