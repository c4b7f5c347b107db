"""The staff menu: every section of /manage/ the person's role opens, and no other."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from places import selectors

register = template.Library()


def _sections(user) -> list[tuple[str, str, tuple]]:
    """(label, URL name, arguments), in menu order. The rules mirror the views' checks:
    every staff member reads places, freshness, economics, space requests, coverage, the
    territory, calls and guides; registry admins also run the catalogue, imports, partners
    and their organisations' members."""
    sections = [
        (_("Places"), "manage:home", ()),
        (_("Places to check"), "manage:stale_places", ()),
        (_("Economics"), "economics:dashboard", ()),
        (_("Space requests"), "economics:space_requests", ()),
        (_("Coverage"), "coverage:study", ()),
        (_("Territory"), "territory:coverage", ()),
        (_("Calls for initiatives"), "initiatives:call_list", ()),
        (_("Guides"), "initiatives:guide_list", ()),
    ]
    admin_of = selectors.administered_organisations(user)
    if admin_of:
        sections += [
            (_("Catalogue"), "services:catalogue", ()),
            (_("Imports"), "imports:upload", ()),
            (_("Partners"), "partners:token_list", ()),
        ]
        for slug, name in admin_of:
            label = _("Members") if len(admin_of) == 1 else _("Members of %(org)s") % {"org": name}
            sections.append((label, "manage:members", (slug,)))
    sections.append((_("Email preferences"), "manage:email_preferences", ()))
    return sections


@register.simple_tag(takes_context=True)
def staff_menu(context) -> list[dict]:
    """[{label, url, current}] for the signed-in staff member of the page."""
    request = context.get("request")
    user = context.get("user")
    if user is None or not selectors.is_staff_member(user):
        return []
    path = request.path if request is not None else ""
    items = []
    for label, name, args in _sections(user):
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:  # a section not mounted on this site
            continue
        items.append({"label": label, "url": url})
    # The current section is the longest menu URL the page's path starts with.
    matches = [item for item in items if path.startswith(item["url"])]
    current = max(matches, key=lambda item: len(item["url"]), default=None)
    for item in items:
        item["current"] = item is current
    return items
