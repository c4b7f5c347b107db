"""Guides and calls are Markdown shown as HTML: nothing executable or styled survives."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from initiatives.rendering import render_markdown, sanitise

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript&#58;alert(1))",
    '<iframe src="https://example.org"></iframe>',
    '<p style="position:fixed">x</p>',
    "<style>body{display:none}</style>",
    '<svg onload="alert(1)"></svg>',
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    '<object data="x.swf"></object><embed src="x.swf">',
]


class Elements(HTMLParser):
    """Every element and attribute of a piece of HTML, as a browser would read them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def dangers(html: str) -> list[str]:
    """What in `html` could run code or style the page (the CSP would have to block it)."""
    problems = []
    for tag, attrs in Elements(html).found:
        if tag in {"script", "style", "iframe", "object", "embed", "svg", "img", "form"}:
            problems.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                problems.append(f"{tag} {name}")
            if name in {"href", "src"} and not re.match(r"^(https?|mailto):", value or ""):
                problems.append(f"{tag} {name}={value}")
    return problems


@pytest.mark.parametrize("markdown", HOSTILE)
def test_hostile_markdown_is_neutralised(markdown):
    html = render_markdown(f"Before\n\n{markdown}\n\nAfter")
    assert dangers(html) == []
    assert "After" in html


@pytest.mark.parametrize("html", HOSTILE)
def test_the_sanitiser_alone_removes_what_the_parser_would_let_through(html):
    """The second lock: raw HTML handed to nh3 keeps nothing executable or styled."""
    assert dangers(sanitise(html)) == []


def test_the_check_itself_sees_the_dangers():
    assert dangers('<p style="x" onclick="y"><script></script><a href="javascript:z">a</a></p>')


def test_aligned_table_columns_lose_their_inline_style():
    html = render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |")
    assert "<table>" in html and "<td>2</td>" in html
    assert "style" not in html


def test_ordinary_markdown_is_kept():
    html = render_markdown(
        "# Title\n\n## Steps\n\n1. **Find** a room\n2. Ask [the city](https://example.org)\n"
    )
    assert "<h2>Title</h2>" in html  # the page has its own h1
    assert "<h2>Steps</h2>" in html
    assert "<ol>" in html and "<strong>Find</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">the city</a>' in html


def test_mailto_links_are_kept():
    assert 'href="mailto:tiers-lieux@example.org"' in render_markdown(
        "[Write to us](mailto:tiers-lieux@example.org)"
    )
