"""Issue 9's acceptance through the real console script: after `briefbot update zuck --text …`, keypoints, search
and ask know the development."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.console import PROMPT
from tests.bot.test_cli import BRIEFBOT, SEED_SLUG, Workspace, _workspace

pytestmark = pytest.mark.skipif(not BRIEFBOT.exists(), reason="the briefbot console script is not installed")


def _console_answers(workspace: Workspace, *lines: str) -> dict[str, str]:
    """Each console line's output, by line."""
    result = workspace.run("console", stdin="".join(f"{line}\n" for line in lines))
    assert result.code == 0, result.both
    assert "Traceback" not in result.both
    answers: dict[str, str] = {}
    for line, rest in zip(lines, result.out.split(PROMPT)[1:], strict=False):
        assert rest.startswith(line), rest
        answers[line] = rest[len(line) :]
    return answers


def test_an_update_is_in_keypoints_search_and_ask(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    assert workspace.run("import", "seeds").code == 0
    before = _console_answers(workspace, "/story search LG", "/story ask zuck what about LG")
    assert SEED_SLUG not in before["/story search LG"]
    assert "does not cover" in before["/story ask zuck what about LG"]

    update = workspace.run("update", "zuck", "--text", "Met Yoon.\n- LG Deal: XR headsets")
    assert update.code == 0, update.both

    after = _console_answers(workspace, "/story keypoints zuck", "/story search LG", "/story ask zuck what about LG")
    keypoints = after["/story keypoints zuck"]
    assert "LG Deal" in keypoints
    assert keypoints.index("LG Deal") < keypoints.index("Meetings with Key Players")  # newest first
    assert SEED_SLUG in after["/story search LG"]
    answer = after["/story ask zuck what about LG"]
    assert "XR headsets" in answer and "reported" in answer
