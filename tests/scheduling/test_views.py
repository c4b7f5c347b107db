"""The schedule editor pages: rights, the France Services example end to end, bad input."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from scheduling import actions, selectors
from scheduling.materialise import default_window, local_zone
from scheduling.models import CalendarWindow, OpeningInterval, Schedule
from tests.factories import ServiceOfferFactory

MON_FRI = {"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["09:00-12:00", "14:00-17:00"]}


@pytest.fixture
def english(settings):
    """For assertions on the English source wording (French is the default language)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def window(db):
    """The default window around today: the editor previews from today."""
    start, end = default_window()
    return CalendarWindow.objects.create(pk=1, start=start, end=end, build_end=end)


@pytest.fixture
def place(window, managed_place):
    return managed_place


def _url(place, offer=None, name="hours"):
    if offer is not None:
        return reverse(f"scheduling:offer_{name}", args=[place.public_id, offer.pk])
    return reverse(f"scheduling:place_{name}", args=[place.public_id])


def _grid(version=0, total_rows=1, **days) -> dict:
    """POST data of the rules editor: `days` maps day_0..day_6 to range texts."""
    data = {
        "editor": "rules",
        "op": "save",
        "hours-version": str(version),
        "hours-public_holidays": "closed",
        "hours-holiday_times": "",
        "hours-holiday_zone": "",
        "rules-TOTAL_FORMS": str(total_rows),
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
    }
    for index in range(total_rows):
        data[f"rules-{index}-kind"] = "weekly"
        data[f"rules-{index}-season"] = "always"
    data.update({f"grid-{key}": value for key, value in days.items()})
    return data


def _rows(place) -> int:
    return OpeningInterval.objects.filter(place=place).count()


def _next(weekday: int, hour: int, after: datetime.date | None = None) -> datetime.datetime:
    """The next local `weekday` at `hour` at least two days ahead, avoiding public holidays."""
    from scheduling.calendars import is_public_holiday

    day = (after or datetime.date.today()) + datetime.timedelta(days=2)
    while day.weekday() != weekday or is_public_holiday(day, "69"):
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour), local_zone())


def _first_thursday_after(day: datetime.date) -> datetime.date:
    from scheduling.calendars import is_public_holiday

    day += datetime.timedelta(days=1)
    while not (day.weekday() == 3 and day.day <= 7 and not is_public_holiday(day, "69")):
        day += datetime.timedelta(days=1)
    return day


# ------------------------------------------------------------------------------ rights


def test_who_sees_what(place, admin_client_, manager_client, viewer_client, outsider_client):
    url = _url(place)
    for client in (admin_client_, manager_client):
        page = client.get(url)
        assert page.status_code == 200
        assert b'id="rules-form"' in page.content and b'id="osm-form"' in page.content
    page = viewer_client.get(url)
    assert page.status_code == 200
    assert b'id="rules-form"' not in page.content  # read-only
    assert viewer_client.get(_url(place, name="ics")).status_code == 200
    assert viewer_client.post(url, _grid(day_0="09:00-12:00")).status_code == 403
    assert not Schedule.objects.exists()
    assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(url, _grid(day_0="09:00-12:00")).status_code == 404
    assert outsider_client.get(_url(place, name="ics")).status_code == 404
    check = reverse("scheduling:osm_check", args=[place.public_id])
    assert outsider_client.get(check, {"text": "24/7"}).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/manage/login/" in anonymous["Location"]


def test_place_manager_of_another_place_reads_only(window, organisation, manager_client):
    from tests.factories import PlaceFactory

    other = PlaceFactory(organisation=organisation)
    assert manager_client.get(_url(other)).status_code == 200
    assert manager_client.post(_url(other), _grid(day_0="09:00-12:00")).status_code == 403


def test_editor_linked_from_place_and_offer_list(place, admin_client_):
    offer = ServiceOfferFactory(place=place)
    detail = admin_client_.get(reverse("manage:place_detail", args=[place.public_id]))
    assert _url(place).encode() in detail.content
    offers = admin_client_.get(reverse("services:offer_list", args=[place.public_id]))
    assert _url(place, offer).encode() in offers.content


# -------------------------------------------------------------------- the "Done when"


def test_france_services_example_described_previewed_exported(place, admin_client_):
    """Mo–Fr 9–12/14–17, a CAF advisor on Tuesday mornings, the tax office every first
    Thursday: typed in the browser, previewed in French, exported as OSM and iCal."""
    client = admin_client_
    client.cookies["django_language"] = "fr"
    week = {f"day_{d}": "09:00-12:00, 14:00-17:00" for d in range(5)}

    preview = client.post(_url(place), {**_grid(**week), "op": "preview"})
    assert preview.status_code == 200
    assert not Schedule.objects.exists() and _rows(place) == 0  # nothing saved
    html = preview.content.decode()
    section = html[html.index('id="preview"') : html.index('id="current-heading"')]
    assert '<html lang="fr">' in html
    assert "mardi" in section.lower() and "samedi" in section.lower()  # French day names
    assert "9 h – 12 h, 14 h – 17 h" in section
    assert section.count("9 h – 12 h, 14 h – 17 h") >= 8  # ten weekdays, minus holidays

    saved = client.post(_url(place), _grid(**week))
    assert saved.status_code == 302
    schedule = Schedule.objects.get(place=place)
    assert schedule.rules == [MON_FRI]
    tuesday = _next(1, 10)
    assert selectors.is_open(place, tuesday)
    assert not selectors.is_open(place, tuesday.replace(hour=13))

    caf = ServiceOfferFactory(place=place, kind=_kind("caf"))
    tax = ServiceOfferFactory(place=place, kind=_kind("impots"))
    assert client.post(_url(place, caf), _grid(day_1="09:00-12:00")).status_code == 302
    first_thursday = {
        "rules-0-kind": "nth_weekday",
        "rules-0-days": ["3"],
        "rules-0-nth": ["1"],
        "rules-0-times": "09:00-12:00, 14:00-17:00",
    }
    assert client.post(_url(place, tax), {**_grid(), **first_thursday}).status_code == 302
    assert selectors.is_open(caf, tuesday)
    assert not selectors.is_open(caf, tuesday.replace(hour=15))
    thursday = _first_thursday_after(datetime.date.today())
    at = datetime.datetime.combine(thursday, datetime.time(10), local_zone())
    if at.date() < CalendarWindow.objects.get().end:
        assert selectors.is_open(tax, at)
        assert not selectors.is_open(tax, at + datetime.timedelta(days=7))

    # Exports: OSM text on the page, iCal files for the place and each offer.
    page = client.get(_url(place))
    assert "Mo-Fr 09:00-12:00,14:00-17:00; PH off" in page.content.decode()
    assert _url(place, caf, "ics").encode() in page.content
    tax_page = client.get(_url(place, tax)).content.decode()
    assert "Th[1] 09:00-12:00,14:00-17:00; PH off" in tax_page
    assert "1er" in tax_page or "1st" in tax_page  # the usual week names the first Thursday
    ics = client.get(_url(place, name="ics"))
    assert ics["Content-Type"].startswith("text/calendar")
    assert "attachment" in ics["Content-Disposition"]
    text = ics.content.decode()
    assert "RRULE:FREQ=WEEKLY" in text and "BYDAY=MO,TU,WE,TH,FR" in text
    assert "BYDAY=TU" in client.get(_url(place, caf, "ics")).content.decode()
    assert "BYDAY=1TH" in client.get(_url(place, tax, "ics")).content.decode()


def _kind(slug):
    from services.models import ServiceKind

    return ServiceKind.objects.get(slug=slug)


def test_preview_reads_like_week_timetable(place, admin_client_):
    """The editor's usual week uses the wording of selectors.week_timetable."""
    actions.schedule_set_rules(user=None, place=place, rules=[MON_FRI])
    page = admin_client_.get(_url(place)).content.decode()
    for day in selectors.week_timetable(place)["days"]:
        for line in day["lines"]:
            assert line in page


@pytest.mark.usefixtures("english")
def test_not_representable_in_osm_says_why(place, admin_client_):
    actions.schedule_set_rules(
        user=None,
        place=place,
        rules=[
            {
                "kind": "every_n_weeks",
                "days": [5],
                "times": ["14:00-18:00"],
                "interval": 2,
                "anchor": "2025-01-04",
            }
        ],
    )
    page = admin_client_.get(_url(place)).content.decode()
    assert "No exact OSM form" in page and "2" in page


# ------------------------------------------------------------------------- bad input


@pytest.fixture
def saved(place):
    actions.schedule_set_rules(user=None, place=place, rules=[MON_FRI])
    return Schedule.objects.get(place=place)


def _assert_error_linked(html: str, field_id: str, text: str) -> None:
    """The message is listed under the field, and the field points at it (aria)."""
    errors_id = f"{field_id}_errors"
    block = re.search(rf'<ul class="errorlist" id="{errors_id}">(.*?)</ul>', html, re.S)
    assert block, f"no error list for {field_id}"
    assert text in block.group(1)
    assert re.search(rf'aria-describedby="[^"]*{errors_id}', html)


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    "data,field_id,message",
    [
        (  # overlapping ranges, on the Monday of the grid
            {"grid-day_0": "09:00-12:00, 11:00-13:00"},
            "id_grid-day_0",
            "overlap",
        ),
        (  # inverted dates in a rule row
            {
                "rules-0-kind": "dates",
                "rules-0-start_date": "2026-12-10",
                "rules-0-end_date": "2026-12-01",
                "rules-0-times": "09:00-12:00",
            },
            "id_rules-0-end_date",
            "before the start date",
        ),
        (  # a rule with no day
            {"rules-0-kind": "weekly", "rules-0-times": "09:00-12:00"},
            "id_rules-0-days",
            "at least one day",
        ),
        (  # an impossible time
            {"grid-day_2": "9h-12h"},
            "id_grid-day_2",
            "is not a time range",
        ),
    ],
)
def test_bad_rules_shown_where_entered_and_calendar_unchanged(
    saved, place, admin_client_, data, field_id, message
):
    before, version = _rows(place), saved.version
    post = {**_grid(version=version, day_0="09:00-12:00"), **data}
    response = admin_client_.post(_url(place), post)
    assert response.status_code == 400
    html = response.content.decode()
    _assert_error_linked(html, field_id, message)
    assert _rows(place) == before
    assert Schedule.objects.get(pk=saved.pk).version == version
    # Nothing was lost: the person's input is still in the form.
    for key, value in data.items():
        if key.endswith(("times", "day_0", "day_2", "date")):
            assert value in html


def test_malformed_osm_names_the_faulty_part(saved, place, admin_client_):
    before = _rows(place)
    response = admin_client_.post(
        _url(place),
        {
            "editor": "osm",
            "op": "save",
            "osm-version": saved.version,
            "osm-osm_source": "Mo-Fr 09:00-12:00; Sa 10:00-1",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    _assert_error_linked(html, "id_osm-osm_source", "position")
    assert _rows(place) == before and Schedule.objects.get(pk=saved.pk).mode == "rules"


@pytest.mark.usefixtures("english")
def test_exception_outside_validity_refused_on_its_field(place, admin_client_):
    summer = {
        "kind": "weekly",
        "days": [5, 6],
        "times": ["10:00-19:00"],
        "yearly_from": "04-01",
        "yearly_to": "04-30",
    }
    schedule = actions.schedule_set_rules(user=None, place=place, rules=[summer])
    before = _rows(place)
    day = datetime.date.today() + datetime.timedelta(days=3)
    if day.month == 4:
        day += datetime.timedelta(days=40)
    response = admin_client_.post(
        _url(place, name="exception_add"),
        {
            "exception-version": schedule.version,
            "exception-kind": "closure",
            "exception-start_date": day.isoformat(),
            "exception-title": "Fermé exceptionnellement : inventaire",
        },
    )
    assert response.status_code == 400
    _assert_error_linked(response.content.decode(), "id_exception-start_date", "validity")
    assert _rows(place) == before and not schedule.exceptions.exists()


@pytest.mark.usefixtures("english")
def test_stale_version_keeps_input_and_says_so(saved, place, admin_client_):
    actions.schedule_set_rules(user=None, place=place, rules=[MON_FRI], expected_version=1)
    response = admin_client_.post(_url(place), _grid(version=1, day_5="10:00-12:00"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by someone else" in html and 'value="10:00-12:00"' in html
    assert 'name="hours-version" value="2"' in html
    # Saving again now applies the person's input on purpose.
    assert admin_client_.post(_url(place), _grid(version=2, day_5="10:00-12:00")).status_code == 302
    assert Schedule.objects.get(place=place).rules[0]["days"] == [5]


def test_hours_posted_without_their_version_are_refused(saved, place, admin_client_, english):
    data = _grid(day_5="10:00-12:00")
    data.pop("hours-version")
    response = admin_client_.post(_url(place), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "does not say which version you started from" in html
    assert 'value="10:00-12:00"' in html  # the input is kept
    assert Schedule.objects.get(place=place).version == saved.version


def test_add_another_rule_without_javascript(place, admin_client_):
    response = admin_client_.post(_url(place), {**_grid(day_0="09:00-12:00"), "op": "add_rule"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="rules-1-kind"' in html and 'value="09:00-12:00"' in html
    assert not Schedule.objects.exists()


def test_exceptions_added_previewed_and_removed(saved, place, admin_client_):
    tuesday = _next(1, 10)
    response = admin_client_.post(
        _url(place, name="exception_add"),
        {
            "exception-version": saved.version,
            "exception-kind": "closure",
            "exception-start_date": tuesday.date().isoformat(),
            "exception-title": "Fermé exceptionnellement : inventaire",
        },
    )
    assert response.status_code == 302
    assert not selectors.is_open(place, tuesday)
    page = admin_client_.get(_url(place)).content.decode()
    assert "Fermé exceptionnellement : inventaire" in page
    exception = saved.exceptions.get()
    version = Schedule.objects.get(pk=saved.pk).version
    removed = admin_client_.post(
        reverse("scheduling:place_exception_remove", args=[place.public_id, exception.pk]),
        {"version": version},
    )
    assert removed.status_code == 302
    assert selectors.is_open(place, tuesday)


def test_osm_text_saved_and_live_check(place, admin_client_):
    check = reverse("scheduling:osm_check", args=[place.public_id])
    good = admin_client_.get(check, {"text": "Mo-Fr 09:00-12:00; PH off"}).json()
    assert good["valid"] and good["mode"] == "rules"
    bad = admin_client_.get(check, {"text": "Mo-Fr 09:00-12:00; Sa 10:00-1"}).json()
    assert not bad["valid"] and "position" in bad["errors"][0]
    response = admin_client_.post(
        _url(place),
        {"editor": "osm", "op": "save", "osm-version": "0", "osm-osm_source": "Mo-Fr 09:00-12:00"},
    )
    assert response.status_code == 302
    assert selectors.is_open(place, _next(0, 10))


def test_osm_preview_writes_nothing(place, admin_client_):
    response = admin_client_.post(
        _url(place),
        {"editor": "osm", "op": "preview", "osm-version": "0", "osm-osm_source": "Sa 10:00-12:00"},
    )
    assert response.status_code == 200
    assert "10 h – 12 h" in response.content.decode()
    assert not Schedule.objects.exists() and _rows(place) == 0


# ---------------------------------------------------------------------- query count


def test_editor_page_query_count_is_constant(
    saved, place, admin_client_, django_assert_num_queries
):
    def load():
        # 1 session, 2 user, 3 the person's roles (memberships), 4 the place with its
        # organisation, 5 the schedule, 6 its exceptions (prefetched), 7 the count of
        # pending suggestions in the staff menu, 8 the place's offers with their kind,
        # category, provider and schedule.
        with django_assert_num_queries(8):
            assert admin_client_.get(_url(place)).status_code == 200

    load()
    for index in range(3):
        offer = ServiceOfferFactory(place=place)
        actions.schedule_set_rules(user=None, offer=offer, rules=[MON_FRI])
        actions.exception_add(
            user=None,
            schedule=Schedule.objects.get(pk=saved.pk),
            kind="event",
            start_date=datetime.date.today() + datetime.timedelta(days=index + 2),
            start_time=datetime.time(18),
            end_time=datetime.time(20),
            title=f"Atelier {index}",
        )
    load()
