"""Every corpus article imports as written: title, date with its zone, key points and sections as in its manifest."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime

import pytest

from bot.parser import MAX_ARTICLE_BYTES, parse_article
from bot.story_model import SectionKind, Story
from tests.corpus.corpus import ARTICLES_DIR, CorpusArticle, articles, settings

CORPUS = list(articles())
IMPORT_TIME, DEFAULT_ZONE = settings()


def _parse(article: CorpusArticle) -> Story:
    return parse_article(article.data(), str(article.path), DEFAULT_ZONE, now=IMPORT_TIME)


def _all_text(story: Story) -> str:
    texts = [story.title, story.dek, story.summary, *story.lead]
    return "\n".join([*texts, story.search_sections_text(), story.search_key_points_text()])


def test_the_corpus_has_at_least_30_articles_each_with_a_manifest() -> None:
    assert len(CORPUS) >= 30
    assert sorted(a.name for a in CORPUS) == sorted(p.name for p in ARTICLES_DIR.iterdir())


@pytest.mark.parametrize("article", CORPUS, ids=lambda a: a.name)
def test_article_imports_as_written(article: CorpusArticle) -> None:
    expected = article.manifest
    story = _parse(article)
    assert story.title == expected["title"]
    assert story.slug == expected["slug"]
    date = expected["date"]
    assert story.published_at == datetime.fromisoformat(date["utc"]).astimezone(UTC)
    assert story.published_zone == date["zone"]
    assert story.timezone_assumed is date["zone_assumed"]
    assert story.date_assumed is date["date_assumed"]
    assert [b.render() for b in story.key_points] == expected["key_points"]
    key_section = story.section(SectionKind.KEY_POINTS)
    assert (expected["key_points_from"] == "section") is (key_section is not None and bool(key_section.bullets))
    assert [s.heading for s in story.sections] == expected["sections"]
    assert (story.source, story.author, story.follows) == (expected["source"], expected["author"], expected["follows"])


@pytest.mark.parametrize("article", CORPUS, ids=lambda a: a.name)
def test_questions_name_a_section_of_their_article(article: CorpusArticle) -> None:
    questions = article.questions
    assert len(questions) >= 3
    assert {q.section for q in questions} <= set(article.manifest["sections"])
    assert len({q.question for q in questions}) == len(questions)


@pytest.mark.parametrize("article", CORPUS, ids=lambda a: a.name)
def test_no_markup_or_page_furniture_reaches_a_story(article: CorpusArticle) -> None:
    text = _all_text(_parse(article))
    assert "<" not in text and "&nbsp;" not in text and "**" not in text
    for phrase in article.manifest.get("must_not_contain", []):
        assert phrase not in text, phrase


def test_the_corpus_covers_every_case_of_issue_9() -> None:
    covers = " | ".join(c.lower() for a in CORPUS for c in a.manifest["covers"])
    for case in (
        "wire dateline",
        "ap byline",
        "web page html",
        "html pasted",
        "no date",
        "yaml list",
        "extra keys",
        "sentence-case",
        "crlf",
        "utf-8 bom",
        "latin-1",
        "follow-up",
        "rfc 2822",
        "iso 8601",
        "year-less date",
    ):
        assert case in covers, case
    languages = {a.manifest["language"] for a in CORPUS}
    assert {"en", "de", "fr", "es", "ko", "ja", "zh"} <= languages


def test_encoded_articles_really_are_encoded_that_way() -> None:
    # So that nobody "fixes" a fixture into plain UTF-8 and the encoding cases go untested.
    data = {a.name: a.data() for a in CORPUS}
    assert b"\r\n" in data["27-crlf-airport-runway.txt"]
    assert data["28-bom-wasserstoffzug.txt"].startswith(codecs.BOM_UTF8)
    assert data["29-utf16-four-day-week.txt"].startswith(codecs.BOM_UTF16_LE)
    latin1 = data["24-french-latin1-metro.txt"]
    with pytest.raises(UnicodeDecodeError):
        latin1.decode("utf-8")
    assert "métro" in _parse(next(a for a in CORPUS if a.name == "24-french-latin1-metro.txt")).title


def test_html_pages_are_real_size_pages() -> None:
    pages = [a for a in CORPUS if a.path.suffix == ".html"]
    assert len(pages) >= 3
    for page in pages:
        assert 50_000 <= len(page.data()) <= 100_000, page.name


def test_follow_ups_name_stories_of_the_corpus() -> None:
    slugs = {a.manifest["slug"] for a in CORPUS}
    follow_ups = [a for a in CORPUS if a.manifest["follows"]]
    assert len(follow_ups) >= 2
    for article in follow_ups:
        assert article.manifest["follows"] in slugs


def test_a_huge_article_generated_here_imports_as_written() -> None:
    """About 1 MiB: the corpus's English articles' bodies, over and over, under numbered sections."""
    stories = [_parse(a) for a in CORPUS if a.manifest["language"] == "en"]
    paragraphs = [p for story in stories for p in [*story.lead, *(p for s in story.sections for p in s.paragraphs)]]
    lines = ["A Year of City Stories, Retold at Length", "December 31, 2024 23:00 UTC"]
    size = sum(len(line) + 1 for line in lines)
    section = 0
    while True:
        section += 1
        block = [f"What happened in part {section}?", *paragraphs[section % len(paragraphs) :][:6]]
        block_size = sum(len(line.encode()) + 1 for line in block)
        if size + block_size > MAX_ARTICLE_BYTES:
            break
        lines += block
        size += block_size
    data = "\n".join(lines).encode("utf-8")
    assert len(data) > 0.9 * MAX_ARTICLE_BYTES
    story = parse_article(data, "huge.txt", DEFAULT_ZONE, now=IMPORT_TIME)
    assert story.title == "A Year of City Stories, Retold at Length"
    assert story.published_at == datetime(2024, 12, 31, 23, 0, tzinfo=UTC)
    assert len(story.sections) == section - 1
    assert story.sections[-1].heading == f"What happened in part {section - 1}?"
    assert len(story.key_points) == 3
