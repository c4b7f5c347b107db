"""Calls, projects and guides: the actions, their checks and their history."""

from __future__ import annotations

import datetime
import smtplib

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from initiatives import actions
from initiatives.models import Call, Guide, InitiativeRecord, Submission
from places.models import BouncedAddress, ChangeRecord, Place

pytestmark = pytest.mark.django_db


def _submit(call, project, **kwargs):
    return actions.submission_submit(call=call, data=project, ip="203.0.113.9", **kwargs)


def test_a_project_is_stored_and_acknowledged_by_email(
    open_call, project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submission = _submit(open_call, project, language="en")
    assert submission.status == Submission.Status.RECEIVED
    assert submission.submitter_hash and "203.0.113.9" not in submission.submitter_hash
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert "Repair café des Pentes" in message.subject
    assert open_call.title in message.body
    assert f"/appels/{open_call.slug}/" in message.body
    record = submission.records.get()
    assert record.action == InitiativeRecord.Action.CREATE and record.source == "public"


def test_the_acknowledgement_is_in_the_senders_language(
    open_call, project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _submit(open_call, project, language="fr")
    assert mail.outbox[0].subject == "Votre projet « Repair café des Pentes » a bien été reçu"


def test_a_refused_address_gets_no_acknowledgement(
    open_call, project, django_capture_on_commit_callbacks
):
    BouncedAddress.objects.create(email="alice@example.org", error="550 no such user")
    with django_capture_on_commit_callbacks(execute=True):
        submission = _submit(open_call, project)
    assert submission.pk  # the project is kept, the email skipped
    assert mail.outbox == []


def test_a_mail_server_refusal_is_recorded_and_the_project_kept(
    open_call, project, django_capture_on_commit_callbacks, monkeypatch
):
    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"alice@example.org": (550, b"unknown user")})

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        _submit(open_call, project)
    assert Submission.objects.count() == 1
    assert BouncedAddress.objects.filter(email="alice@example.org", permanent=True).exists()


def test_after_the_deadline_nothing_is_stored(open_call, project):
    later = open_call.deadline + datetime.timedelta(minutes=1)
    with pytest.raises(ValidationError) as caught:
        _submit(open_call, project, now=later)
    assert caught.value.code == "call_closed"
    assert "no longer accepts projects" in caught.value.messages[0]
    assert Submission.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.parametrize("status", [Call.Status.DRAFT, Call.Status.CLOSED])
def test_a_draft_or_closed_call_takes_no_project(open_call, project, registry_admin, status):
    actions.call_update(
        user=registry_admin,
        call=open_call,
        data={"status": status},
        expected_version=open_call.version,
    )
    with pytest.raises(ValidationError):
        _submit(open_call, project)
    assert Submission.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("crowdfunding_url", "javascript:alert(1)"),
        ("crowdfunding_url", "ftp://example.org/campaign"),
        ("crowdfunding_url", "not a link"),
        ("contact_email", "alice-at-example"),
        ("title", ""),
        ("description", "   "),
    ],
)
def test_bad_input_is_refused_field_by_field(open_call, project, field, value):
    with pytest.raises(ValidationError) as caught:
        _submit(open_call, {**project, field: value})
    assert field in caught.value.message_dict
    assert Submission.objects.count() == 0


def test_review_records_each_change_of_status_with_its_comment(open_call, project, registry_admin):
    submission = _submit(open_call, project)
    actions.submission_review(
        user=registry_admin,
        submission=submission,
        status=Submission.Status.UNDER_REVIEW,
        notes="Visit planned.",
        comment="Complete file.",
        expected_version=1,
    )
    actions.submission_review(
        user=registry_admin,
        submission=submission,
        status=Submission.Status.RETAINED,
        notes="Visit planned.",
        expected_version=2,
    )
    statuses = [
        (r.changes["status"], r.note, r.user)
        for r in submission.records.filter(action=InitiativeRecord.Action.STATUS)
    ]
    assert statuses == [
        (["received", "under_review"], "Complete file.", registry_admin),
        (["under_review", "retained"], "", registry_admin),
    ]
    submission.refresh_from_db()
    assert submission.notes == "Visit planned." and submission.version == 3


def test_review_from_a_stale_page_is_refused(open_call, project, registry_admin):
    submission = _submit(open_call, project)
    actions.submission_review(
        user=registry_admin,
        submission=submission,
        status="under_review",
        notes="",
        expected_version=1,
    )
    with pytest.raises(ValidationError) as caught:
        actions.submission_review(
            user=registry_admin,
            submission=submission,
            status="declined",
            notes="",
            expected_version=1,
        )
    assert "version" in caught.value.message_dict
    submission.refresh_from_db()
    assert submission.status == "under_review"


def test_a_retained_project_becomes_a_draft_place_of_the_calls_organisation(
    open_call, project, registry_admin
):
    submission = _submit(open_call, project)
    actions.submission_review(
        user=registry_admin, submission=submission, status="retained", notes="", expected_version=1
    )
    place = actions.submission_make_place(
        user=registry_admin, submission=submission, typologies=["repair_cafe"]
    )
    assert place.status == Place.Status.DRAFT
    assert place.organisation == open_call.organisation
    assert place.name == "Repair café des Pentes"
    assert "Saturday mornings" in place.description
    assert place.email == "alice@example.org"
    assert [t.code for t in place.typologies.all()] == ["repair_cafe"]
    assert Place.objects.get(pk=place.pk).creation is not None  # the call's profile
    # The registry's own history, through places.actions.place_create.
    created = ChangeRecord.objects.get(place=place, target="place")
    assert created.source == f"initiative:{submission.pk}" and created.user == registry_admin
    submission.refresh_from_db()
    assert submission.place == place
    assert submission.records.filter(action=InitiativeRecord.Action.PLACE).exists()
    with pytest.raises(ValidationError):  # one place per project
        actions.submission_make_place(
            user=registry_admin, submission=submission, typologies=["repair_cafe"]
        )
    assert Place.objects.count() == 1


def test_only_a_retained_project_becomes_a_place(open_call, project, registry_admin):
    submission = _submit(open_call, project)
    with pytest.raises(ValidationError) as caught:
        actions.submission_make_place(
            user=registry_admin, submission=submission, typologies=["repair_cafe"]
        )
    assert caught.value.code == "not_retained"
    assert Place.objects.count() == 0


def test_a_place_without_typology_is_refused_and_nothing_changes(
    open_call, project, registry_admin
):
    submission = _submit(open_call, project)
    actions.submission_review(
        user=registry_admin, submission=submission, status="retained", notes="", expected_version=1
    )
    with pytest.raises(ValidationError) as caught:
        actions.submission_make_place(user=registry_admin, submission=submission, typologies=[])
    assert "typologies" in caught.value.message_dict
    submission.refresh_from_db()
    assert submission.place is None and Place.objects.count() == 0


def test_a_call_with_a_negative_budget_or_no_deadline_is_refused(organisation, registry_admin):
    with pytest.raises(ValidationError) as caught:
        actions.call_create(
            user=registry_admin,
            organisation=organisation,
            data={"title": "Appel", "text": "Texte", "budget": "-5", "deadline": None},
        )
    assert {"budget", "deadline"} <= set(caught.value.message_dict)
    assert Call.objects.count() == 0


def test_call_communes_are_checked_and_named(organisation, registry_admin):
    deadline = timezone.now() + datetime.timedelta(days=3)
    data = {"title": "Appel", "text": "Texte", "deadline": deadline}
    with pytest.raises(ValidationError) as caught:
        actions.call_create(
            user=registry_admin, organisation=organisation, data=data, communes=["69123", "6912"]
        )
    assert "area_communes" in caught.value.message_dict
    call = actions.call_create(
        user=registry_admin, organisation=organisation, data=data, communes=["69123", "69266"]
    )
    assert call.area_communes == [
        {"code": "69123", "name": "Lyon"},
        {"code": "69266", "name": "Villeurbanne"},
    ]
    assert call.slug == "appel" and call.status == Call.Status.DRAFT


def test_guides_are_created_and_updated_with_history(registry_admin):
    guide = actions.guide_create(
        user=registry_admin, data={"title_fr": "Ouvrir un jardin partagé", "body_fr": "Texte."}
    )
    assert guide.slug == "ouvrir-un-jardin-partage"
    actions.guide_update(
        user=registry_admin,
        guide=guide,
        data={"title_en": "Open a shared garden", "body_en": "Text."},
        expected_version=1,
    )
    guide.refresh_from_db()
    assert guide.version == 2
    assert list(guide.records.values_list("action", flat=True)) == ["create", "update"]
    with pytest.raises(ValidationError):
        actions.guide_update(
            user=registry_admin, guide=guide, data={"title_en": "x"}, expected_version=1
        )


def test_half_an_english_version_is_refused(registry_admin):
    with pytest.raises(ValidationError) as caught:
        actions.guide_create(
            user=registry_admin,
            data={"title_fr": "Titre", "body_fr": "Texte.", "title_en": "Title only"},
        )
    assert "body_en" in caught.value.message_dict
    assert not Guide.objects.filter(title_fr="Titre").exists()


def test_the_starter_guides_are_seeded_in_both_languages():
    guides = {g.slug: g for g in Guide.objects.filter(published=True)}
    assert {
        "ouvrir-un-repair-cafe",
        "partager-une-salle-de-mediatheque",
        "ouvrir-un-guichet-d-aide-aux-demarches",
    } <= set(guides)
    for guide in guides.values():
        assert guide.body_fr.strip() and guide.body_en.strip() and guide.title_en
