"""What kind of answer a question asks for, from its first question word, in the languages briefbot reads.

`/story ask` uses it twice (bot/answers.py): a section whose heading asks the same kind of question ("Why now?",
"When could the rules be lifted?", "왜 동결했나?") answers questions of that kind, and a question of quantity
("how many", "wie viele", "combien", "얼마", "いくら") is answered by a passage that gives a number.

Only the first question word counts: "Who voted against the plan and why?" asks who. "What" and its kin ask for
anything, so they give no kind, and stop the search like any other question word. Words that are just as often no
question word (German "was", French "que") are left out.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class QuestionKind(StrEnum):
    QUANTITY = "quantity"
    WHY = "why"
    WHEN = "when"
    WHERE = "where"
    WHO = "who"
    HOW = "how"
    ANY = "any"  # what, which, was, que, 무엇, 何, 什么: anything may answer


# Quantity first: "how many" is a quantity before it is a "how". German "wie" is also "how" ("Wie geht es weiter?").
_PATTERNS = (
    (
        QuestionKind.QUANTITY,
        r"\bhow (?:many|much|long|far|often|old)\b|\bwie (?:viele?|lange|hoch|oft|stark|weit|alt)\b|\bcombien\b"
        r"|\bcu[aá]nt[oa]s?\b|얼마|몇|いくら|何人|多少|几",
    ),
    (QuestionKind.WHY, r"\bwhy\b|\bwarum\b|\bweshalb\b|\bwieso\b|\bpourquoi\b|\bpor qu[eé]\b|왜|なぜ|何故|为什么|為什麼"),  # noqa: E501
    (QuestionKind.WHEN, r"\bwhen\b|\bwann\b|\bquand\b|\bcu[aá]ndo\b|언제|いつ|何时|什么时候"),
    (QuestionKind.WHERE, r"\bwhere\b|\bwo\b|\bwohin\b|\boù\b|\bd[oó]nde\b|어디|どこ|哪里|哪儿"),
    (QuestionKind.WHO, r"\bwho\b|\bwer\b|\bqui\b|\bqui[eé]n(?:es)?\b|누가|누구|誰|谁"),
    (QuestionKind.HOW, r"\bhow\b|\bwie\b|\bcomment\b|\bc[oó]mo\b|어떻게|どう|如何|怎么"),
    (
        QuestionKind.ANY,
        r"\bwhat\b|\bwhich\b|\bwelche[rsnm]?\b|\bquoi\b|\bquel(?:le)?s?\b|\bqué\b|\bcu[aá]l(?:es)?\b"
        r"|무엇|뭐|무슨|어떤|何|什么|哪",
    ),
)
_QUESTION_WORD = re.compile("|".join(f"(?P<{kind.value}>{pattern})" for kind, pattern in _PATTERNS))
_DIGIT = re.compile(r"\d")


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("’", "'").lower().lstrip("¿¡ ")


def question_kind(question: str) -> QuestionKind | None:
    """The kind of the question's first question word; None when it has none."""
    match = _QUESTION_WORD.search(_normalise(question))
    return QuestionKind(match.lastgroup) if match and match.lastgroup else None


def heading_kind(heading: str) -> QuestionKind | None:
    """The kind of question a heading asks when it opens with a question word ("Why now?"); else None."""
    match = _QUESTION_WORD.match(_normalise(heading))
    return QuestionKind(match.lastgroup) if match and match.lastgroup else None


def gives_number(text: str) -> bool:
    """Whether a passage states a figure (any script's digits)."""
    return _DIGIT.search(text) is not None
