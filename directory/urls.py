"""Public URLs of the residents' directory: a contract, keep them stable. One plain list."""

from django.urls import path

from directory import initiatives, signage, space_requests, spaces, suggestions, verify, views

app_name = "directory"
urlpatterns: list = [
    path("", views.home, name="home"),
    path("lieux/", views.search, name="search"),
    path("lieux/carte.json", views.map_data, name="map_data"),
    path("lieux/<slug:slug>/", views.place, name="place"),
    path("lieux/<slug:slug>/agenda.ics", views.place_ics, name="place_ics"),
    path("lieux/<slug:slug>/services/<int:offer_id>/agenda.ics", views.offer_ics, name="offer_ics"),
    path("reseaux/<slug:slug>/", views.network, name="network"),
    path("communes/<str:insee_code>/", views.commune, name="commune"),
    path("embed/", views.embed, name="embed"),
    path("integrer/", views.embed_builder, name="embed_builder"),
    # Residents' suggestions (directory/suggestions.py).
    path("lieux/<slug:slug>/signaler/", suggestions.suggest_correction, name="suggest_correction"),
    path("proposer-un-lieu/", suggestions.suggest_place, name="suggest_place"),
    # Spaces to share (directory/spaces.py).
    path("espaces/", spaces.shared_spaces, name="shared_spaces"),
    # Reminder links: confirm or correct a place without signing in (directory/verify.py).
    path("verifier/<str:token>/", verify.verify, name="verify"),
    path("verifier/<str:token>/nouveau-lien/", verify.verify_renew, name="verify_renew"),
    # Signage: the printable sheet, the door poster and the QR code (directory/signage.py).
    path("lieux/<slug:slug>/fiche/", signage.place_sheet, name="place_sheet"),
    path("lieux/<slug:slug>/fiche.pdf", signage.place_sheet_pdf, name="place_sheet_pdf"),
    path("lieux/<slug:slug>/affiche/", signage.place_poster, name="place_poster"),
    path("lieux/<slug:slug>/affiche.pdf", signage.place_poster_pdf, name="place_poster_pdf"),
    path("lieux/<slug:slug>/qr.svg", signage.place_qr_svg, name="place_qr_svg"),
    # A shared space's page, its request form and the requester's signed links
    # (directory/space_requests.py).
    path("espaces/<int:pk>/", space_requests.space_detail, name="space"),
    path("espaces/demandes/<str:token>/", space_requests.space_request, name="space_request"),
    path(
        "espaces/demandes/<str:token>/agenda.ics",
        space_requests.space_request_ics,
        name="space_request_ics",
    ),
    # Calls for initiatives and guides for project holders (directory/initiatives.py).
    path("appels/", initiatives.calls, name="calls"),
    path("appels/<slug:slug>/", initiatives.call, name="call"),
    path("guides/", initiatives.guides, name="guides"),
    path("guides/<slug:slug>/", initiatives.guide, name="guide"),
]
