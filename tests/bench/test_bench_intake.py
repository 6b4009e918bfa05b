"""Smoke test of `python -m bench.intake`: tiny sizes; the figures exist, and the corpus imports as written."""

from __future__ import annotations

import math

from bench.intake import IntakeConfig, format_table, huge_input, run
from bot.parser import MAX_ARTICLE_BYTES


def test_huge_inputs_are_just_under_the_limit() -> None:
    for shape in IntakeConfig().huge_shapes:
        data = huge_input(shape, MAX_ARTICLE_BYTES)
        assert MAX_ARTICLE_BYTES * 0.99 < len(data) <= MAX_ARTICLE_BYTES, shape


def test_intake_bench_quick() -> None:
    config = IntakeConfig(repeats=1, dates_per_kind=8, page_rounds=1, seed_articles=5, huge_shapes=("lines",))
    results = run(config)
    assert results["huge"]["lines"]["cpu_s"] > 0
    for kind, figures in results["dates"].items():
        if "per_s" in figures:
            assert figures["per_s"] > 0 and math.isfinite(figures["per_s"]), kind
    assert results["dates"]["first dates in a fresh process"]["restricted_ms"] > 0
    assert results["extract"]["distinct_pages"] >= 3 and results["extract"]["pages_per_s_cpu"] > 0
    assert results["seed"]["articles"] == 5
    corpus = results["corpus"]
    assert corpus["articles"] >= 30 and corpus["share"] == 1.0, [r for r in corpus["rows"] if not r["ok"]]
    table = format_table(results)
    assert "pages/s" in table and "dates/s" in table and "imported as written" in table
