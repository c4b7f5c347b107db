"""The staff navigation's count of pending suggestions."""

from django import template

from places import selectors

register = template.Library()


@register.simple_tag
def pending_suggestions(user) -> int:
    """How many suggestions the person may read are waiting for a decision."""
    if not selectors.is_staff_member(user):
        return 0
    return selectors.pending_suggestion_count(user)
