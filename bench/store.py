"""Benchmark of the story store: file import throughput, key-point and autocomplete latency, peak RSS.

    python -m bench.store            # full run: import 10,000 files; lookups on a 100,000-story store
    python -m bench.store --quick    # smoke run with small sizes

Each part runs in its own subprocess so its peak RSS is its own. Results are printed as a table and
written as JSON to bench/results/store.json (store-quick.json for --quick).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import json
import math
import os
import platform
import random
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.articles import ArticleGenerator

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

TARGET_IMPORT_PER_S = 2000.0
TARGET_P99_MS = 5.0
TARGET_SIZE_RATIO = 3.0  # database bytes per story, over the story's article text
VIEWER = "discord:1"  # the server the lookups are made from
OTHER_GUILD = "discord:2"


@dataclasses.dataclass(frozen=True, slots=True)
class StoreConfig:
    import_count: int = 10_000
    store_size: int = 100_000
    pool: int = 1_000  # parsed generated articles the big store's bodies are drawn from
    lookups: int = 2_000
    warmup: int = 50
    build_batch: int = 1_000
    seed: int = 2024

    @classmethod
    def quick(cls) -> StoreConfig:
        return cls(import_count=1_000, store_size=10_000, pool=200, lookups=500, warmup=20)


# --- helpers ---------------------------------------------------------------------------------------


def ru_maxrss_mib() -> float:
    """getrusage(RUSAGE_SELF).ru_maxrss (KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def peak_rss_mib() -> float:
    """Peak resident set size of this process.

    On Linux, VmHWM from /proc/self/status: ru_maxrss of a child started by fork/vfork + exec also counts
    the parent's peak (it was 311 MiB in a child of a 311 MiB parent; VmHWM said 11 MiB). Elsewhere ru_maxrss."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return ru_maxrss_mib()
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else ru_maxrss_mib()


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_summary(samples_s: list[float]) -> dict[str, float]:
    values = sorted(s * 1000 for s in samples_s)
    return {
        "count": len(values),
        "p50_ms": percentile(values, 0.50),
        "p90_ms": percentile(values, 0.90),
        "p99_ms": percentile(values, 0.99),
        "max_ms": values[-1] if values else math.nan,
        "mean_ms": sum(values) / len(values) if values else math.nan,
    }


# --- part 1: import files through the real path ----------------------------------------------------


async def bench_import(config: StoreConfig, workdir: Path) -> dict[str, Any]:
    from bot.importer import BATCH_SIZE, ImportItem, article_files, import_paths, read_article_file
    from bot.parser import parse_article
    from storage.database import Database
    from storage.stories import ImportStatus, StoryRepository

    folder = workdir / "articles"
    folder.mkdir(parents=True)
    generator = ArticleGenerator(config.seed)
    started = time.perf_counter()
    total_bytes = 0
    for number, article in enumerate(generator.articles(config.import_count)):
        data = article.text.encode("utf-8")
        total_bytes += len(data)
        (folder / f"{number:06d}.txt").write_bytes(data)
    generate_s = time.perf_counter() - started

    # The real path: folder -> import_paths -> SQLite file (stories, sections, key points, FTS5, sources).
    db_path = workdir / "import.db"
    async with Database.open(db_path) as db:
        stories = StoryRepository(db)
        started = time.perf_counter()
        report = await import_paths(stories, [folder], UTC)
        import_s = time.perf_counter() - started
        created = report.count(ImportStatus.CREATED)
        totals = await stories.totals()
    rss_after_import = peak_rss_mib()
    db_bytes = sum(p.stat().st_size for p in workdir.glob("import.db*"))

    # Where the time goes: parsing alone (bytes already in memory), then storing alone (pre-parsed).
    files, _ = article_files([folder])
    parse_s = 0.0
    store_s = 0.0
    async with Database.open(workdir / "store-only.db") as db:
        stories = StoryRepository(db)
        for start in range(0, len(files), BATCH_SIZE):
            chunk = [(path, read_article_file(path)) for path in files[start : start + BATCH_SIZE]]
            begin = time.perf_counter()
            parsed = [ImportItem(f"file:{path}", parse_article(data, str(path), UTC)) for path, data in chunk]
            parse_s += time.perf_counter() - begin
            begin = time.perf_counter()
            await stories.import_stories(parsed)
            store_s += time.perf_counter() - begin

    count = config.import_count
    return {
        "articles": count,
        "article_bytes_mean": total_bytes / count if count else 0,
        "generate_s": generate_s,
        "import_s": import_s,
        "import_per_s": count / import_s if import_s else math.inf,
        "created": created,
        "errors": len(report.errors),
        "stories_rows": totals.stories,
        "fts_rows": totals.indexed,
        "key_point_rows": totals.key_points,
        "db_mib": db_bytes / (1024 * 1024),
        "db_bytes_per_story": db_bytes / count if count else 0,
        "parse_only_s": parse_s,
        "parse_only_per_s": count / parse_s if parse_s else math.inf,
        "store_only_s": store_s,
        "store_only_per_s": count / store_s if store_s else math.inf,
        "peak_rss_mib_after_import": rss_after_import,
    }


# --- part 2: lookups on a big store ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Stored:
    slug: str
    title: str
    first_key_point: str
    visible: bool


def _pool(config: StoreConfig, generator: ArticleGenerator) -> tuple[list[Any], list[int]]:
    """The parsed pool articles, and each one's text size in bytes."""
    from bot.parser import parse_article

    texts = [article.text.encode("utf-8") for article in generator.articles(config.pool)]
    return [parse_article(data, f"pool:{number}", UTC) for number, data in enumerate(texts)], [len(t) for t in texts]


async def _build_store(config: StoreConfig, db_path: Path) -> tuple[list[_Stored], dict[str, Any]]:
    """100k varied stories: unique generated titles/slugs over bodies of a pool of parsed generated articles,
    key points mixed from the pool's bullets, 10% owned by the viewer's guild, 10% by another guild."""
    from storage.database import Database
    from storage.stories import ImportItem, ImportStatus, StoryRepository

    rng = random.Random(config.seed + 1)
    generator = ArticleGenerator(config.seed + 1)
    started = time.perf_counter()
    pool, pool_bytes = _pool(config, generator)
    bullets = [b for story in pool for s in story.sections for b in s.bullets]
    pool_s = time.perf_counter() - started

    stored: list[_Stored] = []
    created = 0
    text_bytes = 0
    started = time.perf_counter()
    async with Database.open(db_path) as db:
        repo = StoryRepository(db)
        for start in range(0, config.store_size, config.build_batch):
            items = []
            for number in range(start, min(start + config.build_batch, config.store_size)):
                title, slug = generator.title()
                base = pool[number % len(pool)]
                text_bytes += pool_bytes[number % len(pool)]
                points = tuple(rng.sample(bullets, 3))
                story = dataclasses.replace(
                    base,
                    slug=slug,
                    title=title,
                    key_points=points,
                    content_hash=hashlib.sha256(f"{number}\n{title}".encode()).hexdigest(),
                )
                draw = rng.random()
                guild = VIEWER if draw < 0.1 else OTHER_GUILD if draw < 0.2 else None
                items.append(ImportItem(f"bench:{number}", story, guild))
                stored.append(_Stored(slug, title, points[0].text, guild != OTHER_GUILD))
            outcomes = await repo.import_stories(items)
            created += sum(1 for o in outcomes if o.status is ImportStatus.CREATED)
        rows = (await repo.totals()).stories
    build_s = time.perf_counter() - started
    db_bytes = sum(p.stat().st_size for p in db_path.parent.glob(db_path.name + "*"))
    return stored, {
        "stories": config.store_size,
        "created": created,
        "stories_rows": rows,
        "built_with": (
            f"StoryRepository.import_stories in batches of {config.build_batch} (same SQL and FTS5 indexing as "
            f"the file import); pre-parsed stories = unique generated titles/slugs over the bodies of "
            f"{config.pool} parsed generated articles, 3 key points sampled from their bullets; "
            "80% global, 10% viewer's guild, 10% another guild"
        ),
        "pool_parse_s": pool_s,
        "build_s": build_s,
        "build_per_s": config.store_size / build_s if build_s else math.inf,
        "db_mib": db_bytes / (1024 * 1024),
        "db_bytes_per_story": db_bytes / config.store_size,
        # The text a story was parsed from (its pool article's file): what "N times the text" is measured against.
        "text_bytes_per_story": text_bytes / config.store_size,
        "size_ratio": db_bytes / text_bytes if text_bytes else math.inf,
    }


_TOKEN = re.compile(r"[a-z0-9]+")


def _prefix(rng: random.Random, story: _Stored) -> tuple[str, str]:
    """A 2-5 character prefix a user would type: of the slug, or of one of the title's words."""
    if rng.random() < 0.5:
        return "slug", story.slug[: rng.randint(2, 5)]
    candidates = [w for w in _TOKEN.findall(story.title.lower()) if len(w) >= 2]
    word = rng.choice(candidates)
    return "title word", word[: rng.randint(2, min(5, len(word)))]


async def bench_lookups(config: StoreConfig, workdir: Path) -> dict[str, Any]:
    from storage.database import Database
    from storage.stories import StoryRepository

    db_path = workdir / "store.db"
    stored, build = await _build_store(config, db_path)
    rss_after_build = peak_rss_mib()
    rng = random.Random(config.seed + 2)
    visible = [s for s in stored if s.visible]
    targets = [rng.choice(visible) for _ in range(config.warmup + config.lookups)]
    prefixes = [_prefix(rng, s) for s in targets]

    # Fresh connections, as after a restart of the bot (the file is in the OS page cache).
    async with Database.open(db_path) as db:
        repo = StoryRepository(db)
        keypoint_samples: list[float] = []
        correct = 0
        for index, target in enumerate(targets):
            begin = time.perf_counter()
            record = await repo.get(target.slug, VIEWER)
            points = await repo.key_points(record.id) if record else ()
            elapsed = time.perf_counter() - begin
            if index < config.warmup:
                continue
            keypoint_samples.append(elapsed)
            if record and record.slug == target.slug and len(points) == 3 and points[0].text == target.first_key_point:
                correct += 1

        auto_samples: list[float] = []
        kinds: dict[str, list[float]] = {"slug": [], "title word": []}
        lengths: dict[str, list[float]] = {f"{n} chars": [] for n in range(2, 6)}
        non_empty = hits = 0
        result_sizes: list[int] = []
        for index, (target, (kind, prefix)) in enumerate(zip(targets, prefixes, strict=True)):
            begin = time.perf_counter()
            choices = await repo.autocomplete(prefix, VIEWER)
            elapsed = time.perf_counter() - begin
            if index < config.warmup:
                continue
            auto_samples.append(elapsed)
            kinds[kind].append(elapsed)
            lengths[f"{len(prefix)} chars"].append(elapsed)
            result_sizes.append(len(choices))
            non_empty += bool(choices)
            hits += any(c.slug == target.slug for c in choices)

        # A full slug must find its own story first (what picking from the list then sends back).
        exact_ok = 0
        for target in targets[config.warmup :][:100]:
            choices = await repo.autocomplete(target.slug, VIEWER)
            exact_ok += bool(choices) and choices[0].slug == target.slug

    lookups = config.lookups
    return {
        "store": build,
        "peak_rss_mib_after_build": rss_after_build,
        "keypoints": {
            **latency_summary(keypoint_samples),
            "correct": correct,
            "what": "StoryRepository.get(slug, viewer) + key_points(story.id), as /story keypoints",
        },
        "autocomplete": {
            **latency_summary(auto_samples),
            "by_kind": {kind: latency_summary(samples) for kind, samples in kinds.items()},
            "by_length": {length: latency_summary(samples) for length, samples in lengths.items()},
            "non_empty": non_empty,
            "target_in_results": hits,
            "mean_results": sum(result_sizes) / lookups if lookups else 0,
            "exact_slug_first": exact_ok,
            "exact_slug_checked": min(100, lookups),
            "what": "StoryRepository.autocomplete(prefix, viewer), 2-5 char prefixes of slugs and title words",
        },
        "lookups": lookups,
        "warmup": config.warmup,
        "viewer": VIEWER,
    }


# --- running ---------------------------------------------------------------------------------------

PARTS = {"import": bench_import, "lookups": bench_lookups}


def run_part(part: str, config: StoreConfig, workdir: Path | None = None) -> dict[str, Any]:
    """Runs one part in this process, in a fresh temporary folder unless `workdir` is given."""
    with tempfile.TemporaryDirectory(prefix=f"briefbot-bench-{part}-", dir=workdir) as folder:
        result = asyncio.run(PARTS[part](config, Path(folder)))
    result["peak_rss_mib"] = peak_rss_mib()
    result["ru_maxrss_mib"] = ru_maxrss_mib()
    return result


def _run_part_subprocess(part: str, config: StoreConfig, workdir: Path | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-out-") as folder:
        out = Path(folder) / f"{part}.json"
        command = [sys.executable, "-m", "bench.store", "--part", part, "--json-out", str(out)]
        command += ["--config", json.dumps(dataclasses.asdict(config))]
        if workdir is not None:
            command += ["--workdir", str(workdir)]
        subprocess.run(command, cwd=ROOT, check=True)
        return json.loads(out.read_text(encoding="utf-8"))


def run(config: StoreConfig, *, in_process: bool = False, workdir: Path | None = None) -> dict[str, Any]:
    """Both parts; each in its own subprocess (separate peak RSS) unless `in_process`."""
    started = time.perf_counter()
    results: dict[str, Any] = {
        "bench": "store",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": dataclasses.asdict(config),
        "machine": {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        },
        "targets": {"import_per_s": TARGET_IMPORT_PER_S, "p99_ms": TARGET_P99_MS, "size_ratio": TARGET_SIZE_RATIO},
        "rss_isolation": "in-process (shared peak)" if in_process else "one subprocess per part",
        "notes": [
            "import_per_s: bot.importer.import_paths over a folder of generated files (already written, so in "
            "the OS page cache) into a new SQLite file; file generation is not timed",
            "parse_only_per_s: parse_article on the same bytes in memory; store_only_per_s: import_stories "
            "of those parsed stories into another new file, in the importer's batch size",
            "latencies: each await timed from the caller (aiosqlite thread hop included), after warmup",
        ],
    }
    for part in PARTS:
        results[part] = run_part(part, config, workdir) if in_process else _run_part_subprocess(part, config, workdir)
    results["total_s"] = time.perf_counter() - started
    return results


def format_table(results: dict[str, Any]) -> str:
    imp, look = results["import"], results["lookups"]
    store, kp, ac = look["store"], look["keypoints"], look["autocomplete"]
    target_rate, target_ms = results["targets"]["import_per_s"], results["targets"]["p99_ms"]
    target_ratio = results["targets"].get("size_ratio", TARGET_SIZE_RATIO)

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    rows = [
        (
            "import via import_paths (files -> SQLite + FTS5)",
            f"{imp['import_per_s']:,.0f} articles/s",
            f">= {target_rate:,.0f}/s {verdict(imp['import_per_s'] >= target_rate)}",
        ),
        (
            "  = articles, seconds",
            f"{imp['articles']:,} in {imp['import_s']:.2f} s",
            f"created {imp['created']:,}, fts rows {imp['fts_rows']:,}",
        ),
        ("  parse only (parse_article, bytes in memory)", f"{imp['parse_only_per_s']:,.0f} articles/s", ""),
        ("  store only (import_stories, pre-parsed)", f"{imp['store_only_per_s']:,.0f} articles/s", ""),
        (
            "  mean article size",
            f"{imp['article_bytes_mean']:,.0f} bytes",
            f"db {imp['db_mib']:.1f} MiB, {imp['db_bytes_per_story']:,.0f} bytes per story",
        ),
        ("  peak RSS (import run)", f"{imp['peak_rss_mib']:.0f} MiB", ""),
        (
            f"store of {store['stories']:,} stories built",
            f"in {store['build_s']:.1f} s",
            f"{store['build_per_s']:,.0f}/s, db {store['db_mib']:.0f} MiB",
        ),
        (
            "  bytes per story (database / stories)",
            f"{store['db_bytes_per_story']:,.0f} bytes",
            f"{store['size_ratio']:.2f}x its text ({store['text_bytes_per_story']:,.0f} bytes); "
            f"<= {target_ratio:g}x {verdict(store['size_ratio'] <= target_ratio)}",
        ),
        (
            f"keypoints by slug, {kp['count']:,} lookups (p50/p99)",
            f"{kp['p50_ms']:.2f} / {kp['p99_ms']:.2f} ms",
            f"p99 < {target_ms:g} ms {verdict(kp['p99_ms'] < target_ms)}; correct {kp['correct']:,}/{kp['count']:,}",
        ),
        (
            f"autocomplete 2-5 chars, {ac['count']:,} lookups (p50/p99)",
            f"{ac['p50_ms']:.2f} / {ac['p99_ms']:.2f} ms",
            f"p99 < {target_ms:g} ms {verdict(ac['p99_ms'] < target_ms)}; "
            f"non-empty {ac['non_empty']:,}/{ac['count']:,}",
        ),
    ]
    for name, summary in [*ac["by_kind"].items(), *ac["by_length"].items()]:
        rows.append(
            (
                f"  {name} prefixes (p50/p99)",
                f"{summary['p50_ms']:.2f} / {summary['p99_ms']:.2f} ms",
                f"{summary['count']:,} lookups",
            )
        )
    rows.append(("  peak RSS (lookup run, incl. building)", f"{look['peak_rss_mib']:.0f} MiB", ""))
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    lines = [f"briefbot bench: store ({results['rss_isolation']}, {results['total_s']:.0f} s total)"]
    lines += [f"{name:<{width}}  {value:>{value_width}}  {note}".rstrip() for name, value, note in rows]
    lines.append(f"big store: {store['built_with']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--in-process", action="store_true", help="run both parts in this process")
    parser.add_argument("--workdir", type=Path, help="where temporary databases and files go (default: system temp)")
    parser.add_argument("--out", type=Path, help="JSON results file (default: bench/results/store.json)")
    parser.add_argument("--part", choices=sorted(PARTS), help=argparse.SUPPRESS)
    parser.add_argument("--json-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    config = StoreConfig.quick() if args.quick else StoreConfig()
    if args.config:
        config = StoreConfig(**json.loads(args.config))
    if args.part:  # a child run by `run`
        result = run_part(args.part, config, args.workdir)
        args.json_out.write_text(json.dumps(result), encoding="utf-8")
        return 0

    results = run(config, in_process=args.in_process, workdir=args.workdir)
    results["mode"] = "quick" if args.quick else "full"
    out = args.out or RESULTS / ("store-quick.json" if args.quick else "store.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(format_table(results))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
