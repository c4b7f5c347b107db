"""Reading what residents type: the need vocabulary turns words into kinds and typologies.

`interpret(q)` splits a free-text query into the service kinds and place typologies it
names (from the `NeedWord` rows registry admins edit), the words it corrected, the filler
words it ignored, and the leftover words that go to text search. Phrases of several words
are tried first ("carte grise" before "carte"); comparison is accent- and case-free and
forgives a plural or, for words of five letters or more, one typo.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.utils import timezone

from places import textsearch
from places.models import Place, normalize_text
from services.models import NeedWord

# A query longer than this many words is cut: nobody types more, and it bounds the SQL.
MAX_WORDS = 12

# Words that carry no need on their own: they never make a query fail. French and English,
# accent-free, as `phrase_key` writes them.
STOP_WORDS = frozenset(
    " ".join(
        [
            "a aide aider aides am an and any are at au autour aux avec besoin by c can ce",
            "ces cet cette cherche chercher chez chose comment d de des do document documents",
            "dossier du elle en endroit est et faire find for from get help how i ici il ils",
            "in is j je l la le les leur lieu lieux looking m ma me mes moi mon my n ne near",
            "need nous of on or ou par pas place places please pour pres proche proximite qu",
            "que quel quelle quelles quelqu quelque quels qui s sa se service services ses",
            "some son suis sur t ta te tes the to ton trouver tu un une veux vos votre",
            "voudrais want where with y",
        ]
    ).split()
)


def phrase_key(value: str) -> str:
    """Lower-case, accent-free words separated by one space (punctuation removed)."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", normalize_text(value)).split())


def _singular(word: str) -> str:
    if len(word) > 3 and word[-1] in "sx":
        return word[:-1]
    return word


def _one_edit(a: str, b: str) -> bool:
    """True when `a` and `b` differ by one letter wrong, missing, extra or two swapped."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    if la > lb:
        a, b = b, a
    # b is one letter longer: removing one letter of b gives a.
    return any(b[:i] + b[i + 1 :] == a for i in range(len(b)))


def _same_word(typed: str, known: str) -> tuple[bool, bool]:
    """(matches, is a correction): exact or plural is no correction; one typo is one."""
    if typed == known or _singular(typed) == _singular(known):
        return True, False
    if len(known) >= 5 and len(typed) >= 5 and _one_edit(_singular(typed), _singular(known)):
        return True, True
    return False, False


# Words for a time, read out of the query ("CAF samedi matin", "open now", "demain 14h").
DAYS = {
    **dict.fromkeys(["lundi", "monday"], 0),
    **dict.fromkeys(["mardi", "tuesday"], 1),
    **dict.fromkeys(["mercredi", "wednesday"], 2),
    **dict.fromkeys(["jeudi", "thursday"], 3),
    **dict.fromkeys(["vendredi", "friday"], 4),
    **dict.fromkeys(["samedi", "saturday"], 5),
    **dict.fromkeys(["dimanche", "sunday"], 6),
}
DAYS_AHEAD = {"aujourd hui": 0, "today": 0, "demain": 1, "tomorrow": 1, "tonight": 0}
# A part of the day read as one time (minutes after midnight): when most counters are open.
PARTS_OF_DAY = {
    "apres midi": 15 * 60,
    "afternoon": 15 * 60,
    "matin": 10 * 60,
    "matinee": 10 * 60,
    "morning": 10 * 60,
    "midi": 12 * 60,
    "noon": 12 * 60,
    "soir": 18 * 60 + 30,
    "soiree": 18 * 60 + 30,
    "evening": 18 * 60 + 30,
    "tonight": 18 * 60 + 30,
}
NOW_WORDS = frozenset(["maintenant", "now", "actuellement"])
# "ouvert" asks for now only when no day or time is named ("ouvert samedi" is Saturday).
OPEN_WORDS = frozenset(["ouvert", "ouverte", "ouverts", "ouvertes", "open"])
DEFAULT_MINUTES = 10 * 60  # a day named without a time
HOUR_TOKEN = re.compile(r"^(\d{1,2})h(\d{2})?$")
MERIDIEM_TOKEN = re.compile(r"^(\d{1,2})(am|pm)$")
DIGITS = re.compile(r"^\d{1,2}$")


@dataclass
class When:
    """A time named in a query: now, or a day (a weekday or days from today) and a time."""

    now: bool = False
    weekday: int | None = None  # 0 is Monday
    days_ahead: int | None = None  # 0 today, 1 tomorrow
    minutes: int | None = None  # after midnight
    open_word: bool = False  # "ouvert"/"open" alone means now

    @property
    def named(self) -> bool:
        return self.now or self.open_word or self.has_day_or_time

    @property
    def has_day_or_time(self) -> bool:
        return self.weekday is not None or self.days_ahead is not None or self.minutes is not None

    def at(self, now: datetime.datetime) -> datetime.datetime | None:
        """The instant named, on the clock of `now` (aware, local), or None if none is named.

        A weekday is the next one, today included while its time is still ahead; a time
        alone is today's, or tomorrow's once passed; a day without a time is read at 10:00
        (when most counters are open), or from now when that day is today.
        """
        if self.now or (self.open_word and not self.has_day_or_time):
            return now
        if not self.has_day_or_time:
            return None
        today = now.date()
        if self.days_ahead is not None:
            day = today + datetime.timedelta(days=self.days_ahead)
        elif self.weekday is not None:
            day = today + datetime.timedelta(days=(self.weekday - today.weekday()) % 7)
        else:
            day = today
        minutes = self.minutes
        if minutes is None:
            if day == today:
                return now
            minutes = DEFAULT_MINUTES
        elif day == today and minutes < now.hour * 60 + now.minute and self.days_ahead is None:
            day += datetime.timedelta(days=7 if self.weekday is not None else 1)
        wall = datetime.datetime.combine(day, datetime.time(minutes // 60, minutes % 60))
        return timezone.make_aware(wall, now.tzinfo)


def _clock(hours: str, minutes: str | None = "0", meridiem: str = "") -> int | None:
    h, m = int(hours), int(minutes or 0)
    if meridiem:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if meridiem == "pm" else 0)
    if h > 23 or m > 59:
        return None
    return h * 60 + m


def _time_at(tokens: list[str], i: int, when: When) -> int:
    """How many tokens from `i` name a time (0 if none); what they name goes into `when`."""
    token = tokens[i]
    pair = " ".join(tokens[i : i + 2])
    following = tokens[i + 1] if i + 1 < len(tokens) else ""
    if pair in DAYS_AHEAD or pair in PARTS_OF_DAY:
        when.days_ahead = DAYS_AHEAD.get(pair, when.days_ahead)
        when.minutes = PARTS_OF_DAY.get(pair, when.minutes)
        return 2
    if token in DAYS_AHEAD or token in PARTS_OF_DAY:
        when.days_ahead = DAYS_AHEAD.get(token, when.days_ahead)
        when.minutes = PARTS_OF_DAY.get(token, when.minutes)
        return 1
    day = DAYS.get(token, DAYS.get(_singular(token)))
    if day is not None:
        when.weekday = day
        return 1
    if token in NOW_WORDS:
        when.now = True
        return 1
    if token in OPEN_WORDS:
        when.open_word = True
        return 1
    match = HOUR_TOKEN.match(token)
    if match and (minutes := _clock(match[1], match[2])) is not None:
        when.minutes = minutes
        return 1
    match = MERIDIEM_TOKEN.match(token)
    if match and (minutes := _clock(match[1], "0", match[2])) is not None:
        when.minutes = minutes
        return 1
    if DIGITS.match(token) and following in ("h", "am", "pm"):
        meridiem = "" if following == "h" else following
        after = tokens[i + 2] if i + 2 < len(tokens) else ""
        with_minutes = following == "h" and DIGITS.match(after) and len(after) == 2
        minutes = _clock(token, after if with_minutes else "0", meridiem)
        if minutes is not None:
            when.minutes = minutes
            return 3 if with_minutes else 2
    if DIGITS.match(token) and DIGITS.match(following) and len(following) == 2:
        # "14:30" arrives as "14 30": read as a time only when it makes one.
        minutes = _clock(token, following)
        if minutes is not None:
            when.minutes = minutes
            return 2
    return 0


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    kinds: frozenset[str]
    typologies: frozenset[str]


@dataclass
class Interpretation:
    kinds: set[str] = field(default_factory=set)
    typologies: set[str] = field(default_factory=set)
    recognised: list[str] = field(default_factory=list)  # vocabulary phrases found
    corrections: dict[str, str] = field(default_factory=dict)  # typed -> vocabulary word
    words: list[str] = field(default_factory=list)  # left for text search
    ignored: list[str] = field(default_factory=list)  # stop words
    # Set by `understand`: do the leftover words appear in any place's text at all?
    words_in_registry: bool = False
    when: When = field(default_factory=When)  # a time named in the query
    time_words: list[str] = field(default_factory=list)  # the words that named it

    @property
    def understood(self) -> bool:
        return bool(self.kinds or self.typologies)


def load_terms() -> list[Term]:
    """The whole vocabulary, longest phrases first (one query)."""
    terms = [
        Term(tuple(normalized.split()), frozenset(kinds), frozenset(typologies))
        for normalized, kinds, typologies in NeedWord.objects.values_list(
            "normalized", "kinds", "typologies"
        )
        if normalized
    ]
    terms.sort(key=lambda term: -len(term.words))
    return terms


def _match_at(tokens: list[str], start: int, term: Term) -> dict[str, str] | None:
    """The corrections made if `term` matches the tokens from `start`, else None."""
    size = len(term.words)
    if start + size > len(tokens):
        return None
    corrections = {}
    for typed, known in zip(tokens[start : start + size], term.words, strict=True):
        same, corrected = _same_word(typed, known)
        if not same:
            return None
        if corrected:
            corrections[typed] = known
    return corrections


def _longest_at(tokens, i, terms, *, allow_typo):
    """The longest vocabulary term matching from token `i`, with its corrections, or None."""
    found: tuple[Term, dict[str, str]] | None = None
    for term in terms:
        corrections = _match_at(tokens, i, term)
        if corrections is None or (corrections and not allow_typo):
            continue
        if found is None or len(term.words) > len(found[0].words):
            found = (term, corrections)
    return found


def interpret(q: str, terms: list[Term] | None = None, *, typos: bool = False) -> Interpretation:
    """What a typed query asks for. `terms` defaults to the vocabulary in the database.

    Greedy from left to right: at each word, the longest vocabulary phrase that matches
    as typed (or as a plural) wins, then, with `typos`, the longest that matches with one
    typo; words matching nothing are stop words (ignored) or left for text search.
    """
    result = Interpretation()
    tokens = phrase_key(q or "").split()[:MAX_WORDS]
    if not tokens:
        return result
    if terms is None:
        terms = load_terms()
    i = 0
    while i < len(tokens):
        # An exact need word first, then a time ("samedi", "14h"), then a close spelling.
        found = _longest_at(tokens, i, terms, allow_typo=False)
        taken = 0 if found else _time_at(tokens, i, result.when)
        if found is None and not taken and typos:
            found = _longest_at(tokens, i, terms, allow_typo=True)
        if found is None and taken:
            result.time_words.append(" ".join(tokens[i : i + taken]))
            i += taken
            continue
        if found is not None:
            term, corrections = found
            result.kinds |= term.kinds
            result.typologies |= term.typologies
            result.recognised.append(" ".join(term.words))
            result.corrections.update(corrections)
            i += len(term.words)
            continue
        token = tokens[i]
        if token in STOP_WORDS:
            result.ignored.append(token)
        else:
            result.words.append(token)
        i += 1
    return result


def understand(q: str) -> Interpretation:
    """`interpret`, guessing typos only for words that the places' text does not hold.

    "espace" is a word of many place names and one typo away from "espèces": it must stay
    text. "imprimmer" matches no place: read with one typo, it is "imprimer". Costs one
    query (the vocabulary), plus one EXISTS when words are left for text search.
    """
    terms = load_terms() if (q or "").strip() else []
    reading = interpret(q, terms)
    if not reading.words:
        return reading
    if textsearch.matching(Place.objects.all(), reading.words).exists():
        reading.words_in_registry = True
        return reading
    return interpret(q, terms, typos=True)


@dataclass
class WordMatch:
    """What the leftover words of a query did to a set of places (see `match_words`)."""

    queryset: object
    ranked: bool = False  # the places carry `text_rank` (higher is more relevant)
    tolerant: bool = False  # found with close spellings
    unknown_words: list[str] = field(default_factory=list)  # words matching no place
    words_left_out: bool = False  # ...dropped because the rest of the query was understood


def match_words(queryset, reading: Interpretation) -> WordMatch:
    """The leftover words of a reading applied to `queryset`, for every search interface.

    Ranked matches, else close spellings, else none. When the words appear in no place at
    all but the query named a need or a kind of place, they are left out (and reported)
    rather than emptying an answer the vocabulary understood ("aide caf zzz" answers as
    "aide caf"). Known words that just do not meet the rest of the query ("caf" and a
    library's name) answer nothing.
    """
    if not reading.words:
        return WordMatch(queryset)
    exact = textsearch.matching(queryset, reading.words)
    if exact.exists():
        return WordMatch(exact, ranked=True)
    close = textsearch.close_spelling(queryset, reading.words)
    if close.exists():
        return WordMatch(close, ranked=True, tolerant=True)
    if reading.words_in_registry:
        return WordMatch(queryset.none())
    if reading.understood:
        return WordMatch(queryset, unknown_words=list(reading.words), words_left_out=True)
    return WordMatch(queryset.none(), unknown_words=list(reading.words))
