"""Chinese, Japanese and Korean text: character classes, bigrams and Korean particles.

These languages are written without spaces between words (Korean has spaces, but glues particles to its words), so
both `/story ask` (bot/answers.py) and the full-text index (storage/search_text.py) cut runs of CJK characters into
overlapping character bigrams, as Lucene's CJK analyzer does: "韓国訪問" gives 韓国, 国訪, 訪問. A run of one
character stays itself. No segmentation library covers all three languages without tens of megabytes of
dictionaries; bigrams need none.
"""

from __future__ import annotations

import re

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3007"  # Han (and 々 〇)
KATAKANA = "\u30a0-\u30ff\u31f0-\u31ff"
HIRAGANA = "\u3041-\u309f"
HANGUL = "\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f"
ALL = HAN + KATAKANA + HIRAGANA + HANGUL

RUN = re.compile(f"[{ALL}]+")

# Korean glues particles to words: "삼성전자와" is "삼성전자" + "와" (and). Longest first.
KOREAN_PARTICLES = tuple(
    sorted(
        "은 는 이 가 을 를 의 에 와 과 도 로 으로 만 에서 에게 까지 부터 처럼 보다 라고".split(),
        key=len,
        reverse=True,
    )
)


def bigrams(run: str) -> list[str]:
    """Overlapping character pairs of a run; a one-character run is itself."""
    return [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]


def without_particle(word: str) -> str:
    """A Hangul word without a trailing particle, when at least two characters remain."""
    for particle in KOREAN_PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            return word[: -len(particle)]
    return word


def is_hangul(run: str) -> bool:
    return "\uac00" <= run[0] <= "\ud7a3" or "\u1100" <= run[0] <= "\u11ff" or "\u3130" <= run[0] <= "\u318f"
