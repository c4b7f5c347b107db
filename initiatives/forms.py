"""Forms of the staff pages of calls, submitted projects and guides.

They only parse input: initiatives.actions validates and writes, and its errors come back
next to the fields through `apply_errors`.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from initiatives.models import Call, Guide, Submission
from places.formtools import AriaMixin
from places.models import Typology
from places.versioning import VersionField

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class ActionForm(AriaMixin, forms.Form):
    """aria attributes for help texts and errors; an action's errors back on the fields."""

    def apply_errors(self, exc: ValidationError) -> None:
        items = exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]
        for field, messages in items:
            target = {"area_communes": "communes"}.get(field, field)
            for message in messages:
                self.add_error(target if target in self.fields else None, message)

    def data_for(self, names) -> dict:
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}


def _model_fields(model, names):
    built = forms.fields_for_model(
        model,
        fields=names,
        formfield_callback=lambda f, **kw: f.formfield(
            **({"assume_scheme": "https"} if isinstance(f, models.URLField) else {}), **kw
        ),
    )
    for field in built.values():
        if isinstance(field.widget, forms.Textarea):
            field.widget.attrs["rows"] = 8
    return built


class CallForm(ActionForm):
    """A call's fields; `organisations` (slug, name) is given for a new call only."""

    FIELDS = ("title", "slug", "text", "profile", "area", "budget", "deadline", "status")

    def __init__(self, *args, call: Call | None = None, organisations=(), **kwargs):
        if call is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{name: getattr(call, name) for name in self.FIELDS},
                    "communes": ", ".join(c["code"] for c in call.area_communes),
                    "version": call.version,
                },
            )
        super().__init__(*args, **kwargs)
        fields = {}
        if call is None:
            fields["organisation"] = forms.ChoiceField(
                label=_("Organisation"), choices=list(organisations)
            )
        built = _model_fields(Call, self.FIELDS)
        built["slug"].required = False
        built["slug"].help_text = _(
            "The end of the call's public address; made from the title if empty."
        )
        built["budget"].min_value = 0
        built["budget"].validators.append(MinValueValidator(0))
        built["deadline"] = forms.DateTimeField(
            label=_("Deadline"),
            help_text=_("Projects are accepted until this day and time (local time)."),
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        )
        fields.update(built)
        fields["communes"] = forms.CharField(
            label=_("Communes (INSEE codes)"),
            required=False,
            max_length=2000,
            help_text=_("Separated by commas or spaces, e.g. 69123, 69266. Optional."),
        )
        # Keep the communes next to the free-text area.
        order = [*fields]
        order.remove("communes")
        order.insert(order.index("area") + 1, "communes")
        self.fields = {name: fields[name] for name in order}
        if call is not None:
            self.fields["version"] = VersionField()

    def commune_codes(self) -> list[str]:
        return [c for c in re.split(r"[\s,;]+", self.cleaned_data.get("communes", "")) if c]


class ReviewForm(ActionForm):
    status = forms.ChoiceField(label=_("Status"), choices=Submission.Status.choices)
    comment = forms.CharField(
        label=_("Comment on the change of status (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the history with the new status."),
    )
    notes = forms.CharField(
        label=_("Staff notes"),
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Seen by staff only."),
    )
    version = VersionField()


class MakePlaceForm(ActionForm):
    typologies = forms.MultipleChoiceField(
        label=_("Kind of place"),
        choices=Typology.Code.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one kind of place.")},
    )


class GuideForm(ActionForm):
    FIELDS = (
        "title_fr",
        "summary_fr",
        "body_fr",
        "title_en",
        "summary_en",
        "body_en",
        "profile",
        "slug",
        "position",
        "published",
    )

    def __init__(self, *args, guide: Guide | None = None, **kwargs):
        if guide is not None:
            kwargs.setdefault(
                "initial",
                {**{name: getattr(guide, name) for name in self.FIELDS}, "version": guide.version},
            )
        super().__init__(*args, **kwargs)
        self.fields = _model_fields(Guide, self.FIELDS)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _(
            "The end of the guide's public address; made from the French title if empty."
        )
        for name in ("body_fr", "body_en"):
            self.fields[name].widget.attrs["rows"] = 16
            self.fields[name].help_text = _(
                "Markdown: ## Heading, **bold**, - list, [link](https://…). HTML, scripts and "
                "styles are removed when the guide is shown."
            )
        if guide is not None:
            self.fields["version"] = VersionField()
