"""The fast JSON of stored section rows (storage/story_import.py) is byte for byte what json.dumps writes."""

from __future__ import annotations

import json

from bot.story_model import Bullet
from storage.story_import import bullets_json, strings_json

TRICKY = ["", "plain", 'say "hi"', "back\\slash", "tab\there\nnewline", "\x00\x1f\x7f", "é 한국 日本 🚆", "\u2028"]


def test_strings_are_written_as_json_dumps_writes_them() -> None:
    for count in range(len(TRICKY) + 1):
        strings = TRICKY[:count]
        assert strings_json(strings) == json.dumps(strings, ensure_ascii=False)
        assert json.loads(strings_json(strings)) == strings


def test_bullets_are_written_as_json_dumps_writes_them() -> None:
    bullets = [Bullet(label, text) for label, text in zip(TRICKY, reversed(TRICKY), strict=True)]
    for count in range(len(bullets) + 1):
        expected = json.dumps([[b.label, b.text] for b in bullets[:count]], ensure_ascii=False)
        assert bullets_json(bullets[:count]) == expected
