"""Forms of the schedule editor (staff pages under /manage/scheduling/).

They only parse input into the shapes `scheduling.actions` take (rule dicts, see
`scheduling/rules.py`); every check of meaning (overlaps, dates in order, a day for each
rule...) is the action's, and its errors are attached back next to the row or field that
caused them with `RulesEditor.apply_errors`.

The editor works without JavaScript: the usual week is a grid of seven text fields (one per
day, several ranges each), the other rules are a formset with one blank row, and "Add
another rule" re-renders the formset with one more row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from places.versioning import VersionField
from scheduling.models import Schedule, ScheduleException
from scheduling.rules import KINDS, SEASONS

DAY_CHOICES = [
    ("0", _("Monday")),
    ("1", _("Tuesday")),
    ("2", _("Wednesday")),
    ("3", _("Thursday")),
    ("4", _("Friday")),
    ("5", _("Saturday")),
    ("6", _("Sunday")),
]
KIND_CHOICES = list(
    zip(
        KINDS,
        [
            _("Every week"),
            _("Every N weeks, counted from a first date"),
            _("Some weekdays of the month (1st Saturday, last Friday…)"),
            _("Specific dates or date ranges"),
        ],
        strict=True,
    )
)
NTH_CHOICES = [
    ("1", _("1st")),
    ("2", _("2nd")),
    ("3", _("3rd")),
    ("4", _("4th")),
    ("5", _("5th")),
    ("-1", _("last")),
]
SEASON_CHOICES = list(
    zip(
        SEASONS,
        [_("All year"), _("Only during school holidays"), _("Only outside school holidays")],
        strict=True,
    )
)
TIMES_HELP = _("One or more ranges separated by commas, e.g. 09:00-12:00, 14:00-17:00.")
# The grid holds the plain weekly hours; everything else is a rule row.
GRID_KEYS = {"kind", "days", "times"}


def split_times(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;]", value or "") if part.strip()]


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_widget():
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class AccessibleForm(forms.Form):
    """Links help texts and errors to their fields with aria-describedby."""

    def add_aria(self) -> None:
        for name, field in self.fields.items():
            bound = self[name]
            ids = [i for i in [field.widget.attrs.get("data-help-id")] if i]
            if field.help_text:
                ids.append(f"{bound.auto_id}_helptext")
            if self.is_bound and name in self.errors:
                ids.append(f"{bound.auto_id}_errors")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)

    def apply_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        self.add_aria()


def _message_dict(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"__all__": exc.messages}


class WeekGridForm(AccessibleForm):
    """The usual week: for each day, the ranges it opens (every week, all year)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in DAY_CHOICES:
            self.fields[f"day_{value}"] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"data-help-id": "grid-help"}),
            )

    def groups(self) -> list[tuple[list[int], list[str]]]:
        """Days with the same ranges make one weekly rule: [([0..4], ["09:00-12:00"])]."""
        by_times: dict[tuple[str, ...], list[int]] = {}
        for value, _label in DAY_CHOICES:
            times = tuple(split_times(self.cleaned_data.get(f"day_{value}", "")))
            if times:
                by_times.setdefault(times, []).append(int(value))
        return [(days, list(times)) for times, days in by_times.items()]

    @staticmethod
    def initial_from(rules: Iterable[dict]) -> dict[str, str]:
        initial: dict[str, list[str]] = {}
        for rule in rules:
            for day in rule["days"]:
                initial.setdefault(f"day_{day}", []).extend(rule["times"])
        return {key: ", ".join(times) for key, times in initial.items()}


class RuleForm(AccessibleForm):
    """One rule that is more than "every week, all year"; fields unused by its kind are
    ignored."""

    kind = forms.ChoiceField(label=_("Repeats"), choices=KIND_CHOICES, initial="weekly")
    days = forms.MultipleChoiceField(
        label=_("Days"),
        choices=DAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For specific dates, leave empty to open on every day of the range."),
    )
    times = forms.CharField(label=_("Hours"), required=False, max_length=200, help_text=TIMES_HELP)
    interval = forms.IntegerField(
        label=_("Every how many weeks"), required=False, min_value=1, max_value=52
    )
    anchor = forms.DateField(
        label=_("A week it opens (first occurrence)"), required=False, widget=_date_widget()
    )
    nth = forms.MultipleChoiceField(
        label=_("Which ones in the month"),
        choices=NTH_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    start_date = forms.DateField(
        label=_("Date (or first date)"), required=False, widget=_date_widget()
    )
    end_date = forms.DateField(label=_("Last date"), required=False, widget=_date_widget())
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=_date_widget())
    valid_to = forms.DateField(label=_("Valid until"), required=False, widget=_date_widget())
    yearly_from = forms.CharField(
        label=_("Every year from (month-day)"),
        required=False,
        max_length=5,
        widget=forms.TextInput(attrs={"placeholder": "04-01", "size": 6}),
        help_text=_("e.g. 04-01 to 10-31 for April to October."),
    )
    yearly_to = forms.CharField(
        label=_("Every year until (month-day)"),
        required=False,
        max_length=5,
        widget=forms.TextInput(attrs={"placeholder": "10-31", "size": 6}),
    )
    season = forms.ChoiceField(label=_("Season"), choices=SEASON_CHOICES, initial="always")

    def rule(self) -> dict | None:
        """The rule dict, or None for a blank or deleted row."""
        data = getattr(self, "cleaned_data", None) or {}
        if not data or data.get("DELETE"):
            return None
        kind = data.get("kind") or "weekly"
        filled = [
            data.get(n)
            for n in ("days", "times", "anchor", "nth", "start_date", "end_date", "valid_from")
        ]
        if not any(filled) and not data.get("valid_to") and not data.get("yearly_from"):
            return None
        rule: dict = {"kind": kind, "times": split_times(data.get("times", ""))}
        if data.get("days"):
            rule["days"] = [int(d) for d in data["days"]]
        elif kind != "dates":
            rule["days"] = []
        if kind == "every_n_weeks":
            rule["interval"] = data.get("interval") or 1
            rule["anchor"] = data["anchor"].isoformat() if data.get("anchor") else None
        if kind == "nth_weekday":
            rule["nth"] = [int(n) for n in data.get("nth") or []]
        if kind == "dates":
            rule["start_date"] = data["start_date"].isoformat() if data.get("start_date") else None
            if data.get("end_date"):
                rule["end_date"] = data["end_date"].isoformat()
        for name in ("valid_from", "valid_to"):
            if data.get(name):
                rule[name] = data[name].isoformat()
        for name in ("yearly_from", "yearly_to"):
            if data.get(name):
                rule[name] = data[name].strip()
        if data.get("season", "always") != "always":
            rule["season"] = data["season"]
        return rule

    @staticmethod
    def initial_from(rule: dict) -> dict:
        initial = {key: value for key, value in rule.items() if key not in ("days", "nth", "times")}
        initial["days"] = [str(d) for d in rule.get("days", [])]
        initial["nth"] = [str(n) for n in rule.get("nth", [])]
        initial["times"] = ", ".join(rule.get("times", []))
        return initial


RuleFormSet = formset_factory(RuleForm, extra=1, can_delete=True)


class HoursSettingsForm(AccessibleForm):
    version = VersionField()
    public_holidays = forms.ChoiceField(
        label=_("On public holidays"),
        choices=Schedule.PublicHolidays.choices,
        widget=forms.RadioSelect,
        initial=Schedule.PublicHolidays.CLOSED,
    )
    holiday_times = forms.CharField(
        label=_("Hours on public holidays"),
        required=False,
        max_length=200,
        help_text=_("Only with “special hours”, e.g. 10:00-12:00."),
    )
    holiday_zone = forms.ChoiceField(
        label=_("School-holiday zone"),
        choices=Schedule.HolidayZone.choices,
        required=False,
        help_text=_("Only needed when the department has no known zone (Corsica, overseas)."),
    )


def _is_plain_weekly(rule: dict) -> bool:
    return set(rule) <= GRID_KEYS and rule.get("kind", "weekly") == "weekly"


class RulesEditor:
    """The structured editor: week grid, rule rows and holiday settings, as one form."""

    def __init__(self, data=None, *, schedule: Schedule | None = None, add_row: bool = False):
        grid_initial, rows_initial, settings_initial = {}, [], {"version": 0}
        if schedule is not None:
            settings_initial = {
                "version": schedule.version,
                "public_holidays": schedule.public_holidays,
                "holiday_times": ", ".join(schedule.holiday_times or []),
                "holiday_zone": schedule.holiday_zone,
            }
            if schedule.mode == Schedule.Mode.RULES:
                rules = schedule.rules or []
                grid_initial = WeekGridForm.initial_from(r for r in rules if _is_plain_weekly(r))
                rows_initial = [RuleForm.initial_from(r) for r in rules if not _is_plain_weekly(r)]
        if data is not None and add_row:
            data = data.copy()
            key = "rules-TOTAL_FORMS"
            data[key] = str(int(data.get(key) or 0) + 1)
        self.grid = WeekGridForm(data, initial=grid_initial, prefix="grid")
        self.rows = RuleFormSet(data, initial=rows_initial, prefix="rules")
        self.settings = HoursSettingsForm(data, initial=settings_initial, prefix="hours")
        self.origins: list[tuple[str, object]] = []
        self.non_field_errors: list[str] = []

    def is_valid(self) -> bool:
        results = [self.grid.is_valid(), self.rows.is_valid(), self.settings.is_valid()]
        self.add_aria()
        return all(results)

    def add_aria(self) -> None:
        self.grid.add_aria()
        self.settings.add_aria()
        for form in self.rows.forms:
            form.add_aria()

    @property
    def errors(self) -> bool:
        return bool(
            self.non_field_errors
            or self.grid.errors
            or self.settings.errors
            or any(f.errors for f in self.rows.forms)
            or self.rows.non_form_errors()
        )

    def rules(self) -> list[dict]:
        """The rule dicts to save, remembering where each came from for error messages."""
        rules, self.origins = [], []
        for days, times in self.grid.groups():
            rules.append({"kind": "weekly", "days": days, "times": times})
            self.origins.append(("grid", days))
        for index, form in enumerate(self.rows.forms):
            rule = form.rule()
            if rule is not None:
                rules.append(rule)
                self.origins.append(("row", index))
        return rules

    def action_kwargs(self) -> dict:
        data = self.settings.cleaned_data
        return {
            "rules": self.rules(),
            "public_holidays": data["public_holidays"],
            "holiday_times": split_times(data.get("holiday_times", "")),
            "holiday_zone": data.get("holiday_zone") or "",
        }

    @property
    def version(self) -> int | None:
        return self.settings.cleaned_data.get("version")

    def apply_errors(self, exc: ValidationError) -> None:
        """Put an action's errors next to the grid day, rule row or field they concern."""
        for key, messages in _message_dict(exc).items():
            match = re.match(r"^rules\[(\d+)\](?:\.(\w+))?$", key)
            if match and int(match.group(1)) < len(self.origins):
                where, what = self.origins[int(match.group(1))]
                field = match.group(2) or ""
                for message in messages:
                    if where == "grid":
                        for day in what:
                            self.grid.add_error(f"day_{day}", message)
                    else:
                        form = self.rows.forms[what]
                        form.add_error(field if field in form.fields else None, message)
            elif key in self.settings.fields:
                for message in messages:
                    self.settings.add_error(key, message)
            else:
                self.non_field_errors.extend(messages)
        self.add_aria()


class OsmForm(AccessibleForm):
    version = VersionField()
    osm_source = forms.CharField(
        label=_("Opening hours in OSM opening_hours format"),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_(
            "As on OpenStreetMap, e.g. “Mo-Fr 09:00-12:00,14:00-17:00; PH off”. "
            "Saving replaces the rules above."
        ),
    )
    holiday_zone = forms.ChoiceField(
        label=_("School-holiday zone"), choices=Schedule.HolidayZone.choices, required=False
    )

    def apply_errors(self, exc: ValidationError) -> None:
        errors = _message_dict(exc)
        errors = {("osm_source" if k == "rules" else k): v for k, v in errors.items()}
        super().apply_errors(errors)


class ExceptionForm(AccessibleForm):
    version = VersionField()
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=ScheduleException.Kind.choices,
        widget=forms.RadioSelect,
        initial=ScheduleException.Kind.CLOSURE,
    )
    start_date = forms.DateField(label=_("From"), widget=_date_widget())
    end_date = forms.DateField(
        label=_("Until (included)"),
        required=False,
        widget=_date_widget(),
        help_text=_("Leave empty for a single day."),
    )
    start_time = forms.TimeField(label=_("Start time"), required=False, widget=_time_widget())
    end_time = forms.TimeField(
        label=_("End time"),
        required=False,
        widget=_time_widget(),
        help_text=_("Leave both times empty for whole days."),
    )
    title = forms.CharField(
        label=_("Title or reason (residents read it)"),
        required=False,
        max_length=200,
        help_text=_("e.g. “Fermé exceptionnellement : inventaire” or the event's title."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def action_kwargs(self) -> dict:
        data = self.cleaned_data
        return {key: data.get(key) for key in self.fields if key != "version"} | {
            "title": data.get("title", ""),
            "description": data.get("description", ""),
        }

    def apply_errors(self, exc: ValidationError) -> None:
        super().apply_errors(_message_dict(exc))
