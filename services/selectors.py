"""Reads of the catalogue and of service offers, shared by staff pages, directory and API."""

from __future__ import annotations

import datetime
from itertools import groupby

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from places.models import Organisation, Place
from services.models import NeedWord, Provider, ServiceCategory, ServiceKind, ServiceOffer


def offers_of_place(place: Place, *, include_ended: bool = True) -> QuerySet[ServiceOffer]:
    """A place's offers with their kind, category and provider, in catalogue order.

    One query whatever the number of offers.
    """
    queryset = ServiceOffer.objects.filter(place=place).select_related(
        "kind", "kind__category", "provider"
    )
    if not include_ended:
        queryset = queryset.exclude(status=ServiceOffer.Status.ENDED)
    return queryset.order_by(
        "kind__category__position", "kind__position", "provider__name", "status", "id"
    )


def available_offers(
    queryset: QuerySet[ServiceOffer] | None = None, *, on: datetime.date | None = None
) -> QuerySet[ServiceOffer]:
    """Offers a resident can use on a day: active ones, and suspended ones whose suspension
    ended before that day (a suspension lasts until `suspended_until` inclusive)."""
    day = on or timezone.localdate()
    queryset = ServiceOffer.objects.all() if queryset is None else queryset
    return queryset.filter(
        Q(status=ServiceOffer.Status.ACTIVE)
        | Q(status=ServiceOffer.Status.SUSPENDED, suspended_until__lt=day)
    )


def service_kinds(*, active_only: bool = False) -> QuerySet[ServiceKind]:
    """Every service kind with its category, in catalogue order."""
    queryset = ServiceKind.objects.select_related("category").order_by(
        "category__position", "category__name", "position", "name"
    )
    return queryset.filter(active=True) if active_only else queryset


def service_kinds_grouped(
    *, active_only: bool = True, include: ServiceKind | None = None
) -> list[tuple[ServiceCategory, list[ServiceKind]]]:
    """[(category, [kinds])] in catalogue order, for grouped choices in forms.

    `include` keeps one kind even if inactive (the kind an existing offer already uses).
    """
    queryset = service_kinds()
    if active_only:
        condition = Q(active=True)
        if include is not None and include.pk:
            condition |= Q(pk=include.pk)
        queryset = queryset.filter(condition)
    return [
        (category, list(kinds)) for category, kinds in groupby(queryset, key=lambda k: k.category)
    ]


def service_categories() -> QuerySet[ServiceCategory]:
    return ServiceCategory.objects.order_by("position", "name")


def providers(*, sector: str | None = None) -> QuerySet[Provider]:
    """Providers by name, with their managing organisation."""
    queryset = Provider.objects.select_related("organisation").order_by("name")
    return queryset.filter(sector=sector) if sector else queryset


def live_offer_summaries(place_ids) -> dict[int, list[dict]]:
    """{place id: [{id, service_kind, service_kind_name, provider, status}]}: the offers
    not ended of these places, by id, as the API lists them. One query, no model built."""
    found: dict[int, list[dict]] = {}
    rows = (
        ServiceOffer.objects.exclude(status=ServiceOffer.Status.ENDED)
        .filter(place_id__in=list(place_ids))
        .order_by("id")
        .values_list("place_id", "id", "kind__slug", "kind__name", "provider__slug", "status")
    )
    for place_id, pk, kind, kind_name, provider, status in rows:
        found.setdefault(place_id, []).append(
            {
                "id": pk,
                "service_kind": kind,
                "service_kind_name": kind_name,
                "provider": provider,
                "status": status,
            }
        )
    return found


def kinds_offered_anywhere(slugs) -> set[str]:
    """The slugs among `slugs` that a published place offers, now or later (any offer not
    ended, a suspended one included). One query."""
    return set(
        ServiceOffer.objects.exclude(status=ServiceOffer.Status.ENDED)
        .filter(kind__slug__in=list(slugs), place__status="published")
        .values_list("kind__slug", flat=True)
        .distinct()
    )


def provider_for_organisation(organisation: Organisation) -> Provider | None:
    """The provider an organisation manages, if any."""
    return Provider.objects.filter(organisation=organisation).order_by("pk").first()


def offer_counts_by_kind(queryset: QuerySet[Place] | None = None) -> dict[int, int]:
    """{service kind id: number of live offers}, over some places or the whole registry."""
    offers = ServiceOffer.objects.exclude(status=ServiceOffer.Status.ENDED)
    if queryset is not None:
        offers = offers.filter(place__in=queryset)
    return dict(
        offers.values("kind_id").order_by().annotate(n=Count("id")).values_list("kind_id", "n")
    )


def need_words() -> QuerySet[NeedWord]:
    """The search vocabulary, alphabetical (what the staff list shows)."""
    return NeedWord.objects.order_by("normalized")
