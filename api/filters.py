"""Query parameters of the API as django-filter FilterSets.

Several values of one filter, comma-separated, combine with OR; different filters with
AND. Invalid values are refused with a 400 naming the parameter, never ignored.
"""

from __future__ import annotations

import datetime
import math

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field

from api import geo
from api import openapi as schemas
from api.errors import ApiError
from places.communes import zone_name_at
from places.models import Network, Place, Typology
from places.selectors import search_places
from places.timezones import zone
from scheduling import status
from scheduling.selectors import OutsideWindow, open_places, places_offering_at
from services.models import Provider, ServiceKind, ServiceOffer
from services.selectors import available_offers
from services.vocabulary import match_words, understand

MAX_RADIUS_KM = 100.0
DEFAULT_RADIUS_KM = 5.0
PROFILES = ("mediation", "work", "creation")


def _invalid(name: str, message) -> ApiError:
    return ApiError(
        400,
        "invalid_parameter",
        _("Invalid value for “%(name)s”: %(message)s") % {"name": name, "message": message},
        fields={name: [str(message)]},
    )


def split_values(value: str) -> list[str]:
    return [v.strip() for v in str(value).split(",") if v.strip()]


def parse_float(name: str, raw: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise _invalid(name, _("expected a number.")) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise _invalid(
            name, _("expected a number from %(lo)s to %(hi)s.") % {"lo": low, "hi": high}
        )
    return value


EARLIEST_YEAR, LATEST_YEAR = 1900, 2199


def parse_instant(name: str, raw: str, tz=None) -> datetime.datetime:
    """An ISO 8601 date-time; without an offset it is read on `tz`'s clock (the site's
    when not given)."""
    try:
        value = parse_datetime(str(raw).strip().replace(" ", "+"))
    except ValueError:
        value = None
    if value is None:
        raise _invalid(name, _("expected an ISO 8601 date-time, e.g. 2026-03-02T10:00:00+01:00."))
    # Years 1 and 9999 overflow once a time zone or a duration is applied: keep to a range
    # that every computation downstream can take.
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise _invalid(
            name,
            _("expected a date-time in the years %(lo)s to %(hi)s.")
            % {"lo": EARLIEST_YEAR, "hi": LATEST_YEAR},
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value, tz)
    return value


def parse_near(raw: str) -> tuple[float, float]:
    parts = str(raw).split(",")
    if len(parts) != 2:
        raise _invalid("near", _("expected “latitude,longitude”, e.g. 45.76,4.85."))
    return (
        parse_float("near", parts[0], -90, 90),
        parse_float("near", parts[1], -180, 180),
    )


def parse_bbox(raw: str) -> tuple[float, float, float, float]:
    parts = str(raw).split(",")
    if len(parts) != 4:
        raise _invalid("bbox", _("expected “min_lon,min_lat,max_lon,max_lat”."))
    min_lon = parse_float("bbox", parts[0], -180, 180)
    min_lat = parse_float("bbox", parts[1], -90, 90)
    max_lon = parse_float("bbox", parts[2], -180, 180)
    max_lat = parse_float("bbox", parts[3], -90, 90)
    if min_lon > max_lon or min_lat > max_lat:
        raise _invalid("bbox", _("the minimum is above the maximum."))
    return min_lon, min_lat, max_lon, max_lat


def parse_bool(name: str, raw: str) -> bool:
    value = str(raw).strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise _invalid(name, _("expected true or false."))


def _check_known(name: str, values: list[str], known) -> list[str]:
    unknown = [v for v in values if v not in known]
    if unknown:
        raise _invalid(name, _("unknown value: %(v)s.") % {"v": ", ".join(unknown)})
    return values


def _typed(schema: dict, filter_: django_filters.Filter) -> django_filters.Filter:
    """The filter, with its parameter's exact schema in the OpenAPI document."""
    return extend_schema_field({**schema, "description": filter_.extra.get("help_text")})(filter_)


class ListFilter(django_filters.CharFilter):
    """A comma-separated list of values (OR)."""


class PlaceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", help_text=gettext_lazy("Words in the name, description or address.")
    )
    near = _typed(
        schemas.NEAR,
        django_filters.CharFilter(
            method="filter_near",
            help_text=gettext_lazy(
                "“latitude,longitude”: only places within radius_km, sorted by distance, with "
                "a distance_km field."
            ),
        ),
    )
    radius_km = _typed(
        schemas.RADIUS_KM,
        django_filters.CharFilter(
            method="filter_radius_km",
            help_text=gettext_lazy("Radius around `near`, in km (default 5, at most 100)."),
        ),
    )
    bbox = _typed(
        schemas.BBOX,
        django_filters.CharFilter(
            method="filter_bbox",
            help_text=gettext_lazy("“min_lon,min_lat,max_lon,max_lat” (WGS 84)."),
        ),
    )
    open_at = _typed(
        schemas.DATE_TIME,
        django_filters.CharFilter(
            method="filter_open_at",
            help_text=gettext_lazy(
                "ISO 8601 date-time: places open then (their general hours; with service_kind "
                "or provider, places where such a service is available then, by its own slots "
                "when it has them). Must lie inside the materialised calendar window, else 400 "
                "`outside_calendar_window`."
            ),
        ),
    )
    open_now = _typed(
        schemas.BOOLEAN,
        django_filters.CharFilter(
            method="filter_open_now",
            help_text=gettext_lazy(
                "true: places open now (with service_kind or provider: where such a service is "
                "available now)."
            ),
        ),
    )
    profile = _typed(
        schemas.comma_list(PROFILES),
        ListFilter(
            method="filter_profile",
            help_text=gettext_lazy("Comma-separated: mediation, work, creation."),
        ),
    )
    typology = _typed(
        schemas.comma_list(Typology.Code.values),
        ListFilter(
            method="filter_typology",
            help_text=gettext_lazy("Comma-separated typology codes, e.g. epn,fablab."),
        ),
    )
    service_kind = ListFilter(
        method="filter_service_kind",
        help_text=gettext_lazy("Comma-separated service-kind slugs (places with a live offer)."),
    )
    provider = ListFilter(
        method="filter_provider",
        help_text=gettext_lazy("Comma-separated provider slugs (places with a live offer)."),
    )
    network = ListFilter(
        method="filter_network", help_text=gettext_lazy("Comma-separated network slugs.")
    )
    insee_code = ListFilter(
        method="filter_insee_code", help_text=gettext_lazy("Comma-separated INSEE codes.")
    )
    updated_since = _typed(
        schemas.DATE_TIME,
        django_filters.CharFilter(
            method="filter_updated_since",
            help_text=gettext_lazy(
                "ISO 8601 date-time: places changed at or after it, archived ones included "
                "(status “archived”: delete them on your side)."
            ),
        ),
    )

    class Meta:
        model = Place
        fields: list[str] = []

    def filter_queryset(self, queryset):
        if not self.form.data.get("updated_since"):
            queryset = queryset.filter(status=Place.Status.PUBLISHED)
        self._q_reading = None
        queryset = super().filter_queryset(queryset)
        reading = self._q_reading
        if (
            reading is not None
            and reading.time_words
            and not self.form.data.get("open_at")
            and not self.form.data.get("open_now")
        ):
            # A time named in `q` ("caf samedi matin") is read as the page reads it, on
            # the clock at `near`, once the other filters have narrowed the places.
            now = timezone.localtime(status.clock(), self._near_zone())
            at = reading.when.at(now)
            if at is not None:
                queryset = self._open_at(queryset, "q", at)
        return queryset

    def filter_noop(self, queryset, name, value):
        return queryset

    def filter_radius_km(self, queryset, name, value):
        # Read by filter_near; checked even without `near`, so that no value is ignored.
        parse_float(name, value, 0, MAX_RADIUS_KM)
        return queryset

    def filter_q(self, queryset, name, value):
        # The same reading as the residents' search: named needs and kinds of places
        # become filters, the other words text search (services.vocabulary.match_words);
        # matched places carry `text_rank`, and the list puts the most relevant first.
        reading = self._q_reading = understand(value)
        if reading.typologies:
            queryset = search_places(queryset, typologies=sorted(reading.typologies))
        if reading.kinds:
            queryset = self._with_offer(queryset, kind__slug__in=sorted(reading.kinds))
        return match_words(queryset, reading).queryset

    def filter_near(self, queryset, name, value):
        latitude, longitude = parse_near(value)
        raw_radius = self.form.data.get("radius_km")
        radius = (
            DEFAULT_RADIUS_KM
            if raw_radius in (None, "")
            else parse_float("radius_km", raw_radius, 0, MAX_RADIUS_KM)
        )
        return geo.places_near(queryset, latitude, longitude, radius)

    def filter_bbox(self, queryset, name, value):
        return geo.in_bbox(queryset, *parse_bbox(value))

    def _open_at(self, queryset, name, at):
        # `near` and `bbox` are declared first, so they have already narrowed the places.
        narrowed = bool(self.form.data.get("near") or self.form.data.get("bbox"))
        offers = self._asked_offers(at)
        try:
            if offers is not None:
                # With a service kind or provider, the matched service must be available
                # at that time, not merely the place open (its own slots, if any).
                return places_offering_at(at, queryset, offers)
            return open_places(at, queryset, narrowed=narrowed)
        except OutsideWindow as exc:
            raise ApiError(
                400, "outside_calendar_window", str(exc), fields={name: [str(exc)]}
            ) from None

    def _asked_offers(self, at):
        """The live offers the request's `service_kind` and `provider` ask for, or None."""
        lookup = {}
        # The kinds asked by `service_kind` and those named in `q`, as the page reads them.
        kinds = {*split_values(self.form.data.get("service_kind") or "")}
        if getattr(self, "_q_reading", None) is not None:
            kinds |= self._q_reading.kinds
        if kinds:
            lookup["kind__slug__in"] = sorted(kinds)
        if self.form.data.get("provider"):
            lookup["provider__slug__in"] = split_values(self.form.data["provider"])
        if not lookup:
            return None
        day = timezone.localtime(at).date()
        return available_offers(ServiceOffer.objects.filter(**lookup), on=day)

    def filter_open_at(self, queryset, name, value):
        return self._open_at(queryset, name, parse_instant(name, value, self._near_zone()))

    def _near_zone(self):
        """The clock at `near`: a time given without an offset is a wall-clock time there
        (10:00 near Fort-de-France is Martinique's 10:00)."""
        raw = self.form.data.get("near")
        if not raw:
            return None
        try:
            return zone(zone_name_at(*parse_near(raw)))
        except ApiError:
            return None  # `near` itself answers the error

    def filter_open_now(self, queryset, name, value):
        if not parse_bool(name, value):
            return queryset
        return self._open_at(queryset, name, status.clock())

    def filter_profile(self, queryset, name, value):
        values = _check_known(name, split_values(value), PROFILES)
        return search_places(queryset, profiles=values)

    def filter_typology(self, queryset, name, value):
        values = _check_known(name, split_values(value), Typology.Code.values)
        return search_places(queryset, typologies=values)

    def _with_offer(self, queryset, **lookup):
        # A correlated EXISTS: the database probes the offers of the places already
        # narrowed by the other filters (e.g. the `near` box) instead of listing them all.
        offers = available_offers(ServiceOffer.objects.filter(place_id=OuterRef("pk"), **lookup))
        return queryset.filter(Exists(offers))

    def filter_service_kind(self, queryset, name, value):
        return self._with_offer(queryset, kind__slug__in=split_values(value))

    def filter_provider(self, queryset, name, value):
        return self._with_offer(queryset, provider__slug__in=split_values(value))

    def filter_network(self, queryset, name, value):
        return search_places(queryset, networks=split_values(value))

    def filter_insee_code(self, queryset, name, value):
        return queryset.filter(insee_code__in=split_values(value))

    def filter_updated_since(self, queryset, name, value):
        since = parse_instant(name, value)
        return queryset.filter(
            updated_at__gte=since, status__in=[Place.Status.PUBLISHED, Place.Status.ARCHIVED]
        )


class OfferFilter(django_filters.FilterSet):
    place = _typed(
        schemas.comma_list_of_uuids(),
        ListFilter(
            method="filter_place", help_text=gettext_lazy("Comma-separated place ids (UUIDs).")
        ),
    )
    service_kind = ListFilter(
        method="filter_service_kind", help_text=gettext_lazy("Comma-separated service-kind slugs.")
    )
    provider = ListFilter(
        method="filter_provider", help_text=gettext_lazy("Comma-separated provider slugs.")
    )
    profile = _typed(
        schemas.comma_list(PROFILES),
        ListFilter(
            method="filter_profile",
            help_text=gettext_lazy("Comma-separated profiles of the service kind."),
        ),
    )
    status = _typed(
        schemas.comma_list(ServiceOffer.Status.values),
        ListFilter(
            method="filter_status",
            help_text=gettext_lazy(
                "Comma-separated: active, suspended, ended (default: not ended)."
            ),
        ),
    )
    network = ListFilter(
        method="filter_network", help_text=gettext_lazy("Comma-separated network slugs.")
    )
    insee_code = ListFilter(
        method="filter_insee_code",
        help_text=gettext_lazy("Comma-separated INSEE codes of the place."),
    )
    bbox = _typed(
        schemas.BBOX,
        django_filters.CharFilter(
            method="filter_bbox",
            help_text=gettext_lazy("“min_lon,min_lat,max_lon,max_lat” around the place."),
        ),
    )
    updated_since = _typed(
        schemas.DATE_TIME,
        django_filters.CharFilter(
            method="filter_updated_since",
            help_text=gettext_lazy(
                "ISO 8601 date-time: offers changed at or after it, ended ones included."
            ),
        ),
    )

    class Meta:
        model = ServiceOffer
        fields: list[str] = []

    def filter_queryset(self, queryset):
        if not self.form.data.get("updated_since") and not self.form.data.get("status"):
            queryset = queryset.exclude(status=ServiceOffer.Status.ENDED)
        return super().filter_queryset(queryset)

    def filter_place(self, queryset, name, value):
        import uuid

        ids = []
        for raw in split_values(value):
            try:
                ids.append(uuid.UUID(raw))
            except ValueError:
                raise _invalid(name, _("“%(v)s” is not a place id (UUID).") % {"v": raw}) from None
        return queryset.filter(place__public_id__in=ids)

    def filter_service_kind(self, queryset, name, value):
        return queryset.filter(kind__slug__in=split_values(value))

    def filter_provider(self, queryset, name, value):
        return queryset.filter(provider__slug__in=split_values(value))

    def filter_profile(self, queryset, name, value):
        values = _check_known(name, split_values(value), PROFILES)
        return queryset.filter(kind__profile__in=values)

    def filter_status(self, queryset, name, value):
        values = _check_known(name, split_values(value), ServiceOffer.Status.values)
        return queryset.filter(status__in=values)

    def filter_network(self, queryset, name, value):
        links = Place.networks.through.objects.filter(network__slug__in=split_values(value))
        return queryset.filter(place_id__in=links.values("place_id"))

    def filter_insee_code(self, queryset, name, value):
        return queryset.filter(place__insee_code__in=split_values(value))

    def filter_bbox(self, queryset, name, value):
        return geo.in_bbox(queryset, *parse_bbox(value), prefix="place__")

    def filter_updated_since(self, queryset, name, value):
        return queryset.filter(updated_at__gte=parse_instant(name, value))


class ServiceKindFilter(django_filters.FilterSet):
    profile = _typed(
        schemas.comma_list(PROFILES),
        ListFilter(method="filter_profile", help_text=gettext_lazy("Comma-separated.")),
    )
    category = ListFilter(
        method="filter_category", help_text=gettext_lazy("Comma-separated category slugs.")
    )
    active = _typed(
        schemas.BOOLEAN,
        django_filters.CharFilter(method="filter_active", help_text=gettext_lazy("true or false.")),
    )

    class Meta:
        model = ServiceKind
        fields: list[str] = []

    def filter_profile(self, queryset, name, value):
        return queryset.filter(profile__in=_check_known(name, split_values(value), PROFILES))

    def filter_category(self, queryset, name, value):
        return queryset.filter(category__slug__in=split_values(value))

    def filter_active(self, queryset, name, value):
        return queryset.filter(active=parse_bool(name, value))


class ProviderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", help_text=gettext_lazy("Words in the name."))
    sector = _typed(
        schemas.comma_list(Provider.Sector.values),
        ListFilter(
            method="filter_sector",
            help_text=gettext_lazy("Comma-separated: public, private, associative."),
        ),
    )
    service_kind = ListFilter(
        method="filter_service_kind",
        help_text=gettext_lazy("Providers with a live offer of these kinds."),
    )
    updated_since = _typed(
        schemas.DATE_TIME,
        django_filters.CharFilter(
            method="filter_updated_since", help_text=gettext_lazy("ISO 8601 date-time.")
        ),
    )

    class Meta:
        model = Provider
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(name__icontains=word)
        return queryset

    def filter_sector(self, queryset, name, value):
        values = _check_known(name, split_values(value), Provider.Sector.values)
        return queryset.filter(sector__in=values)

    def filter_service_kind(self, queryset, name, value):
        offers = ServiceOffer.objects.filter(kind__slug__in=split_values(value)).exclude(
            status=ServiceOffer.Status.ENDED
        )
        return queryset.filter(pk__in=offers.values("provider_id"))

    def filter_updated_since(self, queryset, name, value):
        return queryset.filter(updated_at__gte=parse_instant(name, value))


class NetworkFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", help_text=gettext_lazy("Words in the name."))

    class Meta:
        model = Network
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(Q(name__icontains=word) | Q(slug__icontains=word))
        return queryset
