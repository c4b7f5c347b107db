"""Writes owned by the api app: partner tokens and place–provider agreements."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.auth import new_token_secret
from api.models import PartnerToken, PlaceProviderAgreement
from places import actions as places_actions
from places import history
from places.models import ChangeRecord, Organisation, OrganisationEvent, Place
from places.versioning import check_version
from services.models import Provider, ServiceKind


@transaction.atomic
def token_create(
    *,
    user,
    organisation: Organisation,
    name: str,
    scopes: Iterable[str],
    provider: Provider | None = None,
) -> tuple[PartnerToken, str]:
    """Create a token; returns it with its secret, which is never stored nor shown again."""
    scopes = sorted(set(scopes))
    errors: dict[str, list] = {}
    unknown = [s for s in scopes if s not in PartnerToken.Scope.values]
    if unknown:
        errors["scopes"] = [_("Unknown scope: %(s)s.") % {"s": ", ".join(unknown)}]
    if not scopes:
        errors["scopes"] = [_("Choose at least one scope.")]
    if PartnerToken.Scope.WRITE_OFFERS in scopes and provider is None:
        errors["provider"] = [_("Writing offers needs the provider whose offers they are.")]
    if not (name or "").strip():
        errors["name"] = [_("Give the token a name (who uses it, for what).")]
    if errors:
        raise ValidationError(errors)
    raw, prefix, hashed = new_token_secret()
    token = PartnerToken(
        name=name.strip(),
        organisation=organisation,
        provider=provider,
        scopes=scopes,
        prefix=prefix,
        secret_hash=hashed,
        created_by=user,
    )
    token.full_clean(exclude=["prefix", "secret_hash"])
    token.save()
    places_actions.organisation_event_record(
        organisation=organisation,
        user=user,
        kind=OrganisationEvent.Kind.TOKEN,
        action=OrganisationEvent.Action.CREATED,
        target=token_label(token),
        summary=", ".join(scopes),
    )
    return token, raw


def token_label(token: PartnerToken) -> str:
    return f"{token.name} ({token.prefix})"


@transaction.atomic
def token_revoke(*, token: PartnerToken, user) -> PartnerToken:
    """Revoke a token at once; it stays listed, with its revocation time."""
    current = PartnerToken.objects.select_for_update().get(pk=token.pk)
    if current.revoked_at is None:
        current.revoked_at = timezone.now()
        current.save(update_fields=["revoked_at"])
        places_actions.organisation_event_record(
            organisation=current.organisation,
            user=user,
            kind=OrganisationEvent.Kind.TOKEN,
            action=OrganisationEvent.Action.REVOKED,
            target=token_label(current),
        )
    token.revoked_at = current.revoked_at
    return current


def _agreement_snapshot(agreement: PlaceProviderAgreement, kinds) -> dict:
    data = history.snapshot(agreement, exclude=("created_by", "version"))
    data["kinds"] = sorted(k.slug for k in kinds)
    return data


def _lock_agreement(
    agreement: PlaceProviderAgreement, expected_version: int | None
) -> PlaceProviderAgreement:
    """The agreement under a row lock; StaleRecord if it moved past `expected_version`."""
    current = (
        PlaceProviderAgreement.objects.select_for_update()
        .select_related("place", "provider")
        .get(pk=agreement.pk)
    )
    check_version(
        kind="agreement",
        current=current,
        version=current.version,
        expected=expected_version,
        since=lambda: (
            ChangeRecord.objects.filter(
                target=f"agreement:{current.pk}", version__gt=expected_version
            )
            .select_related("user")
            .order_by("created_at", "id")
        ),
    )
    return current


def _record_agreement(current, *, action: str, changes: dict, user, source: str) -> None:
    """Bump the version, save and record the change with it; a write that changed
    nothing leaves the row, its version and the history as they were."""
    if not changes:
        return
    current.version += 1
    current.save()
    history.record(
        place=current.place,
        target=f"agreement:{current.pk}",
        action=action,
        changes=changes,
        user=user,
        source=source,
        version=current.version,
    )


def _agreement_values(
    *, kinds, starts_on, ends_on, terms
) -> tuple[list[ServiceKind], dict[str, list]]:
    """The kinds as records (slugs or records accepted), and the errors by field."""
    errors: dict[str, list] = {}
    found: list[ServiceKind] = []
    slugs = [k.slug if isinstance(k, ServiceKind) else str(k) for k in (kinds or [])]
    if slugs:
        by_slug = {k.slug: k for k in ServiceKind.objects.filter(slug__in=slugs)}
        unknown = [s for s in slugs if s not in by_slug]
        if unknown:
            errors["kinds"] = [
                _("Unknown service kind: %(value)s.") % {"value": ", ".join(unknown)}
            ]
        found = [by_slug[s] for s in dict.fromkeys(slugs) if s in by_slug]
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("The last day cannot come before the first day.")]
    if len(terms or "") > 5000:
        errors["terms"] = [_("Keep the terms under 5,000 characters.")]
    return found, errors


@transaction.atomic
def agreement_create(
    *,
    user,
    place: Place,
    provider: Provider,
    kinds: Iterable = (),
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    terms: str = "",
    source: str = "staff",
) -> PlaceProviderAgreement:
    """Record that a place accepts offers of a provider pushed through the API.

    `kinds` are service kinds (records or slugs; none: every kind); `starts_on` defaults
    to today. A pair has one agreement: a second one is refused (change the first).
    """
    starts_on = starts_on or timezone.localdate()
    found, errors = _agreement_values(
        kinds=kinds, starts_on=starts_on, ends_on=ends_on, terms=terms
    )
    if PlaceProviderAgreement.objects.filter(place=place, provider=provider).exists():
        errors.setdefault("provider", []).append(
            _("This place already has an agreement with %(p)s: change that one.") % {"p": provider}
        )
    if errors:
        raise ValidationError(errors)
    agreement = PlaceProviderAgreement(
        place=place,
        provider=provider,
        starts_on=starts_on,
        ends_on=ends_on,
        terms=(terms or "").strip(),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    agreement.full_clean()
    agreement.save()
    agreement.kinds.set(found)
    history.record(
        place=place,
        target=f"agreement:{agreement.pk}",
        action=ChangeRecord.Action.CREATE,
        changes=history.diff(None, _agreement_snapshot(agreement, found)),
        user=user,
        source=source,
        version=agreement.version,
    )
    return agreement


_UNSET = object()


@transaction.atomic
def agreement_update(
    *,
    agreement: PlaceProviderAgreement,
    user,
    expected_version: int | None,
    kinds=_UNSET,
    starts_on=_UNSET,
    ends_on=_UNSET,
    terms=_UNSET,
    source: str = "staff",
) -> PlaceProviderAgreement:
    """Change an agreement's kinds, dates or terms; only the arguments given change.

    `expected_version` is the version the editor started from: another one raises
    StaleRecord (places.versioning); `None` skips the check (imports that own the row).
    """
    current = _lock_agreement(agreement, expected_version)
    old_kinds = list(current.kinds.all())
    before = _agreement_snapshot(current, old_kinds)
    if starts_on is not _UNSET:
        current.starts_on = starts_on or current.starts_on or timezone.localdate()
    if ends_on is not _UNSET:
        current.ends_on = ends_on
    if terms is not _UNSET:
        current.terms = (terms or "").strip()
    found, errors = _agreement_values(
        kinds=old_kinds if kinds is _UNSET else kinds,
        starts_on=current.starts_on,
        ends_on=current.ends_on,
        terms=current.terms,
    )
    if errors:
        raise ValidationError(errors)
    current.full_clean()
    if kinds is not _UNSET:
        current.kinds.set(found)
    _record_agreement(
        current,
        action=ChangeRecord.Action.UPDATE,
        changes=history.diff(before, _agreement_snapshot(current, found)),
        user=user,
        source=source,
    )
    return current


@transaction.atomic
def agreement_end(
    *,
    agreement: PlaceProviderAgreement,
    user,
    expected_version: int | None,
    on: datetime.date | None = None,
    source: str = "staff",
) -> PlaceProviderAgreement:
    """End an agreement: `on` (default today) is its last day. Offers already published
    stay; the provider can no longer create new ones there through the API.
    `expected_version` as for agreement_update."""
    current = _lock_agreement(agreement, expected_version)
    on = on or timezone.localdate()
    if current.starts_on and on < current.starts_on:
        raise ValidationError({"ends_on": [_("The last day cannot come before the first day.")]})
    kinds = list(current.kinds.all())
    before = _agreement_snapshot(current, kinds)
    current.ends_on = on
    _record_agreement(
        current,
        action=ChangeRecord.Action.STATUS,
        changes=history.diff(before, _agreement_snapshot(current, kinds)),
        user=user,
        source=source,
    )
    return current


def agreement_allows(
    *, place: Place, provider_id: int, kind: ServiceKind | None, day: datetime.date
) -> bool | None:
    """Does the place's agreement with the provider allow an offer of `kind` on `day`?

    None when the pair has no agreement at all (the caller applies the older rule).
    """
    agreement = (
        PlaceProviderAgreement.objects.filter(place=place, provider_id=provider_id)
        .prefetch_related("kinds")
        .first()
    )
    if agreement is None:
        return None
    if not agreement.holds_on(day):
        return False
    covered = {k.pk for k in agreement.kinds.all()}
    return not covered or (kind is not None and kind.pk in covered)
