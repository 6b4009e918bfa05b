"""An article with no date shows that its date was assumed (issue 9): "no date given; imported 30 Nov" in
/story show, list and timeline, in the audience's zone; a dated one keeps its date. Real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import local_time
from bot.audience import AudienceZones
from bot.importer import import_paths
from bot.story_service import StoryService
from bot.text_render import render_reply
from storage.stories import StoryRepository
from tests.conftest import markdown_article

IMPORTED = datetime(2024, 11, 30, 23, 30, tzinfo=UTC)  # already 1 Dec in Seoul
UNDATED = "Library Strike Enters Second Week\nBy Ana Ruiz\n\nThe city's librarians stayed out for a second week.\n"
SLUG = "library-strike-enters-second-week"


async def test_an_undated_story_says_so_in_show_list_and_timeline(stories: StoryRepository, tmp_path: Path) -> None:
    (tmp_path / "strike.txt").write_text(UNDATED, encoding="utf-8")
    (tmp_path / "dated.md").write_text(markdown_article(title="Dated Story"), encoding="utf-8")
    report = await import_paths(stories, [tmp_path], UTC, now=IMPORTED)
    assert report.ok, report.lines()
    service = StoryService(stories, AudienceZones(None, ZoneInfo("Asia/Seoul")))

    shown = render_reply(await service.show(SLUG, None))
    assert f"{SLUG} · no date given; imported 1 Dec 2024 · by Ana Ruiz" in shown
    listed = render_reply((await service.list_page(None))[0])
    assert f"{SLUG} · no date given; imported 1 Dec 2024" in listed
    assert "dated-story · 1 Mar 2024" in listed  # a dated story keeps its date
    timeline = render_reply(await service.timeline(SLUG, None))
    assert "no date given; imported 1 Dec 2024: Library Strike Enters Second Week" in timeline
    assert "first reported" not in timeline


def test_the_import_day_names_the_year_only_when_it_is_another() -> None:
    now = datetime(2024, 12, 5, tzinfo=UTC)
    assert local_time.day_in_year(IMPORTED, UTC, now) == "30 Nov"
    assert local_time.day_in_year(IMPORTED, UTC, datetime(2025, 1, 2, tzinfo=UTC)) == "30 Nov 2024"
