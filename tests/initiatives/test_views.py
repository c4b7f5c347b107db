"""The public pages of calls and guides, and the staff pages of /manage/initiatives/."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from initiatives import actions
from initiatives.models import Call, Guide, Submission
from places.models import Place
from tests.conftest import PASSWORD  # noqa: F401 - the standing users' password
from tests.initiatives.test_rendering import dangers

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _submission(call, project):
    return actions.submission_submit(call=call, data=project, ip="198.51.100.1")


# ------------------------------------------------------------------------ public pages


def test_the_calls_page_lists_open_and_past_calls_but_no_draft(
    client, open_call, organisation, registry_admin
):
    deadline = timezone.now() - datetime.timedelta(days=1)
    past = actions.call_create(
        user=registry_admin,
        organisation=organisation,
        data={"title": "Appel 2023", "text": "x", "deadline": deadline, "status": "open"},
    )
    actions.call_create(
        user=registry_admin,
        organisation=organisation,
        data={"title": "Brouillon secret", "text": "x", "deadline": timezone.now()},
    )
    html = client.get("/appels/").content.decode()
    open_part, past_part = html.split('id="past-calls-title"')
    assert open_call.title in open_part and past.title not in open_part
    assert past.title in past_part
    assert "Brouillon secret" not in html
    assert client.get(reverse("directory:call", args=["brouillon-secret"])).status_code == 404


def test_a_project_is_sent_from_the_call_page(
    client, open_call, project, django_capture_on_commit_callbacks
):
    url = reverse("directory:call", args=[open_call.slug])
    assert url == f"/appels/{open_call.slug}/"
    page = client.get(url).content.decode()
    assert "<h2>What we look for</h2>" in page and "<strong>repair café</strong>" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, project, REMOTE_ADDR="198.51.100.2")
    assert response.status_code == 302
    followed = client.get(response["Location"]).content.decode()
    assert "your project was received" in followed
    assert Submission.objects.get().call == open_call
    assert len(mail.outbox) == 1


def test_bad_input_is_shown_next_to_the_field_and_kept(client, open_call, project):
    url = reverse("directory:call", args=[open_call.slug])
    bad = {**project, "crowdfunding_url": "javascript:alert(1)", "contact_email": "alice"}
    response = client.post(url, bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_crowdfunding_url_errors"' in html and 'id="id_contact_email_errors"' in html
    assert 'aria-invalid="true"' in html
    assert "A monthly repair café with ten volunteers." in html  # input kept
    assert Submission.objects.count() == 0 and mail.outbox == []


def test_after_the_deadline_the_page_says_so_and_refuses_politely(
    client, open_call, project, registry_admin
):
    Call.objects.filter(pk=open_call.pk).update(
        deadline=timezone.now() - datetime.timedelta(hours=1)
    )
    url = reverse("directory:call", args=[open_call.slug])
    page = client.get(url).content.decode()
    assert "no longer accepts projects" in page and 'name="contact_email"' not in page
    response = client.post(url, project)
    assert response.status_code == 400
    html = response.content.decode()
    assert "this call closed on" in html
    assert "A monthly repair café with ten volunteers." in html  # their text, to copy
    assert Submission.objects.count() == 0 and mail.outbox == []


def test_the_honeypot_thanks_a_robot_and_stores_nothing(client, open_call, project):
    url = reverse("directory:call", args=[open_call.slug])
    response = client.post(url, {**project, "homepage": "http://spam.example"})
    assert response.status_code == 302
    assert Submission.objects.count() == 0 and mail.outbox == []


def test_projects_share_the_suggestion_limit(client, open_call, project, settings):
    settings.SUGGESTION_RATE_LIMIT = (2, 3600)
    url = reverse("directory:call", args=[open_call.slug])
    codes = [client.post(url, project, REMOTE_ADDR="198.51.100.9").status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    assert Submission.objects.count() == 2
    # The same counter as the suggestions: that address may not suggest a place either.
    response = client.post(
        reverse("directory:suggest_place"), {"name": "Un lieu"}, REMOTE_ADDR="198.51.100.9"
    )
    assert response.status_code == 429


def test_guides_are_public_in_the_readers_language(client, settings):
    guide = Guide.objects.get(slug="ouvrir-un-repair-cafe")
    settings.LANGUAGE_CODE = "fr"
    html = client.get(reverse("directory:guide", args=[guide.slug])).content.decode()
    assert "<h1>Ouvrir un repair café</h1>" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("directory:guide", args=[guide.slug])).content.decode()
    assert "<h1>How to open a repair café</h1>" in html
    assert "<h2>Before you open</h2>" in html


def test_a_guide_without_english_falls_back_to_french_and_says_so(client, settings, registry_admin):
    actions.guide_create(
        user=registry_admin,
        data={"title_fr": "Guide en français", "body_fr": "Texte.", "published": True},
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/guides/guide-en-francais/").content.decode()
    assert '<article lang="fr">' in html and "not translated yet" in html


def test_an_unpublished_guide_is_not_public(client, registry_admin):
    actions.guide_create(user=registry_admin, data={"title_fr": "Brouillon", "body_fr": "x"})
    assert client.get("/guides/brouillon/").status_code == 404
    assert "Brouillon" not in client.get("/guides/").content.decode()


def test_a_hostile_guide_is_shown_without_script_or_style(client, registry_admin):
    actions.guide_create(
        user=registry_admin,
        data={
            "title_fr": "Piège",
            "body_fr": '<script>alert(1)</script>\n\n<p style="x" onclick="y">a</p>\n\n'
            "[lien](javascript:alert(1))",
            "published": True,
        },
    )
    html = client.get("/guides/piege/").content.decode()
    start = html.index('<div class="guide-text">')
    body = html[start : html.index("</div>", start)]
    assert "lien" in body and "alert" in body  # shown as text
    assert dangers(body) == []


def test_the_home_page_links_the_guides_and_the_calls(client, open_call):
    html = client.get(reverse("directory:home")).content.decode()
    assert reverse("directory:guide", args=["ouvrir-un-repair-cafe"]) in html
    assert reverse("directory:calls") in html
    assert "1 open" in html


# --------------------------------------------------------------------------- staff pages


def test_an_admin_publishes_a_call_from_the_form(registry_admin, organisation):
    client = _client(registry_admin)
    response = client.post(
        reverse("initiatives:call_create"),
        {
            "organisation": organisation.slug,
            "title": "Un lieu pour les associations",
            "text": "Texte de l'appel.",
            "profile": "mediation",
            "area": "Centre-ville",
            "communes": "",
            "budget": "5000",
            "deadline": "2099-06-30T18:00",
            "status": "open",
        },
    )
    call = Call.objects.get()
    assert response.status_code == 302
    assert call.organisation == organisation and call.status == "open"
    assert timezone.localtime(call.deadline).hour == 18


def test_bad_call_input_stores_nothing(registry_admin, organisation):
    client = _client(registry_admin)
    response = client.post(
        reverse("initiatives:call_create"),
        {
            "organisation": organisation.slug,
            "title": "",
            "text": "x",
            "deadline": "soon",
            "budget": "-3",
            "status": "open",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("title", "deadline", "budget"):
        assert f'id="id_{field}_errors"' in html
    assert Call.objects.count() == 0


def test_review_then_make_a_draft_place(registry_admin, open_call, project):
    submission = _submission(open_call, project)
    client = _client(registry_admin)
    detail = reverse("initiatives:submission_detail", args=[submission.pk])
    assert "Repair café des Pentes" in client.get(detail).content.decode()
    response = client.post(
        reverse("initiatives:submission_review", args=[submission.pk]),
        {"status": "retained", "notes": "Good", "comment": "Chosen by the jury", "version": 1},
    )
    assert response.status_code == 302
    page = client.get(detail).content.decode()
    assert "Received → Retained" in page and "Chosen by the jury" in page
    response = client.post(
        reverse("initiatives:submission_place", args=[submission.pk]), {"typologies": []}
    )
    assert response.status_code == 400 and Place.objects.count() == 0
    response = client.post(
        reverse("initiatives:submission_place", args=[submission.pk]),
        {"typologies": ["repair_cafe"]},
    )
    place = Place.objects.get()
    assert response["Location"] == reverse("manage:place_detail", args=[place.public_id])
    assert place.status == Place.Status.DRAFT and place.organisation == open_call.organisation


def test_who_may_read_and_review_a_project(
    open_call, project, place_manager, viewer, outsider, registry_admin
):
    submission = _submission(open_call, project)
    detail = reverse("initiatives:submission_detail", args=[submission.pk])
    review = reverse("initiatives:submission_review", args=[submission.pk])
    data = {"status": "declined", "notes": "", "comment": "", "version": 1}
    # Staff of the organisation read it; only its registry admins review it.
    for user in (place_manager, viewer):
        client = _client(user)
        assert client.get(detail).status_code == 200
        assert client.post(review, data).status_code == 403
    # Another organisation learns nothing; anonymous people go to the login page.
    assert _client(outsider).get(detail).status_code == 404
    assert _client(outsider).post(review, data).status_code == 404
    assert Client().get(detail).status_code == 302
    submission.refresh_from_db()
    assert submission.status == Submission.Status.RECEIVED
    assert _client(registry_admin).post(review, data).status_code == 302


def test_the_outsider_sees_no_call_of_ours(open_call, outsider):
    html = _client(outsider).get(reverse("initiatives:call_list")).content.decode()
    assert open_call.title not in html
    assert (
        _client(outsider).get(reverse("initiatives:call_edit", args=[open_call.pk])).status_code
        == 404
    )


def test_only_registry_admins_edit_guides(place_manager, registry_admin):
    guide = Guide.objects.get(slug="ouvrir-un-repair-cafe")
    url = reverse("initiatives:guide_edit", args=[guide.pk])
    assert _client(place_manager).get(url).status_code == 403
    client = _client(registry_admin)
    data = {
        "title_fr": "Ouvrir un repair café",
        "summary_fr": "",
        "body_fr": "## Nouveau texte",
        "title_en": "",
        "summary_en": "",
        "body_en": "",
        "profile": "creation",
        "slug": guide.slug,
        "position": 1,
        "published": "on",
        "version": guide.version,
    }
    assert client.post(url, data).status_code == 302
    guide.refresh_from_db()
    assert guide.body_fr == "## Nouveau texte" and guide.version == 2
    # The same page again (the old version) is refused, the input kept.
    response = client.post(url, {**data, "body_fr": "Autre"})
    assert response.status_code == 400
    assert "changed by someone else" in response.content.decode()
    guide.refresh_from_db()
    assert guide.body_fr == "## Nouveau texte"
