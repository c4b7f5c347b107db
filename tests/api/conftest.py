from __future__ import annotations

import os
import subprocess
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


def _shared_data_candidates() -> list[Path]:
    """Where the real open-data files may be: $SHARED_DATA_DIR, then ../shared/data beside
    the project, then beside the local checkout this one was cloned from (a clean clone made
    elsewhere for a CI run still finds the files of the machine)."""
    base = Path(settings.BASE_DIR)
    candidates = [Path(os.environ["SHARED_DATA_DIR"])] if os.environ.get("SHARED_DATA_DIR") else []
    candidates.append(base.parent / "shared" / "data")
    try:
        origin = subprocess.run(
            ["git", "-C", str(base), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except OSError:
        origin = ""
    if origin.startswith("file://"):
        origin = origin.removeprefix("file://")
    if origin.startswith("/"):
        candidates.append(Path(origin).parent / "shared" / "data")
    return candidates


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real open-data files described in ../shared/data/SOURCES.md."""
    candidates = _shared_data_candidates()
    for folder in candidates:
        if (folder / "SOURCES.md").is_file():
            return folder
    pytest.skip(
        "the shared open-data folder is absent on this machine (looked in: "
        + ", ".join(str(c) for c in candidates)
        + "; set SHARED_DATA_DIR)"
    )
