"""Figures shown the reader's way: `{{ line.amount|amount }}`, `|money`, `|number`."""

from __future__ import annotations

from django import template

from economics.numbers import format_amount, format_money, format_number

register = template.Library()


@register.filter
def amount(value, places=2):
    """1 500,50 in French, 1,500.50 in English; '' for nothing."""
    return format_amount(value, places=int(places))


@register.filter
def money(value, places=2):
    """1 500,50 € in French, €1,500.50 in English."""
    return format_money(value, places=int(places))


@register.filter
def number(value, places=2):
    """Hours, areas, counts: up to `places` decimals, grouped; 0,5 / 0.5."""
    return format_number(value, places=int(places))
