"""Feed parsing speed and safety (issue 10).

    python -m bench.feeds_parse              # parse_feed on 50-item feeds, and entity bombs refused
    python -m bench.feeds_parse --compare    # also fastfeedparser against feedparser, raw, on the same feeds
                                             # (needs: pip install -e '.[feeds-compare]')
    python -m bench.feeds_parse --quick      # fewer repetitions

Figures:
- items/s through `parse_feed` (bytes -> ParsedFeed, plain text, checked links, UTC dates) for a 50-item
  RSS 2.0, Atom and JSON Feed, and for a 50-item RSS feed with XML errors (the repair path);
- the time to refuse an entity bomb ("billion laughs", a 40-level one, the same in UTF-16, and XXE).

With --compare, the two libraries are measured raw on the same feeds:
- speed on 50-item RSS/Atom feeds and on a 5,000-item RSS feed;
- correctness on the broken and unusual samples in tests/bot/feeds/samples: how many expected items come out
  with the right title, link and date;
- what each does with the bombs.
Results are written as JSON to bench/results/feeds_parse.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.feeds.model import FeedError
from bot.feeds.parse import parse_feed
from bot.feeds.text import plain_text, safe_link

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "bot" / "feeds" / "samples"
RESULTS = ROOT / "bench" / "results"
ITEMS = 50
TARGET_BOMB_S = 0.1


def rss(items: int, broken: bool = False) -> bytes:
    amp = "&" if broken else "&amp;"
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Harbour Ledger</title>'
        "<link>https://harbour.example/</link><description>News</description>"
    ]
    for n in range(items):
        parts.append(
            f"<item><title>Item {n}: dockworkers {amp} operators meet again over the crane plan</title>"
            f"<link>https://harbour.example/2026/03/{n}?utm_source=rss{amp}utm_medium=feed</link>"
            f'<guid isPermaLink="false">harbour-{n}</guid><pubDate>Mon, 02 Mar 2026 10:{n % 60:02d}:00 +0100</pubDate>'
            f"<description>&lt;p&gt;Talks resumed on day {n} with the mediator, and the union said the "
            f"&lt;b&gt;offer&lt;/b&gt; was not enough{'&nbsp;<br>' if broken else ''} for its members.&lt;/p&gt;"
            "</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def atom(items: int) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Times</title>'
        '<link href="https://atom.example/"/><id>urn:atom-times</id><updated>2026-03-05T00:00:00Z</updated>'
    ]
    for n in range(items):
        parts.append(
            f'<entry><title>Entry {n} on the rail strike talks</title><link href="https://atom.example/{n}"/>'
            f"<id>tag:atom.example,2026:{n}</id><updated>2026-03-05T12:{n % 60:02d}:00Z</updated>"
            f'<summary type="html">&lt;p&gt;Union and operator met again, entry {n}, with more words about wages '
            "and hours.&lt;/p&gt;</summary><author><name>Wire</name></author></entry>"
        )
    parts.append("</feed>")
    return "".join(parts).encode()


def json_feed(items: int) -> bytes:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "JSON Post",
            "home_page_url": "https://json.example/",
            "items": [
                {
                    "id": f"j{n}",
                    "url": f"https://json.example/{n}",
                    "title": f"Post {n} about the dam gates",
                    "content_html": f"<p>Water <b>flows</b> again, post {n}, after the repairs.</p>",
                    "date_published": f"2026-03-06T10:{n % 60:02d}:00+01:00",
                    "authors": [{"name": "Di"}],
                }
                for n in range(items)
            ],
        }
    ).encode()


def billion_laughs(levels: int = 10, fan: int = 10) -> bytes:
    entities = ['<!ENTITY e0 "lol">'] + [f'<!ENTITY e{n} "{f"&e{n - 1};" * fan}">' for n in range(1, levels)]
    last = f"&e{levels - 1};"
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{"".join(entities)}]><rss version="2.0"><channel><title>{last}'
        f"</title><item><title>{last}</title><guid>b</guid></item></channel></rss>"
    ).encode()


BOMBS: dict[str, bytes] = {
    "billion laughs": billion_laughs(),
    "40 levels of 40": billion_laughs(40, 40),
    "billion laughs in UTF-16": billion_laughs().decode().encode("utf-16"),
    "XXE file:///etc/passwd": (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel>'
        b"<title>t</title><item><title>&x;</title><guid>x</guid></item></channel></rss>"
    ),
}


def _best_seconds(action: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def bench_parse(repeats: int) -> dict[str, Any]:
    feeds = {
        "RSS 2.0": (rss(ITEMS), "application/rss+xml"),
        "Atom": (atom(ITEMS), "application/atom+xml"),
        "JSON Feed": (json_feed(ITEMS), "application/feed+json"),
        "RSS 2.0 with XML errors": (rss(ITEMS, broken=True), "application/rss+xml"),
    }
    out: dict[str, Any] = {}
    for name, (body, content_type) in feeds.items():
        parsed = parse_feed(body, content_type, "https://feeds.example/feed")
        assert len(parsed.items) == ITEMS, (name, len(parsed.items))
        times = _best_seconds(lambda b=body, c=content_type: parse_feed(b, c, "https://feeds.example/feed"), repeats)
        median = statistics.median(times)
        out[name] = {"bytes": len(body), "items": ITEMS, "median_ms": median * 1000, "items_per_s": ITEMS / median}
    return out


def bench_bombs(repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, body in BOMBS.items():
        reasons: set[str] = set()

        def refuse(body: bytes = body, name: str = name, reasons: set[str] = reasons) -> None:
            try:
                parse_feed(body, "application/rss+xml", "https://bomb.example/feed")
            except FeedError as exc:
                reasons.add(str(exc.reason))
            else:
                raise AssertionError(f"{name} was not refused")

        times = _best_seconds(refuse, repeats)
        out[name] = {"bytes": len(body), "reasons": sorted(reasons), "max_ms": max(times) * 1000}
    return out


# --- --compare: the two libraries, raw ------------------------------------------------------------------


def _date(value: object) -> str | None:
    if isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)).isoformat()
    if isinstance(value, time.struct_time):
        return datetime(*value[:6], tzinfo=UTC).isoformat()
    return None


def _raw_items(library: str, body: bytes, base: str) -> list[tuple[str, str | None, str | None]]:
    if library == "feedparser":
        import feedparser

        data = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
        dates = [_date(e.get("published_parsed") or e.get("updated_parsed")) for e in data.entries]
    else:
        import fastfeedparser

        data = fastfeedparser.parse(body)
        dates = [_date(e.get("published") or e.get("updated")) for e in data.entries]
    return [
        (plain_text(e.get("title")), safe_link(e.get("link"), base), date)
        for e, date in zip(data.entries, dates, strict=True)
    ]


def compare(repeats: int) -> dict[str, Any]:
    try:
        import fastfeedparser
        import feedparser
    except ImportError:
        return {"skipped": "feedparser is not installed: pip install -e '.[feeds-compare]'"}
    libraries: dict[str, Callable[[bytes], object]] = {
        "feedparser": lambda body: feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False),
        "fastfeedparser": fastfeedparser.parse,
    }
    speed: dict[str, Any] = {}
    for name, body, count in (
        ("RSS 2.0, 50 items", rss(ITEMS), ITEMS),
        ("Atom, 50 items", atom(ITEMS), ITEMS),
        ("RSS 2.0, 5,000 items", rss(5000), 5000),
    ):
        speed[name] = {}
        for library, parse in libraries.items():
            times = _best_seconds(lambda p=parse, b=body: p(b), max(1, repeats // (20 if count > ITEMS else 1)))
            median = statistics.median(times)
            speed[name][library] = {"median_ms": median * 1000, "items_per_s": count / median}

    expected = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
    correctness: dict[str, Any] = {}
    for sample, want in sorted(expected.items()):
        if "error" in want:
            continue
        body = (SAMPLES / sample).read_bytes()
        base = f"https://feeds.example/{sample}"
        wanted = [(i["title"], i["link"], i["published"]) for i in want["items"]]
        correctness[sample] = {"expected": len(wanted)}
        for library in libraries:
            try:
                got = _raw_items(library, body, base)
            except Exception as exc:  # noqa: BLE001 - a library failing on a sample is the measurement
                correctness[sample][library] = f"raised {type(exc).__name__}"
                continue
            correctness[sample][library] = sum(item in got for item in wanted)

    bombs: dict[str, Any] = {}
    passwd = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").split(":")[0]
    for name, body in BOMBS.items():
        bombs[name] = {}
        for library, parse in libraries.items():
            started = time.perf_counter()
            try:
                text = repr(parse(body))
                outcome = "parsed"
            except Exception as exc:  # noqa: BLE001
                text, outcome = "", f"raised {type(exc).__name__}"
            bombs[name][library] = {
                "ms": (time.perf_counter() - started) * 1000,
                "outcome": outcome,
                "expanded": "lollollol" in text,
                "file_contents": f"{passwd}:x:" in text,
            }
    return {"speed": speed, "correctness": correctness, "bombs": bombs}


def run(repeats: int = 200, with_compare: bool = False) -> dict[str, Any]:
    results: dict[str, Any] = {
        "bench": "feeds_parse",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "parse": bench_parse(repeats),
        "bombs": bench_bombs(max(5, repeats // 10)),
        "target_bomb_ms": TARGET_BOMB_S * 1000,
    }
    if with_compare:
        results["compare"] = compare(max(5, repeats // 10))
    return results


def format_table(results: dict[str, Any]) -> str:
    lines = ["briefbot bench: feed parsing (parse_feed)"]
    for name, figures in results["parse"].items():
        lines.append(
            f"  {name:<26} {figures['items_per_s']:>9,.0f} items/s  ({figures['median_ms']:.2f} ms for "
            f"{figures['items']} items, {figures['bytes'] / 1024:.0f} KiB)"
        )
    for name, figures in results["bombs"].items():
        ok = figures["max_ms"] < results["target_bomb_ms"]
        lines.append(
            f"  refuse {name:<30} {figures['max_ms']:>7.3f} ms max  ({', '.join(figures['reasons'])}; "
            f"{'ok' if ok else 'MISSED'} < {results['target_bomb_ms']:.0f} ms)"
        )
    compared = results.get("compare")
    if compared and "skipped" in compared:
        lines.append(f"  compare: skipped, {compared['skipped']}")
    elif compared:
        lines.append("fastfeedparser against feedparser, raw")
        for name, figures in compared["speed"].items():
            fast, slow = figures["fastfeedparser"], figures["feedparser"]
            lines.append(
                f"  {name:<22} fastfeedparser {fast['median_ms']:8.2f} ms ({fast['items_per_s']:,.0f} items/s)  "
                f"feedparser {slow['median_ms']:8.2f} ms ({slow['items_per_s']:,.0f} items/s)"
            )
        for sample, figures in compared["correctness"].items():
            lines.append(
                f"  {sample:<22} items right of {figures['expected']}: fastfeedparser {figures['fastfeedparser']}, "
                f"feedparser {figures['feedparser']}"
            )
        for name, figures in compared["bombs"].items():
            cells = [
                f"{library} {f['outcome']} in {f['ms']:.1f} ms"
                + (", EXPANDED" if f["expanded"] else "")
                + (", FILE READ" if f["file_contents"] else "")
                for library, f in figures.items()
            ]
            lines.append(f"  {name:<22} " + "; ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="also measure fastfeedparser against feedparser")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--out", type=Path, help="JSON results file (default: bench/results/feeds_parse.json)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    results = run(repeats=20 if args.quick else 200, with_compare=args.compare)
    print(format_table(results))
    out = args.out or RESULTS / ("feeds_parse-quick.json" if args.quick else "feeds_parse.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    bombs_ok = all(f["max_ms"] < results["target_bomb_ms"] for f in results["bombs"].values())
    return 0 if bombs_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
