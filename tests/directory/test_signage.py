"""A place's printable sheet and door poster (HTML and PDF), its QR code, and the share links.

"Now" is frozen on Tuesday 15 December 2026, 10:30 (Paris): the coming week runs to Monday
21 December, with a closure on Thursday 17 for staff training. The PDFs are read back with
pypdf and their QR codes decoded with zxing-cpp; the SVG QR codes are drawn back into an
image from their path and decoded the same way.
"""

from __future__ import annotations

import datetime
import io
import re
import zoneinfo
from decimal import Decimal
from xml.etree import ElementTree

import pypdf
import pytest
import zxingcpp
from django.test import Client
from PIL import Image, ImageDraw

from directory.signage_pdf import pdf_text
from economics import actions as economics_actions
from places.models import PlaceSlugAlias
from scheduling import actions as scheduling_actions
from scheduling import status
from scheduling.models import CalendarWindow, Schedule
from services.models import Provider
from tests.directory.conftest import MON_FRI, _kind, make_place
from tests.factories import PlaceFactory, ServiceOfferFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2026, 12, 15, 10, 30, tzinfo=PARIS)  # a Tuesday
SLUG = "bibliotheque-oeuvre"
# A name with the characters the PDF's core font must still draw: œ, ’ and accents.
NAME = "Bibliothèque de l’Œuvre Saint-Éloi"
PAGE_URL = f"http://testserver/lieux/{SLUG}/"
TUESDAY_MORNING = {"kind": "weekly", "days": [1], "times": ["09:00-12:00"]}


@pytest.fixture
def place(db, monkeypatch, registry_admin, organisation):
    CalendarWindow.objects.create(
        pk=1,
        start=datetime.date(2026, 12, 1),
        end=datetime.date(2027, 2, 1),
        build_end=datetime.date(2027, 2, 1),
    )
    monkeypatch.setattr(status, "clock", lambda: NOW)
    place = make_place(
        registry_admin,
        name=NAME,
        slug=SLUG,
        organisation=organisation,
        hours=(MON_FRI,),
        address="12 place de la Croix-Rousse",
        postcode="69004",
        commune="Lyon",
        insee_code="69123",
        phone="04 78 00 00 00",
        email="accueil@bibliotheque.example.org",
        wheelchair="yes",
        accessibility_notes="Boucle magnétique à l’accueil",
    )
    scheduling_actions.exception_add(
        user=registry_admin,
        schedule=Schedule.objects.get(place=place),
        kind="closure",
        start_date=datetime.date(2026, 12, 17),
        title="Formation de l’équipe",
    )
    caf = ServiceOfferFactory(
        place=place, kind=_kind("caf"), provider=Provider.objects.get(slug="caf")
    )
    scheduling_actions.schedule_set_rules(user=registry_admin, offer=caf, rules=[TUESDAY_MORNING])
    ServiceOfferFactory(place=place, kind=_kind("impression-numerisation"))
    return place


# -- reading the files back ----------------------------------------------------------------


def pdf_pages(content: bytes) -> list[pypdf.PageObject]:
    return list(pypdf.PdfReader(io.BytesIO(content)).pages)


def pdf_text_of(content: bytes) -> str:
    """The PDF's text, with runs of spaces (the table's columns) made single spaces."""
    text = "\n".join(page.extract_text() for page in pdf_pages(content))
    return re.sub(r"[ \u00a0]+", " ", text)


def font_size(content: bytes, words: str) -> float:
    """The largest font size in which the first page draws text containing `words`."""
    sizes = [0.0]

    def visit(text, _cm, _tm, _font, size):
        if words in text:
            sizes.append(size)

    pdf_pages(content)[0].extract_text(visitor_text=visit)
    return max(sizes)


def decode(image: Image.Image) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(image.convert("L"))]


def pdf_qr_codes(content: bytes) -> list[str]:
    images = [image.image for page in pdf_pages(content) for image in page.images]
    return [text for image in images for text in decode(image)]


def svg_qr_codes(svg: str) -> list[str]:
    """Draw the SVG's modules back (segno writes each row's dark runs as `h` strokes of one
    unit at y + 0.5) and decode the image."""
    root = ElementTree.fromstring(svg)
    strokes = [el for el in root.iter() if el.tag.endswith("path") and el.get("stroke")]
    assert len(strokes) == 1, svg[:300]
    scale = int(re.search(r"scale\((\d+)\)", svg).group(1))
    if root.get("viewBox"):
        size = int(float(root.get("viewBox").split()[2])) // scale
    else:
        size = int(root.get("width")) // scale
    path = strokes[0]
    dark = set()
    x = y = 0.0
    for command, args in re.findall(r"([MmHh])([-\d. ]+)", path.get("d").replace(",", " ")):
        numbers = [float(n) for n in args.split()]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:  # h
            for k in range(int(numbers[0])):
                dark.add((int(x) + k, int(y)))
            x += numbers[0]
    module = 8
    image = Image.new("L", (size * module, size * module), 255)
    draw = ImageDraw.Draw(image)
    for mx, my in dark:
        draw.rectangle(
            (mx * module, my * module, (mx + 1) * module - 1, (my + 1) * module - 1), fill=0
        )
    return decode(image)


# -- the PDFs ------------------------------------------------------------------------------


def test_the_sheet_pdf_has_the_weeks_hours_per_service_and_a_qr_code_to_the_page(place):
    response = Client().get(f"/lieux/{SLUG}/fiche.pdf?lang=fr")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{SLUG}-fiche-fr.pdf"' in response["Content-Disposition"]
    text = pdf_text_of(response.content)
    # The name, with œ and ’, survives the core font's encoding.
    assert NAME in text
    assert "12 place de la Croix-Rousse" in text and "69004 Lyon" in text
    assert "Horaires du mardi 15 décembre au lundi 21 décembre 2026" in text
    assert "Mardi 15 décembre 9 h – 12 h, 14 h – 17 h" in text
    assert "Jeudi 17 décembre Fermé : Formation de l’équipe" in text
    assert "Samedi 19 décembre Fermé" in text
    assert "Lundi 21 décembre 9 h – 12 h, 14 h – 17 h" in text
    assert "22 décembre" not in text.split("Imprimé le")[0]  # one week only
    # The CAF desk's own week (Tuesday mornings), and the service that follows the place.
    caf = text.split("Prestations familiales et sociales (CAF)\n")[1].split("Services pendant")[0]
    assert caf.startswith("Jour Horaires\nMardi 15 décembre 9 h – 12 h\nMercredi 16 décembre Fermé")
    assert "Services pendant les horaires d’ouverture\nImpression et numérisation" in text
    assert "Téléphone : 04 78 00 00 00" in text
    assert "E-mail : accueil@bibliotheque.example.org" in text
    assert "Accessibilité" in text and "Boucle magnétique à l’accueil" in text
    assert PAGE_URL in text
    assert pdf_qr_codes(response.content) == [PAGE_URL]
    assert pypdf.PdfReader(io.BytesIO(response.content)).metadata.title.startswith(NAME)


def test_the_sheet_pdf_in_english(place):
    response = Client().get(f"/lieux/{SLUG}/fiche.pdf?lang=en")
    assert response.status_code == 200
    text = pdf_text_of(response.content)
    assert "Opening hours from Tuesday 15 December to Monday 21 December 2026" in text
    assert "Tuesday 15 December 9 h – 12 h, 14 h – 17 h" in text
    assert "Thursday 17 December Closed: Formation de l’équipe" in text
    assert "Family and social benefits (CAF)\nDay Hours\nTuesday 15 December 9 h – 12 h" in text
    assert "Phone: 04 78 00 00 00" in text and "Wheelchair access: Yes" in text
    assert pdf_qr_codes(response.content) == [PAGE_URL]


def test_the_poster_is_the_same_week_in_large_type(place):
    poster = Client().get(f"/lieux/{SLUG}/affiche.pdf?lang=fr")
    sheet = Client().get(f"/lieux/{SLUG}/fiche.pdf?lang=fr")
    assert poster.status_code == 200
    text = pdf_text_of(poster.content)
    assert "Mardi 15 décembre 9 h – 12 h, 14 h – 17 h" in text
    assert "Jeudi 17 décembre Fermé : Formation de l’équipe" in text
    assert "Téléphone : 04 78 00 00 00" in text
    assert "Ici : Prestations familiales et sociales (CAF), Impression et numérisation" in text
    assert len(pdf_pages(poster.content)) == 1
    assert pdf_qr_codes(poster.content) == [PAGE_URL]
    assert f'filename="{SLUG}-affiche-fr.pdf"' in poster["Content-Disposition"]
    name, day = "Bibliothèque", "Mardi 15 décembre"
    assert font_size(poster.content, name) >= 30 > font_size(sheet.content, name) > 0
    assert font_size(poster.content, day) >= 1.5 * font_size(sheet.content, day) > 0


def test_a_place_without_hours_says_so_and_a_strange_name_does_not_break_the_pdf(
    db, monkeypatch, registry_admin, organisation
):
    monkeypatch.setattr(status, "clock", lambda: NOW)
    make_place(
        registry_admin,
        name="Jardin ☀ des Ŵeavers",
        slug="jardin",
        organisation=organisation,
        hours=(),
    )
    response = Client().get("/lieux/jardin/fiche.pdf?lang=en")
    assert response.status_code == 200
    text = pdf_text_of(response.content)
    assert "Jardin ? des Weavers" in text
    assert "The opening hours have not been given yet" in text
    assert pdf_qr_codes(response.content) == ["http://testserver/lieux/jardin/"]


def test_pdf_text_keeps_french_and_replaces_what_the_font_lacks():
    assert pdf_text("L’œuvre «\u00a0à\u00a0» 9\u202fh – 12\u202fh… 5 €") == (
        "L’œuvre «\u00a0à\u00a0» 9\u00a0h – 12\u00a0h… 5 €"
    )
    assert pdf_text("Ŵ ☀ Łódź") == "W ? Lódz"  # ó is in the font; Ł and ź are not


# -- the HTML pages and the SVG ------------------------------------------------------------


def test_the_sheet_page_prints_without_the_menu_and_carries_its_qr_code_as_svg(place):
    response = Client().get(f"/lieux/{SLUG}/fiche/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="/static/css/signage.css"' in body
    assert "<style" not in body and "unsafe" not in response["Content-Security-Policy"]
    assert re.search(r"<th scope=\"row\">Mardi 15 décembre</th><td>9 h – 12 h, 14 h – 17 h", body)
    assert "Fermé : Formation de l’équipe" in body
    assert f'href="/lieux/{SLUG}/fiche.pdf?lang=fr"' in body
    assert f'href="/lieux/{SLUG}/affiche/?lang=fr"' in body
    assert 'href="?lang=en"' in body
    svg = re.search(r"<svg .*?</svg>", body, re.S).group(0)
    assert 'role="img"' in svg and "<title>" in svg
    assert svg_qr_codes(svg) == [PAGE_URL]


def test_the_poster_page_and_the_english_sheet_page(place):
    poster = Client().get(f"/lieux/{SLUG}/affiche/?lang=en")
    assert poster.status_code == 200
    body = poster.content.decode()
    assert 'class="signage signage-poster"' in body and '<html lang="en">' in body
    assert "Tuesday 15 December" in body
    assert f'href="/lieux/{SLUG}/affiche.pdf?lang=en"' in body


def test_the_qr_code_alone_as_an_svg_file(place):
    response = Client().get(f"/lieux/{SLUG}/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert svg_qr_codes(response.content.decode()) == [PAGE_URL]


# -- bad input and permissions -------------------------------------------------------------

SIGNAGE_PATHS = ("fiche/", "fiche.pdf", "affiche/", "affiche.pdf", "qr.svg")


@pytest.mark.parametrize("path", SIGNAGE_PATHS)
def test_an_unknown_place_is_a_404(db, path):
    assert Client().get(f"/lieux/no-such-place/{path}").status_code == 404


@pytest.mark.parametrize("path", ["fiche/", "fiche.pdf", "affiche/", "affiche.pdf"])
def test_an_unknown_language_is_refused_with_the_choices(place, path):
    response = Client().get(f"/lieux/{SLUG}/{path}?lang=de")
    assert response.status_code == 400
    assert "lang=fr" in response.content.decode() and "lang=en" in response.content.decode()
    assert Client().get(f"/lieux/{SLUG}/{path}?lang=").status_code == 400


@pytest.mark.parametrize("status_", ["draft", "archived"])
def test_a_place_that_is_not_public_is_printable_only_by_its_staff(
    db, status_, organisation, registry_admin, client, viewer_client, outsider_client
):
    PlaceFactory(organisation=organisation, slug="pas-encore", name="Pas encore", status=status_)
    for path in SIGNAGE_PATHS:
        url = f"/lieux/pas-encore/{path}"
        assert client.get(url).status_code == 404, url
        assert outsider_client.get(url).status_code == 404, url
        response = viewer_client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store"
        assert response["X-Robots-Tag"] == "noindex"
    body = viewer_client.get("/lieux/pas-encore/fiche/?lang=en").content.decode()
    assert "Draft: this place is not public yet" in body
    pdf = viewer_client.get("/lieux/pas-encore/fiche.pdf?lang=en").content
    assert "Draft: this place is not public yet" in pdf_text_of(pdf)


def test_a_published_sheet_is_public_and_cacheable(place):
    response = Client().get(f"/lieux/{SLUG}/fiche.pdf")
    assert response.status_code == 200
    assert "X-Robots-Tag" not in response and "Cache-Control" not in response


def test_an_earlier_slug_leads_to_the_current_sheet(place):
    PlaceSlugAlias.objects.create(place=place, slug="ancien-nom")
    response = Client().get("/lieux/ancien-nom/fiche.pdf?lang=en")
    assert response.status_code == 301
    assert response["Location"] == f"/lieux/{SLUG}/fiche.pdf?lang=en"
    assert Client().get("/lieux/ancien-nom/affiche/")["Location"] == f"/lieux/{SLUG}/affiche/"


def test_the_sheet_reads_in_a_bounded_number_of_queries(place, django_assert_max_num_queries):
    client = Client()
    with django_assert_max_num_queries(12):
        assert client.get(f"/lieux/{SLUG}/fiche.pdf").status_code == 200


# -- links from the place, staff and space pages -------------------------------------------


def test_the_place_page_links_the_sheet_and_shares_without_any_script_of_others(place):
    body = Client().get(f"/lieux/{SLUG}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/lieux/{SLUG}/fiche/"' in body and f'href="/lieux/{SLUG}/affiche/"' in body
    assert f'href="/lieux/{SLUG}/fiche.pdf"' in body
    assert f'<input id="share-url-place" type="url" readonly value="{PAGE_URL}"' in body
    encoded = "http%3A%2F%2Ftestserver%2Flieux%2Fbibliotheque-oeuvre%2F"
    assert re.search(r'href="mailto:\?subject=Biblioth[^"]*&amp;body=[^"]*' + encoded, body)
    assert re.search(r'href="sms:\?body=[^"]*' + encoded, body)
    assert re.search(r'href="https://wa.me/\?text=[^"]*' + encoded, body)
    # The copy button waits for the static script; the field works without it.
    assert re.search(r"<button[^>]*hidden data-copy=\"share-url-place\"", body)
    assert 'src="/static/js/page-tools.js"' in body
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', body)
    assert all(src.startswith("/static/") for src in scripts), scripts


def test_the_staff_place_page_links_the_sheet_and_the_poster(admin_client_, managed_place):
    body = admin_client_.get(managed_place.get_absolute_url()).content.decode()
    assert f'href="/lieux/{managed_place.slug}/fiche/"' in body
    assert f'href="/lieux/{managed_place.slug}/affiche/"' in body


def test_each_space_to_share_has_its_share_links(place, registry_admin):
    assert place.status == "published"
    room = economics_actions.space_create(
        user=registry_admin,
        place=place,
        data={"name": "Salle Ada", "kind": "meeting_room", "capacity": 12},
    )
    offer = economics_actions.sharing_offer_set(
        user=registry_admin,
        space=room,
        rules=[{"kind": "weekly", "days": [1, 3], "times": ["18:00-22:00"]}],
        data={"terms": "free", "price": Decimal("0"), "visibility": "public"},
        expected_version=0,
    )
    body = Client().get("/espaces/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Each card keeps an anchor in the listing; what it shares is the space's own page.
    assert f'id="space-{offer.pk}"' in body
    url = f"http://testserver/espaces/{room.pk}/"
    assert f'value="{url}"' in body
    shared = re.escape(f"espaces%2F{room.pk}%2F")
    assert re.search(r'href="https://wa.me/\?text=Salle%20Ada[^"]*' + shared, body)
