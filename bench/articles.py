"""Deterministic generator of seed-like articles (plain-text form, ~2.9 KB, same structure as the seed).

Every article has: a title, "N min read", a dek, a date line, a lead paragraph, four headed sections of
"- Label: text" bullets (the first one a "Key Points of ...:" section), a lead-in ending in "to:" and a
closing paragraph. Titles are unique per generator (so slugs are unique too), words are drawn from a
hand-written vocabulary plus invented proper nouns, and everything is driven by one `random.Random(seed)`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from bot.story_model import slugify

# --- vocabulary ------------------------------------------------------------------------------------

FIRST_NAMES = """Mark Sundar Satya Tim Jensen Lisa Mary Elon Jeff Andy Safra Ginni Arvind Shantanu Pat Kim Yuki
Hiroshi Min-jun Seo-yeon Wei Li Ana Sofia Lucas Mateo Amara Chidi Priya Rahul Fatima Omar Leila Noah Emma
Olivia Liam Ingrid Lars Anya Dmitri Carmen Diego Isabel Tomas Greta Henrik Aiko Kenji Mei Jun Ravi Sana Yusuf
Zara Felix Clara Hugo Elena Marco Nadia""".split()

LAST_NAMES = """Zuckerberg Pichai Nadella Cook Huang Su Barra Musk Bezos Jassy Catz Rometty Krishna Narayen Gelsinger
Tanaka Sato Park Kim Lee Chen Wang Silva Santos Okafor Mensah Sharma Gupta Haddad Rahman Nguyen Tran Larsen
Johansson Petrova Ivanov Garcia Lopez Moreau Dubois Schmidt Weber Rossi Bianchi Novak Kowalski Horvat Yamamoto
Suzuki Watanabe Das Iyer Kapoor Ali Hassan Costa Ferreira Eriksen Lindqvist Fischer Becker Morales Romero""".split()

ORGS = """Meta Google Microsoft Apple Nvidia AMD Intel Samsung Baidu Alibaba Tencent Sony Toyota Siemens SAP Oracle
IBM Qualcomm Arm Broadcom Huawei Xiaomi Netflix Spotify Amazon Tesla Airbus Boeing Ericsson Nokia Philips
Unilever Nestle Shell Aramco Infosys Wipro Reliance Naver Kakao Rakuten Softbank Hyundai LG Foxconn TSMC
ASML Micron Adobe Salesforce""".split()

PLACES = """Korea Japan India Brazil Mexico Germany France Spain Italy Poland Sweden Norway Finland Denmark Egypt
Nigeria Kenya Ghana Morocco Turkey Israel Jordan Qatar Oman Vietnam Thailand Malaysia Singapore Indonesia
Philippines Australia Canada Chile Peru Colombia Argentina Ireland Portugal Greece Austria Switzerland Belgium
Netherlands Estonia Latvia Lithuania Taiwan Mongolia Kazakhstan Uzbekistan Pakistan Bangladesh""".split()

REGIONS = "Asian European African Latin-American Nordic Gulf Baltic Pacific Mediterranean Andean".split()

ROLES = "CEO chairman president founder chief executive head director".split()

TOPICS = """artificial intelligence, cloud computing, semiconductor supply, electric vehicles, renewable energy,
quantum computing, digital payments, cybersecurity, satellite internet, battery storage, robotics, biotech
research, online advertising, data centers, mobile networks, smart factories, autonomous driving, streaming
media, chip design, green hydrogen, open source software, medical imaging, food delivery, space launch,
wearable devices, smart cities, edge computing, language models, content moderation, privacy rules""".replace(
    "\n", " "
).split(", ")

NOUNS = """investment partnership agreement market strategy platform network program initiative research
development talent infrastructure ecosystem expansion growth capacity demand supply chain factory plant
product service device feature customer user developer partner government regulator ministry official
policy framework standard rule deal venture fund budget revenue profit margin share price outlook forecast
analyst investor board committee team unit division office campus hub center lab facility site region
country economy industry sector competitor rival giant startup leader player pioneer project pilot trial
test launch rollout upgrade release version model system tool chip processor sensor battery grid cable
satellite license patent contract tender bid offer merger acquisition stake subsidiary spinoff roadmap
milestone target goal priority challenge risk concern pressure criticism support backing approval review
inquiry audit report study survey data insight signal trend shift wave boom slowdown recovery""".split()

VERBS = """expand accelerate strengthen secure deepen boost support unlock advance reshape transform explore
pursue deliver build develop deploy integrate launch scale finance fund back acquire license negotiate
discuss review assess evaluate weigh consider announce unveil confirm signal outline propose approve
challenge rival counter match outpace attract recruit train hire open establish extend renew revive
streamline simplify modernize digitize localize diversify stabilize protect defend shield monitor track
measure test pilot trial""".split()

ADJECTIVES = """strategic global regional local national domestic foreign major leading key critical crucial
significant ambitious bold cautious steady rapid gradual early late long-term short-term new fresh joint
shared public private commercial industrial digital technical financial economic political regulatory
competitive robust reliable secure flexible scalable efficient affordable advanced emerging growing
expanding promising attractive valuable sustainable clean green smart custom core broader wider deeper
stronger""".split()

ADVERBS = "reportedly currently increasingly steadily quickly quietly openly publicly formally jointly".split()

MODALS = ("aims to", "plans to", "is expected to", "hopes to", "could", "will", "is set to", "wants to", "may")

HEADING_NOUNS = "Visit Trip Tour Deal Plan Move Bet Push Talks Summit Launch Pivot Review Strategy Announcement".split()

TITLE_TEMPLATES = (
    "{person} Visits {place} to Discuss {Topic} and {org}'s Push in the Region",
    "{org} Bets on {place} as {person} Pushes {Topic} Plans",
    "{person} Heads to {place} for {Topic} Talks With {org2}",
    "{org} and {org2} Weigh {Topic} Venture in {place}",
    "{place} Courts {org} Over {Topic} as {person} Arrives",
    "{person} Unveils {org}'s {Topic} Strategy During {place} Stop",
    "{org} Expands {Topic} Hub in {place} After {person} Meeting",
    "Why {person} Is Betting on {place} for {org}'s {Topic} Growth",
)

_SYLLABLES = "ka ri to mo na se lu vi da re po ha zu ne mi ta lo ba sa ki ra no vo el an or ix um".split()


@dataclass(frozen=True, slots=True)
class Article:
    """One generated article: its file text, its title and the slug the parser will derive."""

    text: str
    title: str
    slug: str


def _title_case(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in text.split())


class ArticleGenerator:
    """Seed-like articles, deterministic for a given seed. `titles()` alone is cheap (for store building)."""

    def __init__(self, seed: int = 2024) -> None:
        self.rng = random.Random(seed)
        self.used_slugs: set[str] = set()
        # A long tail of invented proper nouns (people, firms, towns) so the FTS vocabulary keeps growing.
        self.invented = sorted({self._invent() for _ in range(3000)})

    # --- pieces ------------------------------------------------------------------------------------

    def _invent(self) -> str:
        word = "".join(self.rng.choice(_SYLLABLES) for _ in range(self.rng.randint(2, 4)))
        return word.capitalize()

    def _pick(self, words: list[str]) -> str:
        # Uniform: with lists this short, a Zipf-like skew puts the top words in nearly every article,
        # far more often than real news vocabulary (which would overstate the FTS prefix-match counts).
        return self.rng.choice(words)

    def _person(self) -> tuple[str, str]:
        first = self.rng.choice(FIRST_NAMES)
        last = self.rng.choice(LAST_NAMES) if self.rng.random() < 0.6 else self.rng.choice(self.invented)
        return first, last

    def _org(self) -> str:
        return self.rng.choice(ORGS) if self.rng.random() < 0.7 else self.rng.choice(self.invented) + "soft"

    def _place(self) -> str:
        return self.rng.choice(PLACES) if self.rng.random() < 0.8 else "New " + self.rng.choice(self.invented)

    def _clause(self, org: str, place: str) -> str:
        rng = self.rng
        subject = rng.choice(
            (
                f"{org}",
                f"the {self._pick(ADJECTIVES)} {self._pick(NOUNS)}",
                f"{place}'s {self._pick(NOUNS)}",
                f"{rng.choice(self.invented)} {self._pick(NOUNS)}",
                f"{rng.choice(ORGS)}",
            )
        )
        verb = self._pick(VERBS)
        obj = f"its {self._pick(ADJECTIVES)} {self._pick(NOUNS)} {self._pick(NOUNS)}"
        tail = rng.choice(
            (
                f" in {place}",
                f" with {rng.choice(ORGS)} and {rng.choice(self.invented)}",
                f" across the {self._pick(NOUNS)} {self._pick(NOUNS)}",
                f" before the {self._pick(ADJECTIVES)} {self._pick(NOUNS)}",
                f" amid {self._pick(ADJECTIVES)} {self._pick(NOUNS)}",
                "",
            )
        )
        adverb = f"{self._pick(ADVERBS)} " if rng.random() < 0.3 else ""
        return f"{subject} {adverb}{rng.choice(MODALS)} {verb} {obj}{tail}"

    def _sentence(self, org: str, place: str, target_chars: int) -> str:
        parts = [self._clause(org, place)]
        joiners = (", and ", ", while ", " as ", ", which could help ", ", because ")
        while sum(len(p) for p in parts) < target_chars:
            joiner = self.rng.choice(joiners)
            parts.append(joiner + self._clause(org, place))
        text = "".join(parts)
        return text[:1].upper() + text[1:] + "."

    def _label(self) -> str:
        return _title_case(f"{self._pick(ADJECTIVES)} {self._pick(NOUNS)}")

    def _title(self) -> tuple[str, str, str, str, str, str]:
        while True:
            first, last = self._person()
            org, org2 = self._org(), self._org()
            place = self._place()
            topic = self.rng.choice(TOPICS)
            template = self.rng.choice(TITLE_TEMPLATES)
            title = template.format(
                person=f"{first} {last}" if self.rng.random() < 0.4 else last,
                org=org,
                org2=org2,
                place=place,
                Topic=_title_case(topic),
            )
            slug = slugify(title)
            if slug not in self.used_slugs:
                self.used_slugs.add(slug)
                return title, slug, f"{first} {last}", org, place, topic

    # --- public ------------------------------------------------------------------------------------

    def title(self) -> tuple[str, str]:
        """A fresh unique (title, slug) without generating a body."""
        title, slug, *_ = self._title()
        return title, slug

    def article(self) -> Article:
        rng = self.rng
        title, slug, person, org, place, topic = self._title()
        last = person.split()[-1]
        month = rng.choice(
            "January February March April May June July August September October November December".split()
        )
        clock = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
        date = f"{month} {rng.randint(1, 28)}, {rng.randint(2019, 2025)} {clock}"
        dek = (
            f"{person}, {rng.choice(ROLES)} of {org}, is currently on a tour of {rng.choice(REGIONS)} countries, "
            f"with a recent stop in {place}. " + self._sentence(org, place, 80)
        )
        lead = self._sentence(org, place, 110) + " " + self._sentence(org, place, 80)
        lines = [title, f"{rng.randint(4, 8)} min read", dek, date, lead]
        headings = (
            f"Key Points of {last}'s {rng.choice(HEADING_NOUNS)}:",
            f"Why {place}?",
            f"Potential {rng.choice(('Outcomes', 'Impacts', 'Implications'))}:",
        )
        for heading in headings:
            lines.append(heading)
            lines += [f"- {self._label()}: {self._sentence(org, place, rng.randint(75, 120))}" for _ in range(3)]
        lines.append("Looking Ahead:")
        lines.append(f"{last}'s {rng.choice(HEADING_NOUNS).lower()} to {place} signifies {org}'s commitment to:")
        lines += [f"- {self._label()}: {self._sentence(org, place, rng.randint(75, 110))}" for _ in range(2)]
        lines.append(
            f"The outcome of {last}'s {rng.choice(HEADING_NOUNS).lower()} and the future of {org}'s {topic} "
            f"endeavors in {place} will be worth following closely. " + self._sentence(org, place, 90)
        )
        return Article("\n".join(lines), title, slug)

    def update_text(self) -> str:
        """What a `/story update` or `briefbot update --text` says: a sentence, then 1-3 "- Label: text" bullets."""
        org, place = self._org(), self._place()
        lines = [self._sentence(org, place, self.rng.randint(60, 160))]
        lines += [
            f"- {self._label()}: {self._sentence(org, place, self.rng.randint(50, 100))}"
            for _ in range(self.rng.randint(1, 3))
        ]
        return "\n".join(lines)

    def articles(self, count: int) -> Iterator[Article]:
        for _ in range(count):
            yield self.article()
