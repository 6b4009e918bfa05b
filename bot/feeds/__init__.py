"""Feeds: news feeds whose new items develop tracked stories.

The pure core (no network, no database; callers bring the bytes and map records onto the dataclasses):

- `parse`: `parse_feed(body, content_type, url) -> ParsedFeed` (RSS 0.9x/1.0/2.0, Atom, JSON Feed).
- `identity`: `item_key(item)`, the dedupe key that survives reordering, re-dating and title edits.
- `match`: `Matcher.decide(item, candidates)`: development of a story, duplicate of a development, or unrelated.
- `filters`, `schedule`: include/exclude words, and when a feed is checked next.

The engine, on top of the fetcher and storage/feeds.py:

- `service`: `FeedService`, what `/feed` and `briefbot feed` call (add, list, remove, choices, why, poll_due);
  its results are in `results`, its closed sets in `outcomes`, and `replies` renders them.
- `poller`: the feeds tick (due rows, conditional GETs, failures, moves); `matching`: the matcher's state and
  what becomes of each new item.
"""
