"""Smoke test of `python -m bench.store`: tiny sizes, in-process; checks the figures exist and make sense."""

from __future__ import annotations

import math
from datetime import UTC

import pytest

from bench.articles import ArticleGenerator
from bench.store import StoreConfig, format_table, run
from bot.parser import parse_article


def test_generated_articles_parse_like_the_seed() -> None:
    first = list(ArticleGenerator(7).articles(5))
    assert [a.text for a in first] == [a.text for a in ArticleGenerator(7).articles(5)]  # deterministic
    assert len({a.slug for a in first}) == 5
    for article in first:
        story = parse_article(article.text.encode(), "generated", UTC)
        assert story.slug == article.slug
        assert story.reading_minutes is not None
        assert [s.kind.value for s in story.sections] == ["key_points", "why", "outcomes", "outlook"]
        assert len(story.key_points) == 3 and all(b.label for b in story.key_points)
        assert 2000 < len(article.text.encode()) < 4000


def test_store_bench_quick_in_process(tmp_path) -> None:
    config = StoreConfig(import_count=30, store_size=150, pool=10, lookups=40, warmup=5, build_batch=50)
    results = run(config, in_process=True, workdir=tmp_path)

    imported = results["import"]
    assert imported["created"] == imported["articles"] == 30
    assert imported["errors"] == 0
    assert imported["stories_rows"] == imported["fts_rows"] == 30
    assert imported["key_point_rows"] == 90
    for key in ("import_per_s", "parse_only_per_s", "store_only_per_s", "peak_rss_mib"):
        assert imported[key] > 0 and math.isfinite(imported[key])

    lookups = results["lookups"]
    assert lookups["store"]["created"] == lookups["store"]["stories_rows"] == 150
    store = lookups["store"]
    assert 2000 < store["text_bytes_per_story"] < 4000
    assert store["size_ratio"] == pytest.approx(store["db_bytes_per_story"] / store["text_bytes_per_story"])
    keypoints, autocomplete = lookups["keypoints"], lookups["autocomplete"]
    assert keypoints["count"] == autocomplete["count"] == 40
    assert keypoints["correct"] == 40  # every lookup by slug found its story and its key points
    assert autocomplete["non_empty"] >= 30  # slug prefixes always match; a title-word prefix may stem away
    assert autocomplete["exact_slug_first"] == autocomplete["exact_slug_checked"] == 40
    for summary in (keypoints, autocomplete):
        assert 0 < summary["p50_ms"] <= summary["p99_ms"] <= summary["max_ms"]

    table = format_table(results)
    assert "articles/s" in table and "p50/p99" in table
    assert not list(tmp_path.iterdir())  # temporary databases and files are removed
