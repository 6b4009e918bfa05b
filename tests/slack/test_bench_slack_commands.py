"""Smoke test of `python -m bench.slack_commands`: tiny sizes; every command answered, figures present."""

from __future__ import annotations

from pathlib import Path

from bench.commands import CommandsConfig
from bench.slack_commands import COMMANDS, SlackCommandsConfig, format_table, run


def test_slack_commands_bench_quick(tmp_path: Path) -> None:
    store = CommandsConfig(store_size=300, pool=20, developed=20, heavy=10, heavy_developments=3, build_batch=100)
    config = SlackCommandsConfig(store=store, calls=20, warmup=2, round_trips=3)
    results = run(config, workdir=tmp_path)
    assert results["store"]["workspace_visible"] > 0
    for name in COMMANDS:
        handler = results["handlers"][name]
        assert handler["count"] == 20 and handler["messages"] >= 20  # every command answered at least once
        assert 0 < handler["p50_ms"] <= handler["p99_ms"] <= handler["max_ms"]
        assert 0 <= handler["cpu"]["p50_ms"] <= handler["cpu"]["p99_ms"]
        assert results["round_trip"][name]["count"] == 3
    assert results["handlers"]["show"]["private_answers"] == 0  # slugs of visible stories: all found
    assert "/story ask: handler" in format_table(results)
    assert not list(tmp_path.iterdir())
