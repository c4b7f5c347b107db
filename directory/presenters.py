"""Plain-words presentation of a place's profiles for the place page (no business rule)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from places.fields import MultipleChoiceField
from places.models import Place


def _labels(profile, name: str) -> str:
    field = profile._meta.get_field(name)
    value = getattr(profile, name)
    if isinstance(field, MultipleChoiceField):
        return ", ".join(str(label) for label in field.labels(value))
    return str(dict(field.choices).get(value, "")) if value else ""


def place_sections(place: Place) -> list[dict]:
    """[{"title", "items": [(label, text)]}] for each profile the place has."""
    sections = []
    specs = [
        (
            "mediation",
            _("Help with procedures and services"),
            ["service_levels", "mediator_kinds", "service_sectors", "access"],
        ),
        (
            "work",
            _("A place to work"),
            ["colorations", "occupancy_terms", "animation", "desks", "meeting_rooms", "equipment"],
        ),
        (
            "creation",
            _("Making, learning and projects"),
            ["activities", "opening_mode", "opening_frequencies", "animated_by", "machines"],
        ),
    ]
    for attr, title, names in specs:
        profile = getattr(place, attr, None)
        if profile is None:
            continue
        items = []
        for name in names:
            field = profile._meta.get_field(name)
            # A multiple-choice field keeps its choices apart (`multi_choices`): its
            # `choices` is empty, and its value is a list of codes to turn into labels.
            if field.choices or isinstance(field, MultipleChoiceField):
                text = _labels(profile, name)
            else:
                value = getattr(profile, name)
                text = "" if value in (None, "") else str(value)
            if text:
                items.append((str(field.verbose_name).capitalize(), text))
        sections.append({"key": attr, "title": title, "items": items})
    return sections
