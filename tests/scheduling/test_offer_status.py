"""The calendar follows the status of service offers (services.signals.offer_changed)."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from scheduling import actions, selectors
from scheduling.materialise import default_window, local_zone
from scheduling.models import CalendarWindow, OpeningInterval
from services import actions as offer_actions
from services.models import ServiceOffer
from services.selectors import available_offers
from tests.factories import ServiceOfferFactory

EVERY_DAY = {"kind": "weekly", "days": list(range(7)), "times": ["09:00-12:00"]}


@pytest.fixture
def offer(db, lyon):
    start, end = default_window()
    CalendarWindow.objects.create(pk=1, start=start, end=end, build_end=end)
    offer = ServiceOfferFactory(place=lyon)
    actions.schedule_set_rules(user=None, offer=offer, rules=[EVERY_DAY])
    return offer


def _at(days: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour), local_zone())


def _agrees_with_available_offers(offer, days: int) -> bool:
    day = timezone.localdate() + datetime.timedelta(days=days)
    listed = available_offers(ServiceOffer.objects.filter(pk=offer.pk), on=day).exists()
    return listed == selectors.is_open(offer, _at(days))


def test_suspended_offer_closed_until_its_date_then_open(offer):
    assert selectors.is_open(offer, _at(1))
    until = timezone.localdate() + datetime.timedelta(days=5)
    offer_actions.offer_suspend(offer=offer, user=None, until=until)
    assert not selectors.is_open(offer, _at(1))
    assert not selectors.is_open(offer, _at(5))  # the suspension includes its last day
    assert selectors.is_open(offer, _at(6))
    for days in (1, 5, 6, 10):
        assert _agrees_with_available_offers(offer, days), days
    offer_actions.offer_reactivate(offer=offer, user=None)
    assert selectors.is_open(offer, _at(1))


def test_ended_offer_loses_every_row_at_once(offer):
    offer_actions.offer_end(offer=offer, user=None)
    assert not OpeningInterval.objects.filter(offer=offer).exists()
    assert _agrees_with_available_offers(offer, 3)


def test_rows_go_in_the_same_transaction_as_the_offer(offer, monkeypatch):
    """A failing rebuild rolls the suspension back: the two never disagree."""

    def fail(**kwargs):
        raise RuntimeError("rebuild failed")

    monkeypatch.setattr(actions, "offer_calendar_rebuild", fail)
    with pytest.raises(RuntimeError):
        offer_actions.offer_suspend(
            offer=offer, user=None, until=timezone.localdate() + datetime.timedelta(days=3)
        )
    assert ServiceOffer.objects.get(pk=offer.pk).status == "active"
    assert selectors.is_open(offer, _at(1))


def test_schedule_edit_of_a_suspended_offer_keeps_it_closed(offer):
    until = timezone.localdate() + datetime.timedelta(days=5)
    offer_actions.offer_suspend(offer=offer, user=None, until=until)
    actions.schedule_set_rules(
        user=None, offer=offer, rules=[{**EVERY_DAY, "times": ["08:00-12:00"]}]
    )
    assert not selectors.is_open(offer, _at(2))
    assert selectors.is_open(offer, _at(7, 8))


def test_nightly_rebuild_keeps_unavailable_offers_closed(offer):
    offer_actions.offer_suspend(
        offer=offer, user=None, until=timezone.localdate() + datetime.timedelta(days=5)
    )
    call_command("rebuild_calendar", no_progress=True)
    assert not selectors.is_open(offer, _at(2))
    assert selectors.is_open(offer, _at(7))
