-- What the parser reads about an article that the stories table did not keep yet (issue 9).
-- date_assumed: the article gave no date, so published_at is when it was imported ("no date given; imported 30 Nov").
-- published_zone: the zone its date was written in: an IANA key, "UTC" or an offset like "+05:30".
-- author: the byline. extra_json: front matter keys briefbot does not use, as written: [["image", "/a.png"], ...].
-- Stories stored before this migration had a date (an undated article was refused then), written in UTC unless
-- their timezone was assumed; their zone is not known, so they keep the default 'UTC'.
ALTER TABLE stories ADD COLUMN date_assumed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stories ADD COLUMN published_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE stories ADD COLUMN author TEXT;
ALTER TABLE stories ADD COLUMN extra_json TEXT NOT NULL DEFAULT '[]';
