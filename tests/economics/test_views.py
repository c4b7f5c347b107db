"""Staff pages, the public listing and the API: rights, visibility, the admin's whole flow."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from api.auth import new_token_secret
from api.models import PartnerToken
from economics import actions
from economics.models import BudgetLine
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


def _pages(place, space):
    pid = place.public_id
    return [
        reverse("economics:place", args=[pid]),
        reverse("economics:budget_edit", args=[pid, 2025, "actual"]),
        reverse("economics:import", args=[pid, "budget"]),
        reverse("economics:attendance_add", args=[pid]),
        reverse("economics:space_create", args=[pid]),
        reverse("economics:space_edit", args=[pid, space.pk]),
        reverse("economics:sharing_edit", args=[pid, space.pk]),
    ]


def test_outsider_and_anonymous_are_refused_everywhere(fablab, meeting_room, outsider_client):
    for url in _pages(fablab, meeting_room):
        assert outsider_client.get(url).status_code == 404, url
        assert Client().get(url).status_code == 302, url
    # the dashboard shows nothing of our places to an outsider
    response = outsider_client.get(reverse("economics:dashboard"))
    assert response.status_code == 200 and fablab.name not in response.content.decode()
    assert Client().get(reverse("economics:dashboard")).status_code == 302
    assert Client().get(reverse("coverage:study")).status_code == 302


def test_viewer_reads_but_does_not_write(fablab, meeting_room, viewer_client):
    pages = _pages(fablab, meeting_room)
    response = viewer_client.get(pages[0])
    assert response.status_code == 200
    assert "Edit the actual budget" not in response.content.decode()
    for url in pages[1:]:
        assert viewer_client.get(url).status_code == 403, url
    post = viewer_client.post(pages[1], {"form-TOTAL_FORMS": "0", "form-INITIAL_FORMS": "0"})
    assert post.status_code == 403


def _budget_post(lines, version=0):
    data = {
        "form-TOTAL_FORMS": str(len(lines)),
        "form-INITIAL_FORMS": "0",
        "version": str(version),
    }
    for i, line in enumerate(lines):
        for key, value in {"visibility": "staff", **line}.items():
            data[f"form-{i}-{key}"] = value
    return data


def test_admin_enters_budget_and_attendance_then_reads_indicators_and_alerts(
    fablab, meeting_room, admin_client_, open_all_october
):
    pid = fablab.public_id
    peer = PlaceFactory(organisation=fablab.organisation, typologies=["fablab"])
    BudgetLine.objects.create(
        place=peer, year=2025, direction="cost", category="staff", amount=D("50000")
    )
    BudgetLine.objects.create(
        place=peer, year=2025, direction="revenue", category="training", amount=D("52000")
    )
    for year, revenue in ((2024, "80000"), (2025, "90000")):
        response = admin_client_.post(
            reverse("economics:budget_edit", args=[pid, year, "actual"]),
            _budget_post(
                [
                    {"direction": "cost", "category": "staff", "amount": "100000"},
                    {
                        "direction": "revenue",
                        "category": "subsidy_region",
                        "amount": revenue,
                        "funder": "organisation:ville-de-lyon",
                    },
                ]
            ),
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    bad = admin_client_.post(
        reverse("economics:budget_edit", args=[pid, 2025, "actual"]),
        _budget_post([{"direction": "cost", "category": "training", "amount": "5"}], version=1),
    )
    assert bad.status_code == 400 and "is not a cost category" in bad.content.decode()
    response = admin_client_.post(
        reverse("economics:attendance_add", args=[pid]),
        {
            "date": "2025-10-06",
            "space": meeting_room.pk,
            "slot_start": "09:00",
            "slot_end": "11:00",
            "visits": "3",
            "uses": "3",
        },
    )
    assert response.status_code == 302
    page = admin_client_.get(reverse("economics:place", args=[pid]) + "?year=2025&month=2025-10")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Deficit two years running" in html
    assert "brings 100 % of the revenues" in html
    assert "Occupancy is 0 %, under 30 %" in html
    assert "total revenues − total costs" in html  # formula shown next to the value
    assert "2 places of the same typology" in html
    assert 'role="img"' in html and "<desc" in html and "<caption" in html
    export = admin_client_.get(reverse("economics:place", args=[pid]) + "?year=2025&export=budget")
    assert export["Content-Type"].startswith("text/csv")
    assert "subsidy_region,90000.00,organisation:ville-de-lyon" in export.content.decode()


def test_csv_upload_error_page(fablab, admin_client_):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "b.csv", b'year,scenario,direction,category,amount\n2024,actual,cost,staff,"10,5"\n'
    )
    response = admin_client_.post(
        reverse("economics:import", args=[fablab.public_id, "budget"]), {"file": upload}
    )
    assert response.status_code == 400
    assert "Row 2: amount “10,5” uses a decimal comma" in response.content.decode()
    assert not BudgetLine.objects.exists()


def _share(space, user, visibility):
    return actions.sharing_offer_set(
        user=user,
        space=space,
        rules=[{"kind": "weekly", "days": [1, 3], "times": ["18:00-22:00"]}],
        data={"terms": "per_hour", "price": D("12.50"), "visibility": visibility},
        expected_version=None,
    )


def test_meeting_room_published_then_found_at_the_right_hours(
    fablab, meeting_room, admin_client_, open_all_october
):
    response = admin_client_.post(
        reverse("economics:sharing_edit", args=[fablab.public_id, meeting_room.pk]),
        {
            "days": ["1", "3"],
            "times": "18:00-22:00",
            "terms": "per_hour",
            "price": "12.50",
            "audiences": ["associations"],
            "visibility": "public",
            "active": "on",
            "public_holidays_closed": "on",
            "version": "0",
        },
    )
    assert response.status_code == 302
    url = reverse("directory:shared_spaces")
    # Tuesday 14 October 2025 at 19:00: shared (even though the place is closed that day
    # for inventory: sharing times are the offer's own).
    html = Client().get(url, {"day": "2025-10-14", "time": "19:00"}).content.decode()
    assert "Salle Ada" in html and "Associations" in html
    assert "12,50" in html or "12.50" in html  # localised in French
    # Tuesday at 10:00 and Monday at 19:00: not shared
    assert (
        "Salle Ada"
        not in Client().get(url, {"day": "2025-10-14", "time": "10:00"}).content.decode()
    )
    assert (
        "Salle Ada"
        not in Client().get(url, {"day": "2025-10-13", "time": "19:00"}).content.decode()
    )
    # filters: kind, capacity, near a point
    assert (
        "Salle Ada" in Client().get(url, {"kind": "meeting_room", "capacity": "2"}).content.decode()
    )
    assert "Salle Ada" not in Client().get(url, {"capacity": "3"}).content.decode()
    near = Client().get(url, {"lat": "45.76", "lon": "4.86", "radius_km": "5"}).content.decode()
    assert "Salle Ada" in near and "km away" in near
    assert "Salle Ada" not in Client().get(url, {"lat": "48.85", "lon": "2.35"}).content.decode()
    assert Client().get(url, {"day": "tomorrow"}).status_code == 400
    # the place's calendar did not change: sharing never makes the place look open
    from scheduling.models import Schedule

    assert Schedule.objects.filter(place=fablab).count() == 1


def test_visibility_per_audience_on_listing_and_api(fablab, meeting_room, registry_admin):
    partners_room = actions.space_create(
        user=registry_admin,
        place=fablab,
        data={"name": "Atelier bois", "kind": "workshop", "capacity": 6},
    )
    staff_room = actions.space_create(
        user=registry_admin, place=fablab, data={"name": "Bureau 3", "kind": "desk", "capacity": 1}
    )
    _share(meeting_room, registry_admin, "public")
    _share(partners_room, registry_admin, "partners")
    _share(staff_room, registry_admin, "staff")
    listing = Client().get(reverse("directory:shared_spaces")).content.decode()
    assert "Salle Ada" in listing and "Atelier bois" not in listing and "Bureau 3" not in listing

    api = reverse("api:shared_spaces")
    anonymous = Client().get(api).json()
    assert anonymous["audience"] == "public"
    assert [r["name"] for r in anonymous["results"]] == ["Salle Ada"]
    raw, prefix, digest = new_token_secret()
    PartnerToken.objects.create(
        name="Réseau",
        organisation=fablab.organisation,
        scopes=["read"],
        prefix=prefix,
        secret_hash=digest,
    )
    partner = Client().get(api, HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert partner["audience"] == "partners"
    assert sorted(r["name"] for r in partner["results"]) == ["Atelier bois", "Salle Ada"]
    assert partner["results"][0]["place"]["name"] == fablab.name
    refused = Client().get(api, {"kind": "spaceship"})
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "invalid_parameter" and "kind" in error["fields"]


def test_budget_visibility_per_audience(fablab, registry_admin):
    from economics import selectors

    actions.budget_set(
        user=registry_admin,
        place=fablab,
        year=2025,
        scenario="actual",
        lines=[
            {"direction": "cost", "category": "staff", "amount": D("100"), "visibility": "public"},
            {"direction": "cost", "category": "it", "amount": D("10"), "visibility": "partners"},
            {"direction": "cost", "category": "energy", "amount": D("1"), "visibility": "staff"},
        ],
    )
    costs = {
        audience: selectors.place_economics(fablab, 2025, audience=audience)
        .indicators["total_costs"]
        .value
        for audience in ("public", "partners", "staff")
    }
    assert costs == {"public": D("100"), "partners": D("110"), "staff": D("111")}


def _dashboard_queries(client):
    # The connection's query log is bounded: empty it so that the count is this request's.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("economics:dashboard"), {"year": 2025}).status_code == 200
    return len(ctx.captured_queries)


def _place_with_budget(organisation, n):
    place = PlaceFactory(organisation=organisation, typologies=["coworking"], commune=f"C{n}")
    BudgetLine.objects.create(
        place=place, year=2025, direction="cost", category="staff", amount=D(100)
    )
    BudgetLine.objects.create(
        place=place, year=2025, direction="revenue", category="space_rental", amount=D(120)
    )
    return place


def test_dashboard_query_count_is_constant(organisation, admin_client_, window):
    for n in range(2):
        _place_with_budget(organisation, n)
    few = _dashboard_queries(admin_client_)
    for n in range(2, 12):
        _place_with_budget(organisation, n)
    many = _dashboard_queries(admin_client_)
    # session + user + roles, then: places, typologies, budget lines, visits, occupancy,
    # balances over years, heat-map month — the same whatever the number of places.
    assert few == many
    assert 8 < many <= 14  # the dashboard's own 8 queries were counted
    html = admin_client_.get(reverse("economics:dashboard"), {"year": 2025}).content.decode()
    assert "Coworking" in html and "Revenue mix by typology" in html
    csv = admin_client_.get(reverse("economics:dashboard"), {"year": 2025, "export": "typology"})
    # 12 places × (cost 100, rental 120): balance 240, median balance 20, self-financing 1.2
    assert "Coworking,12,12,1200.00,1440.00,240.00,20.00,1.2000,0.0000," in csv.content.decode()


def test_coverage_shows_the_farthest_communes_first(organisation, admin_client_, window):
    from services.models import ServiceKind
    from tests.factories import ServiceOfferFactory

    kind = ServiceKind.objects.get(slug="caf")
    lyon = PlaceFactory(organisation=organisation, commune="Lyon", insee_code="69123")
    ServiceOfferFactory(place=lyon, kind=kind)
    PlaceFactory(
        organisation=organisation,
        commune="Villefranche-sur-Saône",
        insee_code="69264",
        latitude=D("45.99"),
        longitude=D("4.72"),
    )
    response = admin_client_.get(reverse("coverage:study"), {"kind": "caf"})
    rows = response.context["result"]["rows"]
    assert [r["commune"].name for r in rows] == ["Villefranche-sur-Saône", "Lyon"]
    # haversine Lyon (45.76, 4.85) -> (45.99, 4.72): about 27.7 km
    assert D("27") < rows[0]["nearest_km"] < D("28.5")
    assert rows[1]["nearest_km"] == 0 and rows[1]["places_within"] == 1
    # a file adds communes with no place at all
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "c.csv",
        b"insee_code,name,population,latitude,longitude\n01053,Bourg-en-Bresse,41000,46.205,5.225\n",
    )
    response = admin_client_.post(reverse("coverage:study"), {"kind": "caf", "file": upload})
    first = response.context["result"]["rows"][0]
    assert first["commune"].name == "Bourg-en-Bresse" and first["nearest_km"] > 50
    assert 'role="img"' in response.content.decode()
    export = admin_client_.get(reverse("coverage:study"), {"kind": "caf", "export": "csv"})
    lines = export.content.decode().splitlines()
    assert lines[0].startswith("\ufeffinsee_code,commune") and lines[1].startswith("69264,")


def test_a_second_count_for_the_same_slot_is_never_a_silent_overwrite(
    fablab, meeting_room, admin_client_
):
    from economics.models import Attendance
    from places.models import ChangeRecord

    url = reverse("economics:attendance_add", args=[fablab.public_id])
    first = {
        "date": "2025-10-06",
        "space": meeting_room.pk,
        "slot_start": "09:00",
        "slot_end": "11:00",
        "visits": "3",
        "uses": "3",
    }
    assert admin_client_.post(url, first).status_code == 302
    # A colleague types other figures for the same day and slot: refused, input kept,
    # the recorded count named, nothing changed.
    second = {**first, "visits": "8", "uses": "5"}
    refused = admin_client_.post(url, second)
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "A count is already recorded for this day and slot (3 visits, 3 uses)" in html
    assert 'name="visits" value="8"' in html
    assert list(Attendance.objects.values_list("visits", "uses")) == [(3, 3)]
    # Confirmed: replaced, and the history says a count was replaced.
    assert admin_client_.post(url, {**second, "replace": "on"}).status_code == 302
    assert list(Attendance.objects.values_list("visits", "uses")) == [(8, 5)]
    last = ChangeRecord.objects.filter(target="attendance:2025-10").latest("pk")
    assert last.changes["replaced"] == [1, 0]
