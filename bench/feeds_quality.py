"""Quality of feed matching (issue 10) on the labelled set in tests/feeds_labelled/.

    python -m bench.feeds_quality            # replay the whole set, print the table, write JSON
    python -m bench.feeds_quality --errors   # also list every wrong decision

The items are replayed in order of publication against every story already published. Each item the
matcher accepts as a development becomes a KnownDevelopment of its story, so later copies can be merged into it.
The replay follows the matcher's decisions, not the labels, as the bot would. Unrelated items feed the
matcher's background statistics.

Reported separately for each part, and for all together:
- tuned.toml: looked at while designing the matcher;
- second.toml: written after the first design was frozen and run once as held-out data (developments P 0.70,
  R 0.58; duplicates P 1.00, R 0.83), then used with tuned.toml to tune the second design;
- held_out.toml: written after the second design was frozen, and never used to change it.

The figures are:
- developments: precision and recall of "development of story X" (the story must be right);
- duplicates: precision and recall of "duplicate of development D" (D must be the development recorded for
  the item the copy repeats);
- hard negatives: how many of the unrelated items that share names with a story were kept out.

Results are written as JSON to bench/results/feeds_quality.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.feeds.match import CandidateStory, FeedItemText, KnownDevelopment, MatchDecision, Matcher, MatchKind

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "feeds_labelled"
PARTS = ("tuned", "second", "held_out")
RESULTS = ROOT / "bench" / "results"
TARGET = 0.9


@dataclass(frozen=True, slots=True)
class LabelledStory:
    key: str
    part: str
    published: datetime
    title: str
    summary: str
    key_points: tuple[str, ...]
    sections: str


@dataclass(frozen=True, slots=True)
class LabelledItem:
    key: str
    part: str
    kind: str  # development | duplicate | unrelated
    story: str | None  # the story it develops (or whose development it copies)
    of: str | None  # for a duplicate: the development item it repeats
    hard: bool
    published: datetime
    outlet: str
    link: str
    title: str
    summary: str
    article: str

    def text(self) -> FeedItemText:
        return FeedItemText(self.title, self.summary, self.article, self.published)


def load(parts: tuple[str, ...] = PARTS, folder: Path = LABELLED) -> tuple[list[LabelledStory], list[LabelledItem]]:
    stories: list[LabelledStory] = []
    items: list[LabelledItem] = []
    for part in parts:
        data = tomllib.loads((folder / f"{part}.toml").read_text(encoding="utf-8"))
        for raw in data.get("stories", ()):
            stories.append(
                LabelledStory(
                    raw["id"],
                    part,
                    raw["published"],
                    raw["title"],
                    raw["summary"],
                    tuple(raw["key_points"]),
                    raw.get("sections", ""),
                )
            )
        for raw in data.get("items", ()):
            items.append(
                LabelledItem(
                    raw["id"],
                    part,
                    raw["kind"],
                    raw.get("story"),
                    raw.get("of"),
                    bool(raw.get("hard", False)),
                    raw["published"],
                    raw["outlet"],
                    raw["link"],
                    raw["title"],
                    raw["summary"],
                    raw.get("article", ""),
                )
            )
    items.sort(key=lambda item: (item.published, item.key))
    return stories, items


@dataclass(slots=True)
class _Replay:
    stories: list[LabelledStory]
    story_ids: dict[str, int] = field(default_factory=dict)
    developments: dict[str, list[KnownDevelopment]] = field(default_factory=dict)
    development_items: dict[int, str] = field(default_factory=dict)  # development id -> item key

    def __post_init__(self) -> None:
        self.story_ids = {story.key: n for n, story in enumerate(self.stories, start=1)}
        self.developments = {story.key: [] for story in self.stories}

    def candidates(self, moment: datetime) -> list[CandidateStory]:
        return [
            CandidateStory(
                self.story_ids[story.key],
                story.title,
                story.summary,
                story.key_points,
                story.sections,
                tuple(self.developments[story.key]),
            )
            for story in self.stories
            if story.published <= moment
        ]

    def accept(self, item: LabelledItem, story_id: int) -> None:
        key = next(key for key, number in self.story_ids.items() if number == story_id)
        development_id = len(self.development_items) + 1
        self.development_items[development_id] = item.key
        self.developments[key].append(KnownDevelopment(development_id, item.title, item.summary, item.published))


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 1.0


def _precision_recall(gold: list[Any], decided: list[Any], correct: list[Any]) -> dict[str, Any]:
    return {
        "gold": len(gold),
        "decided": len(decided),
        "correct": len(correct),
        "precision": _ratio(len(correct), len(decided)),
        "recall": _ratio(len(correct), len(gold)),
    }


def _score(rows: list[dict[str, Any]]) -> dict[str, Any]:
    predicted_dev = [r for r in rows if r["decided"] == MatchKind.DEVELOPMENT]
    true_dev = [r for r in predicted_dev if r["kind"] == "development" and r["decided_story"] == r["story"]]
    gold_dev = [r for r in rows if r["kind"] == "development"]
    predicted_dup = [r for r in rows if r["decided"] == MatchKind.DUPLICATE]
    true_dup = [r for r in predicted_dup if r["kind"] == "duplicate" and r["decided_of"] == r["of"]]
    gold_dup = [r for r in rows if r["kind"] == "duplicate"]
    hard = [r for r in rows if r["hard"]]
    unrelated = [r for r in rows if r["kind"] == "unrelated"]
    return {
        "items": len(rows),
        "developments": _precision_recall(gold_dev, predicted_dev, true_dev),
        "duplicates": _precision_recall(gold_dup, predicted_dup, true_dup),
        "unrelated": {
            "gold": len(unrelated),
            "kept_out": sum(r["decided"] == MatchKind.UNRELATED for r in unrelated),
            "hard": len(hard),
            "hard_kept_out": sum(r["decided"] == MatchKind.UNRELATED for r in hard),
        },
        "outcomes": dict(Counter(f"{r['kind']} -> {r['decided']}" for r in rows)),
    }


def run(parts: tuple[str, ...] = PARTS, folder: Path = LABELLED, matcher: Matcher | None = None) -> dict[str, Any]:
    stories, items = load(parts, folder)
    replay = _Replay(stories)
    matcher = matcher or Matcher()
    names = {number: key for key, number in replay.story_ids.items()}
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for item in items:
        text = item.text()
        decision: MatchDecision = matcher.decide(text, replay.candidates(item.published))
        matcher.observe(text, decision)
        if decision.kind == MatchKind.DEVELOPMENT and decision.story_id is not None:
            replay.accept(item, decision.story_id)
        rows.append(
            {
                "item": item.key,
                "part": item.part,
                "kind": item.kind,
                "story": item.story,
                "of": item.of,
                "hard": item.hard,
                "decided": decision.kind,
                "decided_story": names.get(decision.story_id) if decision.story_id else None,
                "decided_of": replay.development_items.get(decision.development_id or 0),
                "score": decision.score,
                "best_story": names.get(decision.best_story_id) if decision.best_story_id else None,
                "best_score": decision.best_score,
                "reason": decision.reason,
            }
        )
    elapsed = time.perf_counter() - started
    by_part = {part: _score([r for r in rows if r["part"] == part]) for part in parts}
    return {
        "bench": "feeds_quality",
        "parts": list(parts),
        "stories": {part: sum(s.part == part for s in stories) for part in parts},
        "all": _score(rows),
        "by_part": by_part,
        "items_per_s": len(rows) / elapsed if elapsed else 0.0,
        "rows": rows,
        "target": TARGET,
    }


def errors(results: dict[str, Any]) -> list[dict[str, Any]]:
    wrong = []
    for r in results["rows"]:
        expected = {"development": MatchKind.DEVELOPMENT, "duplicate": MatchKind.DUPLICATE}.get(
            r["kind"], MatchKind.UNRELATED
        )
        if r["decided"] != expected or (expected == MatchKind.DEVELOPMENT and r["decided_story"] != r["story"]):
            wrong.append(r)
        elif expected == MatchKind.DUPLICATE and r["decided_of"] != r["of"]:
            wrong.append(r)
    return wrong


def _line(label: str, figures: dict[str, Any]) -> tuple[str, str, str]:
    dev, dup, unrelated = figures["developments"], figures["duplicates"], figures["unrelated"]
    ok = min(dev["precision"], dev["recall"], dup["precision"], dup["recall"]) >= TARGET
    return (
        label,
        f"dev P {dev['precision']:.2f} R {dev['recall']:.2f} | dup P {dup['precision']:.2f} R {dup['recall']:.2f}",
        f"{dev['gold']} developments, {dup['gold']} duplicates, {unrelated['hard_kept_out']}/{unrelated['hard']} hard "
        f"and {unrelated['kept_out']}/{unrelated['gold']} unrelated kept out; "
        f"{'ok' if ok else 'MISSED'} (target {TARGET})",
    )


def format_table(results: dict[str, Any]) -> str:
    rows = [
        _line(f"{part} ({results['stories'][part]} stories)", results["by_part"][part]) for part in results["parts"]
    ]
    rows.append(_line("all", results["all"]))
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    lines = ["briefbot bench: feeds matching quality (labelled set)"]
    lines += [f"{name:<{width}}  {value:<{value_width}}  {note}" for name, value, note in rows]
    lines.append(f"{results['items_per_s']:.0f} items/s through the matcher (a few stories; not a throughput figure)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list every wrong decision")
    parser.add_argument("--quick", action="store_true", help="same as a full run (the set is small)")
    parser.add_argument("--out", type=Path, help="JSON results file (default: bench/results/feeds_quality.json)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    results = run()
    print(format_table(results))
    if args.errors:
        for r in errors(results):
            print(
                f"  {r['item']:<12} {r['kind']:<11} -> {r['decided']:<11} story={r['decided_story']} "
                f"of={r['decided_of']} score={r['score']:.2f} | {r['reason']}"
            )
    out = args.out or RESULTS / "feeds_quality.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
