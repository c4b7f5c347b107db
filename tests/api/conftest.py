from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read the English source strings, whatever translations are compiled."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def shared_data() -> Path:
    """The real open-data files described in ../shared/data/SOURCES.md."""
    folder = Path(settings.BASE_DIR).parent / "shared" / "data"
    if not folder.is_dir():
        pytest.skip(f"the shared open-data folder {folder} is absent on this machine")
    return folder
