"""Writes to the catalogue and to service offers go through services.actions."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from places.models import ChangeRecord, Place
from services import actions
from services.models import Provider, ServiceCategory, ServiceKind, ServiceOffer
from services.signals import offer_changed
from services.thematiques import DATA_INCLUSION_THEMATIQUES
from tests.factories import PlaceFactory, ProviderFactory

pytestmark = pytest.mark.django_db

TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


@pytest.fixture
def caf():
    return Provider.objects.get(slug="caf")


@pytest.fixture
def signals():
    received = []

    def receiver(sender, offer, action, changes, **kwargs):
        received.append((sender, offer.pk, action, offer.status))

    offer_changed.connect(receiver)
    yield received
    offer_changed.disconnect(receiver)


def _offer(place, user, **data):
    values = {"kind": "caf", "provider": "caf", "level": "partial", "audiences": ["families"]}
    values.update(data)
    return actions.offer_create(place=place, user=user, data=values)


def test_catalogue_is_seeded_with_valid_thematiques():
    assert ServiceCategory.objects.count() == 6
    kinds = ServiceKind.objects.all()
    assert kinds.count() >= 30
    for kind in kinds:
        kind.full_clean()
        assert kind.name and kind.name_en
        assert set(kind.data_inclusion_thematiques) <= set(DATA_INCLUSION_THEMATIQUES)
    for slug in ("caf", "france-travail", "ants", "poste-nomade", "machines-fablab"):
        assert ServiceKind.objects.filter(slug=slug).exists()


def test_offer_create_records_history_and_signals(managed_place, registry_admin, signals):
    offer = _offer(managed_place, registry_admin, access_modes=["walk_in", "appointment"])
    assert offer.status == ServiceOffer.Status.ACTIVE and offer.version == 1
    change = ChangeRecord.objects.get(target=f"offer:{offer.pk}")
    assert change.action == ChangeRecord.Action.CREATE
    assert change.place == managed_place and change.user == registry_admin
    assert change.changes["level"] == [None, "partial"]
    assert signals == [(ServiceOffer, offer.pk, "create", "active")]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "astrologie"}, "kind"),
        ({"provider": "no-such-provider"}, "provider"),
        ({"provider": Provider(slug="unsaved", name="Unsaved")}, "provider"),
        ({"level": "everything"}, "level"),
        ({"audiences": ["martians"]}, "audiences"),
        ({"access_modes": ["telepathy"]}, "access_modes"),
        ({"fees": "conditions", "fees_details": ""}, "fees_details"),
        ({"appointment_url": "https://rdv.example.org"}, "appointment_url"),
        ({"appointment_url": "not a url", "access_modes": ["appointment"]}, "appointment_url"),
        ({"mediator_kind": "robot"}, "mediator_kind"),
    ],
)
def test_offer_create_refuses_bad_input(managed_place, registry_admin, data, field, signals):
    with pytest.raises(ValidationError) as caught:
        _offer(managed_place, registry_admin, **data)
    assert field in caught.value.message_dict
    assert not ServiceOffer.objects.exists()
    assert not ChangeRecord.objects.filter(target__startswith="offer:").exists()
    assert signals == []


def test_offer_create_refuses_unknown_field(managed_place, registry_admin):
    with pytest.raises(ValidationError):
        _offer(managed_place, registry_admin, status="ended")


def test_offer_create_refuses_inactive_kind(managed_place, registry_admin):
    ServiceKind.objects.filter(slug="caf").update(active=False)
    with pytest.raises(ValidationError) as caught:
        _offer(managed_place, registry_admin)
    assert "kind" in caught.value.message_dict


def test_offer_create_refuses_archived_place(organisation, registry_admin):
    place = PlaceFactory(organisation=organisation, status=Place.Status.ARCHIVED)
    with pytest.raises(ValidationError):
        _offer(place, registry_admin)


def test_one_live_offer_per_place_kind_and_provider(managed_place, registry_admin):
    first = _offer(managed_place, registry_admin)
    with pytest.raises(ValidationError):
        _offer(managed_place, registry_admin)
    # Another provider of the same kind is a different offer.
    _offer(managed_place, registry_admin, provider=ProviderFactory(slug="asso-quartier"))
    # Once ended, the same offer may be created again, but the old one cannot come back.
    actions.offer_end(offer=first, user=registry_admin)
    second = _offer(managed_place, registry_admin)
    with pytest.raises(ValidationError):
        actions.offer_reactivate(offer=first, user=registry_admin)
    assert second.status == "active"


def test_offer_update_conflict(managed_place, registry_admin, place_manager):
    offer = _offer(managed_place, registry_admin)
    actions.offer_update(
        offer=offer, user=place_manager, expected_version=1, data={"description": "Le mardi"}
    )
    with pytest.raises(actions.StaleOffer) as caught:
        actions.offer_update(
            offer=ServiceOffer.objects.get(pk=offer.pk),
            user=registry_admin,
            expected_version=1,
            data={"description": "Le jeudi"},
        )
    assert caught.value.current.version == 2
    assert [c.changes["description"] for c in caught.value.since] == [["", "Le mardi"]]
    assert ServiceOffer.objects.get(pk=offer.pk).description == "Le mardi"


def test_offer_update_without_change_keeps_version(managed_place, registry_admin, signals):
    offer = _offer(managed_place, registry_admin)
    actions.offer_update(offer=offer, user=registry_admin, expected_version=1, data={})
    assert offer.version == 1
    assert [s[2] for s in signals] == ["create"]


def test_offer_update_refuses_status_field(managed_place, registry_admin):
    offer = _offer(managed_place, registry_admin)
    with pytest.raises(ValidationError):
        actions.offer_update(
            offer=offer, user=registry_admin, expected_version=1, data={"status": "ended"}
        )


def test_suspend_needs_a_future_date(managed_place, registry_admin):
    offer = _offer(managed_place, registry_admin)
    with pytest.raises(ValidationError) as caught:
        actions.offer_suspend(offer=offer, user=registry_admin, until=None)
    assert "suspended_until" in caught.value.message_dict
    with pytest.raises(ValidationError):
        actions.offer_suspend(
            offer=offer,
            user=registry_admin,
            until=timezone.localdate() - datetime.timedelta(days=1),
        )
    offer.refresh_from_db()
    assert offer.status == "active" and offer.version == 1


def test_model_refuses_suspension_without_date(managed_place, caf):
    offer = ServiceOffer(
        place=managed_place,
        kind=ServiceKind.objects.get(slug="caf"),
        provider=caf,
        status=ServiceOffer.Status.SUSPENDED,
    )
    with pytest.raises(ValidationError) as caught:
        offer.full_clean()
    assert "suspended_until" in caught.value.message_dict


def test_status_lifecycle(managed_place, registry_admin, signals):
    offer = _offer(managed_place, registry_admin)
    actions.offer_suspend(offer=offer, user=registry_admin, until=TOMORROW)
    assert offer.status == "suspended" and offer.suspended_until == TOMORROW
    actions.offer_reactivate(offer=offer, user=registry_admin)
    assert offer.status == "active" and offer.suspended_until is None
    actions.offer_end(offer=offer, user=registry_admin)
    with pytest.raises(ValidationError):
        actions.offer_end(offer=offer, user=registry_admin)
    with pytest.raises(ValidationError):
        actions.offer_suspend(offer=offer, user=registry_admin, until=TOMORROW)
    actions.offer_reactivate(offer=offer, user=registry_admin)
    offer.refresh_from_db()
    assert offer.status == "active" and offer.version == 5
    assert [s[2:] for s in signals] == [
        ("create", "active"),
        ("suspend", "suspended"),
        ("reactivate", "active"),
        ("end", "ended"),
        ("reactivate", "active"),
    ]
    statuses = ChangeRecord.objects.filter(
        target=f"offer:{offer.pk}", action=ChangeRecord.Action.STATUS
    ).order_by("id")
    assert [c.changes["status"] for c in statuses] == [
        ["active", "suspended"],
        ["suspended", "active"],
        ["active", "ended"],
        ["ended", "active"],
    ]


def test_failing_receiver_rolls_the_write_back(managed_place, registry_admin):
    offer = _offer(managed_place, registry_admin)

    def refuse(sender, **kwargs):
        raise RuntimeError("calendar cannot be rebuilt")

    offer_changed.connect(refuse)
    try:
        with pytest.raises(RuntimeError):
            actions.offer_end(offer=ServiceOffer.objects.get(pk=offer.pk), user=registry_admin)
    finally:
        offer_changed.disconnect(refuse)
    assert ServiceOffer.objects.get(pk=offer.pk).status == "active"


def test_provider_create_and_update(registry_admin, organisation):
    provider = actions.provider_create(
        user=registry_admin,
        data={"slug": "banque-du-rhone", "name": "Banque du Rhône", "sector": "private"},
    )
    actions.provider_update(
        provider=provider,
        user=registry_admin,
        data={"organisation": organisation},
        expected_version=1,
    )
    provider.refresh_from_db()
    assert provider.organisation == organisation
    assert ChangeRecord.objects.filter(target="provider:banque-du-rhone").count() == 2
    with pytest.raises(ValidationError) as caught:
        actions.provider_create(
            user=registry_admin, data={"slug": "x", "name": "X", "sector": "alien"}
        )
    assert "sector" in caught.value.message_dict
    with pytest.raises(ValidationError):
        actions.provider_create(
            user=registry_admin, data={"slug": "caf", "name": "Encore", "sector": "public"}
        )


def test_service_kind_create_and_update(registry_admin):
    kind = actions.service_kind_create(
        user=registry_admin,
        data={
            "slug": "logement",
            "name": "Logement",
            "name_en": "Housing",
            "category": "acces-aux-droits",
            "profile": "mediation",
            "data_inclusion_thematiques": ["logement-hebergement--louer-un-logement"],
        },
    )
    assert kind.category.slug == "acces-aux-droits"
    actions.service_kind_update(
        kind=kind, user=registry_admin, data={"active": False}, expected_version=1
    )
    assert ServiceKind.objects.get(slug="logement").active is False
    with pytest.raises(ValidationError) as caught:
        actions.service_kind_update(
            kind=kind,
            user=registry_admin,
            data={"data_inclusion_thematiques": ["nope"]},
            expected_version=2,
        )
    assert "data_inclusion_thematiques" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        actions.service_kind_create(
            user=registry_admin,
            data={"slug": "z", "name": "Z", "category": "nowhere", "profile": "work"},
        )
    assert "category" in caught.value.message_dict


def test_display_name_follows_the_language():
    from django.utils import translation

    kind = ServiceKind.objects.get(slug="poste-nomade")
    with translation.override("en"):
        assert str(kind) == "Hot desk"
    with translation.override("fr"):
        assert str(kind) == "Poste de travail nomade"


def test_offers_create_many_writes_what_offer_create_writes(registry_admin, caf, signals):
    single_place, bulk_place = PlaceFactory(), PlaceFactory()
    kind = ServiceKind.objects.get(slug="caf")
    terms = {
        "level": "partial",
        "audiences": ["families"],
        "fees": "conditions",
        "fees_details": "Pass numérique",
        "access_modes": ["walk_in", "appointment"],
        "appointment_url": "https://rdv.example.org/caf",
    }
    single = actions.offer_create(
        place=single_place, user=registry_admin, data={"kind": kind, "provider": caf, **terms}
    )
    with translation.override("en"):
        offers, changes, refused = actions.offers_create_many(
            items=[
                (bulk_place, {"kind": kind, "provider": caf, **terms}),
                # The same offer twice, an invalid one, an unsaved provider: refused alone.
                (bulk_place, {"kind": kind, "provider": caf, **terms}),
                (bulk_place, {"kind": kind, "provider": caf, "fees": "conditions"}),
                (bulk_place, {"kind": kind, "provider": Provider(slug="unsaved")}),
            ],
            user=registry_admin,
        )
    [bulk] = offers
    assert sorted(refused) == [1, 2, 3]
    assert refused[1] == ["This provider already offers this service at this place."]
    assert refused[2] == ["Say under which conditions the service is free."]
    fields = ("kind_id", "provider_id", *terms, "status", "version")
    assert [getattr(bulk, f) for f in fields] == [getattr(single, f) for f in fields]
    one = ChangeRecord.objects.get(target=f"offer:{single.pk}")
    many = ChangeRecord.objects.get(target=f"offer:{bulk.pk}")
    assert changes == [many]
    keys = ("action", "changes", "user_id", "source", "version")
    assert [getattr(many, k) for k in keys] == [getattr(one, k) for k in keys]
    assert many.place == bulk_place
    assert signals == [
        (ServiceOffer, single.pk, "create", "active"),
        (ServiceOffer, bulk.pk, "create", "active"),
    ]
    # A second run finds the offer live and writes nothing.
    again, _changes, refused = actions.offers_create_many(
        items=[(bulk_place, {"kind": kind, "provider": caf, **terms})], user=registry_admin
    )
    assert again == [] and list(refused) == [0]
