"""The catalogue (providers, service kinds, search words) joins the one optimistic lock:
each edit form carries the version it started from; a form without it changes nothing;
a conflict names who changed what and keeps the person's input."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from places.models import ChangeRecord
from places.versioning import StaleRecord
from services import actions
from services.models import NeedWord, Provider, ServiceKind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read the English source strings, whatever translations are compiled."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _provider():
    return Provider.objects.get(slug="caf")


def _kind():
    return ServiceKind.objects.get(slug="caf")


def _word():
    return NeedWord.objects.get(normalized="caf")


def _provider_form(provider, **extra):
    return {
        "slug": provider.slug,
        "name": "Caisse d'allocations (mine)",
        "sector": provider.sector,
        "website": "https://mine.example.org/",
        "organisation": "",
        **extra,
    }


def _kind_form(kind, **extra):
    return {
        "slug": kind.slug,
        "name": "Allocations (mine)",
        "name_en": "Benefits (mine)",
        "category": kind.category_id,
        "data_inclusion_thematiques": kind.data_inclusion_thematiques,
        "profile": kind.profile,
        "position": kind.position,
        "active": "on",
        **extra,
    }


def _word_form(word, **extra):
    return {"phrase": "caf", "language": "fr", "kinds": ["caf", "assurance-maladie"], **extra}


# Each case: the edit page, the form of my change, a colleague's change (through the
# action, from the version they saw), the field it touched as the conflict labels it,
# their new value, and how to read my value back.
CASES = {
    "provider": (
        lambda: reverse("services:provider_edit", args=[_provider().pk]),
        lambda **extra: _provider_form(_provider(), **extra),
        lambda user: actions.provider_update(
            provider=_provider(),
            user=user,
            data={"website": "https://theirs.example.org/"},
            expected_version=_provider().version,
        ),
        "Website",
        "https://theirs.example.org/",
        lambda: _provider().name == "Caisse d'allocations (mine)",
        "This provider was changed by manager",
    ),
    "service_kind": (
        lambda: reverse("services:service_kind_edit", args=[_kind().pk]),
        lambda **extra: _kind_form(_kind(), **extra),
        lambda user: actions.service_kind_update(
            kind=_kind(),
            user=user,
            data={"name_en": "Family benefits (theirs)"},
            expected_version=_kind().version,
        ),
        "Name (English)",
        "Family benefits (theirs)",
        lambda: _kind().name == "Allocations (mine)",
        "This service kind was changed by manager",
    ),
    "need_word": (
        lambda: reverse("services:need_word_edit", args=[_word().pk]),
        lambda **extra: _word_form(_word(), **extra),
        lambda user: actions.need_word_update(
            word=_word(),
            user=user,
            data={"typologies": ["france_services"]},
            expected_version=_word().version,
        ),
        "Place typologies",
        "france_services",
        lambda: "assurance-maladie" in _word().kinds,
        "This search word was changed by manager",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_the_edit_form_carries_the_version(case, admin_client_, place_manager):
    url, _form, theirs, *_rest = CASES[case]
    assert 'name="version" value="1"' in admin_client_.get(url()).content.decode()
    theirs(place_manager)
    assert 'name="version" value="2"' in admin_client_.get(url()).content.decode()


@pytest.mark.parametrize("case", CASES)
def test_an_edit_without_its_version_is_refused(case, admin_client_):
    url, form, _theirs, _label, _value, mine_applied, _message = CASES[case]
    response = admin_client_.post(url(), form())
    assert response.status_code == 400
    assert "does not say which version you started from" in response.content.decode()
    assert not mine_applied()
    assert not ChangeRecord.objects.filter(version__isnull=False, place=None).exists()


@pytest.mark.parametrize("case", CASES)
def test_a_conflict_names_the_colleague_and_keeps_my_input(case, admin_client_, place_manager):
    url, form, theirs, label, value, mine_applied, message = CASES[case]
    theirs(place_manager)
    response = admin_client_.post(url(), form(version="1"))
    assert response.status_code == 409
    html = response.content.decode()
    assert message in html
    assert "What changed while you were editing" in html
    assert label in html and value in html  # what they changed, by field
    assert 'name="version" value="2"' in html
    # my input is kept: the names I typed, or the kinds I ticked for the word
    if case == "need_word":
        assert re.search(r'value="assurance-maladie"[^>]*(checked|selected)', html), html
    else:
        assert "(mine)" in html
    assert not mine_applied()
    # saving again from the version shown applies mine
    response = admin_client_.post(url(), form(version="2"))
    assert response.status_code == 302
    assert mine_applied()


def test_a_renamed_provider_conflict_lists_the_changes_under_both_slugs(
    registry_admin, place_manager
):
    provider = _provider()
    actions.provider_update(
        provider=provider, user=place_manager, data={"slug": "caf-rhone"}, expected_version=1
    )
    actions.provider_update(
        provider=provider, user=registry_admin, data={"name": "CAF du Rhône"}, expected_version=2
    )
    assert provider.version == 3
    with pytest.raises(StaleRecord) as exc:
        actions.provider_update(
            provider=provider, user=place_manager, data={"website": ""}, expected_version=1
        )
    assert [(r.target, r.user) for r in exc.value.since] == [
        ("provider:caf-rhone", place_manager),
        ("provider:caf-rhone", registry_admin),
    ]
    assert exc.value.since[0].changes["slug"] == ["caf", "caf-rhone"]
    # saving the same values again changes nothing: same version, no record
    actions.provider_update(
        provider=provider, user=registry_admin, data={"name": "CAF du Rhône"}, expected_version=3
    )
    assert Provider.objects.get(pk=provider.pk).version == 3
    assert ChangeRecord.objects.filter(target__startswith="provider:caf").count() == 2


# -------------------------------------------------------------------- removing a word


def _delete_url():
    return reverse("services:need_word_delete", args=[_word().pk])


def test_removing_a_word_without_its_version_is_refused(admin_client_):
    assert 'name="version" value="1"' in admin_client_.get(_delete_url()).content.decode()
    response = admin_client_.post(_delete_url(), {})
    assert response.status_code == 400
    assert "does not say which version you started from" in response.content.decode()
    assert NeedWord.objects.filter(normalized="caf").exists()


def test_removing_a_word_changed_meanwhile_shows_the_change_and_keeps_it(
    admin_client_, place_manager
):
    url = _delete_url()
    CASES["need_word"][2](place_manager)
    response = admin_client_.post(url, {"version": "1"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "This search word was changed by manager" in html
    assert "so it was not removed" in html
    assert "Place typologies" in html and "france_services" in html
    assert 'name="version" value="2"' in html
    assert NeedWord.objects.filter(normalized="caf").exists()
    assert admin_client_.post(url, {"version": "2"}).status_code == 302
    assert not NeedWord.objects.filter(normalized="caf").exists()
