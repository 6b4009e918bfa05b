-- Story pages walk stories newest-activity first and skip other servers' ones inside this covering index,
-- so a deep page costs an index walk instead of collecting and sorting every visible story.
CREATE INDEX stories_by_activity_scope ON stories (last_development_at DESC, id DESC, guild_id);
