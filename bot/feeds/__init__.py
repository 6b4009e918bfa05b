"""Feeds' pure core: parsing feed bytes, item identity, and matching items to stories.

Nothing here fetches or stores anything; callers bring the bytes and map storage records onto the dataclasses.

- `parse`: `parse_feed(body, content_type, url) -> ParsedFeed` (RSS 0.9x/1.0/2.0, Atom, JSON Feed).
- `identity`: `item_key(item)`, the dedupe key that survives reordering, re-dating and title edits.
- `match`: `Matcher.decide(item, candidates)`: development of a story, duplicate of a development, or unrelated.
"""
