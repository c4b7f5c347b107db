"""Markdown to safe HTML for guides and calls: markdown-it-py, then nh3 (decision 0032).

Two locks, so that one library's mistake is not enough: markdown-it-py runs with raw HTML
off (a `<script>` typed in a guide comes out as text) and refuses `javascript:` and other
unsafe link schemes; nh3 (Ammonia) then keeps only an allow-list of tags and attributes:
no `style`, no `on...` handler, no `iframe`, links limited to http, https and mailto. The
output therefore carries nothing the strict Content-Security-Policy (decision 0021) would
have to block. A `#` heading becomes `<h2>`: the page has its own `<h1>`.
"""

from __future__ import annotations

import functools

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
    "del",
}
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])

    def heading(renderer, tokens, idx, options, env):
        token = tokens[idx]
        token.tag = f"h{max(int(token.tag[1]), 2)}"
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("heading_open", heading)
    md.add_render_rule("heading_close", heading)
    return md


def sanitise(html: str) -> str:
    """Keep the allow-listed tags and attributes only; links get rel="noopener noreferrer"."""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(text: str) -> SafeString:
    """The HTML of a Markdown text, safe to put in a page as is."""
    return mark_safe(sanitise(_parser().render(text or "")))  # noqa: S308 - sanitised above
