"""Content-Security-Policy (config/csp.py): every response carries the strict policy, and no
template holds inline code or style that the policy would refuse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import override_settings

from api.views.docs import REDOC_INLINE_STYLES

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def policy(response) -> dict[str, str]:
    """The response's Content-Security-Policy as {directive: sources}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, _, sources = part.strip().partition(" ")
        assert name not in directives, f"{name} given twice"
        directives[name] = sources
    return directives


def frame_ancestors(response) -> str:
    return policy(response)["frame-ancestors"]


STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/", 200),
        ("/lieux/?q=jean", 200),
        ("/integrer/", 200),
        ("/embed/", 200),
        ("/manage/login/", 200),
        ("/manage/", 302),
        ("/api/v1/places/", 200),
        ("/api/v1/docs/", 200),
        ("/api/v1/docs/?script", 200),
        ("/django-admin/login/", 200),
        ("/no-such-page/", 404),
    ],
)
def test_every_page_carries_the_strict_policy(client, url, status):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == status
    directives = policy(response)
    for name, sources in STRICT.items():
        assert directives[name] == sources, name
    assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_framing_is_refused_except_for_the_embed(client):
    assert frame_ancestors(client.get("/")) == "'none'"
    assert frame_ancestors(client.get("/embed/")) == "*"


@pytest.mark.django_db
def test_images_come_from_us_and_the_tile_server(client):
    with override_settings(MAP_TILE_URL="https://tile.openstreetmap.org/{z}/{x}/{y}.png"):
        assert policy(client.get("/"))["img-src"] == "'self' data: https://tile.openstreetmap.org"
    with override_settings(MAP_TILE_URL="https://{s}.tile.example.fr/osm/{z}/{x}/{y}.png"):
        assert policy(client.get("/"))["img-src"] == "'self' data: https://*.tile.example.fr"
    with override_settings(MAP_TILE_URL="/tiles/{z}/{x}/{y}.png"):
        assert policy(client.get("/"))["img-src"] == "'self' data:"


@pytest.mark.django_db
def test_redoc_gets_only_what_it_needs(client):
    """Two inline style texts by hash, a blob: worker, Redocly's logo: no 'unsafe-inline'."""
    response = client.get("/api/v1/redoc/")
    assert response.status_code == 200
    directives = policy(response)
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == " ".join(("'self'", *REDOC_INLINE_STYLES))
    assert directives["worker-src"] == "'self' blob:"
    assert directives["frame-ancestors"] == "'none'"
    body = response.content.decode()
    assert "fonts.googleapis.com" not in body
    assert "<style" not in body


@pytest.mark.django_db
def test_swagger_ui_loads_its_start_up_script_from_a_url(client):
    body = client.get("/api/v1/docs/").content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)", body) == []
    assert "<style" not in body
    script = client.get("/api/v1/docs/?script")
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


# What the policy refuses, as it can be written in a template. A <script> with a src, or a
# data block (type="application/json", as json_script writes), is fine.
INLINE = {
    "inline script": re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(ld\+)?json\")[^>]*>", re.I
    ),
    "style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event-handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_templates_hold_no_inline_script_or_style():
    """The rule of docs/architecture.md: code in static/js, styles in static/css."""
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for what, pattern in INLINE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert not found, "\n".join(found)


def test_the_template_check_finds_each_kind(tmp_path):
    """The patterns above catch what they name (and let through what is allowed)."""
    bad = [
        "<script>alert(1)</script>",
        '<script type="module">x()</script>',
        "<style>p{}</style>",
        '<p style="color:red">',
        '<button onclick="go()">',
        '<a href="javascript:go()">',
    ]
    good = [
        '<script src="/static/js/a.js" defer></script>',
        '<script id="d" type="application/json">{}</script>',
        '<script type="application/ld+json">{}</script>',
        '<p class="styled" data-onclick="x">',
    ]
    assert [any(p.search(t) for p in INLINE.values()) for t in bad] == [True] * len(bad)
    assert [any(p.search(t) for p in INLINE.values()) for t in good] == [False] * len(good)
