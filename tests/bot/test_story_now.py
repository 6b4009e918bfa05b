"""Developments update what the bot knows (issue 9, item 7), and CJK stories are found and answered (item 6):
the /story services on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.follow_service import FollowService
from bot.markdown import to_markdown
from bot.markup import plain
from bot.parser import parse_article
from bot.story_admin import OPERATOR, StoryAdminService
from bot.story_model import Bullet, Story
from bot.story_now import MAX_DEVELOPMENT_POINTS, key_points_now
from bot.story_service import StoryService
from bot.text_render import render_reply
from storage.database import Database
from storage.follows import FollowRepository
from storage.records import DevelopmentRecord
from storage.stories import ImportItem, ImportStatus, StoryRepository
from tests.conftest import SEED_KEY_POINT_LABELS, markdown_article

UPDATE = "Met Yoon.\n- LG Deal: XR headsets"
REPORTED = datetime(2024, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
async def service(stories: StoryRepository, seed_story: Story) -> StoryService:
    await stories.import_stories([ImportItem("file:seed", seed_story)])
    return StoryService(stories)


@pytest.fixture
def follows(db: Database, stories: StoryRepository, service: StoryService) -> StoryAdminService:
    """Updates go through the story administration service, as `/story update` and `briefbot update` do."""
    follow_service = FollowService(FollowRepository(db), stories, service, burst_window=timedelta(minutes=30))
    return StoryAdminService(stories, service, follow_service)


def _text(reply) -> str:
    return render_reply(reply)


async def _assert_lg_is_known(service: StoryService, seed_story: Story, reported: str) -> None:
    """The acceptance of issue 9: keypoints show the new bullet, search finds it, ask answers from it."""
    [card] = (await service.keypoints("zuck", None)).cards
    lines = plain(card.description).splitlines()
    assert "LG Deal" in lines[0] and reported in lines[0], plain(card.description)  # newest first, dated
    for label in SEED_KEY_POINT_LABELS:  # the article's points keep their place after it
        assert any(label in line for line in lines[1:]), label

    [results] = (await service.search("LG", None)).cards
    assert seed_story.title in plain(results.description)

    reply = await service.ask("zuck", "what about LG", None)
    [answer] = reply.cards
    assert "XR headsets" in plain(answer.fields[0].value), _text(reply)
    assert f"reported {reported}" in answer.fields[0].name


async def test_an_update_joins_keypoints_search_and_ask(
    service: StoryService, follows: StoryAdminService, seed_story: Story
) -> None:
    # Before: the story knows nothing of LG.
    assert await service.stories.search("LG", None) == []
    assert "does not cover" in plain((await service.ask("zuck", "what about LG", None)).text)
    story = await service.resolve("zuck", None)
    await follows.update(story.slug, UPDATE, None, scope_id=OPERATOR, now=REPORTED)
    await _assert_lg_is_known(service, seed_story, "03 Mar 2024")


async def test_a_follows_document_joins_keypoints_search_and_ask(
    service: StoryService, stories: StoryRepository, seed_story: Story
) -> None:
    follow_up = parse_article(
        markdown_article(
            title="Zuckerberg Meets Yoon", date="2024-03-03 09:00 UTC", follows=seed_story.slug, body=UPDATE + "\n"
        ),
        "follow-up.md",
    )
    [outcome] = await stories.import_stories([ImportItem("file:follow-up.md", follow_up)])
    assert outcome.status is ImportStatus.DEVELOPMENT_ADDED
    await _assert_lg_is_known(service, seed_story, "03 Mar 2024")


async def test_show_summarises_the_story_as_it_stands_now_and_the_timeline_keeps_each_development(
    service: StoryService, follows: StoryAdminService, seed_story: Story
) -> None:
    story = await service.resolve("zuck", None)
    await follows.update(story.slug, "Signed a chip pact with Samsung.", None, scope_id=OPERATOR, now=REPORTED)
    await follows.update(story.slug, UPDATE, None, scope_id=OPERATOR, now=REPORTED + timedelta(days=2))
    [card] = (await service.show("zuck", None)).cards
    assert to_markdown(card.description).startswith("**Latest, 05 Mar 2024:** Met Yoon.")
    assert seed_story.summary in plain(card.description)
    [points] = [f for f in card.fields if f.name == "Key points"]
    assert to_markdown(points.value).splitlines()[0] == "• 5 Mar 2024 · **LG Deal**: XR headsets"
    [timeline] = (await service.timeline("zuck", None)).cards
    assert "Signed a chip pact with Samsung." in plain(timeline.description)
    assert "Met Yoon." in plain(timeline.description)


async def test_ask_prefers_the_newer_of_two_passages_and_says_when_each_was_reported(
    stories: StoryRepository, follows: StoryAdminService
) -> None:
    original = parse_article(
        markdown_article(
            title="Harbour Bridge Plan Approved",
            date="2024-02-01 10:00 UTC",
            body="The council approved the harbour bridge.\n\n## Cost\n\n"
            "- Budget: The harbour bridge will cost 40 million euros, paid by the region.\n",
        ),
        "bridge.md",
    )
    await stories.import_stories([ImportItem("file:bridge.md", original)])
    service = StoryService(stories)
    story = await service.resolve(original.slug, None)
    await follows.update(
        story.slug,
        "- Budget: The harbour bridge will now cost 55 million euros.",
        None,
        scope_id=OPERATOR,
        now=REPORTED,
    )
    reply = await service.ask(original.slug, "how much will the bridge cost", None)
    [card] = reply.cards
    assert "55 million" in plain(card.fields[0].value), _text(reply)
    assert card.fields[0].name.endswith("reported 03 Mar 2024")
    # The older passage still answers, after it, with its own date.
    assert [f for f in card.fields[1:] if "40 million" in plain(f.value) and f.name.endswith("reported 01 Feb 2024")]


def _development(number: int, points: tuple[Bullet, ...], day: int) -> DevelopmentRecord:
    at = datetime(2024, 3, day, tzinfo=UTC)
    return DevelopmentRecord(number, 1, f"Update {number}", "", points, None, None, at, at)


def test_a_newer_point_replaces_an_older_one_with_its_label_and_the_newest_developments_come_first() -> None:
    original = (Bullet("Deal", "Talks began."), Bullet("Venue", "Seoul."))
    developments = [
        _development(1, (Bullet("Deal", "Signed."),), 2),
        _development(2, (Bullet("deal", "Doubled."), Bullet("", "Shares rose.")), 5),
    ]
    points = key_points_now(original, developments)
    # "Deal" of 5 March stands for the deal now; 2 March's and the article's are in the timeline and the article.
    assert [(p.bullet.text, p.reported_at and p.reported_at.day) for p in points] == [
        ("Doubled.", 5),
        ("Shares rose.", 5),
        ("Seoul.", None),
    ]
    many = [_development(n, (Bullet(f"Point {n}", "x"),), 1 + n % 28) for n in range(3 * MAX_DEVELOPMENT_POINTS)]
    assert len([p for p in key_points_now(original, many) if p.reported_at]) == MAX_DEVELOPMENT_POINTS


# --- Korean, Japanese, Chinese ---------------------------------------------------------------------------

CJK_ARTICLES = {
    "korean": markdown_article(
        title="삼성전자, 메타와 인공지능 반도체 협력",
        date="2024-03-01 09:00 UTC",
        body="삼성전자가 메타와 인공지능 반도체 공급 계약을 맺었다.\n\n"
        "## 왜 한국인가?\n\n한국은 메모리 반도체 생산의 중심지이기 때문이다.\n\n"
        "## 계약 내용\n\n- 계약 규모: 약 10억 달러 규모의 공급 계약이다.\n",
    ),
    "japanese": markdown_article(
        title="トヨタ、東京で新型電池工場を発表",
        date="2024-03-01 09:00 UTC",
        body="トヨタ自動車は東京で新しい電池工場の建設を発表した。\n\n"
        "## 工場の規模\n\n新しい電池工場では年間十万台分の電池を生産する。\n\n"
        "## 今後の予定\n\n操業開始は二〇二六年の予定だ。\n",
    ),
    "chinese": markdown_article(
        title="华为在深圳发布新款芯片",
        date="2024-03-01 09:00 UTC",
        body="华为周五在深圳发布了新款人工智能芯片。\n\n"
        "## 为什么是深圳？\n\n深圳是中国电子制造业的中心。\n\n"
        "## 芯片性能\n\n新款芯片的性能比上一代提高了一倍。\n",
    ),
}
# language: (a 2-character word of its text, a title prefix, a question, a phrase of the passage that answers it)
CJK_CASES = {
    "korean": ("협력", "삼성", "반도체 계약 규모는 얼마인가요?", "10억 달러"),
    "japanese": ("東京", "トヨ", "電池工場の生産規模は？", "十万台"),
    "chinese": ("深圳", "华为", "芯片性能怎么样？", "提高了一倍"),
}


@pytest.fixture
async def cjk(stories: StoryRepository) -> dict[str, str]:
    """Each language's slug."""
    items = [ImportItem(f"file:{lang}.md", parse_article(text, f"{lang}.md")) for lang, text in CJK_ARTICLES.items()]
    outcomes = await stories.import_stories(items)
    assert all(o.status is ImportStatus.CREATED for o in outcomes)
    return {lang: str(o.slug) for lang, o in zip(CJK_ARTICLES, outcomes, strict=True)}


@pytest.mark.parametrize("language", sorted(CJK_CASES))
async def test_cjk_stories_are_searched_completed_and_answered(
    stories: StoryRepository, cjk: dict[str, str], language: str
) -> None:
    word, prefix, question, answer = CJK_CASES[language]
    slug = cjk[language]
    assert [s.slug for s in await stories.search(word, None)] == [slug]
    assert [c.slug for c in await stories.autocomplete(prefix, None)] == [slug]
    reply = await StoryService(stories).ask(slug, question, None)
    assert reply.cards, _text(reply)
    assert answer in plain(reply.cards[0].fields[0].value), _text(reply)


async def test_a_korean_word_with_a_particle_still_finds_its_story(
    stories: StoryRepository, cjk: dict[str, str]
) -> None:
    # "메타와" is "메타" (Meta) + "와" (and); "반도체를" is "반도체" + the object particle.
    for query in ("메타와", "반도체를", "인공지능 반도체"):
        assert [s.slug for s in await stories.search(query, None)] == [cjk["korean"]], query
    assert await stories.search("바나나", None) == []
