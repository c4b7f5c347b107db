"""Factories for tests and for the demo generator's building blocks."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from places.models import Membership, Network, Organisation, Place, Role, Typology


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct-horse-battery")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"ville-{n}")
    name = factory.Sequence(lambda n: f"Ville {n}")
    kind = Organisation.Kind.CITY


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.VIEWER


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Network
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"reseau-{n}")
    name = factory.Sequence(lambda n: f"Réseau {n}")


class PlaceFactory(factory.django.DjangoModelFactory):
    """A bare place row; tests of behaviour create places through the actions instead."""

    class Meta:
        model = Place
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"lieu-{n}")
    name = factory.Sequence(lambda n: f"Lieu {n}")
    organisation = factory.SubFactory(OrganisationFactory)
    status = Place.Status.PUBLISHED
    postcode = "69003"
    commune = "Lyon"
    insee_code = "69123"
    latitude = Decimal("45.760000")
    longitude = Decimal("4.850000")

    @factory.post_generation
    def typologies(self, create, extracted, **kwargs):
        if create:
            codes = extracted or ["epn"]
            self.typologies.set(Typology.objects.filter(code__in=codes))

    @factory.post_generation
    def networks(self, create, extracted, **kwargs):
        if create and extracted:
            self.networks.set(extracted)


# ---------------------------------------------------------------------------- services


def _service_kind(slug: str = "caf"):
    """A kind seeded by the catalogue's data migration."""
    from services.models import ServiceKind

    return ServiceKind.objects.get(slug=slug)


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "services.Provider"
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"prestataire-{n}")
    name = factory.Sequence(lambda n: f"Prestataire {n}")
    sector = "associative"


class ServiceOfferFactory(factory.django.DjangoModelFactory):
    """A bare offer row; tests of behaviour create offers through services.actions."""

    class Meta:
        model = "services.ServiceOffer"

    place = factory.SubFactory(PlaceFactory)
    kind = factory.LazyFunction(_service_kind)
    provider = factory.SubFactory(ProviderFactory)
    level = "information"
    audiences = factory.LazyFunction(lambda: ["all"])
    access_modes = factory.LazyFunction(lambda: ["walk_in"])


class ScheduleFactory(factory.django.DjangoModelFactory):
    """A place schedule row without materialised rows; use the actions to get a calendar."""

    class Meta:
        model = "scheduling.Schedule"

    place = factory.SubFactory(PlaceFactory)
    rules = factory.LazyFunction(
        lambda: [{"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["09:00-12:00"]}]
    )
