from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from places import actions
from places.models import ChangeRecord, Place


def _create(admin, organisation, **data):
    values = {
        "name": "Médiathèque Jean Macé",
        "postcode": "69007",
        "commune": "Lyon",
        "insee_code": "69123",
        "latitude": Decimal("45.75"),
        "longitude": Decimal("4.84"),
    }
    values.update(data)
    return actions.place_create(
        user=admin,
        organisation=organisation,
        data=values,
        typologies=["mediatheque"],
        profiles={"mediation": {"service_levels": ["information"], "access": "walk_in"}},
    )


@pytest.mark.django_db
def test_create_records_history_and_profile(registry_admin, organisation):
    place = _create(registry_admin, organisation)
    assert place.slug == "mediatheque-jean-mace"
    assert place.search_text == "mediatheque jean mace lyon"
    assert place.mediation.service_levels == ["information"]
    targets = sorted(c.target for c in place.changes.all())
    assert targets == ["mediation", "place"]


@pytest.mark.django_db
def test_stale_update_is_refused_and_lists_changes(registry_admin, place_manager, organisation):
    place = _create(registry_admin, organisation)
    actions.place_update(
        place=place, user=place_manager, expected_version=1, data={"phone": "04 72 00 00 00"}
    )
    with pytest.raises(actions.StaleVersion) as caught:
        actions.place_update(
            place=Place.objects.get(pk=place.pk),
            user=registry_admin,
            expected_version=1,
            data={"phone": "04 78 11 11 11"},
        )
    assert caught.value.current.version == 2
    assert [c.changes["phone"] for c in caught.value.since] == [["", "04 72 00 00 00"]]
    assert Place.objects.get(pk=place.pk).phone == "04 72 00 00 00"


@pytest.mark.django_db
def test_invalid_profile_stores_nothing(registry_admin, organisation):
    place = _create(registry_admin, organisation)
    with pytest.raises(ValidationError) as caught:
        actions.place_update(
            place=place,
            user=registry_admin,
            expected_version=1,
            data={"name": "Nouveau nom"},
            profiles={"work": {"colorations": ["astronauts"]}},
        )
    assert "work.colorations" in caught.value.message_dict
    place.refresh_from_db()
    assert place.name == "Médiathèque Jean Macé" and place.version == 1
    assert not hasattr(place, "work") or Place.objects.filter(work__isnull=False).count() == 0
    assert ChangeRecord.objects.filter(place=place).count() == 2
