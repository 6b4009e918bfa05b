"""Answer-quality benchmark (issue 9): the corpus imported for real, every corpus question asked for real.

    python -m bench.answers            # the whole corpus
    python -m bench.answers --quick    # smoke run: a few articles

The corpus (tests/corpus: articles written for briefbot, each with a manifest) is imported into a real SQLite
file through the real importer (`bot.importer.import_paths`, as `briefbot import` does), with the corpus's
import time and default zone. Then:

* imported as written -- each article, read back from the store, has its manifest's title, date (UTC, the
  zone it was written in, whether it was assumed), key points and section headings; a follow-up (`follows:`)
  is instead a development of the story it follows. Target: 1.0.
* answered from the right section -- every manifest question is asked through `StoryService.ask` (the
  `/story ask` handler's core) about the article's story (a follow-up's: the story it follows), and the
  answer counts when the section it quotes first is the one the manifest names. A follow-up is stored as a
  development, which keeps its text but not its headings: its question counts when the passage quoted first is
  the development's, from the section the manifest names. Overall and per language.
  Target: at least 0.9.

Results are printed as a table and written as JSON to bench/results/answers.json (answers-quick.json).
"""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.botrun import header, render_table, simple_main, verdict

TARGET_ANSWERED = 0.9
TARGET_AS_WRITTEN = 1.0


@dataclasses.dataclass(frozen=True, slots=True)
class AnswersConfig:
    articles: int = 0  # the first N of the corpus; 0: all of it

    @classmethod
    def quick(cls) -> AnswersConfig:
        return cls(articles=6)


REPORTED = " · reported "  # a dated passage's field: "Why now? · reported 05 Mar 2024"
UPDATE = "Update: "  # a development's passages: "Update: <its headline>"


def first_answer(reply: Any) -> tuple[str, str] | None:
    """(section heading, passage) that an answer quotes first, or None for "does not cover that"."""
    if not reply.cards or not reply.cards[0].fields:
        return None
    field = reply.cards[0].fields[0]
    from bot.markup import plain

    quoted = plain(field.value).split("\n", 1)[0].removeprefix("> ")
    return field.name.split(REPORTED, 1)[0], quoted


def section_of(passage: str, story: Any) -> str | None:
    """The section of a parsed article that a development's passage comes from: a development keeps its text,
    not its headings, so its passages are found by their text."""
    for section in story.sections:
        if any(text and text in passage for text in [*section.paragraphs, *(b.render() for b in section.bullets)]):
            return str(section.heading)
    return None


def answered_section(reply: Any, follow_up: Any = None) -> str | None:
    """The heading of the section an answer quotes first; for a follow-up's question (`follow_up`: the parsed
    document), the follow-up's section its quoted passage is from, when the passage is the development's."""
    answer = first_answer(reply)
    if answer is None:
        return None
    heading, passage = answer
    if follow_up is not None and heading.startswith(UPDATE):
        return section_of(passage, follow_up) or heading
    return heading


async def _as_written(stories: Any, article: Any, slug: str | None) -> list[str]:
    """What differs between the stored story and the article's manifest (empty: imported as written)."""
    expected = article.manifest
    if slug is None:
        return ["not imported"]
    if expected["follows"]:
        story = await stories.get(expected["follows"], None)
        developments = await stories.developments(story.id) if story else []
        return [] if any(d.headline == expected["title"] for d in developments) else ["no development"]
    detail = await stories.detail(slug, None)
    if detail is None:
        return ["not stored"]
    story = detail.story
    wrong = []
    if story.title != expected["title"]:
        wrong.append("title")
    date = expected["date"]
    if (story.published_at, story.published_zone, story.date_assumed) != (
        datetime.fromisoformat(date["utc"]),
        date["zone"],
        date["date_assumed"],
    ):
        wrong.append("date")
    if [b.render() for b in await stories.key_points(story.id)] != expected["key_points"]:
        wrong.append("key points")
    if [s.heading for s in detail.sections] != expected["sections"]:
        wrong.append("sections")
    return wrong


async def _run(config: AnswersConfig, workdir: Path) -> dict[str, Any]:
    from bot.importer import import_paths, origin_for
    from bot.parser import parse_article
    from bot.story_service import StoryService
    from storage.database import Database
    from storage.stories import StoryRepository
    from tests.corpus.corpus import articles, settings

    corpus = list(articles())
    if config.articles:
        corpus = corpus[: config.articles]
    import_time, zone = settings()
    async with Database.open(workdir / "answers.db") as db:
        stories = StoryRepository(db)
        started = time.perf_counter()
        report = await import_paths(stories, [a.path for a in corpus], zone, now=import_time)
        import_s = time.perf_counter() - started
        slugs = {o.origin: o.slug for o in report.outcomes}
        service = StoryService(stories)
        rows: list[dict[str, Any]] = []
        questions: list[dict[str, Any]] = []
        for article in corpus:
            slug = slugs.get(origin_for(article.path))
            wrong = await _as_written(stories, article, slug)
            rows.append({"file": article.name, "ok": not wrong, "why": ", ".join(wrong)})
            asked_about = article.manifest["follows"] or slug
            follow_up = None
            if article.manifest["follows"]:
                follow_up = parse_article(article.data(), str(article.path), zone, now=import_time)
            for question in article.questions:
                got = None
                if asked_about is not None:
                    got = answered_section(await service.ask(asked_about, question.question, None), follow_up)
                questions.append(
                    {
                        "file": article.name,
                        "language": article.manifest["language"],
                        "question": question.question,
                        "expected": question.section,
                        "got": got,
                        "ok": got == question.section,
                    }
                )
    by_language: dict[str, list[bool]] = defaultdict(list)
    for row in questions:
        by_language[row["language"]].append(row["ok"])
    good = sum(row["ok"] for row in rows)
    return {
        "import_s": import_s,
        "import_errors": report.errors,
        "articles": len(rows),
        "as_written": good,
        "as_written_share": good / len(rows) if rows else 0.0,
        "article_rows": rows,
        "questions": len(questions),
        "answered": sum(q["ok"] for q in questions),
        "answered_share": sum(q["ok"] for q in questions) / len(questions) if questions else 0.0,
        "by_language": {
            language: {"questions": len(oks), "answered": sum(oks), "share": sum(oks) / len(oks)}
            for language, oks in sorted(by_language.items())
        },
        "question_rows": questions,
    }


def run(config: AnswersConfig, workdir: Path | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    results = header("answers", config, {"answered": TARGET_ANSWERED, "as_written": TARGET_AS_WRITTEN})
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-answers-", dir=workdir) as folder:
        results.update(asyncio.run(_run(config, Path(folder))))
    results["total_s"] = time.perf_counter() - started
    return results


def format_table(results: dict[str, Any]) -> str:
    targets = results["targets"]
    answered, as_written = results["answered_share"], results["as_written_share"]
    rows = [
        (
            "questions answered from the right section",
            f"{results['answered']}/{results['questions']} = {answered:.2f}",
            f">= {targets['answered']:g} {verdict(answered >= targets['answered'])}",
        )
    ]
    for language, figures in results["by_language"].items():
        rows.append((f"  in {language}", f"{figures['answered']}/{figures['questions']} = {figures['share']:.2f}", ""))
    rows.append(
        (
            "articles imported as written",
            f"{results['as_written']}/{results['articles']} = {as_written:.2f}",
            f">= {targets['as_written']:g} {verdict(as_written >= targets['as_written'])}",
        )
    )
    notes = [f"  not as written: {row['file']}: {row['why']}" for row in results["article_rows"] if not row["ok"]]
    notes += [
        f"  missed: {q['file']}: {q['question']!r}: expected {q['expected']!r}, got {q['got']!r}"
        for q in results["question_rows"]
        if not q["ok"]
    ]
    return render_table(f"briefbot bench: answers ({results['total_s']:.1f} s)", rows, notes)


def main(argv: list[str] | None = None) -> int:
    return simple_main(argv, "answers", __doc__ or "", AnswersConfig, run, format_table)


if __name__ == "__main__":
    raise SystemExit(main())
