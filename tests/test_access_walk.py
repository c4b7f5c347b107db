"""Every URL of the project × every kind of visitor: the answer each one gets.

The walk enumerates every pattern of the root resolver (every app, the API's router
patterns, Django's admin), fills its path converters with ids of real objects of one
fixture, and requests it as each identity below: GET, and the write method where the view
accepts one (POST, or PATCH/PUT on API records), with an empty body. `ROUTES` states the
expected answer of each pattern; a pattern missing from it fails the walk, so a new URL
cannot be added without saying who may open it. A refusal must come before validation:
an identity without the right gets its 401/403/404 even though the empty body is invalid.

Identities: anonymous; an outsider (signed in, no membership); a viewer, the manager of
the place, the manager of *another* place and a registry admin of organisation A (whose
place, records and tokens the URLs name); a registry admin of organisation B; a superuser;
a partner token of organisation A for each scope; a token of organisation B holding every
write scope.

Mutation proof (each done once by hand, the walk run, then restored):

- removing `@staff_required` from `economics.views.dashboard` failed `test_walk` for
  anonymous (``economics:dashboard GET /manage/economics/: expected login, got ok``: the
  page rendered an empty dashboard), the outsider (``expected forbidden, got ok``) and
  every token identity (``expected login, got ok``): 7 failures;
- dropping `moderate=True` in `places.views._moderated_suggestion` failed the viewer and
  the manager of another place on ``manage:suggestion_accept POST`` (``expected
  forbidden, got ok``: the empty form's 400), ``suggestion_edit`` GET and POST and
  ``suggestion_reject POST``;
- dropping `write=True` in `api.views.places.PlaceViewSet._own_place` failed ``token_b`` on
  ``api:place-detail PATCH`` and ``api:place-schedule PUT`` (``expected forbidden, got
  ok``: organisation B's token reached the validation of A's place);
- letting `api.auth.HasScope` pass a view without `write_scope` (the old behaviour) failed
  `test_a_write_without_a_declared_scope_is_refused` ("the write went through").
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from api.auth import new_token_secret
from api.models import (
    ImportRun,
    PartnerToken,
    PlaceProviderAgreement,
    PossibleDuplicate,
    SourceConflict,
    WebhookSubscription,
)
from economics import bookings
from economics.models import SharingOffer, Space, SpaceRequest
from initiatives.models import Call, Guide, Submission
from places import freshness
from places.emails import invitation_token
from places.models import Membership, Reminder, Role, Suggestion
from scheduling.models import ScheduleException
from services.models import NeedWord, ServiceKind
from tests.factories import (
    NetworkFactory,
    OrganisationFactory,
    PlaceFactory,
    ProviderFactory,
    ScheduleFactory,
    ServiceOfferFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# ------------------------------------------------------------------------- answers

OK = "ok"  # the check let the request through: 2xx, a redirect elsewhere than the
# login page, or a refusal of the (empty) input itself: 400, 409, 412, 428
LOGIN = "login"  # 302 to the staff login page
ADMIN_LOGIN = "admin login"  # 302 to Django admin's login page
FORBIDDEN = "forbidden"  # 403
HIDDEN = "hidden"  # 404: the object is not even shown to exist
UNAUTHENTICATED = "unauthenticated"  # 401: the API wants a token
NOT_ALLOWED = "not allowed"  # 405

PEOPLE = ["outsider", "viewer", "manager", "manager_other", "admin", "admin_b", "superuser"]
TOKENS = [
    "token_read",
    "token_write_offers",
    "token_write_places",
    "token_write_agreements",
    "token_b",
]
IDENTITIES = ["anonymous", *PEOPLE, *TOKENS]
ORG_A_STAFF = {"viewer", "manager", "manager_other", "admin", "superuser"}


def answer(response) -> str:
    status = response.status_code
    if status == 302:
        location = response["Location"]
        if location.startswith(reverse("manage:login")):
            return LOGIN
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        return OK
    # 503: the page works but an outside service is not configured (the geocoder).
    if status in (200, 201, 204, 301, 303, 304, 400, 409, 410, 412, 428, 503):
        return OK
    return {
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: HIDDEN,
        405: NOT_ALLOWED,
    }.get(status, f"status {status}")


def everyone(value: str) -> dict[str, str]:
    return dict.fromkeys(IDENTITIES, value)


def page(*, ok=(), hidden=()) -> dict[str, str]:
    """A staff page: anonymous people and tokens (which pages ignore) go to the login
    page; signed-in people get `ok`, `hidden` (404) or otherwise a 403."""
    expected = {**dict.fromkeys(["anonymous", *TOKENS], LOGIN)}
    for person in PEOPLE:
        expected[person] = OK if person in ok else HIDDEN if person in hidden else FORBIDDEN
    return expected


def api_write(*tokens: str, others: str = FORBIDDEN, **exceptions: str) -> dict[str, str]:
    """An API write: no token → 401 (people's sessions count for nothing in the API);
    the listed tokens get through; other tokens get `others`."""
    expected = dict.fromkeys(["anonymous", *PEOPLE], UNAUTHENTICATED)
    for token in TOKENS:
        expected[token] = OK if token in tokens else others
    expected.update(exceptions)
    return expected


PUBLIC = everyone(OK)
STAFF = page(ok=PEOPLE[1:])
READ_A = page(ok=ORG_A_STAFF, hidden={"admin_b"})
EDIT_A = page(ok={"manager", "admin", "superuser"}, hidden={"admin_b"})
ADMIN_A = page(ok={"admin", "superuser"}, hidden={"admin_b"})
# Agreement pages refuse other organisations' admins with a 403 rather than a 404.
ADMIN_A_403 = page(ok={"admin", "superuser"})
ANY_ADMIN = page(ok={"admin", "admin_b", "superuser"})
# Registry admins of A only; B's admins do not see A's tokens and subscriptions (404).
ADMIN_A_RECORD = page(ok={"admin", "superuser"}, hidden={"admin_b"})
ADMIN_SITE = {**everyone(ADMIN_LOGIN), "superuser": OK}


@dataclass
class Route:
    """The expected answers of one URL pattern, by method; `kwargs` builds its
    arguments from the fixture's objects."""

    methods: dict[str, dict[str, str]]
    kwargs: object = None
    # A method the view does not accept, checked once (as the superuser): 405.
    refuses: tuple[str, ...] = field(default_factory=tuple)


def get(rule, kwargs=None, refuses=("POST",)) -> Route:
    return Route({"GET": rule}, kwargs, refuses)


def get_post(get_rule, post_rule, kwargs=None) -> Route:
    return Route({"GET": get_rule, "POST": post_rule}, kwargs)


def post(rule, kwargs=None) -> Route:
    return Route({"POST": rule}, kwargs, ("GET",))


def place(o):
    return {"public_id": o.place.public_id}


def org(o):
    return {"org_slug": o.org_a.slug}


def offer(o):
    return {"public_id": o.place.public_id, "pk": o.offer.pk}


def hours_offer(o):
    return {"public_id": o.place.public_id, "offer_pk": o.offer.pk}


def api_place(o):
    return {"id": str(o.place.public_id)}


ROUTES: dict[str, Route] = {
    # -- staff sign-in and account pages: open to all (the link is the credential)
    "manage:login": get_post(PUBLIC, PUBLIC),
    "manage:logout": post(everyone(LOGIN)),  # signs out, then the login page
    "manage:password_reset": get_post(PUBLIC, PUBLIC),
    "manage:password_reset_done": get(PUBLIC),
    "manage:password_reset_confirm": get_post(PUBLIC, PUBLIC, lambda o: o.invitation),
    "manage:password_reset_complete": get(PUBLIC),
    "manage:invitation_accept": get_post(PUBLIC, PUBLIC, lambda o: o.invitation),
    "manage:invitation_request": get_post(PUBLIC, PUBLIC),
    "manage:invitation_complete": get(PUBLIC),
    "manage:email_preferences": get_post(STAFF, STAFF),
    # -- registry
    "manage:home": get(STAFF),
    "manage:stale_places": get(STAFF),
    "manage:stale_remind": post(STAFF),  # empty: "tick a place"; admin-only per place
    "manage:place_verify": post(EDIT_A, place),
    "manage:place_bounce_clear": post(EDIT_A, place),
    "manage:member_bounce_clear": post(ADMIN_A, org),
    "manage:place_create": get_post(ANY_ADMIN, ANY_ADMIN),
    "manage:place_bulk": post(STAFF),
    "manage:place_bulk_apply": post(STAFF),  # rights are checked per ticked place
    "manage:place_bulk_report": get(STAFF),
    "manage:place_export_csv": get(STAFF),
    "manage:place_export_xlsx": get(STAFF),
    "manage:place_detail": get(READ_A, place),
    "manage:place_edit": get_post(EDIT_A, EDIT_A, place),
    "manage:place_publish": post(EDIT_A, place),
    "manage:place_archive": get_post(EDIT_A, EDIT_A, place),  # GET: the confirmation
    "manage:place_restore": post(EDIT_A, place),
    "manage:place_history": get(READ_A, place),
    "manage:geocode": get(STAFF),
    "manage:members": get(ADMIN_A, org),
    "manage:organisation_activity": get(ADMIN_A, org),
    "manage:member_add": post(ADMIN_A, org),
    "manage:member_role": post(ADMIN_A, lambda o: {**org(o), "pk": o.viewer_membership.pk}),
    "manage:member_remove": get_post(
        ADMIN_A, ADMIN_A, lambda o: {**org(o), "pk": o.viewer_membership.pk}
    ),
    "manage:suggestion_list": get(STAFF),
    "manage:suggestion_detail": get(READ_A, lambda o: {"pk": o.suggestion.pk}),
    "manage:suggestion_accept": post(EDIT_A, lambda o: {"pk": o.suggestion.pk}),
    "manage:suggestion_edit": get_post(EDIT_A, EDIT_A, lambda o: {"pk": o.suggestion.pk}),
    "manage:suggestion_reject": post(EDIT_A, lambda o: {"pk": o.suggestion.pk}),
    # -- services
    "services:offer_list": get(READ_A, place),
    "services:offer_create": get_post(EDIT_A, EDIT_A, place),
    "services:offer_edit": get_post(EDIT_A, EDIT_A, offer),
    "services:offer_suspend": get_post(EDIT_A, EDIT_A, offer),
    "services:offer_end": get_post(EDIT_A, EDIT_A, offer),
    "services:offer_reactivate": post(EDIT_A, offer),
    "services:catalogue": get(ANY_ADMIN),
    "services:service_kind_create": get_post(ANY_ADMIN, ANY_ADMIN),
    "services:service_kind_edit": get_post(ANY_ADMIN, ANY_ADMIN, lambda o: {"pk": o.kind.pk}),
    "services:provider_create": get_post(ANY_ADMIN, ANY_ADMIN),
    "services:provider_edit": get_post(ANY_ADMIN, ANY_ADMIN, lambda o: {"pk": o.provider.pk}),
    "services:need_word_list": get(ANY_ADMIN),
    "services:need_word_create": get_post(ANY_ADMIN, ANY_ADMIN),
    "services:need_word_edit": get_post(ANY_ADMIN, ANY_ADMIN, lambda o: {"pk": o.word.pk}),
    "services:need_word_delete": get_post(ANY_ADMIN, ANY_ADMIN, lambda o: {"pk": o.word.pk}),
    # -- scheduling
    "scheduling:place_hours": get_post(READ_A, EDIT_A, place),
    "scheduling:place_exception_add": post(EDIT_A, place),
    "scheduling:place_exception_remove": post(
        EDIT_A, lambda o: {**place(o), "exception_pk": o.place_exception.pk}
    ),
    "scheduling:place_ics": get(READ_A, place),
    "scheduling:osm_check": get(READ_A, place),
    "scheduling:offer_hours": get_post(READ_A, EDIT_A, hours_offer),
    "scheduling:offer_exception_add": post(EDIT_A, hours_offer),
    "scheduling:offer_exception_remove": post(
        EDIT_A, lambda o: {**hours_offer(o), "exception_pk": o.offer_exception.pk}
    ),
    "scheduling:offer_ics": get(READ_A, hours_offer),
    # -- economics
    "economics:dashboard": get(STAFF),
    "coverage:study": get(STAFF, refuses=()),
    # -- territory (coverage of every commune, what-if scenarios)
    "territory:coverage": get(STAFF),
    "territory:scenarios": get_post(STAFF, STAFF),
    "territory:compare": get(STAFF),
    # registry admins only, checked before the lookup: no scenario 999999 then a 404
    "territory:scenario_draft": post(
        page(hidden={"admin", "admin_b", "superuser"}), lambda o: {"pk": 999999}
    ),
    "economics:place": get(READ_A, place),
    "economics:budget_edit": get_post(
        EDIT_A, EDIT_A, lambda o: {**place(o), "year": 2024, "scenario": "actual"}
    ),
    "economics:import": get_post(EDIT_A, EDIT_A, lambda o: {**place(o), "what": "budget"}),
    "economics:attendance_add": get_post(EDIT_A, EDIT_A, place),
    "economics:space_create": get_post(EDIT_A, EDIT_A, place),
    "economics:space_edit": get_post(EDIT_A, EDIT_A, lambda o: {**place(o), "pk": o.space.pk}),
    "economics:space_delete": post(EDIT_A, lambda o: {**place(o), "pk": o.space.pk}),
    "economics:sharing_edit": get_post(EDIT_A, EDIT_A, lambda o: {**place(o), "pk": o.space.pk}),
    "economics:space_requests": get(STAFF),
    "economics:space_uses_ics": get(STAFF),
    "economics:space_request": get_post(EDIT_A, EDIT_A, lambda o: {"pk": o.space_request.pk}),
    # -- partners: tokens, webhooks, agreements (api app's staff pages)
    "partners:token_list": get(ANY_ADMIN, refuses=()),
    "partners:token_create": get_post(ANY_ADMIN, ANY_ADMIN),
    "partners:token_revoke": post(ADMIN_A_RECORD, lambda o: {"pk": o.tokens["token_read"].pk}),
    "partners:webhook_list": get_post(ANY_ADMIN, ANY_ADMIN),
    "partners:webhook_log": get(ADMIN_A_RECORD, lambda o: {"pk": o.webhook.pk}, refuses=()),
    "partners:webhook_delete": post(ADMIN_A_RECORD, lambda o: {"pk": o.webhook.pk}),
    "partners:agreement_place": get(ADMIN_A_403, place, refuses=()),
    "partners:agreement_create": get_post(ADMIN_A_403, ADMIN_A_403, place),
    "partners:agreement_organisation": get(ADMIN_A_403, org, refuses=()),
    "partners:agreement_edit": get_post(ADMIN_A_403, ADMIN_A_403, lambda o: {"pk": o.agreement.pk}),
    "partners:agreement_end": get_post(ADMIN_A_403, ADMIN_A_403, lambda o: {"pk": o.agreement.pk}),
    # -- imports (api app's staff pages)
    "imports:upload": get_post(ANY_ADMIN, ANY_ADMIN),
    "imports:duplicate_list": get(STAFF),
    "imports:duplicate_detail": get(READ_A, lambda o: {"pk": o.duplicate.pk}),
    "imports:duplicate_merge": post(ADMIN_A, lambda o: {"pk": o.duplicate.pk}),
    "imports:duplicate_dismiss": post(ADMIN_A, lambda o: {"pk": o.duplicate.pk}),
    "imports:conflict_check": post(ADMIN_A, lambda o: {"pk": o.conflict.pk}),
    "imports:run_list": get(STAFF),
    "imports:run_detail": get(READ_A, lambda o: {"pk": o.run.pk}),
    # -- calls for initiatives and guides (initiatives app's staff pages)
    "initiatives:call_list": get(STAFF),
    "initiatives:call_create": get_post(ANY_ADMIN, ANY_ADMIN),
    "initiatives:call_detail": get(READ_A, lambda o: {"pk": o.call.pk}),
    "initiatives:call_edit": get_post(ADMIN_A, ADMIN_A, lambda o: {"pk": o.call.pk}),
    "initiatives:submission_detail": get(READ_A, lambda o: {"pk": o.submission.pk}),
    "initiatives:submission_review": post(ADMIN_A, lambda o: {"pk": o.submission.pk}),
    "initiatives:submission_place": post(ADMIN_A, lambda o: {"pk": o.submission.pk}),
    "initiatives:guide_list": get(STAFF),
    "initiatives:guide_create": get_post(ANY_ADMIN, ANY_ADMIN),
    "initiatives:guide_edit": get_post(ANY_ADMIN, ANY_ADMIN, lambda o: {"pk": o.guide.pk}),
    # -- partner API: reads are public, writes need the declared scope
    "api:root": get(PUBLIC),
    "api:schema": get(PUBLIC),
    "api:docs": get(PUBLIC),
    "api:redoc": get(PUBLIC),
    "api:export": get(PUBLIC, lambda o: {"fmt": "hsds"}),
    "api:shared_spaces": get(PUBLIC),
    # Anyone may ask for a shared space (write_scope = ANYONE); the link is the credential.
    "api:space_request_create": post(PUBLIC, lambda o: {"pk": o.space.pk}),
    "api:space_request": get(PUBLIC, lambda o: {"token": o.space_request_token}),
    "api:place-list": get_post(PUBLIC, api_write("token_write_places", "token_b")),
    "api:place-detail": Route(
        {
            "GET": PUBLIC,
            # B's token has write:places, but not on A's place.
            "PATCH": api_write("token_write_places", token_b=FORBIDDEN),
        },
        api_place,
        ("POST",),
    ),
    "api:place-calendar": get(PUBLIC, api_place),
    "api:place-schedule": Route(
        {"PUT": api_write("token_write_places", token_b=FORBIDDEN)}, api_place, ("GET",)
    ),
    "api:offer-list": get_post(PUBLIC, api_write("token_write_offers", "token_b")),
    "api:offer-detail": Route(
        {
            "GET": PUBLIC,
            # B's token writes the offers of its own provider, not this one.
            "PATCH": api_write("token_write_offers", token_b=FORBIDDEN),
        },
        lambda o: {"pk": o.offer.pk},
        ("POST",),
    ),
    "api:offer-schedule": Route(
        {"PUT": api_write("token_write_offers", token_b=FORBIDDEN)},
        lambda o: {"pk": o.offer.pk},
        ("GET",),
    ),
    "api:service-kind-list": get(PUBLIC),
    "api:service-kind-detail": get(PUBLIC, lambda o: {"id": o.kind.slug}),
    "api:provider-list": get(PUBLIC),
    "api:provider-detail": get(PUBLIC, lambda o: {"id": o.provider.slug}),
    "api:network-list": get(PUBLIC),
    "api:network-detail": get(PUBLIC, lambda o: {"id": o.network.slug}),
    "api:suggestion-list": post(PUBLIC),  # anyone may suggest (write_scope = ANYONE)
    "api:agreement-list": get_post(
        api_write("token_read", "token_write_agreements", "token_b"),
        api_write("token_write_agreements", "token_b"),
    ),
    "api:agreement-detail": Route(
        {
            # Readable by A's tokens that read; B's token sees only its own (404).
            "GET": api_write("token_read", "token_write_agreements", token_b=HIDDEN),
            "PATCH": api_write("token_write_agreements", token_b=HIDDEN),
        },
        lambda o: {"pk": o.agreement.pk},
        ("POST",),
    ),
    "api:agreement-end": post(
        api_write("token_write_agreements", token_b=HIDDEN), lambda o: {"pk": o.agreement.pk}
    ),
    # -- the rest
    "set_language": get_post(PUBLIC, PUBLIC),
    # -- residents' site: public
    "directory:home": get(PUBLIC),
    "directory:search": get(PUBLIC),
    "directory:map_data": get(PUBLIC),
    "directory:place": get(PUBLIC, lambda o: {"slug": o.place.slug}),
    "directory:place_ics": get(PUBLIC, lambda o: {"slug": o.place.slug}),
    "directory:place_sheet": get(PUBLIC, lambda o: {"slug": o.place.slug}),
    "directory:place_sheet_pdf": get(PUBLIC, lambda o: {"slug": o.place.slug}),
    "directory:place_poster": get(PUBLIC, lambda o: {"slug": o.place.slug}),
    "directory:place_poster_pdf": get(PUBLIC, lambda o: {"slug": o.place.slug}),
    "directory:place_qr_svg": get(PUBLIC, lambda o: {"slug": o.place.slug}),
    "directory:offer_ics": get(PUBLIC, lambda o: {"slug": o.place.slug, "offer_id": o.offer.pk}),
    "directory:network": get(PUBLIC, lambda o: {"slug": o.network.slug}),
    "directory:commune": get(PUBLIC, lambda o: {"insee_code": o.place.insee_code}),
    "directory:embed": get(PUBLIC),
    "directory:embed_builder": get(PUBLIC),
    "directory:suggest_correction": get_post(PUBLIC, PUBLIC, lambda o: {"slug": o.place.slug}),
    "directory:suggest_place": get_post(PUBLIC, PUBLIC),
    "directory:shared_spaces": get(PUBLIC),
    "directory:space": get_post(PUBLIC, PUBLIC, lambda o: {"pk": o.space.pk}),
    "directory:space_request": get_post(PUBLIC, PUBLIC, lambda o: {"token": o.space_request_token}),
    "directory:space_request_ics": get(PUBLIC, lambda o: {"token": o.space_request_token}),
    "directory:verify": get_post(PUBLIC, PUBLIC, lambda o: {"token": o.reminder_token}),
    "directory:verify_renew": post(PUBLIC, lambda o: {"token": o.reminder_token}),
    "directory:calls": get(PUBLIC),
    # POST: anyone may send a project to an open call (the empty form's 400).
    "directory:call": get_post(PUBLIC, PUBLIC, lambda o: {"slug": o.call.slug}),
    "directory:guides": get(PUBLIC),
    "directory:guide": get(PUBLIC, lambda o: {"slug": o.guide.slug}),
}

# Django's admin (/django-admin/): superusers only, everyone else to its login page.
ADMIN_ROUTES = {
    "admin:login": get_post(PUBLIC, PUBLIC),
    # Django's own: signs out whoever is signed in; the superuser lands on the login page.
    "admin:logout": post({**PUBLIC, "superuser": LOGIN}),
    "admin:password_change_done": Route({"GET": ADMIN_SITE}, None, ("POST",)),
    "admin:jsi18n": Route({"GET": ADMIN_SITE}, None, ("POST",)),
    # Without its query parameters the autocomplete refuses even a superuser.
    "admin:autocomplete": Route({"GET": {**ADMIN_SITE, "superuser": FORBIDDEN}}, None, ("POST",)),
    # No object 1 of content type 1, and no page at /django-admin/walk: the check passed.
    "admin:view_on_site": None,
    "django-admin/(?P<url>.*)$": None,
}
ADMIN_NOT_FOUND = {**ADMIN_SITE, "superuser": HIDDEN}


# --------------------------------------------------------------------------- the walk


def all_patterns():
    """(key, route, pattern) of every URL pattern; key is the namespaced name, or the
    route for an unnamed pattern."""

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                yield from walk(entry.url_patterns, route, inner)
            elif isinstance(entry, URLPattern):
                if entry.name:
                    key = f"{namespace}:{entry.name}" if namespace else entry.name
                else:
                    key = route
                yield key, route, entry

    return list(walk(get_resolver().url_patterns, "", ""))


def route_for(key: str, pattern: URLPattern) -> Route:
    if key in ROUTES:
        return ROUTES[key]
    if key in ADMIN_ROUTES:
        return ADMIN_ROUTES[key] or get_post(ADMIN_NOT_FOUND, ADMIN_NOT_FOUND, admin_kwargs)
    if key.startswith("admin:") or (not pattern.name and key.startswith("django-admin/")):
        # The models' pages, and the unnamed redirects from an object's old address.
        return get_post(ADMIN_SITE, ADMIN_SITE, admin_kwargs)
    raise KeyError(key)


def admin_kwargs(o, pattern: URLPattern) -> dict:
    """Any well-formed value: the admin refuses before it looks the object up.

    Object ids are the walk's superuser's own key, an object that exists whatever ran
    before (a user's password page answers 404 for a missing user; other models' pages
    redirect for a missing object): "1" named no user once other tests had used keys on
    PostgreSQL, whose sequences do not go back with a rolled-back transaction.
    """
    values = {}
    for name in pattern.pattern.regex.groupindex:
        if name == "app_label":
            values[name] = "places"
        elif name == "content_type_id":
            values[name] = 1
        else:
            values[name] = str(o.users["superuser"].pk)
    return values


def url_of(key: str, route: Route, pattern: URLPattern, objects) -> str:
    if route.kwargs is admin_kwargs:
        kwargs = admin_kwargs(objects, pattern)
    else:
        kwargs = route.kwargs(objects) if route.kwargs else {}
    if pattern.name:
        return reverse(key, kwargs=kwargs)
    # An unnamed pattern (the admin's catch-all): its route with the arguments filled.
    route = key.replace("$", "").replace("(?P<url>.*)", "walk")
    return "/" + route.replace("<path:object_id>", str(kwargs.get("object_id", "1")))


def _token(organisation, name, scopes, provider=None):
    raw, prefix, digest = new_token_secret()
    token = PartnerToken.objects.create(
        name=name,
        organisation=organisation,
        scopes=scopes,
        provider=provider,
        prefix=prefix,
        secret_hash=digest,
    )
    return token, raw


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Organisation A with one of everything a URL names, and organisation B for the
    "other" identities. Built once, in a transaction rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        o = SimpleNamespace()
        o.org_a = OrganisationFactory(slug="org-a", name="Organisation A")
        o.org_b = OrganisationFactory(slug="org-b", name="Organisation B")
        o.network = NetworkFactory(slug="reseau-a")
        o.place = PlaceFactory(organisation=o.org_a, slug="lieu-a", networks=[o.network])
        o.other_place = PlaceFactory(organisation=o.org_a, slug="lieu-a2")
        PlaceFactory(organisation=o.org_b, slug="lieu-b")
        users = {}
        users["outsider"] = UserFactory(username="outsider")
        for name, organisation, role in [
            ("viewer", o.org_a, Role.VIEWER),
            ("manager", o.org_a, Role.PLACE_MANAGER),
            ("manager_other", o.org_a, Role.PLACE_MANAGER),
            ("admin", o.org_a, Role.REGISTRY_ADMIN),
            ("admin_b", o.org_b, Role.REGISTRY_ADMIN),
        ]:
            users[name] = UserFactory(username=name)
            Membership.objects.create(user=users[name], organisation=organisation, role=role)
        users["superuser"] = get_user_model().objects.create_superuser(
            "superuser", "superuser@example.org", "x"
        )
        o.place.managers.add(users["manager"])
        o.other_place.managers.add(users["manager_other"])
        o.users = users
        o.viewer_membership = Membership.objects.get(user=users["viewer"])
        o.provider = ProviderFactory(slug="prestataire-a")
        provider_b = ProviderFactory(slug="prestataire-b")
        o.kind = ServiceKind.objects.get(slug="caf")
        o.offer = ServiceOfferFactory(place=o.place, provider=o.provider, kind=o.kind)
        schedule = ScheduleFactory(place=o.place)
        offer_schedule = ScheduleFactory(place=None, offer=o.offer)
        day = datetime.date(2030, 1, 2)
        o.place_exception = ScheduleException.objects.create(
            schedule=schedule, kind="closure", start_date=day, end_date=day
        )
        o.offer_exception = ScheduleException.objects.create(
            schedule=offer_schedule, kind="closure", start_date=day, end_date=day
        )
        o.space = Space.objects.create(
            place=o.place, name="Salle", kind=Space.Kind.values[0], capacity=20
        )
        # Shared with the public, with one pending request (the sharing loop's pages).
        SharingOffer.objects.create(
            space=o.space,
            rules=[{"kind": "weekly", "days": [1], "times": ["18:00-22:00"]}],
            visibility="public",
        )
        o.space_request = SpaceRequest.objects.create(
            space=o.space,
            start=datetime.datetime(2030, 1, 1, 18, tzinfo=datetime.UTC),
            end=datetime.datetime(2030, 1, 1, 20, tzinfo=datetime.UTC),
            people=4,
            purpose="Réunion",
            name="Association",
            email="asso@example.org",
        )
        o.space_request_token = bookings.request_token(o.space_request)
        o.suggestion = Suggestion.objects.create(
            kind=Suggestion.Kind.CORRECTION, place=o.place, data={"phone": "0400000000"}
        )
        o.word = NeedWord.objects.first()
        o.tokens, raws = {}, {}
        for name, scopes in [
            ("token_read", ["read"]),
            ("token_write_offers", ["write:offers"]),
            ("token_write_places", ["write:places"]),
            ("token_write_agreements", ["write:agreements"]),
        ]:
            o.tokens[name], raws[name] = _token(o.org_a, name, scopes, o.provider)
        o.tokens["token_b"], raws["token_b"] = _token(
            o.org_b,
            "token_b",
            ["read", "write:offers", "write:places", "write:agreements"],
            provider_b,
        )
        o.raw_tokens = raws
        o.webhook = WebhookSubscription.objects.create(
            token=o.tokens["token_read"], url="https://example.org/hook", events=["place.*"]
        )
        o.agreement = PlaceProviderAgreement.objects.create(place=o.place, provider=o.provider)
        o.run = ImportRun.objects.create(
            organisation=o.org_a, via=ImportRun.Via.PAGE, format="lmn", file_name="a.json"
        )
        o.duplicate = PossibleDuplicate.objects.create(
            place=o.place,
            organisation=o.org_a,
            candidate={"data": {"name": "Lieu A bis"}, "typologies": ["epn"]},
            source="lmn",
            external_id="x1",
            reason=PossibleDuplicate.Reason.NAME_NEARBY,
        )
        o.conflict = SourceConflict.objects.create(
            place=o.place,
            organisation=o.org_a,
            field="phone",
            kept_value="0400000000",
            kept_source="staff",
            other_value="0400000001",
            other_source="lmn",
            other_external_id="x1",
        )
        reminder = Reminder.objects.create(
            place=o.place, email="lieu@example.org", due_on=datetime.date.today(), status="sent"
        )
        o.reminder_token = freshness.reminder_link(reminder).rstrip("/").rsplit("/", 1)[-1]
        o.call = Call.objects.create(
            organisation=o.org_a,
            slug="appel-a",
            title="Appel A",
            text="Un appel.",
            deadline=datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC),
            status=Call.Status.OPEN,
        )
        o.submission = Submission.objects.create(
            call=o.call,
            title="Projet",
            description="Un projet.",
            contact_name="Alice",
            contact_email="alice@example.org",
        )
        o.guide = Guide.objects.create(
            slug="guide-a", title_fr="Guide A", body_fr="Texte.", published=True
        )
        invited = users["viewer"]
        o.invitation = {
            "uidb64": urlsafe_base64_encode(force_bytes(invited.pk)),
            "token": invitation_token.make_token(invited),
        }
        yield o
        transaction.set_rollback(True)


def client_for(identity: str, world) -> Client:
    client = Client(raise_request_exception=False)  # a 500 is reported as one
    if identity in world.users:
        client.force_login(world.users[identity])
    elif identity in world.raw_tokens:
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {world.raw_tokens[identity]}"
    return client


def request(client: Client, method: str, url: str):
    """One request whose writes are undone at once, so the walk's order does not matter."""
    with transaction.atomic():
        if url.startswith("/api/") and method != "GET":
            response = getattr(client, method.lower())(
                url, data=b"{}", content_type="application/json"
            )
        else:
            response = getattr(client, method.lower())(url)
        transaction.set_rollback(True)
    return response


@pytest.fixture
def roomy_limits(settings):
    """The walk sends hundreds of requests from one address."""
    settings.API_RATE_LIMITS = {"anonymous": "100000/min", "partner": "100000/min"}


def test_every_pattern_has_its_expected_answers():
    """A URL pattern nobody gave expected answers fails here (and in the walk)."""
    unknown = []
    for key, _route, pattern in all_patterns():
        try:
            route_for(key, pattern)
        except KeyError:
            unknown.append(key)
    assert not unknown, f"URL patterns without expected answers in ROUTES: {unknown}"
    stale = set(ROUTES) - {key for key, _r, _p in all_patterns()}
    assert not stale, f"ROUTES names patterns that do not exist: {stale}"


@pytest.mark.parametrize("identity", IDENTITIES)
def test_walk(identity, world, roomy_limits):
    client = client_for(identity, world)
    wrong = []
    checked = 0
    for key, _route, pattern in all_patterns():
        try:
            route = route_for(key, pattern)
        except KeyError:
            wrong.append(f"{key}: no expected answer (add it to ROUTES)")
            continue
        url = url_of(key, route, pattern, world)
        for method, rule in route.methods.items():
            if key.endswith(":logout"):  # signs the client out: use a client of its own
                got = answer(request(client_for(identity, world), method, url))
            else:
                got = answer(request(client, method, url))
            checked += 1
            if got != rule[identity]:
                wrong.append(f"{key} {method} {url}: expected {rule[identity]}, got {got}")
        if identity == "superuser":
            for method in route.refuses:
                got = answer(request(client, method, url))
                if got != NOT_ALLOWED:
                    wrong.append(f"{key} {method} {url}: expected {NOT_ALLOWED}, got {got}")
    assert not wrong, "\n".join(wrong)
    assert checked > 150


def test_a_write_without_a_declared_scope_is_refused(world, roomy_limits):
    """Default deny: a view that accepts a write but declares no `write_scope` refuses it,
    even to a token holding every scope."""
    from rest_framework.test import APIRequestFactory

    from api.views.base import ApiViewSet

    class Forgetful(ApiViewSet):
        def create(self, request, *args, **kwargs):  # pragma: no cover - must not run
            raise AssertionError("the write went through")

    view = Forgetful.as_view({"post": "create"})
    raw = world.raw_tokens["token_b"]
    response = view(APIRequestFactory().post("/x/", {}, HTTP_AUTHORIZATION=f"Bearer {raw}"))
    assert response.status_code == 403
    assert response.data["error"]["code"] == "no_write_scope"
