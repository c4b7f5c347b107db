"""The French catalogue is complete and sound, and pages speak the reader's language.

French is the default language; English is the source language, so its catalogue stays empty.
The pages read the compiled catalogues (locale/*/LC_MESSAGES/django.mo, built at install with
`pybabel compile --domain django --directory locale`).
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import translation

LOCALE = Path(django_settings.BASE_DIR) / "locale"
FR_PO = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
FR_MO = LOCALE / "fr" / "LC_MESSAGES" / "django.mo"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"

# printf-style placeholders as Python reads them: %(name)s, %s, %(m)02d, %(value)r...
PERCENT = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifFeEgGxXorc%]")
BRACE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
# HTML markup (metavariables such as <token> or <slug> may be translated)
TAG = re.compile(r"</?(?:a|abbr|b|br|code|em|i|kbd|small|span|strong|time)\b[^<>]*>", re.IGNORECASE)


def _percent(text: str) -> list[str]:
    return sorted(p for p in PERCENT.findall(text) if p != "%%")


def _live(po: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in po if not entry.obsolete]


def _pairs(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(source, translation) couples: one per plural form, the plural source for forms >= 1."""
    if entry.msgid_plural:
        return [
            (entry.msgid if index == 0 else entry.msgid_plural, text)
            for index, text in sorted(entry.msgstr_plural.items())
        ]
    return [(entry.msgid, entry.msgstr)]


@pytest.fixture(scope="module")
def fr_catalogue() -> polib.POFile:
    return polib.pofile(str(FR_PO))


def test_french_header(fr_catalogue):
    assert not fr_catalogue.metadata_is_fuzzy
    assert fr_catalogue.metadata["Language"] == "fr"
    assert "charset=UTF-8" in fr_catalogue.metadata["Content-Type"]
    assert fr_catalogue.metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"


def test_english_header():
    catalogue = polib.pofile(str(EN_PO))
    assert not catalogue.metadata_is_fuzzy
    assert catalogue.metadata["Language"] == "en"
    assert "charset=UTF-8" in catalogue.metadata["Content-Type"]


def test_french_catalogue_is_complete(fr_catalogue):
    untranslated = [entry.msgid for entry in _live(fr_catalogue) if not entry.translated()]
    fuzzy = [entry.msgid for entry in _live(fr_catalogue) if entry.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_plural_entries_have_both_french_forms(fr_catalogue):
    incomplete = [
        entry.msgid
        for entry in _live(fr_catalogue)
        if entry.msgid_plural
        and (sorted(entry.msgstr_plural) != [0, 1] or not all(entry.msgstr_plural.values()))
    ]
    assert incomplete == []


def test_translations_keep_the_placeholders(fr_catalogue):
    broken = []
    for entry in _live(fr_catalogue):
        for source, text in _pairs(entry):
            if "python-format" in entry.flags and _percent(source) != _percent(text):
                broken.append((source, text))
            if sorted(BRACE.findall(source)) != sorted(BRACE.findall(text)):
                broken.append((source, text))
    assert broken == []


def test_translations_keep_the_html_tags(fr_catalogue):
    broken = [
        (source, text)
        for entry in _live(fr_catalogue)
        for source, text in _pairs(entry)
        if sorted(TAG.findall(source)) != sorted(TAG.findall(text))
    ]
    assert broken == []


def test_compiled_catalogue_matches_the_po_file(fr_catalogue):
    """A stale .mo would show old wording: compile with pybabel after editing the .po file."""
    assert FR_MO.exists(), (
        "compile the catalogues: pybabel compile --domain django --directory locale"
    )
    compiled = {
        (entry.msgctxt, entry.msgid): entry.msgstr_plural or entry.msgstr
        for entry in polib.mofile(str(FR_MO))
    }
    stale = [
        entry.msgid
        for entry in _live(fr_catalogue)
        if entry.translated()
        and compiled.get((entry.msgctxt, entry.msgid)) != (entry.msgstr_plural or entry.msgstr)
    ]
    assert stale == []


def test_french_wording_of_hours_and_status():
    with translation.override("fr"):
        assert (
            translation.gettext("open until %(time)s") % {"time": "17 h"} == "ouvert jusqu'à 17 h"
        )
        assert translation.gettext("%(h)s h %(m)02d") % {"h": 17, "m": 30} == "17 h 30"
        assert (
            translation.pgettext("in a sentence", "Tuesday") == "mardi"
            and translation.gettext("Report an error") == "Signaler une erreur"
        )
        assert (
            translation.ngettext("%(counter)s place", "%(counter)s places", 1) == "%(counter)s lieu"
        )
        assert (
            translation.ngettext("%(counter)s place", "%(counter)s places", 2)
            == "%(counter)s lieux"
        )


@pytest.mark.django_db
def test_login_page_is_french_by_default(client, settings):
    settings.LANGUAGE_CODE = "fr"
    page = client.get(reverse("manage:login")).content.decode()
    assert 'lang="fr"' in page
    assert "Se connecter" in page
    assert "Mot de passe oublié" in page
    assert "Log in" not in page


@pytest.mark.django_db
def test_login_page_is_english_with_the_language_cookie(client, settings):
    settings.LANGUAGE_CODE = "fr"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("manage:login")).content.decode()
    assert 'lang="en"' in page
    assert "Log in" in page
    assert "Forgot your password?" in page
    assert "Se connecter" not in page
