"""Is a feed item a development of a tracked story, a duplicate of a known development, or unrelated?

The caller maps its records onto `CandidateStory` / `KnownDevelopment` / `FeedItemText`, builds a
`StoryIndex` with `Matcher.index(stories)` when the stories change, and asks `Matcher.decide(item, index)` for
each new item, then `Matcher.observe(item, decision)`. No model and no download: term statistics only.

## Scoring

1. **Terms and names** (`bot.feeds.terms`). Text becomes stemmed terms. A term the text only ever capitalises
   is a name; at the start of a sentence it must also be unknown to the matcher's vocabulary (words seen in
   lower case before), so "Engineers warned…" is not a name but "Medivant halts…" is. A name right after
   "in", "to", "at", "visit"… is a *setting*.
2. **Weights** are ln(1 + tf) · idf, with idf from a *background* of items that matched nothing (ordinary news,
   fed back by `observe`). A story's own vocabulary is never discounted for being repeated by its developments.
   Names count less than other words: ×0.5 for the story's anchors (below), ×0.75 for other names. Matching is
   about what happened more than to whom: the same CEO's earnings share the names but not the event.
3. **Profiles.** A story is its title (×3), summary and key points (×1.5), section text (×1) and its three most
   recent developments' headlines (×2) and texts (×1): a story is what it has become, and a profile grown by
   every development would dilute every cosine. An item is its title (×2), summary (×1) and the first 400
   words of its article (×0.5), if the caller fetched it.
4. **Anchors.** The names in the story's title, such as "Nordhaven" or "Solvik". An item with none of them is
   about something else that happens to use the same words: a wildfire elsewhere, another union's strike. It
   can be neither a development nor a duplicate. An item with only some of them keeps half its score plus half
   in proportion to the share (idf-weighted) of anchors it has.
5. **Score** = cosine of the two vectors, times the anchor factor.
6. **Event check (another place).** Some items name a setting the story has never mentioned, and none of the
   story's own. Think "Whitlock to visit Brazil" against "Whitlock tours Japan… in Tokyo". Such an item reports
   another event of the same actors, and its score is divided by three (`conflict_factor`).
7. **Duplicate.** The item is first compared with each known development of its anchored stories published
   within `duplicate_window` (48 h) of it:
   - word 3-shingle containment, the share of the item's shingles found in the development. At least
     `wire_containment` means syndicated wire copy;
   - the cosine with that development alone. At least `duplicate_similarity` means the same event in another
     outlet's words.
   The closest development wins. Rewrites of one event appear within hours; the window keeps a later step
   that repeats an earlier one's figures from being merged into it, such as "Orchard drops its €45 bid" after
   "Greystone raises to €47".
8. **Development** when the best anchored story scores at least `development_score`; otherwise **unrelated**,
   with the best story and score for `/feed why`.

Thresholds were chosen on tests/feeds_labelled/tuned.toml and second.toml, inside the range where precision and
recall both stay at or above 0.9. held_out.toml was written afterwards. `python -m bench.feeds_quality` reports
all three parts, and the README has the figures.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.feeds.terms import Analysed, Background, analyse, cosine, log_tf, weigh


class MatchKind(StrEnum):
    DEVELOPMENT = "development"
    DUPLICATE = "duplicate"
    UNRELATED = "unrelated"


@dataclass(frozen=True, slots=True)
class FeedItemText:
    """What is known of a new item: its text as plain text, and when it was published (aware, or None)."""

    title: str
    summary: str = ""
    article: str = ""
    published: datetime | None = None


@dataclass(frozen=True, slots=True)
class KnownDevelopment:
    development_id: int
    headline: str
    text: str = ""
    published: datetime | None = None


@dataclass(frozen=True, slots=True)
class CandidateStory:
    story_id: int
    title: str
    summary: str = ""
    key_points: tuple[str, ...] = ()
    section_text: str = ""
    developments: tuple[KnownDevelopment, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchDecision:
    """The outcome, with the evidence `/feed why` shows.

    `story_id` is set for development and duplicate, `development_id` for duplicate. `score` is the matched
    story's score, and for a duplicate the similarity to the development. `best_story_id` and `best_score`
    are the highest-scoring story whatever the outcome.
    """

    kind: MatchKind
    story_id: int | None
    development_id: int | None
    score: float
    best_story_id: int | None
    best_score: float
    reason: str


@dataclass(frozen=True, slots=True)
class MatchSettings:
    development_score: float = 0.14
    duplicate_similarity: float = 0.30
    wire_containment: float = 0.5
    duplicate_window: timedelta = timedelta(hours=48)
    conflict_factor: float = 1 / 3
    anchor_weight: float = 0.5  # names from the story's title: they say who, not what happened
    name_weight: float = 0.75  # other names
    partial_anchor_floor: float = 0.5  # score factor for an item with none of the title's other names
    article_words: int = 400


# Only the latest developments join the story's profile: a story is what it has become, and a profile that grew
# with every development would dilute the cosine of every new item.
RECENT_DEVELOPMENTS = 3
# Shortlist sizes for a full score: anchored stories (candidates for the decision), and others (scored only to
# report the best one).
ANCHORED_CANDIDATES = 40
OTHER_CANDIDATES = 5

_SHINGLE_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _shingles(text: str) -> frozenset[int]:
    words = [w.lower() for w in _SHINGLE_WORD.findall(text)]
    return frozenset(hash((words[i], words[i + 1], words[i + 2])) for i in range(len(words) - 2))


@dataclass(slots=True)
class _Development:
    development_id: int
    published: datetime | None
    counts: Counter[str]
    names: frozenset[str]
    shingles: frozenset[int]
    log_tf: dict[str, float] = field(default_factory=dict)
    vector: dict[str, float] = field(default_factory=dict)
    vector_version: int = -1


@dataclass(slots=True)
class _Story:
    story_id: int
    counts: Counter[str]
    names: frozenset[str]
    anchors: frozenset[str]
    settings: frozenset[str]
    developments: list[_Development]
    log_tf: dict[str, float] = field(default_factory=dict)  # ln(1 + tf): weights without the background
    vector: dict[str, float] = field(default_factory=dict)
    norm: float = 0.0
    vector_version: int = -1


def _story_profile(story: CandidateStory, vocabulary: set[str]) -> _Story:
    parts: list[tuple[str, float]] = [
        (story.title, 3.0),
        (story.summary, 1.5),
        ("\n".join(story.key_points), 1.5),
        (story.section_text, 1.0),
    ]
    developments: list[_Development] = []
    recent = sorted(story.developments, key=lambda d: d.published or datetime.min.replace(tzinfo=UTC))
    recent_ids = {d.development_id for d in recent[-RECENT_DEVELOPMENTS:]}
    for development in story.developments:
        if development.development_id in recent_ids:
            parts += [(development.headline, 2.0), (development.text, 1.0)]
        own = analyse([(development.headline, 2.0), (development.text, 1.0)], vocabulary)
        developments.append(
            _Development(
                development.development_id,
                development.published,
                own.counts,
                own.names,
                _shingles(f"{development.headline}\n{development.text}"),
                log_tf(own.counts),
            )
        )
    whole = analyse(parts, vocabulary)
    vocabulary |= whole.lowercase
    title_terms = set(analyse([(story.title, 1.0)]).counts)
    anchors = whole.names & title_terms
    if not anchors:  # a title without names: the summary's names stand in
        anchors = whole.names & set(analyse([(story.summary, 1.0)]).counts)
    counts = whole.counts
    return _Story(story.story_id, counts, whole.names, frozenset(anchors), whole.settings, developments, log_tf(counts))


class StoryIndex:
    """Candidate stories, profiled once: build it when the stories change and reuse it for every item.

    `upsert` re-profiles one story (after a development was accepted, say) without rebuilding the rest.
    """

    def __init__(self, stories: Iterable[CandidateStory], vocabulary: set[str] | None = None) -> None:
        self.vocabulary = set() if vocabulary is None else vocabulary
        self.stories: list[_Story] = []
        self.positions: dict[int, int] = {}  # story id -> position in `stories`
        self.postings: dict[str, set[int]] = {}  # term -> stories that use it
        self.anchor_postings: dict[str, set[int]] = {}  # anchor name -> stories whose title has it
        for story in stories:
            self.upsert(story)

    def upsert(self, story: CandidateStory) -> None:
        profile = _story_profile(story, self.vocabulary)
        position = self.positions.get(story.story_id)
        if position is None:
            position = self.positions[story.story_id] = len(self.stories)
            self.stories.append(profile)
        else:
            old = self.stories[position]
            for term in old.counts:
                self.postings[term].discard(position)
            for term in old.anchors:
                self.anchor_postings[term].discard(position)
            self.stories[position] = profile
        for term in profile.counts:
            self.postings.setdefault(term, set()).add(position)
        for term in profile.anchors:
            self.anchor_postings.setdefault(term, set()).add(position)

    def __len__(self) -> int:
        return len(self.stories)


@dataclass(frozen=True, slots=True)
class _Scored:
    story: _Story
    score: float
    anchored: bool
    conflict: str | None
    vector: dict[str, float]  # the item's, damped for this story


class Matcher:
    """Decides items against stories. It keeps the background statistics, so make one and keep it."""

    def __init__(self, settings: MatchSettings | None = None, background: Background | None = None) -> None:
        self.settings = settings or MatchSettings()
        self.background = background or Background()
        # Words seen in lower case anywhere: tells "Engineers warned…" (a word) from "Medivant halts…" (a name).
        self.vocabulary: set[str] = set()
        # The last item analysed, for `observe` right after `decide`: (item, vocabulary size, analysis). The
        # vocabulary only grows, so an unchanged size means the same analysis.
        self._last: tuple[FeedItemText, int, Analysed] | None = None

    def index(self, stories: Iterable[CandidateStory]) -> StoryIndex:
        return StoryIndex(stories, self.vocabulary)

    def observe(self, item: FeedItemText, decision: MatchDecision) -> None:
        """Learns from a decided item: its lower-case words join the vocabulary, and an unrelated item joins the
        background statistics (developments and duplicates are not news 'in general', and would make the
        stories' own words look common)."""
        analysed = self._analyse(item)
        self.vocabulary |= analysed.lowercase
        if decision.kind == MatchKind.UNRELATED:
            self.background.add(analysed.counts)

    def _analyse(self, item: FeedItemText) -> Analysed:
        last = self._last
        if last is not None and last[0] is item and last[1] == len(self.vocabulary):
            return last[2]
        article = " ".join(item.article.split()[: self.settings.article_words])
        analysed = analyse([(item.title, 2.0), (item.summary, 1.0), (article, 0.5)], self.vocabulary)
        self._last = (item, len(self.vocabulary), analysed)
        return analysed

    def _damped(self, logged: dict[str, float], anchors: frozenset[str], names: frozenset[str]) -> dict[str, float]:
        """Weighted vector (of ln(1 + tf) terms) with names turned down: matching is about what happened, more than
        to whom."""
        vector = self.background.weigh_logged(logged)
        anchor_weight, name_weight = self.settings.anchor_weight, self.settings.name_weight
        for term in vector:
            if term in anchors:
                vector[term] *= anchor_weight
            elif term in names:
                vector[term] *= name_weight
        return vector

    def _story_vector(self, story: _Story) -> dict[str, float]:
        if story.vector_version != self.background.epoch:
            story.vector = self._damped(story.log_tf, story.anchors, story.names)
            story.norm = math.sqrt(sum(weight * weight for weight in story.vector.values()))
            story.vector_version = self.background.epoch
        return story.vector

    def _development_vector(self, story: _Story, development: _Development) -> dict[str, float]:
        if development.vector_version != self.background.epoch:
            development.vector = self._damped(development.log_tf, story.anchors, development.names)
            development.vector_version = self.background.epoch
        return development.vector

    def _candidates(self, item: Analysed, index: StoryIndex, allowed: Callable[[int], bool] | None) -> set[int]:
        """The stories worth a full score: the anchored ones sharing the most rare words with the item, and a few
        unanchored ones (only ever reported as "best story"). Words used by over a tenth of the stories are left
        out of this shortlist's ranking: they cannot tell stories apart, and would make it cost O(stories).
        `allowed(story_id)`: only those stories are candidates (a feed's own story, or a server's)."""
        common = max(50, len(index) // 10)
        overlap: Counter[int] = Counter()
        for term in item.counts:
            postings = index.postings.get(term)
            if postings and len(postings) <= common:
                rarity = self.background.idf(term)
                for position in postings:
                    overlap[position] += rarity
        anchored = {position for term in item.counts for position in index.anchor_postings.get(term, ())}
        if allowed is not None:
            stories = index.stories
            overlap = Counter({p: v for p, v in overlap.items() if allowed(stories[p].story_id)})
            anchored = {p for p in anchored if allowed(stories[p].story_id)}
        ranked = heapq.nlargest(ANCHORED_CANDIDATES, anchored, key=overlap.__getitem__)
        others = heapq.nlargest(OTHER_CANDIDATES, (p for p in overlap if p not in anchored), key=overlap.__getitem__)
        return set(ranked) | set(others)

    def _score_all(self, item: Analysed, index: StoryIndex, allowed: Callable[[int], bool] | None) -> list[_Scored]:
        base = weigh(item.counts, self.background)
        anchor_weight, name_weight = self.settings.anchor_weight, self.settings.name_weight
        scored: list[_Scored] = []
        for position in self._candidates(item, index, allowed):
            story = index.stories[position]
            story_vector = self._story_vector(story)
            # The cosine of the damped vectors (see _damped), without building the item's vector per story.
            vector: dict[str, float] = {}
            dot = norm = 0.0
            for term, weight in base.items():
                if term in story.anchors:
                    weight *= anchor_weight
                elif term in item.names:
                    weight *= name_weight
                vector[term] = weight
                norm += weight * weight
                dot += weight * story_vector.get(term, 0.0)
            score = dot / (math.sqrt(norm) * story.norm) if dot else 0.0
            covered = story.anchors & item.counts.keys()
            anchored = bool(covered)
            if anchored and covered != story.anchors:
                # A story is named by all of its title's names; an item with only some is weaker evidence.
                idf = self.background.idf
                share = sum(idf(term) for term in covered) / sum(idf(term) for term in story.anchors)
                score *= self.settings.partial_anchor_floor + (1 - self.settings.partial_anchor_floor) * share
            conflict = None
            novel = item.settings - story.counts.keys()
            if anchored and novel and story.settings and not story.settings & item.counts.keys():
                conflict = (
                    f"it happens in or at {', '.join(sorted(novel))}, not {', '.join(sorted(story.settings)[:4])}"
                )
                score *= self.settings.conflict_factor
            scored.append(_Scored(story, score, anchored, conflict, vector))
        scored.sort(key=lambda s: (-s.score, s.story.story_id))
        return scored

    def _duplicate(
        self, item: FeedItemText, scored: _Scored, shingles: frozenset[int]
    ) -> tuple[_Development, float, float] | None:
        settings = self.settings
        best: tuple[_Development, float, float] | None = None
        for development in scored.story.developments:
            if (
                item.published is not None
                and development.published is not None
                and abs(item.published - development.published) > settings.duplicate_window
            ):
                continue
            containment = len(shingles & development.shingles) / len(shingles) if shingles else 0.0
            similarity = cosine(scored.vector, self._development_vector(scored.story, development))
            if containment < settings.wire_containment and similarity < settings.duplicate_similarity:
                continue
            if best is None or (containment, similarity) > (best[2], best[1]):
                best = (development, similarity, containment)
        return best

    def decide(
        self,
        item: FeedItemText,
        stories: StoryIndex | Sequence[CandidateStory],
        allowed: Callable[[int], bool] | None = None,
    ) -> MatchDecision:
        """`allowed(story_id)`: the candidates among the indexed stories (all of them when None)."""
        index = stories if isinstance(stories, StoryIndex) else self.index(stories)
        analysed = self._analyse(item)
        scored = self._score_all(analysed, index, allowed)
        best = scored[0] if scored else None
        best_id, best_score = (best.story.story_id, round(best.score, 4)) if best else (None, 0.0)
        anchored = [s for s in scored if s.anchored]
        settings = self.settings

        shingles = _shingles(f"{item.title}\n{item.summary}")
        duplicates = [(s, d) for s in anchored if s.conflict is None and (d := self._duplicate(item, s, shingles))]
        if duplicates:
            story_scored, (development, similarity, containment) = max(
                duplicates, key=lambda pair: (pair[1][2], pair[1][1])
            )
            how = (
                f"wire copy ({containment:.0%} of its wording)"
                if containment >= settings.wire_containment
                else f"the same event in other words (similarity {similarity:.2f})"
            )
            return MatchDecision(
                MatchKind.DUPLICATE,
                story_scored.story.story_id,
                development.development_id,
                round(max(similarity, containment), 4),
                best_id,
                best_score,
                f"duplicate of development {development.development_id}: {how}",
            )
        if anchored and anchored[0].score >= settings.development_score:
            chosen = anchored[0]
            return MatchDecision(
                MatchKind.DEVELOPMENT,
                chosen.story.story_id,
                None,
                round(chosen.score, 4),
                best_id,
                best_score,
                f"development of story {chosen.story.story_id}: score {chosen.score:.2f} "
                f"(threshold {settings.development_score:.2f})",
            )
        if anchored:
            top = anchored[0]
            why = f"best story {top.story.story_id} scored {top.score:.2f}, below {settings.development_score:.2f}"
            if top.conflict:
                why += f"; {top.conflict}, so it reports another event"
        elif best is not None:
            why = f"it names nothing from any story's title (best story {best_id}, score {best_score:.2f})"
        else:
            why = "no story shares a word with it"
        return MatchDecision(MatchKind.UNRELATED, None, None, best_score, best_id, best_score, f"unrelated: {why}")
