"""Smoke test of `python -m bench.feeds` (issue 10): tiny sizes, in-process parts; it checks that the work was done
(every feed polled, every item decided, every follower alerted), not how fast."""

from __future__ import annotations

import dataclasses
import math

from bench import feeds
from bench.articles import ArticleGenerator
from bench.feedsite import Content, SiteSpec, title_parts


def test_the_site_reads_every_generated_title_and_lists_new_items_per_version() -> None:
    titles = tuple(article.title for article in ArticleGenerator(7).articles(40))
    for title in titles:
        parts = title_parts(title)
        assert parts["place"] in title and parts["Topic"] in title
        assert len({"person", "org", "org2"} & parts.keys()) >= 2, (title, parts)
    content = Content(SiteSpec(3, titles=titles, development_share=1.0, story_per_feed=True))
    first, second = content.entries(1, 0, None), content.entries(1, 1, None)
    assert len(first) == len(second) == 50
    assert [e.guid for e in second[5:]] == [e.guid for e in first[:45]]  # 5 new on top, the oldest 5 gone
    assert all(title_parts(titles[1])["place"] in e.title for e in second[:5])  # feed 1 develops story 1


def test_feeds_bench_quick_in_process(tmp_path) -> None:
    config = dataclasses.replace(
        feeds.FeedsConfig.quick(), unchanged_feeds=120, changed_feeds=20, stories=100, article_feeds=4, followers=5,
        spread_s=2.0,
    )  # fmt: skip
    results = feeds.run(config, in_process=True, workdir=tmp_path)

    unchanged = results["unchanged"]
    assert unchanged["answers_304"] == unchanged["report"]["not_modified"] == 120
    assert unchanged["answers_200"] == unchanged["report"]["failed"] == 0
    assert unchanged["cpu_s"] > 0 and math.isfinite(unchanged["peak_rss_mib"])

    changed = results["changed"]
    for name in ("first", "second"):
        report = changed[name]["report"]
        assert report["feeds"] == 20 and report["failed"] == 0, report
        assert report["new_items"] == 20 * 5 and changed[name]["answers_200"] == 20
        assert report["developments"] + report["duplicates"] > 0
    articles = changed["with_articles"]
    assert articles["report"]["new_items"] == articles["articles_fetched"] == 4 * 5

    latency = results["latency"]
    assert latency["alerted"] == latency["feeds"] == 2
    assert latency["outbox"] == {"pending": 2 * 5}  # every follower of both stories, once
    assert all(0 < s < 60 for s in latency["latency_s"])
    assert all(s > 0 for s in latency["after_scheduled_check_s"])  # never alerted before its own feed's check

    table = feeds.format_table(results)
    assert "unchanged round" in table and "items/s" in table and "after the scheduled check" in table
    assert not list(tmp_path.iterdir())
