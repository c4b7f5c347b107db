"""What the API reads and writes. Read serializers render; write serializers parse input
and call ONE action — they never save anything themselves."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from economics import selectors as economics_selectors
from places.history import snapshot
from places.models import PROFILE_MODELS, MediationProfile, Network, Place, ServiceLevel, Typology
from scheduling.materialise import local_zone
from scheduling.preview import osm_export
from services.models import (
    AccessMode,
    Audience,
    Provider,
    ServiceCategory,
    ServiceKind,
    ServiceOffer,
)


def iso(value: datetime.datetime | None, tz=None) -> str | None:
    """An aware instant as ISO 8601 in `tz` (default: the site's time zone), with its offset."""
    if value is None:
        return None
    return timezone.localtime(value, tz or local_zone()).isoformat()


def public_url(request, slug: str) -> str:
    path = f"/lieux/{slug}/"
    return request.build_absolute_uri(path) if request is not None else path


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _profile_values(profile) -> dict:
    return snapshot(profile, exclude=("place",))


class NetworkSerializer(serializers.ModelSerializer):
    id = serializers.SlugField(source="slug", help_text="The network's slug.")

    class Meta:
        model = Network
        fields = ["id", "name", "description", "website"]


class ProviderSerializer(serializers.ModelSerializer):
    id = serializers.SlugField(source="slug", help_text="The provider's slug.")

    class Meta:
        model = Provider
        fields = ["id", "name", "sector", "website", "updated_at"]


class ServiceCategorySerializer(serializers.ModelSerializer):
    id = serializers.SlugField(source="slug")

    class Meta:
        model = ServiceCategory
        fields = ["id", "name", "name_en"]


class ServiceKindSerializer(serializers.ModelSerializer):
    id = serializers.SlugField(source="slug", help_text="The service kind's slug.")
    category = ServiceCategorySerializer()

    class Meta:
        model = ServiceKind
        fields = [
            "id",
            "name",
            "name_en",
            "profile",
            "category",
            "data_inclusion_thematiques",
            "active",
        ]


class StatusMixin:
    """Fields read from `context["statuses"]`: {place id: PlaceStatus}, batch-computed."""

    def _status(self, place):
        return (self.context.get("statuses") or {}).get(place.pk)

    @extend_schema_field({"type": "boolean", "nullable": True})
    def get_open_now(self, place):
        status = self._status(place)
        return None if status is None or status.state == "unknown" else status.is_open

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_open_until(self, place):
        status = self._status(place)
        # In the place's zone: "open until 12:00+04:00" reads as the place's clock.
        return iso(status.until, status.tz) if status is not None else None

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_next_opening(self, place):
        status = self._status(place)
        return iso(status.next_opening, status.tz) if status is not None else None

    @extend_schema_field(
        {"type": "string", "enum": ["open", "closed", "closed_exceptionally", "unknown"]}
    )
    def get_opening_status(self, place):
        status = self._status(place)
        return status.state if status is not None else "unknown"


class OfferSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    service_kind = serializers.CharField(source="kind.slug")
    service_kind_name = serializers.CharField(source="kind.name")
    provider = serializers.CharField(source="provider.slug")
    status = serializers.CharField()


class PlaceSerializer(StatusMixin, serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", help_text="The place's stable identifier.")
    typologies = serializers.SerializerMethodField()
    profiles = serializers.SerializerMethodField()
    networks = serializers.SerializerMethodField()
    latitude = serializers.SerializerMethodField()
    longitude = serializers.SerializerMethodField()
    timezone = serializers.SerializerMethodField()
    opening_hours = serializers.SerializerMethodField()
    open_now = serializers.SerializerMethodField()
    opening_status = serializers.SerializerMethodField()
    open_until = serializers.SerializerMethodField()
    next_opening = serializers.SerializerMethodField()
    offers = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    distance_km = serializers.SerializerMethodField()
    updated_at = serializers.SerializerMethodField()
    last_verified = serializers.SerializerMethodField()

    class Meta:
        model = Place
        fields = [
            "id",
            "slug",
            "name",
            "status",
            "short_description",
            "typologies",
            "profiles",
            "address",
            "postcode",
            "commune",
            "insee_code",
            "latitude",
            "longitude",
            "itinerant",
            "phone",
            "email",
            "website",
            "wheelchair",
            "networks",
            "timezone",
            "opening_hours",
            "open_now",
            "opening_status",
            "open_until",
            "next_opening",
            "offers",
            "url",
            "distance_km",
            "version",
            "updated_at",
            "last_verified",
        ]

    def to_representation(self, place):
        """The document the fields above declare, built in one pass.

        DRF's field-by-field path (a bound field, `get_attribute` and `to_representation`
        per field, a nested serializer per offer) was about a third of a list request's
        time; the fields stay declared for the OpenAPI schema, and a test compares this
        document with DRF's own for varied places (tests/api/test_place_document.py).
        """
        status = self._status(place)
        request = self.context.get("request")
        return {
            "id": str(place.public_id),
            "slug": place.slug,
            "name": place.name,
            "status": place.status,
            "short_description": place.short_description,
            "typologies": self.get_typologies(place),
            "profiles": self.get_profiles(place),
            "address": place.address,
            "postcode": place.postcode,
            "commune": place.commune,
            "insee_code": place.insee_code,
            "latitude": _float(place.latitude),
            "longitude": _float(place.longitude),
            "itinerant": place.itinerant,
            "phone": place.phone,
            "email": place.email,
            "website": place.website,
            "wheelchair": place.wheelchair,
            "networks": self.get_networks(place),
            "timezone": place.zone_name,
            "opening_hours": self.get_opening_hours(place),
            "open_now": None if status is None or status.state == "unknown" else status.is_open,
            "opening_status": status.state if status is not None else "unknown",
            "open_until": iso(status.until, status.tz) if status is not None else None,
            "next_opening": iso(status.next_opening, status.tz) if status is not None else None,
            "offers": self.get_offers(place),
            "url": public_url(request, place.slug),
            "distance_km": self.get_distance_km(place),
            "version": place.version,
            "updated_at": iso(place.updated_at),
            "last_verified": iso(place.verified_at) if place.verified_at else None,
        }

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_typologies(self, place):
        return [t.code for t in place.typologies.all()]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_profiles(self, place):
        out = {}
        for name in PROFILE_MODELS:
            profile = getattr(place, name, None) if _has_related(place, name) else None
            if profile is not None:
                out[name] = _profile_values(profile)
        return out

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_networks(self, place):
        return [n.slug for n in place.networks.all()]

    @extend_schema_field({"type": "number", "format": "double", "nullable": True})
    def get_latitude(self, place):
        return _float(place.latitude)

    @extend_schema_field({"type": "number", "format": "double", "nullable": True})
    def get_longitude(self, place):
        return _float(place.longitude)

    @extend_schema_field(
        {
            "type": "string",
            "example": "Indian/Reunion",
            "description": "IANA time zone of the place: opening hours are its wall-clock "
            "times. Set by staff (write `time_zone`), else that of its department "
            "(overseas departments have their own), else the site's.",
        }
    )
    def get_timezone(self, place):
        return place.zone_name

    @extend_schema_field({"type": "string", "nullable": True})
    def get_opening_hours(self, place):
        schedule = getattr(place, "schedule", None) if _has_related(place, "schedule") else None
        if schedule is None:
            return None
        text, _why = osm_export(schedule)
        return text or None

    @extend_schema_field(OfferSummarySerializer(many=True))
    def get_offers(self, place):
        # The list's offers, read in one query for its places (`offers` in the context).
        known = self.context.get("offers")
        if known is not None:
            return [dict(offer) for offer in known.get(place.pk, ())]
        offers = place.offers.exclude(status=ServiceOffer.Status.ENDED).select_related(
            "kind", "provider"
        )
        return [
            {
                "id": offer.pk,
                "service_kind": offer.kind.slug,
                "service_kind_name": offer.kind.name,
                "provider": offer.provider.slug,
                "status": offer.status,
            }
            for offer in offers.order_by("id")
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, place):
        return public_url(self.context.get("request"), place.slug)

    @extend_schema_field(
        {
            "type": "number",
            "format": "double",
            "nullable": True,
            "description": "Kilometres from `near`; null without it.",
        }
    )
    def get_distance_km(self, place):
        distance = getattr(place, "distance_km", None)
        return None if distance is None else round(float(distance), 3)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_updated_at(self, place):
        return iso(place.updated_at)

    @extend_schema_field(
        {
            "type": "string",
            "format": "date-time",
            "nullable": True,
            "description": "When somebody last confirmed the place's information (by phone, "
            "visit, or the place itself from a reminder); null if never.",
        }
    )
    def get_last_verified(self, place):
        return iso(place.verified_at) if place.verified_at else None


def _has_related(instance, name: str) -> bool:
    try:
        getattr(instance, name)
    except Exception:  # RelatedObjectDoesNotExist
        return False
    return True


class OfferSerializer(serializers.ModelSerializer):
    place = serializers.UUIDField(source="place.public_id")
    place_name = serializers.CharField(source="place.name")
    service_kind = serializers.CharField(source="kind.slug")
    service_kind_name = serializers.CharField(source="kind.name")
    profile = serializers.CharField(source="kind.profile")
    provider = serializers.CharField(source="provider.slug")
    provider_name = serializers.CharField(source="provider.name")
    opening_hours = serializers.SerializerMethodField()
    latitude = serializers.SerializerMethodField()
    longitude = serializers.SerializerMethodField()
    updated_at = serializers.SerializerMethodField()

    class Meta:
        model = ServiceOffer
        fields = [
            "id",
            "place",
            "place_name",
            "service_kind",
            "service_kind_name",
            "profile",
            "provider",
            "provider_name",
            "level",
            "mediator_kind",
            "audiences",
            "fees",
            "fees_details",
            "access_modes",
            "appointment_url",
            "description",
            "status",
            "suspended_until",
            "opening_hours",
            "latitude",
            "longitude",
            "version",
            "updated_at",
        ]

    @extend_schema_field({"type": "string", "nullable": True})
    def get_opening_hours(self, offer):
        schedule = getattr(offer, "schedule", None) if _has_related(offer, "schedule") else None
        if schedule is None:
            return None
        text, _why = osm_export(schedule)
        return text or None

    @extend_schema_field({"type": "number", "format": "double", "nullable": True})
    def get_latitude(self, offer):
        return _float(offer.place.latitude)

    @extend_schema_field({"type": "number", "format": "double", "nullable": True})
    def get_longitude(self, offer):
        return _float(offer.place.longitude)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_updated_at(self, offer):
        return iso(offer.updated_at)


# ------------------------------------------------------------------------------- writes


def _choices(values, *, blank: bool = False) -> dict:
    """The schema of a text field the actions check against these values."""
    return {"type": "string", "enum": sorted(values) + ([""] if blank else [])}


def _typed(schema: dict, field_class: type, **kwargs) -> serializers.Field:
    """A `field_class(**kwargs)` with this schema in the OpenAPI document (set on a subclass:
    serializers copy their fields from the arguments they were built with)."""
    typed = type(field_class.__name__, (field_class,), {})
    return extend_schema_field(schema)(typed)(**kwargs)


class ReportingSerializer(serializers.Serializer):
    """Unknown input fields are ignored and reported in `unknown_fields`, never fatal."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        data = kwargs.get("data")
        self.unknown_fields = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"__all__": [_("Expected a JSON object.")]}, code="invalid"
            )
        return super().to_internal_value(data)


class VersionField(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault(
            "help_text",
            "The version you started from (or send it as If-Match); a stale one gets 412/409.",
        )
        super().__init__(**kwargs)


class PlaceWriteSerializer(ReportingSerializer):
    name = serializers.CharField(max_length=200, required=False)
    slug = serializers.SlugField(max_length=120, required=False, allow_blank=True)
    short_description = serializers.CharField(max_length=280, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    origin = serializers.CharField(required=False, allow_blank=True)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    postcode = _typed(
        {"type": "string", "pattern": "^(?:[0-9]{5})?$"},
        serializers.CharField,
        required=False,
        allow_blank=True,
    )
    commune = serializers.CharField(max_length=120, required=False, allow_blank=True)
    insee_code = _typed(
        {"type": "string", "pattern": "^(?:(?:[0-9]{2}|2A|2B)[0-9]{3})?$"},
        serializers.CharField,
        required=False,
        allow_blank=True,
    )
    latitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=Decimal("-90"),
        max_value=Decimal("90"),
        required=False,
        allow_null=True,
        coerce_to_string=False,
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=Decimal("-180"),
        max_value=Decimal("180"),
        required=False,
        allow_null=True,
        coerce_to_string=False,
    )
    itinerant = serializers.BooleanField(required=False)
    time_zone = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="IANA time zone overriding the department's; empty to derive it again.",
    )
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)
    wheelchair = _typed(
        _choices(Place.Wheelchair.values, blank=True),
        serializers.CharField,
        max_length=10,
        required=False,
        allow_blank=True,
    )
    accessibility_notes = serializers.CharField(required=False, allow_blank=True)
    legal_id = _typed(
        {
            "type": "string",
            "pattern": "^(?:(?: *[0-9]){14} *|[Ww](?: *[0-9]){9} *)?$",
            "description": "SIRET (14 digits, valid check digit) or RNA number (W + 9 digits).",
        },
        serializers.CharField,
        required=False,
        allow_blank=True,
    )
    typologies = _typed(
        {
            "type": "array",
            "minItems": 1,
            "maxItems": 20,
            "items": _choices(Typology.Code.values),
        },
        serializers.ListField,
        child=serializers.CharField(max_length=30),
        required=False,
        max_length=20,
    )
    networks = serializers.ListField(
        child=serializers.SlugField(max_length=80), required=False, max_length=50
    )
    profiles = _typed(
        {
            "type": "object",
            "properties": {
                name: {"type": "object", "nullable": True, "additionalProperties": True}
                for name in PROFILE_MODELS
            },
            "additionalProperties": False,
            "description": "The profiles to set, by name; null removes one.",
        },
        serializers.DictField,
        child=serializers.DictField(allow_null=True),
        required=False,
        allow_empty=True,
    )
    version = VersionField()

    RELATIONS = ("typologies", "networks", "profiles", "version")

    def validate_networks(self, value):
        found = {n.slug: n for n in Network.objects.filter(slug__in=value)}
        unknown = [s for s in value if s not in found]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown network: %(v)s.") % {"v": ", ".join(unknown)}
            )
        return [found[s] for s in value]

    def validate_profiles(self, value):
        unknown = [k for k in value if k not in PROFILE_MODELS]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown profile: %(v)s.") % {"v": ", ".join(unknown)}
            )
        return value

    def place_data(self) -> dict:
        return {k: v for k, v in self.validated_data.items() if k not in self.RELATIONS}


class OfferWriteSerializer(ReportingSerializer):
    place = serializers.UUIDField(required=False, help_text="The place (only on creation).")
    service_kind = serializers.SlugField(required=False, help_text="A service-kind slug.")
    level = _typed(
        _choices(ServiceLevel.values, blank=True),
        serializers.CharField,
        required=False,
        allow_blank=True,
    )
    mediator_kind = _typed(
        _choices(MediationProfile.MediatorKind.values, blank=True),
        serializers.CharField,
        required=False,
        allow_blank=True,
    )
    audiences = _typed(
        {"type": "array", "maxItems": 20, "items": _choices(Audience.values)},
        serializers.ListField,
        child=serializers.CharField(max_length=30),
        required=False,
        max_length=20,
    )
    fees = _typed(_choices(ServiceOffer.Fees.values), serializers.CharField, required=False)
    fees_details = serializers.CharField(max_length=255, required=False, allow_blank=True)
    access_modes = _typed(
        {"type": "array", "maxItems": 10, "items": _choices(AccessMode.values)},
        serializers.ListField,
        child=serializers.CharField(max_length=30),
        required=False,
        max_length=10,
    )
    appointment_url = serializers.URLField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    version = VersionField()

    def offer_data(self) -> dict:
        data = {
            k: v
            for k, v in self.validated_data.items()
            if k not in ("place", "service_kind", "version")
        }
        if "service_kind" in self.validated_data:
            data["kind"] = self.validated_data["service_kind"]
        return data


class ScheduleWriteSerializer(ReportingSerializer):
    rules = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        max_length=100,
        help_text="Structured rules (see docs/scheduling.md); or give `osm`.",
    )
    osm = serializers.CharField(
        required=False, max_length=2000, help_text="An OSM opening_hours string."
    )
    public_holidays = serializers.ChoiceField(
        choices=["closed", "open", "special"], required=False, default="closed"
    )
    holiday_times = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, max_length=10
    )
    holiday_zone = serializers.ChoiceField(choices=["", "A", "B", "C"], required=False, default="")
    version = VersionField(help_text="The schedule's version (0 when it has none yet).")

    def validate(self, attrs):
        if ("rules" in attrs) == ("osm" in attrs):
            raise serializers.ValidationError(
                {"rules": [_("Give either `rules` or `osm`, not both.")]}
            )
        return attrs


class SuggestionWriteSerializer(ReportingSerializer):
    kind = serializers.ChoiceField(choices=["correction", "new_place"])
    place = serializers.UUIDField(required=False, help_text="The place to correct.")
    data = serializers.DictField(required=False, default=dict)
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    email = serializers.EmailField(required=False, allow_blank=True)


class ErrorSerializer(serializers.Serializer):
    error = inline_serializer(
        "ErrorBody",
        {
            "code": serializers.CharField(),
            "message": serializers.CharField(),
            "fields": serializers.DictField(
                child=serializers.ListField(child=serializers.CharField())
            ),
        },
    )


class AgreementSerializer(serializers.Serializer):
    """A place's agreement with a provider, as partners read it."""

    id = serializers.IntegerField()
    place = serializers.UUIDField(source="place.public_id")
    place_name = serializers.CharField(source="place.name")
    provider = serializers.CharField(source="provider.slug")
    service_kinds = serializers.SerializerMethodField(
        help_text="Service-kind slugs covered; empty: every kind."
    )
    starts_on = serializers.DateField(allow_null=True)
    ends_on = serializers.DateField(allow_null=True)
    active = serializers.SerializerMethodField()
    terms = serializers.CharField()
    version = serializers.IntegerField(
        help_text="Send it back (or the ETag as If-Match) to change or end the agreement."
    )
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_service_kinds(self, agreement) -> list[str]:
        return sorted(k.slug for k in agreement.kinds.all())

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_active(self, agreement) -> bool:
        return agreement.holds_on(timezone.localdate())


class AgreementWriteSerializer(ReportingSerializer):
    place = serializers.UUIDField(required=False, help_text="The place (only on creation).")
    provider = serializers.SlugField(required=False, help_text="A provider slug (creation).")
    service_kinds = serializers.ListField(
        child=serializers.SlugField(),
        required=False,
        max_length=100,
        help_text="Service-kind slugs covered; empty: every kind.",
    )
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True)
    terms = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    version = VersionField()


class AgreementEndSerializer(ReportingSerializer):
    ends_on = serializers.DateField(
        required=False, allow_null=True, help_text="The last day (default: today)."
    )
    version = VersionField()


# -- spaces to share (api/views/shared_spaces.py)


class SharedSpaceSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="space.pk")
    name = serializers.CharField(source="space.name")
    kind = serializers.CharField(source="space.kind")
    capacity = serializers.IntegerField(source="space.capacity")
    capacity_unit = serializers.CharField(source="space.capacity_unit")
    area_m2 = serializers.DecimalField(
        source="space.area_m2", max_digits=9, decimal_places=2, allow_null=True
    )
    rules = serializers.JSONField(source="offer.rules")
    closed_on_public_holidays = serializers.BooleanField(source="offer.public_holidays_closed")
    terms = serializers.CharField(source="offer.terms")
    price_eur = serializers.DecimalField(
        source="offer.price", max_digits=10, decimal_places=2, allow_null=True
    )
    conditions = serializers.CharField(source="offer.conditions")
    audiences = serializers.ListField(source="offer.audiences", child=serializers.CharField())
    visibility = serializers.CharField(source="offer.visibility")
    distance_km = serializers.FloatField(allow_null=True)
    place = serializers.SerializerMethodField()
    contact = serializers.SerializerMethodField()
    spare = serializers.SerializerMethodField()

    def get_place(self, item) -> dict:
        place = item.place
        return {
            "id": str(place.public_id),
            "slug": place.slug,
            "name": place.name,
            "address": place.address,
            "postcode": place.postcode,
            "commune": place.commune,
            "latitude": None if place.latitude is None else float(place.latitude),
            "longitude": None if place.longitude is None else float(place.longitude),
        }

    def get_spare(self, item) -> dict | None:
        """Free times left this month, published only where the place opted in."""
        if not item.offer.show_spare:
            return None
        # The list reads every opted-in space's uses at once (`spare` in the context).
        known = self.context.get("spare") or {}
        spare = known.get(item.offer.pk) or economics_selectors.spare_times(item.offer)
        return {
            "from": spare["first"].isoformat(),
            "until": spare["stop"].isoformat(),
            "shared_hours": spare["shared_hours"],
            "booked_hours": spare["booked_hours"],
            "free_hours": spare["free_hours"],
            "slots": spare["slots"],
            "text": spare["text"],
        }

    def get_contact(self, item) -> dict:
        return {
            "email": item.offer.contact_email or item.place.email,
            "phone": item.offer.contact_phone or item.place.phone,
        }


class SpaceRequestWriteSerializer(serializers.Serializer):
    start = serializers.CharField(help_text="ISO 8601; without an offset, the place's local time")
    end = serializers.CharField(help_text="ISO 8601; without an offset, the place's local time")
    repeat_until = serializers.DateField(required=False, allow_null=True)
    people = serializers.IntegerField(min_value=1, max_value=100000)
    purpose = serializers.CharField(max_length=2000)
    name = serializers.CharField(max_length=160)
    email = serializers.EmailField()
    association = serializers.CharField(max_length=160, required=False, allow_blank=True)
    accept_conditions = serializers.BooleanField(required=False, default=False)
