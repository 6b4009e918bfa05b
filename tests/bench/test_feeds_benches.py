"""Smoke tests of bench.feeds_parse and bench.feeds_quality: tiny sizes, checking the work was done, not its speed."""

from __future__ import annotations

from bench import feeds_parse, feeds_quality


def test_feeds_parse_reads_every_item_and_refuses_every_bomb() -> None:
    results = feeds_parse.run(repeats=2)
    for figures in results["parse"].values():
        assert figures["items"] == feeds_parse.ITEMS and figures["items_per_s"] > 0
    assert set(results["bombs"]) == set(feeds_parse.BOMBS)
    for figures in results["bombs"].values():
        assert figures["reasons"] == ["entities"]
    table = feeds_parse.format_table(results)
    assert "items/s" in table and "refuse billion laughs" in table


def test_feeds_quality_replays_every_part_and_lists_its_errors() -> None:
    results = feeds_quality.run()
    assert results["parts"] == list(feeds_quality.PARTS)
    total = sum(results["by_part"][part]["items"] for part in feeds_quality.PARTS)
    assert total == results["all"]["items"] == len(results["rows"])
    wrong = feeds_quality.errors(results)
    assert all(row["item"] for row in wrong) and len(wrong) < len(results["rows"]) // 10
    assert "held_out" in feeds_quality.format_table(results)
