"""Every write of calls for initiatives, submitted projects and guides.

Keyword-only, validated first (full_clean), atomic, recorded in InitiativeRecord with the
acting user and a source. A retained project becomes a draft place through
places.actions.place_create, the registry's one way to create a place.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from initiatives.models import Call, Guide, InitiativeRecord, Submission
from places import actions as place_actions
from places import emails
from places.history import diff, snapshot
from places.models import Organisation, Place
from places.validators import validate_insee_code

CALL_FIELDS = ("title", "slug", "text", "profile", "area", "budget", "deadline", "status")
SUBMISSION_FIELDS = (
    "title",
    "description",
    "needs",
    "contact_name",
    "contact_email",
    "contact_phone",
    "organisation_name",
    "crowdfunding_url",
)
GUIDE_FIELDS = (
    "slug",
    "profile",
    "title_fr",
    "title_en",
    "summary_fr",
    "summary_en",
    "body_fr",
    "body_en",
    "published",
    "position",
)


def _record(*, user, action: str, changes: dict, source: str, note: str = "", **target):
    return InitiativeRecord.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        changes=changes,
        source=source,
        note=note,
        **target,
    )


def _check_fields(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})


def _check_version(record, expected: int | None, what: str) -> None:
    if expected is not None and int(expected) != record.version:
        raise ValidationError(
            {
                "version": _(
                    "This %(what)s was changed by someone else while you were editing it "
                    "(now version %(version)s). Your input is kept below: reload the page "
                    "to see their change, then apply yours again."
                )
                % {"what": what, "version": record.version}
            },
            code="stale_version",
        )


def _full_clean(instance, errors: dict | None = None, exclude=()) -> None:
    errors = dict(errors or {})
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _unique_slug(model, base: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(base)[:100] or "appel"
    candidate, n = base, 2
    others = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    while others.filter(slug=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


# ------------------------------------------------------------------------------- calls


def resolve_communes(codes: Iterable[str]) -> tuple[list[dict], list[str]]:
    """[{"code", "name"}] for INSEE codes, and the errors (bad or unknown codes).

    Reads the communes dataset (places.communes), so only staff writes call it."""
    from places.communes import commune_index

    found, errors, seen = [], [], set()
    for raw in codes:
        code = raw.strip().upper()
        if not code or code in seen:
            continue
        seen.add(code)
        try:
            validate_insee_code(code)
        except ValidationError as exc:
            errors.append(f"{code}: {exc.messages[0]}")
            continue
        commune = commune_index().by_code.get(code)
        if commune is None:
            errors.append(_("%(code)s: no commune has this INSEE code.") % {"code": code})
            continue
        found.append({"code": code, "name": commune.name})
    return found, errors


def _apply_call(call: Call, data: Mapping[str, Any], communes: Iterable[str] | None) -> dict:
    _check_fields(data, CALL_FIELDS)
    for name, value in data.items():
        setattr(call, name, value)
    errors: dict[str, list] = {}
    if communes is not None:
        call.area_communes, bad = resolve_communes(communes)
        if bad:
            errors["area_communes"] = bad
    return errors


@transaction.atomic
def call_create(
    *,
    user,
    organisation: Organisation,
    data: Mapping[str, Any],
    communes: Iterable[str] = (),
    source: str = "staff",
) -> Call:
    """Create a call of `organisation` (a draft unless `data` says otherwise)."""
    call = Call(organisation=organisation)
    errors = _apply_call(call, data, communes)
    if not call.slug:
        call.slug = _unique_slug(Call, call.title or "appel")
    _full_clean(call, errors)
    try:
        call.save()
    except IntegrityError:
        message = _("This address is already used by another call.")
        raise ValidationError({"slug": message}) from None
    _record(
        user=user,
        action=InitiativeRecord.Action.CREATE,
        changes=diff(None, snapshot(call)),
        source=source,
        call=call,
    )
    return call


@transaction.atomic
def call_update(
    *,
    user,
    call: Call,
    data: Mapping[str, Any],
    communes: Iterable[str] | None = None,
    expected_version: int | None,
    source: str = "staff",
) -> Call:
    """Change a call; refused if someone saved it since `expected_version`."""
    current = Call.objects.select_for_update().get(pk=call.pk)
    _check_version(current, expected_version, _("call"))
    before = snapshot(current)
    errors = _apply_call(current, data, communes)
    _full_clean(current, errors)
    changes = diff(before, snapshot(current))
    if changes:
        current.version += 1
        current.save()
        _record(
            user=user,
            action=InitiativeRecord.Action.UPDATE,
            changes=changes,
            source=source,
            call=current,
        )
    call.__dict__.update(current.__dict__)
    return current


# ------------------------------------------------------------------------- submissions


def _deadline_text(call: Call) -> str:
    return formats.date_format(timezone.localtime(call.deadline), "DATETIME_FORMAT")


@transaction.atomic
def submission_submit(
    *,
    call: Call,
    data: Mapping[str, Any],
    ip: str = "",
    language: str = "",
    now: datetime.datetime | None = None,
) -> Submission:
    """Record a project sent to an open call, and send its acknowledgement by email.

    After the deadline (or once the call is closed) nothing is stored: a ValidationError
    with code "call_closed" says so politely. The sender's address is kept as a keyed hash.
    """
    call = Call.objects.select_for_update().get(pk=call.pk)
    if not call.accepts_submissions(now):
        if call.status == Call.Status.DRAFT:
            message = _("This call is not published.")
        else:
            message = _(
                "Thank you for your interest: this call closed on %(deadline)s and no longer "
                "accepts projects. Look at the open calls, or write to the city."
            ) % {"deadline": _deadline_text(call)}
        raise ValidationError(message, code="call_closed")
    _check_fields(data, SUBMISSION_FIELDS)
    submission = Submission(
        call=call,
        language=(language or translation.get_language() or settings.LANGUAGE_CODE)[:10],
        submitter_hash=place_actions.hash_ip(ip),
        **{name: v.strip() if isinstance(v, str) else v for name, v in data.items()},
    )
    _full_clean(submission, exclude=("call", "place"))
    submission.save()
    _record(
        user=None,
        action=InitiativeRecord.Action.CREATE,
        changes={"status": [None, submission.status]},
        source="public",
        submission=submission,
    )
    transaction.on_commit(lambda: send_acknowledgement(submission))
    return submission


def _call_link(call: Call) -> str:
    try:
        return emails.absolute_url(reverse("directory:call", args=[call.slug]))
    except NoReverseMatch:
        return ""


def send_acknowledgement(submission: Submission) -> tuple[str, str]:
    """Tell the sender their project arrived (places.emails.send: refused addresses are
    skipped, a mail server failure is logged and never undoes the submission)."""
    call = submission.call
    with translation.override(submission.language or settings.LANGUAGE_CODE):
        subject = _("Your project “%(title)s” was received") % {"title": submission.title}
        body = _(
            "Hello %(name)s,\n\nThank you: your project “%(title)s” for the call “%(call)s” "
            "was received on %(date)s. Staff will review every project after the deadline "
            "(%(deadline)s) and write to you at this address.\n\nThe call:\n%(link)s"
        ) % {
            "name": submission.contact_name,
            "title": submission.title,
            "call": call.title,
            "date": formats.date_format(timezone.localtime(submission.created_at), "DATE_FORMAT"),
            "deadline": _deadline_text(call),
            "link": _call_link(call),
        }
        return emails.send(to=submission.contact_email, subject=subject, body=body)


@transaction.atomic
def submission_review(
    *,
    user,
    submission: Submission,
    status: str,
    notes: str,
    comment: str = "",
    expected_version: int | None,
    source: str = "staff",
) -> Submission:
    """Set a project's review status and staff notes; a status change is recorded with
    its comment (the history of the review)."""
    current = Submission.objects.select_for_update().get(pk=submission.pk)
    _check_version(current, expected_version, _("project"))
    if status not in Submission.Status.values:
        raise ValidationError({"status": _("Choose one of the statuses.")})
    if current.place_id and status != Submission.Status.RETAINED:
        raise ValidationError(
            {"status": _("A draft place was made from this project: it stays retained.")}
        )
    old_status, old_notes = current.status, current.notes
    current.status = status
    current.notes = (notes or "").strip()
    _full_clean(current, exclude=("call", "place"))
    if old_status == current.status and old_notes == current.notes:
        if comment.strip():
            raise ValidationError({"comment": _("A comment goes with a change of status.")})
        return current
    current.version += 1
    current.save()
    if old_status != current.status:
        _record(
            user=user,
            action=InitiativeRecord.Action.STATUS,
            changes={"status": [old_status, current.status]},
            note=comment.strip(),
            source=source,
            submission=current,
        )
    if old_notes != current.notes:
        _record(
            user=user,
            action=InitiativeRecord.Action.UPDATE,
            changes={"notes": [old_notes, current.notes]},
            source=source,
            submission=current,
        )
    submission.__dict__.update(current.__dict__)
    return current


def _place_data(submission: Submission) -> dict[str, Any]:
    """What a draft place takes from a project: its name, description and contact."""
    description = submission.description
    if submission.needs:
        description += "\n\n" + _("Needs:") + "\n" + submission.needs
    if submission.organisation_name:
        description += "\n\n" + _("Carried by:") + " " + submission.organisation_name
    if submission.crowdfunding_url:
        description += "\n\n" + _("Crowdfunding:") + " " + submission.crowdfunding_url
    short = " ".join(submission.description.split())
    if len(short) > 280:
        short = short[:279].rsplit(" ", 1)[0] + "…"
    return {
        "name": submission.title[:200],
        "short_description": short,
        "description": description,
        "email": submission.contact_email,
        "phone": submission.contact_phone[:30],
    }


@transaction.atomic
def submission_make_place(
    *, user, submission: Submission, typologies: Iterable[str], source: str | None = None
) -> Place:
    """Turn a retained project into a draft place of the call's organisation, with the
    call's profile, in one step (places.actions.place_create records its history)."""
    current = Submission.objects.select_for_update().select_related("call").get(pk=submission.pk)
    if current.status != Submission.Status.RETAINED:
        raise ValidationError(
            _("Only a retained project becomes a place: retain it first."), code="not_retained"
        )
    if current.place_id:
        raise ValidationError(
            _("A draft place was already made from this project."), code="already_made"
        )
    call = current.call
    profiles = {call.profile: {}} if call.profile else None
    place = place_actions.place_create(
        user=user,
        organisation=call.organisation,
        data=_place_data(current),
        typologies=list(typologies),
        profiles=profiles,
        status=Place.Status.DRAFT,
        source=source or f"initiative:{current.pk}",
    )
    current.place = place
    current.version += 1
    current.save()
    _record(
        user=user,
        action=InitiativeRecord.Action.PLACE,
        changes={"place": [None, str(place.public_id)]},
        source=source or "staff",
        submission=current,
    )
    submission.__dict__.update(current.__dict__)
    return place


# ------------------------------------------------------------------------------ guides


@transaction.atomic
def guide_create(*, user, data: Mapping[str, Any], source: str = "staff") -> Guide:
    _check_fields(data, GUIDE_FIELDS)
    guide = Guide(**data)
    if not guide.slug:
        guide.slug = _unique_slug(Guide, guide.title_fr or "guide")
    _full_clean(guide, _english_pair(guide))
    guide.save()
    _record(
        user=user,
        action=InitiativeRecord.Action.CREATE,
        changes=diff(None, snapshot(guide)),
        source=source,
        guide=guide,
    )
    return guide


@transaction.atomic
def guide_update(
    *,
    user,
    guide: Guide,
    data: Mapping[str, Any],
    expected_version: int | None,
    source: str = "staff",
) -> Guide:
    """Change a guide; refused if someone saved it since `expected_version`."""
    _check_fields(data, GUIDE_FIELDS)
    current = Guide.objects.select_for_update().get(pk=guide.pk)
    _check_version(current, expected_version, _("guide"))
    before = snapshot(current)
    for name, value in data.items():
        setattr(current, name, value)
    _full_clean(current, _english_pair(current))
    changes = diff(before, snapshot(current))
    if changes:
        current.version += 1
        current.save()
        _record(
            user=user,
            action=InitiativeRecord.Action.UPDATE,
            changes=changes,
            source=source,
            guide=current,
        )
    guide.__dict__.update(current.__dict__)
    return current


def _english_pair(guide: Guide) -> dict[str, list]:
    """The English version is whole or absent: a title without a text (or the reverse)
    would show half a translation."""
    if bool(guide.title_en.strip()) == bool(guide.body_en.strip()):
        return {}
    missing = "body_en" if guide.title_en.strip() else "title_en"
    return {missing: [_("Give the English title and text together, or neither.")]}
