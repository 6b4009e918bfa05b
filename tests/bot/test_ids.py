from __future__ import annotations

import pytest

from bot.ids import external, platform_of, qualify, split


def test_round_trip_keeps_platform_and_external_id_apart() -> None:
    assert qualify("discord", 81384788765712384) == "discord:81384788765712384"
    assert split("slack:T024BE7LD") == ("slack", "T024BE7LD")
    assert platform_of(qualify("slack", "C1")) == "slack"
    assert external(qualify("slack", "1700000000.000100")) == "1700000000.000100"


@pytest.mark.parametrize("bad", ["", "discord", ":1", "slack:", "123"])
def test_unqualified_text_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a platform-qualified id"):
        split(bad)


def test_qualify_refuses_an_empty_id() -> None:
    with pytest.raises(ValueError):
        qualify("slack", "")
