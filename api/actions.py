"""Writes owned by the api app: partner tokens and place–provider agreements."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.auth import new_token_secret
from api.models import PartnerToken, PlaceProviderAgreement
from places.models import Organisation, Place
from services.models import Provider


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
    return token, raw


@transaction.atomic
def token_revoke(*, token: PartnerToken, user) -> PartnerToken:
    """Revoke a token at once; it stays listed, with its revocation time."""
    current = PartnerToken.objects.select_for_update().get(pk=token.pk)
    if current.revoked_at is None:
        current.revoked_at = timezone.now()
        current.save(update_fields=["revoked_at"])
    token.revoked_at = current.revoked_at
    return current


@transaction.atomic
def agreement_create(*, user, place: Place, provider: Provider) -> PlaceProviderAgreement:
    """Record that a place accepts offers of a provider pushed through the API."""
    agreement, _created = PlaceProviderAgreement.objects.get_or_create(
        place=place, provider=provider, defaults={"created_by": user}
    )
    return agreement
