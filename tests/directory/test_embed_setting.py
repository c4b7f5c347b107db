"""EMBED_FRAME_ANCESTORS: only valid frame-ancestors sources start the site."""

from __future__ import annotations

import pytest

from config.env import EnvError
from config.settings import _frame_ancestors


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("*", "*"),
        ("'self'  https://www.mairie.example.fr", "'self' https://www.mairie.example.fr"),
        ("https:", "https:"),
        ("'none'", "'none'"),
    ],
)
def test_valid_sources(raw, value):
    assert _frame_ancestors("EMBED_FRAME_ANCESTORS", raw) == value


@pytest.mark.parametrize(
    "raw", ["", "https://a.example; script-src *", "'unsafe-inline'", "'none' https://a.example"]
)
def test_invalid_sources_stop_start_up(raw):
    with pytest.raises(EnvError, match="EMBED_FRAME_ANCESTORS"):
        _frame_ancestors("EMBED_FRAME_ANCESTORS", raw)
