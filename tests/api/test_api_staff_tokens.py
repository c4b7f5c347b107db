"""Staff pages for partner tokens: registry admins only, the secret shown once."""

from __future__ import annotations

import pytest
from django.test import Client

from api.models import PartnerToken
from tests.factories import ProviderFactory


@pytest.mark.django_db
def test_admin_creates_a_token_shown_once_then_revokes_it(admin_client_, organisation):
    page = admin_client_.get("/manage/partners/")
    assert page.status_code == 200
    provider = ProviderFactory()
    response = admin_client_.post(
        "/manage/partners/new/",
        {
            "name": "Sync data.gouv",
            "organisation": organisation.pk,
            "scopes": ["read", "write:offers"],
            "provider": provider.pk,
        },
    )
    assert response.status_code == 201
    raw = response.context["raw"]
    token = PartnerToken.objects.get()
    assert raw.startswith(f"lp_{token.prefix}_")
    assert raw not in token.secret_hash
    listing = admin_client_.get("/manage/partners/").content.decode()
    assert token.prefix in listing and raw not in listing
    assert Client().get("/api/v1/places/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    admin_client_.post(f"/manage/partners/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/v1/places/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


@pytest.mark.django_db
def test_write_offers_needs_a_provider(admin_client_, organisation):
    response = admin_client_.post(
        "/manage/partners/new/",
        {"name": "X", "organisation": organisation.pk, "scopes": ["write:offers"]},
    )
    assert response.status_code == 400
    assert not PartnerToken.objects.exists()


@pytest.mark.django_db
def test_others_are_refused(client, manager_client, viewer_client, outsider_client, organisation):
    from api.actions import token_create

    token, _raw = token_create(user=None, organisation=organisation, name="T", scopes=["read"])
    assert client.get("/manage/partners/").status_code == 302  # to the login page
    assert manager_client.get("/manage/partners/").status_code == 403
    assert viewer_client.get("/manage/partners/").status_code == 403
    # The outsider administers another organisation: our token is invisible to them.
    assert "T" not in [t.name for t in outsider_client.get("/manage/partners/").context["tokens"]]
    assert outsider_client.post(f"/manage/partners/{token.pk}/revoke/").status_code == 404
    assert (
        outsider_client.post(
            "/manage/partners/new/",
            {"name": "Mine", "organisation": organisation.pk, "scopes": ["read"]},
        ).status_code
        == 400
    )
    token.refresh_from_db()
    assert token.revoked_at is None
