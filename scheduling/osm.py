"""OSM `opening_hours` strings: validation, evaluation by the library, import and export.

Import maps a string onto structured rules only when it is written in the subset the rules
express exactly (the grammar below); the result is then checked against the library's own
evaluation over a year. Anything else stays an OSM-text schedule evaluated by the library,
so a string is never silently approximated.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import opening_hours
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from scheduling.rules import (
    WEEKDAY_CODES,
    Interval,
    Rule,
    RuleSet,
    TimeRange,
    merge,
    parse_time_range,
    rules_from_data,
)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_RE = "|".join(MONTHS)
_WDAY_RE = "|".join(WEEKDAY_CODES)
_DAY_SPEC = rf"(?:{_WDAY_RE})(?:-(?:{_WDAY_RE}))?(?:\[-?\d(?:,-?\d)*\])?"
_WDAYS = re.compile(rf"^{_DAY_SPEC}(?:,{_DAY_SPEC})*$")
_TIMES = re.compile(r"^\d{2}:\d{2}-\d{2}:\d{2}(?:,\d{2}:\d{2}-\d{2}:\d{2})*$")
_DATE = rf"(\d{{4}}) ({_MONTH_RE}) (\d{{1,2}})"
_ABS_RANGE = re.compile(rf"^{_DATE}(?:-{_DATE})?$")
_YEARLY = re.compile(rf"^({_MONTH_RE})(?: (\d{{1,2}}))?-({_MONTH_RE})(?: (\d{{1,2}}))?:?$")


class NotRepresentable(ValueError):
    """The string is valid OSM but outside what the structured rules can express exactly."""


def check_syntax(text: str) -> opening_hours.OpeningHours:
    """Parse with the library; ValidationError on `osm_source` quoting the faulty part."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"osm_source": [_("Give an opening_hours text.")]})
    try:
        return opening_hours.OpeningHours(text)
    except (opening_hours.ParserError, SyntaxError, ValueError) as exc:
        raise ValidationError({"osm_source": [_syntax_message(text, str(exc))]}) from None


def _syntax_message(text: str, detail: str) -> str:
    match = re.search(r"--> 1:(\d+)", detail)
    if not match:
        return _("This opening_hours text cannot be read: %(detail)s") % {"detail": detail}
    column = int(match.group(1)) - 1
    expected = re.search(r"= expected (.+)", detail)
    return _("Cannot read the opening_hours text at “%(part)s” (position %(pos)s)%(exp)s.") % {
        "part": text[column : column + 12] or _("the end"),
        "pos": column + 1,
        "exp": (": " + _("expected %(what)s") % {"what": expected.group(1)}) if expected else "",
    }


def library_ranges(text: str):
    """A base-range source evaluating the OSM string with the library, in local time."""
    parsed = opening_hours.OpeningHours(text, country="FR")

    def ranges(lo: datetime.datetime, hi: datetime.datetime) -> list[Interval]:
        return [
            (start, end)
            for start, end, state, _comment in parsed.intervals(lo, hi)
            if state == opening_hours.State.OPEN and end is not None
        ]

    return ranges


# -- import -------------------------------------------------------------------------------


@dataclass
class Imported:
    rules: list[dict]
    public_holidays: str = "open"
    holiday_times: tuple[str, ...] = ()


def _expand_days(spec: str) -> list[tuple[list[int], list[int]]]:
    """'Mo-Fr,Sa[1]' → [([0..4], []), ([5], [1])]: one group per distinct nth list."""
    groups: dict[tuple[int, ...], list[int]] = {}
    for part in re.split(r",(?![^\[]*\])", spec):
        match = re.match(rf"^({_WDAY_RE})(?:-({_WDAY_RE}))?(?:\[([-\d,]+)\])?$", part)
        if not match:
            raise NotRepresentable(spec)
        first = WEEKDAY_CODES.index(match.group(1))
        last = WEEKDAY_CODES.index(match.group(2)) if match.group(2) else first
        span = [(first + i) % 7 for i in range((last - first) % 7 + 1)]
        nth = tuple(int(n) for n in match.group(3).split(",")) if match.group(3) else ()
        groups.setdefault(nth, []).extend(span)
    return [(sorted(set(days)), list(nth)) for nth, days in groups.items()]


def _abs_date(year: str, month: str, day: str) -> datetime.date:
    return datetime.date(int(year), MONTHS.index(month) + 1, int(day))


def _parse_rule(text: str, season: str) -> list[dict]:
    tokens = text.split()
    rule: dict = {"kind": "weekly", "days": list(range(7))}
    if tokens and tokens[0] == "SH":
        season = "school_holidays"
        tokens = tokens[1:]
    # A leading absolute date or date range ("2025 Dec 24", "2025 Apr 1-2025 Oct 31").
    for count in (5, 3):
        match = _ABS_RANGE.match(" ".join(tokens[:count])) if len(tokens) >= count else None
        if match:
            first = _abs_date(*match.group(1, 2, 3))
            last = _abs_date(*match.group(4, 5, 6)) if match.group(4) else first
            rule = {"kind": "dates", "start_date": first.isoformat(), "end_date": last.isoformat()}
            tokens = tokens[count:]
            break
    if tokens and rule["kind"] != "dates":
        # Yearly period: "Apr-Oct", "Apr 15-Oct 15", possibly followed by a colon.
        for count in (3, 1):
            match = _YEARLY.match(" ".join(tokens[:count])) if len(tokens) >= count else None
            if match and (count == 3) == bool(match.group(2)):
                m1, d1, m2, d2 = match.groups()
                mi1, mi2 = MONTHS.index(m1) + 1, MONTHS.index(m2) + 1
                end_day = int(d2) if d2 else _month_length(mi2)
                rule["yearly_from"] = f"{mi1:02d}-{int(d1 or 1):02d}"
                rule["yearly_to"] = f"{mi2:02d}-{end_day:02d}"
                tokens = tokens[count:]
                break
    groups: list[tuple[list[int], list[int]]] = [(rule.get("days", []), [])]
    if tokens and _WDAYS.match(tokens[0]):
        groups = _expand_days(tokens[0])
        tokens = tokens[1:]
    if len(tokens) != 1 or not _TIMES.match(tokens[0]):
        raise NotRepresentable(text)
    out = []
    for days, nth in groups:
        one = dict(rule, times=tokens[0].split(","))
        if days:
            one["days"] = days
        if nth:
            if one["kind"] == "dates":
                raise NotRepresentable(text)
            one["kind"] = "nth_weekday"
            one["nth"] = nth
        if season != "always":
            one["season"] = season
        out.append(one)
    return out


def _month_length(month: int) -> int:
    # Yearly ranges end on the month's last day; February counts its 29th.
    return (datetime.date(2000 + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day


def parse_rules(text: str) -> Imported:
    """Map an OSM string onto rules, or raise NotRepresentable."""
    text = text.strip()
    if text == "24/7":
        return Imported(
            rules=[{"kind": "weekly", "days": list(range(7)), "times": ["00:00-24:00"]}]
        )
    # Separators: "; " starts a rule that overrides earlier ones on the days it names, ", "
    # adds to them. The subset accepted has groups that never name the same day twice, so
    # both read as a union; the library check below catches any other reading.
    groups = [g.strip() for g in re.split(r";", text) if g.strip()]
    imported = Imported(rules=[])
    outside_school = False
    for group in groups:
        parts = [p.strip() for p in re.split(r",\s+(?=[A-Z0-9])", group) if p.strip()]
        for part in parts:
            if part in ("PH off", "PH closed"):
                imported.public_holidays = "closed"
            elif part.startswith("PH "):
                times = part[3:].strip()
                if not _TIMES.match(times):
                    raise NotRepresentable(part)
                imported.public_holidays = "special"
                imported.holiday_times = tuple(times.split(","))
            elif part in ("SH off", "SH closed"):
                if outside_school:
                    raise NotRepresentable(part)
                outside_school = True
                # Everything written before "SH off" holds outside school holidays only.
                for index in range(len(imported.rules)):
                    if imported.rules[index].get("season", "always") != "always":
                        raise NotRepresentable(part)
                    imported.rules[index]["season"] = "outside_school_holidays"
            else:
                imported.rules.extend(_parse_rule(part, "always"))
    if not imported.rules and imported.public_holidays == "open":
        raise NotRepresentable(text)
    return imported


# -- export -------------------------------------------------------------------------------


def _days_spec(days: tuple[int, ...]) -> str:
    if not days:
        return ""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    out = []
    for run in runs:
        if len(run) == 1:
            out.append(WEEKDAY_CODES[run[0]])
        elif len(run) == 2:
            out += [WEEKDAY_CODES[run[0]], WEEKDAY_CODES[run[1]]]
        else:
            out.append(f"{WEEKDAY_CODES[run[0]]}-{WEEKDAY_CODES[run[-1]]}")
    return ",".join(out)


def _osm_date(day: datetime.date) -> str:
    return f"{day.year} {MONTHS[day.month - 1]} {day.day:02d}"


def _rule_text(rule: Rule) -> str:
    parts = []
    if rule.season == "school_holidays":
        parts.append("SH")
    if rule.kind == "every_n_weeks" and rule.interval != 1:
        raise NotRepresentable(
            _("OSM week numbers restart every year, so “every %(n)s weeks” has no exact form.")
            % {"n": rule.interval}
        )
    if rule.valid_from or rule.valid_to:
        if rule.kind == "dates" or not (rule.valid_from and rule.valid_to) or rule.yearly_from:
            raise NotRepresentable(_("An open-ended or combined validity has no OSM form."))
        parts.append(f"{_osm_date(rule.valid_from)}-{_osm_date(rule.valid_to)}")
    if rule.yearly_from:
        if rule.kind == "dates":
            raise NotRepresentable(_("Dates with a yearly period have no OSM form."))
        m1, d1 = rule.yearly_from
        m2, d2 = rule.yearly_to
        parts.append(f"{MONTHS[m1 - 1]} {d1:02d}-{MONTHS[m2 - 1]} {d2:02d}")
    if rule.kind == "dates":
        if rule.end_date and rule.end_date != rule.start_date:
            parts.append(f"{_osm_date(rule.start_date)}-{_osm_date(rule.end_date)}")
        else:
            parts.append(_osm_date(rule.start_date))
        if rule.days and len(rule.days) < 7:
            parts.append(_days_spec(rule.days))
    elif rule.kind == "nth_weekday":
        nth = ",".join(str(n) for n in rule.nth)
        parts.append(",".join(f"{WEEKDAY_CODES[d]}[{nth}]" for d in rule.days))
    elif len(rule.days) < 7:
        parts.append(_days_spec(rule.days))
    parts.append(",".join(str(t) for t in rule.times))
    return " ".join(parts)


def export_osm(
    rules: list[Rule], public_holidays: str = "closed", holiday_times: tuple[TimeRange, ...] = ()
) -> str:
    """Write rules as an OSM string; NotRepresentable names what has no exact OSM form."""
    full_week = [
        r
        for r in rules
        if r.kind == "weekly" and len(r.days) == 7 and r.season == "always"
        and not (r.valid_from or r.valid_to or r.yearly_from)
        and [str(t) for t in r.times] == ["00:00-24:00"]
    ]  # fmt: skip
    outside = [_rule_text(r) for r in rules if r.season == "outside_school_holidays"]
    others = [_rule_text(r) for r in rules if r.season != "outside_school_holidays"]
    if full_week and len(rules) == 1:
        text = "24/7"
    elif outside:
        text = ", ".join(outside) + "; SH off" + "".join(", " + o for o in others)
    else:
        text = ", ".join(others) if others else "off"
    if public_holidays == "closed":
        text += "; PH off"
    elif public_holidays == "special":
        text += "; PH " + ",".join(str(t) for t in holiday_times)
    return text


def rules_equivalent(text: str, imported: Imported, days: int = 370) -> bool:
    """Does the library read `text` as our rules do, over `days` from today?

    School holidays (SH) are unknown to the library, so strings using them cannot be
    checked this way; the caller accepts them only from the exact grammar above.
    """
    rules = rules_from_data(imported.rules)
    holiday_times = tuple(
        parse_time_range(t, allow_overnight=False) for t in imported.holiday_times
    )
    first = datetime.date.today() - datetime.timedelta(days=1)
    stop = first + datetime.timedelta(days=days)
    ours = RuleSet(rules, imported.public_holidays, holiday_times).base_open(first, stop)
    theirs = RuleSet([], base=library_ranges(text)).base_open(first, stop)
    return merge(ours) == merge(theirs)
