"""Smoke tests of bench.commands, bench.digests and bench.follows (issues 3-5): their in-process parts with tiny
sizes. They check that the work was done (counts), not how fast; the bot-subprocess parts are left to the
benchmarks themselves."""

from __future__ import annotations

import math

from bench import commands, digests, follows


def _finite(value: float) -> bool:
    return value > 0 and math.isfinite(value)


def test_commands_handlers_on_a_small_store(tmp_path) -> None:
    config = commands.CommandsConfig(
        store_size=300, pool=10, build_batch=100, developed=20, heavy=10, calls=30, warmup=5, interactions=0
    )
    results = commands.run(config, with_bot=False, workdir=tmp_path)

    store = results["store"]
    assert store["created"] == store["stories_rows"] == 300
    assert store["developed_stories"] == 20 and store["heavy_stories"] == 10
    assert store["developments"] >= 20 + 10 * config.heavy_developments
    handlers = results["handlers"]
    for name in commands.HANDLERS:
        summary = handlers[name]
        assert summary["count"] == 30, name
        assert summary["user_errors"] == 0, name
        assert 0 < summary["p50_ms"] <= summary["p99_ms"] <= summary["max_ms"], name
        if name == "autocomplete":
            assert summary["non_empty"] >= 25  # slug prefixes always match
        else:
            assert summary["messages"] >= 30, name  # every call rendered a payload
            assert summary["embeds"] >= (15 if name == "ask" else 30), name  # "does not cover that" has none
    assert "bot" not in results
    assert "/story keypoints" in commands.format_table(results)
    assert not list(tmp_path.iterdir())
    # Show, keypoints and ask were also measured on the stories with many developments.
    for name in ("show", "keypoints", "ask"):
        assert handlers[name]["by_input"][f"{config.heavy_developments} developments"]["count"] > 0, name


def test_digests_compose_enqueues_every_due_digest_once(tmp_path) -> None:
    config = digests.DigestsConfig(schedules=60, stories=3, guild_stories=5)
    results = digests.run(config, parts=("compose",), in_process=True, workdir=tmp_path)

    compose = results["compose"]
    assert compose["slots_processed"] == 60
    assert compose["slots"] == {"sent": 60}
    assert compose["digests_enqueued"] == 60  # one digest per schedule
    assert compose["outbox_rows"] >= 60 and compose["outbox_counts"] == {"pending": compose["outbox_rows"]}
    assert compose["still_due"] == 0 and compose["second_run_processed"] == 0  # exactly once
    assert _finite(compose["process_due_s"]) and _finite(compose["peak_rss_mib"])
    assert "compose + enqueue 60 due digests" in digests.format_table(results)
    assert not list(tmp_path.iterdir())


def test_follows_fanout_enqueues_one_alert_per_unmuted_follower(tmp_path) -> None:
    config = follows.FollowsConfig(followers=300, muted_share=0.1)
    results = follows.run(config, parts=("fanout",), in_process=True, workdir=tmp_path)

    fanout = results["fanout"]
    kinds = fanout["follows"]
    assert kinds["user"] + kinds["channel"] == 300 and kinds["channel"] == 30
    assert kinds["muted"] > 0
    assert fanout["alerts_enqueued"] == 300 - kinds["muted"]
    assert fanout["held_alerts"] == kinds["muted"]
    by_kind = fanout["outbox_by_kind"]
    assert by_kind["channel"] == {"messages": 30, "targets": 30}
    assert by_kind["user"]["messages"] == by_kind["user"]["targets"] == 270 - kinds["muted"]
    assert fanout["second_run_enqueued"] == 0  # each development is alerted once
    assert _finite(fanout["total_s"]) and _finite(fanout["peak_rss_mib"])
    assert "followers' alerts enqueued" in follows.format_table(results)
    assert not list(tmp_path.iterdir())


def test_follows_mixed_fanout_routes_each_platforms_alerts_to_its_own_worker(tmp_path) -> None:
    config = follows.FollowsConfig(mixed_per_platform=200, muted_share=0.1)
    results = follows.run(config, parts=("mixed",), in_process=True, workdir=tmp_path)

    mixed = results["mixed"]
    discord, slack = mixed["followers"]["discord"], mixed["followers"]["slack"]
    assert discord["channel"] == slack["channel"] == 20 and slack["ping"] == 0
    routed = mixed["due_by_platform"]
    assert routed["discord"] == 200 - discord["muted"] and routed["slack"] == 200 - slack["muted"]
    assert mixed["alerts_enqueued"] == routed["discord"] + routed["slack"]
    assert "Discord + Slack followers' alerts enqueued" in follows.format_table(results)
    assert not list(tmp_path.iterdir())
