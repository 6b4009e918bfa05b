"""`/story add` and `/story update` keep their text's line breaks: an article's title line, an update's bullets."""

from __future__ import annotations

from bot.slack.commands import parse_command


def test_add_keeps_the_title_line_and_paragraphs() -> None:
    parsed = parse_command("/story", "add  Night Ferry Riders Double\n\nRidership doubled.\n")
    assert parsed.options["text"] == "Night Ferry Riders Double\n\nRidership doubled."


def test_update_keeps_bullets_after_a_quoted_story_name() -> None:
    parsed = parse_command("/story", 'update "night ferry" A second boat.\n- Fares: unchanged\n- Boats: two')
    assert parsed.options == {"story": "night ferry", "text": "A second boat.\n- Fares: unchanged\n- Boats: two"}


def test_links_and_entities_in_the_text_read_as_typed() -> None:
    parsed = parse_command("/story", "add Title &amp; more\n\nSee <https://example.com/a|here> now.")
    assert parsed.options["text"] == "Title & more\n\nSee https://example.com/a now."
