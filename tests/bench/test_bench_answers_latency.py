"""Smoke tests of `python -m bench.answers` and `python -m bench.add_latency` (issue 9): tiny sizes; the work is
done and the figures exist. How good or fast they are is for the benchmarks to say."""

from __future__ import annotations

import math
from pathlib import Path

from bench import add_latency, answers


def test_answers_quick_imports_and_asks_every_question(tmp_path: Path) -> None:
    results = answers.run(answers.AnswersConfig.quick(), workdir=tmp_path)
    assert results["articles"] == 6 and results["import_errors"] == []
    assert results["as_written_share"] == 1.0, [r for r in results["article_rows"] if not r["ok"]]
    assert results["questions"] >= 18
    assert sum(f["questions"] for f in results["by_language"].values()) == results["questions"]
    assert all(q["got"] is None or isinstance(q["got"], str) for q in results["question_rows"])
    table = answers.format_table(results)
    assert "answered from the right section" in table and "imported as written" in table
    assert not list(tmp_path.iterdir())


def test_add_latency_quick_measures_calls_during_each_add(tmp_path: Path) -> None:
    config = add_latency.AddLatencyConfig(stories=20, shapes=("paragraphs",), modes=("inline", "process"), adds=1)
    results = add_latency.run(config, workdir=tmp_path)
    for mode in ("inline", "process"):
        figures = results["modes"][mode]["paragraphs"]
        assert figures["count"] >= 1, mode
        assert 0 < figures["p50_ms"] <= figures["max_ms"] and math.isfinite(figures["max_ms"]), mode
        assert figures["add_s_max"] > 0
    assert "parse process" in add_latency.format_table(results)
    assert not list(tmp_path.iterdir())
