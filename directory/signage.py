"""A place's signage: the printable sheet and the door poster (HTML and PDF), its QR code,
and the "share" links of the place and space pages.

The sheet and the poster show the coming week's hours of the place and of each service
with hours of its own, read from the same agenda as the place page (scheduling.agenda);
nothing here works hours out. The QR code (segno) points to the live place page.

Published places are open to everyone; a draft or archived place only to the staff who
may read it (places.access.can_view_place), so that a sheet can be checked before the
place goes live. Anyone else gets a 404, as on the place page.
"""

from __future__ import annotations

import datetime
import io
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from places.access import can_view_place
from places.models import Place, PlaceSlugAlias
from places.selectors import place_list
from scheduling import status as place_status
from scheduling.agenda import place_agenda
from services.selectors import available_offers, offers_of_place

SHEET_DAYS = 7  # "the coming week": today and the six days after it
SHEET, POSTER = "sheet", "poster"


# ------------------------------------------------------------------------------- QR codes


def qr_code(url: str) -> segno.QRCode:
    """The QR code of a URL: medium error correction at least (segno raises it when the
    size allows), readable from a sheet taped to a door."""
    return segno.make(url, error="m", micro=False)


def qr_svg_inline(url: str, title: str) -> str:
    """The QR code as SVG markup for an HTML page (no XML declaration, sized by CSS)."""
    svg = qr_code(url).svg_inline(
        scale=4, title=title, svgclass="qr-code", lineclass=None, omitsize=True
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


def qr_svg_file(url: str) -> bytes:
    """A standalone SVG file of the QR code, on white, with its quiet zone."""
    out = io.BytesIO()
    qr_code(url).save(out, kind="svg", scale=10, light="#fff", title=url)
    return out.getvalue()


def qr_png(url: str) -> bytes:
    """A black-and-white PNG of the QR code (for the PDF), 10 pixels per module."""
    out = io.BytesIO()
    qr_code(url).save(out, kind="png", scale=10)
    return out.getvalue()


# ----------------------------------------------------------------------------- share links


def share_links(url: str, title: str) -> dict:
    """Links that share `url` with the person's own apps: no service or script of ours
    or anyone else's sits in between (mailto:, sms:, WhatsApp's public link)."""
    text = f"{title} — {url}"
    return {
        "url": url,
        "email": "mailto:?" + urlencode({"subject": title, "body": text}, quote_via=quote),
        "sms": "sms:?" + urlencode({"body": text}, quote_via=quote),
        "whatsapp": "https://wa.me/?" + urlencode({"text": text}, quote_via=quote),
    }


# ------------------------------------------------------------------------------ the sheet


def _day_text(day) -> str:
    """ "9 h – 12 h, 14 h – 17 h", or "closed: public holiday (Christmas Day)"."""
    if day.opens:
        text = ", ".join(slot.text for slot in day.opens)
        closures = [
            _("closed %(hours)s: %(reason)s") % {"hours": c.text, "reason": c.comment}
            if c.comment
            else _("closed %(hours)s") % {"hours": c.text}
            for c in day.partial_closures
        ]
        return "; ".join([text, *closures])
    if day.closure_reason:
        return _("closed: %(reason)s") % {"reason": day.closure_reason}
    return _("closed")


def labelled(label: str, value: str) -> str:
    """ "Phone: 04 …" ("Téléphone : 04 …" in French)."""
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


def _week(agenda) -> list[dict]:
    return [
        {
            "date": day.date,
            "label": capfirst(date_format(day.date, "l j F")),
            "text": capfirst(_day_text(day)),
            "is_open": bool(day.opens),
        }
        for day in agenda.days
    ]


def sheet_content(place: Place, *, url: str, now: datetime.datetime) -> dict:
    """What the sheet and the poster say, in the active language: the place's coming week
    and each service's (its own hours, or "during the opening hours"), contact and access.

    Shared by the HTML page and the PDF, so that both always say the same thing.
    """
    today = timezone.localdate(now)
    offers = list(available_offers(offers_of_place(place, include_ended=False), on=today))
    agenda = place_agenda(place, offers, now, days=SHEET_DAYS)
    own, following = [], []
    for offer in offers:
        offer_agenda = agenda.for_offer(offer)
        if offer_agenda is None:
            following.append(str(offer.kind))
        else:
            own.append({"name": str(offer.kind), "week": _week(offer_agenda)})
    first, last = agenda.place.days[0].date, agenda.place.days[-1].date
    town = f"{place.postcode} {place.commune}".strip()
    address = [line for line in (place.address, town) if line]
    return {
        "name": place.name,
        "address": address,
        "has_hours": agenda.place.has_hours,
        "week": _week(agenda.place),
        "week_title": _("Opening hours from %(first)s to %(last)s")
        % {"first": date_format(first, "l j F"), "last": date_format(last, "l j F Y")},
        "services_own_hours": own,
        "services_place_hours": following,
        "phone": place.phone,
        "phone_line": labelled(_("Phone"), place.phone) if place.phone else "",
        "email": place.email,
        "website": place.website,
        "wheelchair": place.get_wheelchair_display(),
        "accessibility_notes": place.accessibility_notes,
        "acceslibre_url": place.acceslibre_url,
        "url": url,
        "printed_on": date_format(first, "j F Y"),
        "is_public": place.status == Place.Status.PUBLISHED,
    }


# ----------------------------------------------------------------------------------- views


def _language(request) -> str | None:
    """The sheet's language: `?lang=fr|en`, else the page's; None when `lang` is unknown."""
    codes = dict(settings.LANGUAGES)
    raw = request.GET.get("lang")
    if raw is None:
        current = translation.get_language()
        return current if current in codes else settings.LANGUAGE_CODE
    return raw if raw in codes else None


def _bad_language() -> HttpResponse:
    return HttpResponse(
        _("Unknown language: choose one of %(choices)s.")
        % {"choices": ", ".join(f"lang={code}" for code in dict(settings.LANGUAGES))},
        content_type="text/plain; charset=utf-8",
        status=400,
    )


def _signage_place(request, slug: str) -> tuple[Place | None, str | None]:
    """(place, None); (None, current slug) for a published place's earlier slug; else 404.

    A draft or archived place is found only for the staff who may read it.
    """
    place = place_list(Place.objects.all()).filter(slug=slug).first()
    if place is not None:
        if place.status == Place.Status.PUBLISHED:
            return place, None
        if request.user.is_authenticated and can_view_place(request.user, place):
            return place, None
    else:
        alias = (
            PlaceSlugAlias.objects.filter(slug=slug, place__status=Place.Status.PUBLISHED)
            .select_related("place")
            .first()
        )
        if alias is not None:
            return None, alias.place.slug
    raise Http404(_("No published place has this address."))


def _private(response: HttpResponse, place: Place) -> HttpResponse:
    """A sheet of a place that is not public is never cached nor indexed."""
    if place.status != Place.Status.PUBLISHED:
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex"
    return response


def _render_signage(request, slug: str, variant: str, as_pdf: bool):
    language = _language(request)
    if language is None:
        return _bad_language()
    place, moved_to = _signage_place(request, slug)
    if place is None:
        name = f"place_{variant}_pdf" if as_pdf else f"place_{variant}"
        target = reverse(f"directory:{name}", args=[moved_to])
        if "lang" in request.GET:
            target += "?" + urlencode({"lang": language})
        return redirect(target, permanent=True)
    # The QR code and the printed address lead to the live page, in whatever language the
    # reader's browser asks for.
    url = request.build_absolute_uri(reverse("directory:place", args=[place.slug]))
    with translation.override(language):
        content = sheet_content(place, url=url, now=place_status.clock())
        if as_pdf:
            from directory.signage_pdf import signage_pdf

            pdf = signage_pdf(content, qr_png(url), poster=variant == POSTER, language=language)
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = (
                f'inline; filename="{place.slug}-{_file_word(variant)}-{language}.pdf"'
            )
            return _private(response, place)
        response = render(
            request,
            "directory/signage.html",
            {
                "place": place,
                "sheet": content,
                "variant": variant,
                "language": language,
                "languages": settings.LANGUAGES,
                "qr_svg": qr_svg_inline(url, _("QR code: %(url)s") % {"url": url}),
            },
        )
        return _private(response, place)


def _file_word(variant: str) -> str:
    return "fiche" if variant == SHEET else "affiche"


@require_GET
def place_sheet(request, slug):
    return _render_signage(request, slug, SHEET, as_pdf=False)


@require_GET
def place_sheet_pdf(request, slug):
    return _render_signage(request, slug, SHEET, as_pdf=True)


@require_GET
def place_poster(request, slug):
    return _render_signage(request, slug, POSTER, as_pdf=False)


@require_GET
def place_poster_pdf(request, slug):
    return _render_signage(request, slug, POSTER, as_pdf=True)


@require_GET
def place_qr_svg(request, slug):
    """The QR code of the place page alone, as an SVG file (for the place's own prints)."""
    place, moved_to = _signage_place(request, slug)
    if place is None:
        return redirect("directory:place_qr_svg", slug=moved_to, permanent=True)
    url = request.build_absolute_uri(reverse("directory:place", args=[place.slug]))
    response = HttpResponse(qr_svg_file(url), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="{place.slug}-qr.svg"'
    return _private(response, place)
