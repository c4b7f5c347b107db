"""A multiple-choice field stored as a JSON list, validated against its choices.

Profile levers are small closed sets ("levels of service", "coloration"...): a JSON list
keeps them on the profile row, works the same on SQLite and PostgreSQL, and the form
renders it as a group of checkboxes.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class MultipleChoiceField(models.JSONField):
    def __init__(self, *args, choices=None, **kwargs):
        self.multi_choices = list(choices or [])
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["choices"] = self.multi_choices
        if kwargs.get("default") is list:
            del kwargs["default"]
        if kwargs.get("blank") is True:
            del kwargs["blank"]
        return name, path, args, kwargs

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if not isinstance(value, list):
            raise ValidationError(_("Expected a list of choices."), code="invalid")
        allowed = {key for key, _label in self.multi_choices}
        unknown = [item for item in value if item not in allowed]
        if unknown:
            raise ValidationError(
                _("Unknown choice(s): %(values)s."),
                code="invalid_choice",
                params={"values": ", ".join(map(str, unknown))},
            )

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.MultipleChoiceField,
            "choices": self.multi_choices,
            "widget": forms.CheckboxSelectMultiple,
            "required": not self.blank,
        }
        defaults.update(kwargs)
        # JSONField.formfield would force its own form class; build ours directly.
        form_class = defaults.pop("form_class")
        defaults.pop("encoder", None)
        defaults.pop("decoder", None)
        return form_class(
            label=self.verbose_name.capitalize() if self.verbose_name else None,
            help_text=self.help_text,
            **defaults,
        )

    def labels(self, value) -> list[str]:
        names = dict(self.multi_choices)
        return [str(names.get(item, item)) for item in value or []]
