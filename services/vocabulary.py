"""Reading what residents type: the need vocabulary turns words into kinds and typologies.

`interpret(q)` splits a free-text query into the service kinds and place typologies it
names (from the `NeedWord` rows registry admins edit), the words it corrected, the filler
words it ignored, and the leftover words that go to text search. Phrases of several words
are tried first ("carte grise" before "carte"); comparison is accent- and case-free and
forgives a plural or, for words of five letters or more, one typo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
        found: tuple[Term, dict[str, str]] | None = None
        for allow_typo in (False, True) if typos else (False,):
            for term in terms:
                corrections = _match_at(tokens, i, term)
                if corrections is None or (corrections and not allow_typo):
                    continue
                if found is None or len(term.words) > len(found[0].words):
                    found = (term, corrections)
            if found is not None:
                break
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
