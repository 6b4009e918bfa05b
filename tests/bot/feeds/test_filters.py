"""Include and exclude words: plain words and phrases, whole words, any case, never patterns."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.feeds.filters import Filtered, WordFilter, clean_words, split_words


def test_split_words_reads_commas_folds_spaces_and_drops_repeats() -> None:
    assert split_words(" strike,  rail   union ,,Strike ") == ("strike", "rail union")
    assert split_words(None) == () and split_words("") == ()
    with pytest.raises(UserError, match="at most 20"):
        clean_words([f"w{n}" for n in range(21)])


def test_whole_words_and_phrases_in_any_case() -> None:
    words = WordFilter(include=("art", "rail union"))
    assert words.check("An ART fair opens") is None
    assert words.check("The Rail\n Union walks out") is None
    assert words.check("A party downtown") == Filtered("art, rail union", excluded=False)  # "art" is not in "party"
    assert words.check("Railway union news") is not None


def test_exclude_wins_and_names_its_word() -> None:
    words = WordFilter(include=("strike",), exclude=("Nordhaven", "opinion"))
    assert words.check("Strike spreads to Nordhaven") == Filtered("Nordhaven", excluded=True)
    assert words.check("Strike spreads") is None
    assert "exclude word “Nordhaven”" in Filtered("Nordhaven", excluded=True).sentence()


@pytest.mark.parametrize("word", ["c++", "a.b", "(x)", "[a-z]+", ".*", "\\d"])
def test_pattern_characters_mean_themselves(word: str) -> None:
    words = WordFilter(exclude=(word,))
    assert words.check(f"about {word} today") is not None
    assert words.check("about nothing in particular, 42 times") is None


def test_no_words_pass_everything() -> None:
    assert WordFilter().check("anything") is None
