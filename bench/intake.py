"""Benchmark of intake (issue 9): parsing huge inputs, reading dates, extracting web pages, the corpus.

    python -m bench.intake            # full run
    python -m bench.intake --quick    # smoke run with small sizes

Parts (in this process; times are CPU seconds of this process, best of N runs, with wall seconds beside:
the machine is shared, and CPU time is what a parse costs whoever else is running):

* huge -- parse_article on 1 MiB inputs of several shapes: short sentences in paragraphs (the issue's
  49-second case), one short sentence per line, bullets, question headings, one single 1 MiB line,
  date-like lines, and a 1 MiB web page. Target: each under 1 s.
* dates -- bot.dates.read_date per second on the seed's shape (fast path), ISO 8601, RFC 2822, and the
  forms that need dateparser (AP bylines, German, French, Spanish, Korean, Japanese, Chinese); and the
  same dateparser forms with every language dateparser knows, to show what restricting it saves.
* extract -- bot.extract.extract_article pages per second on the corpus's real-size web pages
  (50-100 KB each: navigation, cookie banner, scripts, footer). Target: at least 100 pages/s.
* seed -- parse_article per second on seed-sized generated articles (bytes in memory).
* corpus -- the share of tests/corpus articles imported as written: each parses, and its title, date and
  zone, key points and sections are the ones in its manifest. Target: 1.0.

Results are printed as a table and written as JSON to bench/results/intake.json (intake-quick.json).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bench.botrun import header, render_table, simple_main, verdict
from bench.store import ROOT

TARGET_HUGE_S = 1.0
TARGET_PAGES_PER_S = 100.0
TARGET_CORPUS_SHARE = 1.0
REFERENCE = datetime(2024, 9, 10, 8, 0, tzinfo=UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class IntakeConfig:
    repeats: int = 5  # best of
    dates_per_kind: int = 400
    page_rounds: int = 20  # each round extracts every corpus page once
    seed_articles: int = 1_000
    huge_shapes: tuple[str, ...] = ("paragraphs", "lines", "bullets", "headings", "one line", "date lines", "web page")

    @classmethod
    def quick(cls) -> IntakeConfig:
        return cls(repeats=2, dates_per_kind=40, page_rounds=2, seed_articles=100)


def _best(repeats: int, work: Callable[[], object]) -> dict[str, float]:
    """Best CPU and wall seconds of `repeats` runs of `work`."""
    cpu = wall = float("inf")
    for _ in range(repeats):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        work()
        cpu = min(cpu, time.process_time() - started_cpu)
        wall = min(wall, time.perf_counter() - started_wall)
    return {"cpu_s": cpu, "wall_s": wall}


# --- huge inputs -----------------------------------------------------------------------------------


def huge_input(shape: str, limit: int) -> bytes:
    """About `limit` bytes of one shape of input, under a title and a date line."""
    head = ["A Very Long Article", "March 5, 2024 10:00 UTC"]
    if shape == "one line":
        return "\n".join([*head, "A b c. " * ((limit - 60) // 7)]).encode()
    if shape == "web page":
        return _huge_page(limit).encode()
    lines = list(head)
    size = sum(len(line) + 1 for line in lines)
    number = 0
    while True:
        number += 1
        line = {
            "paragraphs": " ".join(f"Item {number}-{k} was short." for k in range(8)),
            "lines": f"Line {number} is short.",
            "bullets": f"- Point {number}: a short bullet {number}.",
            "headings": f"What happened in part {number}?" if number % 2 else f"Part {number} was short.",
            "date lines": f"March {number % 28 + 1}, 2024 10:{number % 60:02d}",
        }[shape]
        if size + len(line) + 1 > limit:
            return "\n".join(lines).encode()
        lines.append(line)
        size += len(line) + 1


def _huge_page(limit: int) -> str:
    head = (
        "<!DOCTYPE html><html><head><title>A Very Long Page</title>"
        '<meta property="article:published_time" content="2024-03-05T10:00:00+00:00"></head><body>'
        '<nav><a href="/">Home</a> <a href="/news">News</a></nav><article><h1>A Very Long Page</h1>'
    )
    parts = [head]
    size = len(head)
    number = 0
    while size < limit - 200:
        number += 1
        block = f"<h2>Part {number}?</h2><p>Item {number} was short. It had words. Then it ended.</p>"
        parts.append(block)
        size += len(block)
    parts.append("</article><footer>© 2024</footer></body></html>")
    return "".join(parts)


def bench_huge(config: IntakeConfig) -> dict[str, Any]:
    from bot.parser import MAX_ARTICLE_BYTES, parse_article

    results: dict[str, Any] = {}
    for shape in config.huge_shapes:
        data = huge_input(shape, MAX_ARTICLE_BYTES)
        origin = "huge.html" if shape == "web page" else "huge.txt"
        story = parse_article(data, origin, UTC, now=REFERENCE)
        timing = _best(config.repeats, lambda data=data, origin=origin: parse_article(data, origin, UTC, now=REFERENCE))
        results[shape] = {**timing, "bytes": len(data), "sections": len(story.sections)}
    return results


# --- dates -----------------------------------------------------------------------------------------

DATE_KINDS: dict[str, tuple[str, ...]] = {
    "seed shape (fast path)": ("February 28, 2024 07:12", "March 5, 2024 10:00 UTC", "Feb. 28th, 2024, 7:12 a.m. ET"),
    "ISO 8601": ("2024-02-28T07:12:00+09:00", "2024-03-05T17:40:00-0500", "2024-02-28 07:12"),
    "RFC 2822": ("Wed, 28 Feb 2024 07:12:00 +0900", "Tue, 05 Mar 2024 14:20:00 +0100"),
    "dateparser forms": (
        "Sept. 28, 2023 5:03 a.m. ET",
        "28. Februar 2024, 07:12 Uhr",
        "26 janvier 2024 à 07h12",
        "28 de febrero de 2024, 13:05 CET",
        "2024년 2월 22일 10:32 KST",
        "2024年8月28日 18時30分 JST",
        "2024年4月12日 10:30 北京时间",
        "Feb 28",
    ),
}


def bench_dates(config: IntakeConfig) -> dict[str, Any]:
    import dateparser

    from bot import dates

    results: dict[str, Any] = {}
    for kind, samples in DATE_KINDS.items():
        texts = [samples[i % len(samples)] for i in range(config.dates_per_kind)]
        for text in samples:  # warm up: dateparser loads its language data on first use
            dates.read_date(text, UTC, REFERENCE)
        timing = _best(config.repeats, lambda texts=texts: [dates.read_date(t, UTC, REFERENCE) for t in texts])
        results[kind] = {**timing, "dates": len(texts), "per_s": len(texts) / timing["cpu_s"]}

    # What restricting dateparser saves: the same forms, every language it knows.
    texts = [dates.split_zone(t)[0] for t in DATE_KINDS["dateparser forms"]]
    texts = [texts[i % len(texts)] for i in range(max(8, config.dates_per_kind // 10))]
    settings = {"PREFER_DATES_FROM": "past", "RELATIVE_BASE": REFERENCE.replace(tzinfo=None)}
    for text in texts[:8]:
        dateparser.parse(text, settings=settings)
    timing = _best(config.repeats, lambda: [dateparser.parse(t, settings=settings) for t in texts])
    results["dateparser, every language"] = {**timing, "dates": len(texts), "per_s": len(texts) / timing["cpu_s"]}
    results["first dates in a fresh process"] = {
        "restricted_ms": _first_dates_ms(restricted=True),
        "every_language_ms": _first_dates_ms(restricted=False),
        "what": "CPU ms to import dateparser and read a German and a Korean date, as an import worker does",
    }
    return results


_FIRST_DATES = """
import sys, time
started = time.process_time()
import dateparser
kwargs = {"languages": sys.argv[2].split(",")} if sys.argv[1] == "restricted" else {}
for text in ("28. Februar 2024, 07:12 Uhr", "2024년 2월 22일 10:32"):
    assert dateparser.parse(text, **kwargs) is not None
print((time.process_time() - started) * 1000)
"""


def _first_dates_ms(*, restricted: bool) -> float:
    from bot.dates import LANGUAGES

    mode = "restricted" if restricted else "every"
    command = [sys.executable, "-c", _FIRST_DATES, mode, ",".join(LANGUAGES)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return float(done.stdout.strip())


# --- web pages -------------------------------------------------------------------------------------


def bench_extract(config: IntakeConfig) -> dict[str, Any]:
    from bot.extract import extract_article
    from tests.corpus.corpus import ARTICLES_DIR

    pages = [path.read_text(encoding="utf-8") for path in sorted(ARTICLES_DIR.glob("*.html"))]
    for page in pages:
        extract_article(page)

    def work() -> None:
        for _ in range(config.page_rounds):
            for page in pages:
                extract_article(page)

    timing = _best(config.repeats, work)
    count = config.page_rounds * len(pages)
    return {
        **timing,
        "pages": count,
        "distinct_pages": len(pages),
        "page_kib_mean": sum(len(p.encode()) for p in pages) / len(pages) / 1024,
        "pages_per_s_cpu": count / timing["cpu_s"],
        "pages_per_s_wall": count / timing["wall_s"],
    }


# --- seed-sized articles and the corpus ------------------------------------------------------------


def bench_seed(config: IntakeConfig) -> dict[str, Any]:
    from bench.articles import ArticleGenerator
    from bot.parser import parse_article

    articles = [a.text.encode() for a in ArticleGenerator(2024).articles(config.seed_articles)]
    timing = _best(config.repeats, lambda: [parse_article(a, f"a{i}.txt", UTC) for i, a in enumerate(articles)])
    return {**timing, "articles": len(articles), "per_s_cpu": len(articles) / timing["cpu_s"]}


def bench_corpus(config: IntakeConfig) -> dict[str, Any]:
    from bot.parser import ParseError, parse_article
    from tests.corpus.corpus import articles, settings

    import_time, zone = settings()
    rows: list[dict[str, Any]] = []
    for article in articles():
        expected = article.manifest
        try:
            story = parse_article(article.data(), str(article.path), zone, now=import_time)
        except ParseError as exc:
            rows.append({"file": article.name, "ok": False, "why": str(exc)})
            continue
        checks = {
            "title": story.title == expected["title"],
            "date": story.published_at == datetime.fromisoformat(expected["date"]["utc"])
            and story.published_zone == expected["date"]["zone"]
            and story.date_assumed is expected["date"]["date_assumed"],
            "key points": [b.render() for b in story.key_points] == expected["key_points"],
            "sections": [s.heading for s in story.sections] == expected["sections"],
        }
        wrong = [name for name, ok in checks.items() if not ok]
        rows.append({"file": article.name, "ok": not wrong, "why": ", ".join(wrong)})
    good = sum(row["ok"] for row in rows)
    return {"articles": len(rows), "as_written": good, "share": good / len(rows) if rows else 0.0, "rows": rows}


# --- running ---------------------------------------------------------------------------------------

PARTS: dict[str, Callable[[IntakeConfig], dict[str, Any]]] = {
    "huge": bench_huge,
    "dates": bench_dates,
    "extract": bench_extract,
    "seed": bench_seed,
    "corpus": bench_corpus,
}


def run(config: IntakeConfig) -> dict[str, Any]:
    started = time.perf_counter()
    targets = {"huge_s": TARGET_HUGE_S, "pages_per_s": TARGET_PAGES_PER_S, "corpus_share": TARGET_CORPUS_SHARE}
    results = header("intake", config, targets)
    results["machine"]["load_average_at_start"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    for name, part in PARTS.items():
        results[name] = part(config)
    results["total_s"] = time.perf_counter() - started
    return results


def format_table(results: dict[str, Any]) -> str:
    targets = results["targets"]
    rows: list[tuple[str, str, str]] = []
    for shape, figures in results["huge"].items():
        rows.append(
            (
                f"parse 1 MiB: {shape}",
                f"{figures['cpu_s']:.2f} s cpu ({figures['wall_s']:.2f} wall)",
                f"< {targets['huge_s']:g} s {verdict(figures['cpu_s'] < targets['huge_s'])}",
            )
        )
    for kind, figures in results["dates"].items():
        if "per_s" in figures:
            each = f"{1e6 / figures['per_s']:,.0f} µs each"
            rows.append((f"dates: {kind}", f"{figures['per_s']:,.0f} dates/s", each))
    first = results["dates"]["first dates in a fresh process"]
    rows.append(
        (
            "dates: dateparser's first use in a process",
            f"{first['restricted_ms']:,.0f} ms",
            f"every language: {first['every_language_ms']:,.0f} ms",
        )
    )
    extract = results["extract"]
    rows.append(
        (
            f"extract web pages ({extract['page_kib_mean']:.0f} KiB on average)",
            f"{extract['pages_per_s_cpu']:,.0f} pages/s cpu ({extract['pages_per_s_wall']:,.0f} wall)",
            f">= {targets['pages_per_s']:g}/s {verdict(extract['pages_per_s_cpu'] >= targets['pages_per_s'])}",
        )
    )
    seed = results["seed"]
    rows.append(("parse seed-sized articles (bytes in memory)", f"{seed['per_s_cpu']:,.0f} articles/s cpu", ""))
    corpus = results["corpus"]
    rows.append(
        (
            "corpus articles imported as written",
            f"{corpus['as_written']}/{corpus['articles']} = {corpus['share']:.2f}",
            f">= {targets['corpus_share']:g} {verdict(corpus['share'] >= targets['corpus_share'])}",
        )
    )
    load = results["machine"]["load_average_at_start"]
    title = f"briefbot bench: intake ({results['total_s']:.0f} s total, load average at start {load})"
    notes = [f"  not as written: {row['file']}: {row['why']}" for row in corpus["rows"] if not row["ok"]]
    return render_table(title, rows, notes)


def main(argv: list[str] | None = None) -> int:
    return simple_main(argv, "intake", __doc__ or "", IntakeConfig, run, format_table)


if __name__ == "__main__":
    raise SystemExit(main())
