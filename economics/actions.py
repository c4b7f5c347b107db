"""Every write of economics: spaces and sharing offers, budgets, attendance, occupancy.

Actions take keyword-only arguments, validate every record first (full_clean, errors keyed
by row: `lines[3].amount`), write in one transaction and record the change in the place's
history (targets `space:<id>`, `sharing:<space id>`, `budget:<year>:<scenario>`,
`attendance:<yyyy-mm>`). Permission checks belong to the callers (places.selectors).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from economics.availability import sharing_ruleset
from economics.models import (
    Attendance,
    BudgetLine,
    CostCategory,
    OccupancyMonth,
    RevenueCategory,
    SharingOffer,
    Space,
)
from economics.occupancy import month_summary
from places.history import diff, record, snapshot
from places.models import ChangeRecord, Place
from places.versioning import check_version, last_records

SPACE_FIELDS = (
    "name",
    "kind",
    "capacity",
    "capacity_unit",
    "area_m2",
    "bookable",
    "description",
    "visibility",
)
SHARING_FIELDS = (
    "terms",
    "price",
    "conditions",
    "audiences",
    "contact_email",
    "contact_phone",
    "active",
    "visibility",
    "public_holidays_closed",
    "show_spare",
)
LINE_FIELDS = (
    "direction",
    "category",
    "amount",
    "funder_provider",
    "funder_organisation",
    "label",
    "visibility",
    "note",
)
ATTENDANCE_FIELDS = ("space", "date", "slot_start", "slot_end", "visits", "uses", "hours_used")


def _merge_errors(errors: dict, prefix: str, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            key = name if prefix == "rules" else prefix if name == "__all__" else f"{prefix}.{name}"
            errors.setdefault(key, []).extend(messages)
    else:
        errors.setdefault(prefix, []).extend(exc.messages)


def _unknown(data: Mapping, allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(unknown)})


# -- spaces -------------------------------------------------------------------------------


@transaction.atomic
def space_create(*, user, place: Place, data: Mapping[str, Any], source: str = "staff") -> Space:
    """Add a space (room, desk, machine...) to a place."""
    _unknown(data, SPACE_FIELDS)
    space = Space(place=place, **data)
    space.full_clean()
    space.save()
    record(
        place=place,
        target=f"space:{space.pk}",
        action=ChangeRecord.Action.CREATE,
        changes=diff(None, snapshot(space, exclude=("place", "version"))),
        user=user,
        source=source,
        version=space.version,
    )
    return space


@transaction.atomic
def space_update(
    *,
    user,
    space: Space,
    data: Mapping[str, Any],
    expected_version: int | None,
    source: str = "staff",
) -> Space:
    """Change a space if nobody saved it since `expected_version` (StaleRecord otherwise).

    `expected_version=None` skips the check (imports). The occupancy of months with
    attendance is computed again when the capacity changes.
    """
    _unknown(data, SPACE_FIELDS)
    space = Space.objects.select_for_update().get(pk=space.pk)
    check_version(
        kind="space",
        current=space,
        version=space.version,
        expected=expected_version,
        since=lambda: (
            ChangeRecord.objects.filter(target=f"space:{space.pk}", version__gt=expected_version)
            .select_related("user")
            .order_by("created_at", "id")
        ),
    )
    before = snapshot(space, exclude=("place", "version"))
    for key, value in data.items():
        setattr(space, key, value)
    space.full_clean()
    changes = diff(before, snapshot(space, exclude=("place", "version")))
    if changes:
        space.version += 1
    space.save()
    record(
        place=space.place,
        target=f"space:{space.pk}",
        action=ChangeRecord.Action.UPDATE,
        changes=changes,
        user=user,
        source=source,
        version=space.version,
    )
    if "capacity" in changes:
        occupancy_refresh(place=space.place, months=_attendance_months(space.place))
    return space


@transaction.atomic
def space_delete(
    *, user, space: Space, expected_version: int | None, source: str = "staff"
) -> None:
    """Remove a space with its sharing offer and its attendance rows.

    A space changed since `expected_version` is kept (StaleRecord): the person removing it
    decided on the space as it was then. `None` skips the check.
    """
    space = Space.objects.select_for_update().select_related("place").get(pk=space.pk)
    check_version(
        kind="space_removal",
        current=space,
        version=space.version,
        expected=expected_version,
        since=lambda: (
            ChangeRecord.objects.filter(target=f"space:{space.pk}", version__gt=expected_version)
            .select_related("user")
            .order_by("created_at", "id")
        ),
    )
    place = space.place
    record(
        place=place,
        target=f"space:{space.pk}",
        action=ChangeRecord.Action.DELETE,
        changes=diff(snapshot(space, exclude=("place", "version")), None),
        user=user,
        source=source,
        version=space.version,
    )
    months = _attendance_months(place)
    space.delete()
    occupancy_refresh(place=place, months=months)


@transaction.atomic
def sharing_offer_set(
    *,
    user,
    space: Space,
    rules: Sequence[dict],
    data: Mapping[str, Any] | None = None,
    expected_version: int | None,
    source: str = "staff",
) -> SharingOffer:
    """Open a space to other actors at the times of `rules` (scheduling rule dicts).

    `data` holds the terms (free or a price per hour, day or month), conditions, audiences,
    contact and visibility. Errors come keyed `rules[i].field` or by field.
    `expected_version` is the offer's version the editor started from (0 when the space had
    no offer yet); another one raises StaleRecord, `None` skips the check (imports).
    """
    data = dict(data or {})
    _unknown(data, SHARING_FIELDS)
    Space.objects.select_for_update().filter(pk=space.pk).first()  # serialise the first offer
    offer = SharingOffer.objects.select_for_update().filter(space=space).first()
    stored = offer.version if offer else 0
    check_version(
        kind="sharing",
        current=offer,
        version=stored,
        expected=expected_version,
        since=lambda: (
            ChangeRecord.objects.filter(target=f"sharing:{space.pk}", version__gt=expected_version)
            .select_related("user")
            .order_by("created_at", "id")
        ),
    )
    errors: dict[str, list] = {}
    parsed = []
    try:
        parsed = sharing_ruleset(list(rules), space.place).rules
    except ValidationError as exc:
        _merge_errors(errors, "rules", exc)
    if not parsed and not errors:
        errors["rules"] = [_("Say when the space is shared: give at least one rule.")]
    before = snapshot(offer, exclude=("space", "version")) if offer else None
    if offer is None:
        offer = SharingOffer(space=space)
    for key, value in data.items():
        setattr(offer, key, value)
    offer.rules = [r.to_dict() for r in parsed]
    try:
        offer.full_clean(exclude=["space"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    changes = diff(before, snapshot(offer, exclude=("space", "version")))
    if before is not None and changes:
        offer.version += 1
    offer.save()
    record(
        place=space.place,
        target=f"sharing:{space.pk}",
        action=ChangeRecord.Action.CREATE if before is None else ChangeRecord.Action.UPDATE,
        changes=changes,
        user=user,
        source=source,
        version=offer.version,
    )
    return offer


@transaction.atomic
def sharing_offer_remove(*, user, offer: SharingOffer, source: str = "staff") -> None:
    record(
        place=offer.space.place,
        target=f"sharing:{offer.space_id}",
        action=ChangeRecord.Action.DELETE,
        changes=diff(snapshot(offer, exclude=("space",)), None),
        user=user,
        source=source,
    )
    offer.delete()


# -- budgets ------------------------------------------------------------------------------


def _build_lines(place: Place, year: int, scenario: str, lines: Sequence[Mapping]) -> list:
    built, errors = [], {}
    for index, data in enumerate(lines):
        key = f"lines[{index}]"
        try:
            _unknown(data, LINE_FIELDS)
        except ValidationError as exc:
            _merge_errors(errors, key, exc)
            continue
        line = BudgetLine(place=place, year=year, scenario=scenario, **_one_funder(data))
        if isinstance(line.amount, Decimal) and line.amount < 0:
            errors.setdefault(f"{key}.amount", []).append(
                _("Amounts are positive: a cost is a cost line, a revenue a revenue line.")
            )
        try:
            line.full_clean(exclude=["place"])
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                if name in ("year",):
                    continue  # reported once for the whole table below
                errors.setdefault(f"{key}.{name}", []).extend(
                    m for m in messages if m not in errors.get(f"{key}.{name}", [])
                )
        built.append(line)
    if errors:
        raise ValidationError(errors)
    return built


def budget_version(*, place: Place, year: int, scenario: str) -> int:
    """The version of one budget table: how many saves its history holds.

    A budget is a set of lines with no row of its own; every save that changes it leaves
    exactly one record, so counting them numbers the versions.
    """
    return ChangeRecord.objects.filter(place=place, target=f"budget:{year}:{scenario}").count()


def _one_funder(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """A provider run by an organisation funds as that organisation.

    Otherwise the same funder would count twice in the funders' concentration and be
    listed twice in the budget table (the provider and its organisation).
    """
    provider = data.get("funder_provider")
    organisation = getattr(provider, "organisation", None)
    if organisation is None or data.get("funder_organisation"):
        return data
    return {**data, "funder_provider": None, "funder_organisation": organisation}


def _check_year_scenario(year, scenario) -> None:
    errors = {}
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = [_("The year must be between 2000 and 2100 (got %(y)s).") % {"y": year}]
    if scenario not in BudgetLine.Scenario.values:
        errors["scenario"] = [_("Unknown scenario “%(s)s”: actual or forecast.") % {"s": scenario}]
    if errors:
        raise ValidationError(errors)


def _budget_summary(lines: Iterable[BudgetLine]) -> dict:
    costs = sum((line.amount for line in lines if line.direction == "cost"), Decimal("0"))
    revenues = sum((line.amount for line in lines if line.direction == "revenue"), Decimal("0"))
    return {"lines": len(list(lines)), "costs": str(costs), "revenues": str(revenues)}


@transaction.atomic
def budget_set(
    *,
    user,
    place: Place,
    year: int,
    scenario: str,
    lines: Sequence[Mapping[str, Any]],
    expected_version: int | None = None,
    source: str = "staff",
) -> list[BudgetLine]:
    """Replace the budget of a place for a year and scenario by `lines` (all or nothing).

    Each line: direction, category, amount (Decimal, EUR, not negative), optional
    funder_provider or funder_organisation, label, visibility, note. The editor passes
    the `budget_version` it started from (StaleRecord if another save came between);
    imports that replace the budget on purpose pass None.
    """
    _check_year_scenario(year, scenario)
    built = _build_lines(place, year, scenario, lines)
    Place.objects.select_for_update().filter(pk=place.pk).first()
    history = ChangeRecord.objects.filter(place=place, target=f"budget:{year}:{scenario}")
    version = budget_version(place=place, year=year, scenario=scenario)
    check_version(
        kind="budget",
        current=None,
        version=version,
        expected=expected_version,
        since=lambda: last_records(history, version - expected_version),
    )
    existing = list(BudgetLine.objects.filter(place=place, year=year, scenario=scenario))
    before = _budget_summary(existing)
    BudgetLine.objects.filter(pk__in=[line.pk for line in existing]).delete()
    BudgetLine.objects.bulk_create(built)
    after = _budget_summary(built)
    record(
        place=place,
        target=f"budget:{year}:{scenario}",
        action=ChangeRecord.Action.UPDATE if existing else ChangeRecord.Action.CREATE,
        changes=diff(before if existing else None, after),
        user=user,
        source=source,
    )
    return built


@transaction.atomic
def budget_import(
    *,
    user,
    place: Place,
    budgets: Mapping[tuple[int, str], Sequence[tuple[int, Mapping]]],
    source: str,
) -> int:
    """Replace several (year, scenario) budgets of one place at once; all or nothing.

    `budgets` maps (year, scenario) to (row number, line) pairs; errors name the row.
    """
    count, errors = 0, {}
    for (year, scenario), numbered in sorted(budgets.items()):
        rows = [number for number, _line in numbered]
        try:
            count += len(
                budget_set(
                    user=user,
                    place=place,
                    year=year,
                    scenario=scenario,
                    lines=[line for _number, line in numbered],
                    source=source,
                )
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(_row_key(key, rows), []).extend(messages)
    if errors:
        # Raising inside the atomic block undoes the groups already written.
        raise ValidationError(errors)
    return count


def _row_key(key: str, rows: list[int]) -> str:
    """ "lines[2].amount" -> "row 4: amount", with the file's row numbers."""
    if key.startswith("lines[") or key.startswith("rows["):
        index, _sep, rest = key.partition("]")
        number = rows[int(index.split("[")[1])]
        field_name = rest.lstrip(".")
        return f"row {number}: {field_name}" if field_name else f"row {number}"
    return key


# -- attendance and occupancy -------------------------------------------------------------


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _next_month(month: datetime.date) -> datetime.date:
    return (month + datetime.timedelta(days=32)).replace(day=1)


def _attendance_months(place: Place) -> set[datetime.date]:
    return {
        _month(d) for d in Attendance.objects.filter(place=place).values_list("date", flat=True)
    }


@transaction.atomic
def attendance_record(
    *,
    user,
    place: Place,
    rows: Sequence[Mapping[str, Any]],
    source: str = "staff",
    replace: bool = True,
) -> list[Attendance]:
    """Store visits and uses; a row for the same space, date and slot replaces the old one.

    Each row: date, optional space (of this place), slot_start/slot_end, visits, uses,
    hours_used (capacity-hours; when absent and a slot is given, uses × slot length).
    With `replace=False` (the staff form), a count already recorded for that space, date
    and slot is refused with what it holds, never silently overwritten: the person
    confirms the replacement. Files (imports) replace, as a re-import must.
    """
    built, errors = [], {}
    for index, data in enumerate(rows):
        key = f"rows[{index}]"
        try:
            _unknown(data, ATTENDANCE_FIELDS)
        except ValidationError as exc:
            _merge_errors(errors, key, exc)
            continue
        values = dict(data)
        if (
            values.get("hours_used") in (None, "")
            and values.get("slot_start")
            and values.get("slot_end")
        ):
            start, end = values["slot_start"], values["slot_end"]
            length = (end.hour * 60 + end.minute - start.hour * 60 - start.minute) / 60
            values["hours_used"] = Decimal(
                str(round(max(length, 0) * (values.get("uses") or 0), 2))
            )
        elif values.get("hours_used") in (None, ""):
            values["hours_used"] = Decimal("0")
        row = Attendance(place=place, source=source[:60], **values)
        try:
            row.full_clean(exclude=["place"])
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(f"{key}.{name}", []).extend(messages)
        built.append(row)
    if errors:
        raise ValidationError(errors)
    replaced = {}
    for index, row in enumerate(built):
        existing = Attendance.objects.select_for_update().filter(
            place=place, space=row.space, date=row.date, slot_start=row.slot_start
        )
        if not replace:
            for old in existing:
                errors.setdefault(f"rows[{index}].__all__", []).append(
                    _(
                        "A count is already recorded for this day and slot (%(visits)s visits, "
                        "%(uses)s uses). Tick “Replace the recorded count” to replace it."
                    )
                    % {"visits": old.visits, "uses": old.uses}
                )
            continue
        for old in existing:
            replaced[_month(old.date)] = replaced.get(_month(old.date), 0) + 1
        existing.delete()
    if errors:
        raise ValidationError(errors)
    Attendance.objects.bulk_create(built)
    months = sorted({_month(r.date) for r in built})
    for month in months:
        in_month = [r for r in built if _month(r.date) == month]
        record(
            place=place,
            target=f"attendance:{month:%Y-%m}",
            action=ChangeRecord.Action.UPDATE,
            changes={
                "rows": [None, len(in_month)],
                **({"replaced": [replaced[month], 0]} if replaced.get(month) else {}),
                "visits": [None, sum(r.visits for r in in_month)],
                "uses": [None, sum(r.uses for r in in_month)],
            },
            user=user,
            source=source,
        )
    occupancy_refresh(place=place, months=months)
    return built


@transaction.atomic
def attendance_import(
    *, user, place: Place, rows: Sequence[tuple[int, Mapping[str, Any]]], source: str
) -> int:
    """attendance_record for (row number, row) pairs from a file; errors name the row."""
    numbers = [number for number, _row in rows]
    try:
        return len(
            attendance_record(user=user, place=place, rows=[row for _n, row in rows], source=source)
        )
    except ValidationError as exc:
        raise ValidationError(
            {_row_key(key, numbers): messages for key, messages in exc.message_dict.items()}
        ) from None


@transaction.atomic
def occupancy_refresh(*, place: Place, months: Iterable[datetime.date]) -> None:
    """Compute again the stored occupancy of these months (derived data, not recorded)."""
    for month in sorted({_month(m) for m in months}):
        values = month_summary(place, month)
        if (
            not Attendance.objects.filter(
                place=place, date__gte=month, date__lt=_next_month(month)
            ).exists()
            and not values["booked_hours"]
        ):
            OccupancyMonth.objects.filter(place=place, month=month).delete()
            continue
        OccupancyMonth.objects.update_or_create(place=place, month=month, defaults=values)


CATEGORY_CHOICES = {"cost": CostCategory.values, "revenue": RevenueCategory.values}
