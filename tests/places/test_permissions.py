"""Every staff URL refuses anonymous people and outsiders.

The test walks the URL resolver rather than a hand-written list, so a page added later
under /manage/ (by any app) is checked without anyone remembering to add it here.
"""

from __future__ import annotations

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, SlugConverter, UUIDConverter

from places.models import Membership

pytestmark = pytest.mark.django_db

# Naturally public: signing in, and the password reset pages reached from an email.
# Logging out needs no account either (it only ends a session).
PUBLIC = {
    "manage:login",
    "manage:logout",
    "manage:password_reset",
    "manage:password_reset_done",
    "manage:password_reset_confirm",
    "manage:password_reset_complete",
    # Invitations: the person has no password yet (the link itself is the credential).
    "manage:invitation_accept",
    "manage:invitation_request",
    "manage:invitation_complete",
}


def _walk(patterns, prefix: str, namespace: str | None):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            if namespace and entry.namespace:
                inner = f"{namespace}:{entry.namespace}"
            yield from _walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, route, dict(entry.pattern.converters)


def manage_patterns():
    """(namespaced name, route, converters) of every named URL under /manage/."""
    found = []
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and str(entry.pattern).startswith("manage/"):
            found.extend(_walk(entry.url_patterns, str(entry.pattern), entry.namespace))
    return found


@pytest.fixture
def sample_kwargs(managed_place, registry_admin, organisation):
    """Real objects of *our* organisation for the URL arguments, by argument name."""
    membership = Membership.objects.get(user=registry_admin, organisation=organisation)
    return {
        "public_id": managed_place.public_id,
        "org_slug": organisation.slug,
        "pk": membership.pk,
    }


def _kwargs_for(converters: dict, samples: dict) -> dict:
    kwargs = {}
    for name, converter in converters.items():
        if name in samples:
            kwargs[name] = samples[name]
        # Another app's argument we have no sample for: any well-formed value will do,
        # since the object does not need to exist for the refusal to happen.
        elif isinstance(converter, UUIDConverter):
            kwargs[name] = uuid.uuid4()
        elif isinstance(converter, IntConverter):
            kwargs[name] = 1
        elif isinstance(converter, SlugConverter):
            kwargs[name] = "sample"
        else:
            kwargs[name] = "sample"
    return kwargs


def test_the_walk_sees_the_registry_pages():
    names = {name for name, _route, _conv in manage_patterns()}
    expected = {
        "manage:home",
        "manage:place_create",
        "manage:place_detail",
        "manage:place_edit",
        "manage:place_publish",
        "manage:place_archive",
        "manage:place_restore",
        "manage:place_history",
        "manage:geocode",
        "manage:members",
        "manage:member_add",
        "manage:member_role",
        "manage:member_remove",
        *PUBLIC,
    }
    assert expected <= names
    assert names >= PUBLIC  # every exclusion names a real page


def test_anonymous_people_are_sent_to_the_login_page(client, sample_kwargs):
    login = reverse("manage:login")
    checked = 0
    for name, _route, converters in manage_patterns():
        if name in PUBLIC:
            continue
        url = reverse(name, kwargs=_kwargs_for(converters, sample_kwargs))
        redirected = 0
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            # A method the URL does not take may be refused (405) before the sign-in check;
            # anything else must be the redirect to the login page.
            if response.status_code == 405:
                continue
            assert response.status_code == 302, (name, method, response.status_code)
            assert response["Location"].startswith(f"{login}?next="), (name, method)
            redirected += 1
        assert redirected, name
        checked += 1
    assert checked >= 13


def test_outsiders_are_refused_every_object_page(outsider_client, sample_kwargs, managed_place):
    # The registry's object pages, built with objects of our organisation. (Other apps'
    # objects need their own fixtures: their tests check their outsiders.)
    checked = 0
    for name, _route, converters in manage_patterns():
        if name in PUBLIC or not converters or not name.startswith("manage:"):
            continue
        url = reverse(name, kwargs=_kwargs_for(converters, sample_kwargs))
        for method in ("get", "post"):
            response = getattr(outsider_client, method)(url)
            if response.status_code == 405:  # this URL takes the other method only
                continue
            assert response.status_code in (403, 404), (name, method, response.status_code)
        checked += 1
    assert checked >= 10
    managed_place.refresh_from_db()
    assert managed_place.version == 1 and managed_place.status == "published"


def test_outsiders_see_none_of_our_places_in_the_list(outsider_client, managed_place):
    response = outsider_client.get(reverse("manage:home"))
    assert response.status_code == 200
    assert managed_place.name not in response.content.decode()
    assert response.context["page"].paginator.count == 0


def test_signed_in_people_without_a_role_are_refused(client, sample_kwargs):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="nobody"))
    for name, _route, converters in manage_patterns():
        if name in PUBLIC:
            continue
        url = reverse(name, kwargs=_kwargs_for(converters, sample_kwargs))
        response = client.get(url)
        assert response.status_code in (403, 404, 405), (name, response.status_code)
