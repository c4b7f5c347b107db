"""Form helpers every app may use (the places app's own forms stay in places.forms)."""

from __future__ import annotations


class AriaMixin:
    """Links each widget to its help text and errors (aria-describedby, aria-invalid).

    Call `add_aria()` once the form is bound and validated, before rendering it, so that
    a screen reader reads a field's help and its error with the field.
    """

    def add_aria(self) -> None:
        for name, field in self.fields.items():
            bound = self[name]
            ids = []
            if field.help_text:
                ids.append(f"{bound.auto_id}_helptext")
            if self.is_bound and name in self.errors:
                ids.append(f"{bound.auto_id}_errors")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
