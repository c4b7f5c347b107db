"""First day of a city: setup_organisation, and a staff menu that reaches every section
the person's role opens (and none that it does not)."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from places.models import ChangeRecord, Membership, Organisation, Role
from tests.factories import UserFactory

User = get_user_model()


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _setup(*extra) -> str:
    out = StringIO()
    call_command(
        "setup_organisation",
        "--slug=metropole-test",
        "--name=Métropole de Test",
        "--username=claire",
        "--email=claire@example.org",
        *extra,
        stdout=out,
    )
    return out.getvalue()


def test_it_creates_the_organisation_and_its_first_admin(db, client):
    output = _setup()
    organisation = Organisation.objects.get(slug="metropole-test")
    assert organisation.kind == Organisation.Kind.CITY
    membership = Membership.objects.get(organisation=organisation)
    assert (membership.user.username, membership.role) == ("claire", Role.REGISTRY_ADMIN)
    assert membership.user.has_usable_password() is False
    assert ChangeRecord.objects.filter(target="organisation:metropole-test").exists()
    # The printed link lets the admin choose a password, then sign in.
    path = re.search(r"http://localhost:8000(/manage/invitation/\S+)", output).group(1)
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0]
    client.post(form_url, {"new_password1": "premier-jour-77", "new_password2": "premier-jour-77"})
    assert client.login(username="claire", password="premier-jour-77")
    assert client.get(reverse("manage:members", args=["metropole-test"])).status_code == 200


def test_it_emails_the_link_only_when_asked(db, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _setup()
    assert mailoutbox == []
    Organisation.objects.all().delete()
    User.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        output = _setup("--send-email")
    (message,) = mailoutbox
    assert message.to == ["claire@example.org"]
    assert "The same link was emailed to claire@example.org." in output


def test_it_refuses_an_existing_slug_and_creates_nothing(organisation):
    with pytest.raises(CommandError, match="already exists"):
        call_command(
            "setup_organisation",
            f"--slug={organisation.slug}",
            "--name=Autre",
            "--username=claire",
            "--email=claire@example.org",
            stdout=StringIO(),
        )
    assert not User.objects.filter(username="claire").exists()


def test_a_bad_address_creates_nothing(db):
    with pytest.raises(CommandError, match="email"):
        call_command(
            "setup_organisation",
            "--slug=metropole-test",
            "--name=Métropole",
            "--username=claire",
            "--email=pas-une-adresse",
            stdout=StringIO(),
        )
    assert not Organisation.objects.exists()
    assert not User.objects.filter(username="claire").exists()


def test_an_existing_account_becomes_admin_without_a_link(db):
    UserFactory(username="claire", email="claire@example.org")
    output = _setup()
    assert "already has a password" in output
    assert "/manage/invitation/" not in output


# --------------------------------------------------------------------------- staff menu

ADMIN_SECTIONS = {
    "Places": "manage:home",
    "Places to check": "manage:stale_places",
    "Economics": "economics:dashboard",
    "Space requests": "economics:space_requests",
    "Coverage": "coverage:study",
    "Territory": "territory:coverage",
    "Calls for initiatives": "initiatives:call_list",
    "Guides": "initiatives:guide_list",
    "Catalogue": "services:catalogue",
    "Imports": "imports:upload",
    "Partners": "partners:token_list",
    "Email preferences": "manage:email_preferences",
}
ADMIN_ONLY = {"Catalogue", "Imports", "Partners"}


def _menu(client) -> dict[str, str]:
    html = client.get(reverse("manage:home")).content.decode()
    nav = html[html.index('class="nav-list"') : html.index("</ul>", html.index('class="nav-list"'))]
    return {label: href for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)}


def test_the_admin_menu_reaches_every_section(admin_client_, organisation):
    menu = _menu(admin_client_)
    for label, name in ADMIN_SECTIONS.items():
        assert menu[label] == reverse(name), label
        assert admin_client_.get(menu[label]).status_code == 200, label
    assert menu["Members"] == reverse("manage:members", args=[organisation.slug])
    assert admin_client_.get(menu["Members"]).status_code == 200


def test_a_manager_sees_only_the_sections_they_may_open(manager_client):
    menu = _menu(manager_client)
    assert not ADMIN_ONLY & set(menu)
    assert "Members" not in menu
    for label, href in menu.items():
        assert manager_client.get(href).status_code == 200, label
    # And the sections left out are indeed closed to them.
    for label in ADMIN_ONLY:
        assert manager_client.get(reverse(ADMIN_SECTIONS[label])).status_code == 403, label


def test_an_admin_of_two_organisations_gets_one_members_link_each(
    admin_client_, registry_admin, other_organisation
):
    Membership.objects.create(
        user=registry_admin, organisation=other_organisation, role=Role.REGISTRY_ADMIN
    )
    menu = _menu(admin_client_)
    assert menu["Members of Autre ville"] == reverse("manage:members", args=["autre-ville"])
    assert menu["Members of Ville de Lyon"] == reverse("manage:members", args=["ville-de-lyon"])


def test_the_current_section_is_marked(admin_client_):
    html = admin_client_.get(reverse("manage:stale_places")).content.decode()
    assert f'<a href="{reverse("manage:stale_places")}" aria-current="page">' in html
