"""A city's open call and a project sent to it, for the initiatives tests."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from initiatives import actions
from initiatives.models import Call


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def open_call(organisation, registry_admin):
    return actions.call_create(
        user=registry_admin,
        organisation=organisation,
        data={
            "title": "Un tiers-lieu pour le quartier",
            "text": "## What we look for\n\nA **repair café** or a workshop.",
            "profile": "creation",
            "area": "The northern districts",
            "budget": "15000",
            "deadline": timezone.now() + datetime.timedelta(days=30),
            "status": Call.Status.OPEN,
        },
    )


PROJECT = {
    "title": "Repair café des Pentes",
    "description": "A monthly repair café with ten volunteers.",
    "needs": "A room on Saturday mornings, tables, power sockets.",
    "contact_name": "Alice Martin",
    "contact_email": "alice@example.org",
    "contact_phone": "06 12 34 56 78",
    "organisation_name": "Les Bricoleurs",
    "crowdfunding_url": "https://www.helloasso.com/associations/bricoleurs",
}


@pytest.fixture
def project():
    return dict(PROJECT)
