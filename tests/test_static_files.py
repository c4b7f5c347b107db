"""Static files with DEBUG off: pages work before `collectstatic` has run, and link the
hashed copies once it has."""

from __future__ import annotations

import json
import logging

import pytest

import config.storage

PRODUCTION = "config.storage.StaticFilesStorage"


@pytest.fixture
def production_storage(settings, tmp_path, monkeypatch):
    """The production storage (tests otherwise use the plain one), over an empty STATIC_ROOT."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION}}
    monkeypatch.setattr(config.storage.StaticFilesStorage, "_warned", False)
    return tmp_path


def test_the_production_setting_names_this_storage():
    from config import settings as project_settings

    assert not project_settings.DEBUG  # the suites run with DEBUG=0
    assert project_settings.STORAGES["staticfiles"]["BACKEND"] == PRODUCTION


@pytest.mark.django_db
def test_pages_work_before_collectstatic_and_say_what_to_run(client, production_storage, caplog):
    with caplog.at_level(logging.WARNING, logger="config.storage"):
        response = client.get("/manage/login/")
    assert response.status_code == 200
    assert 'href="/static/css/site.css"' in response.content.decode()
    assert "collectstatic --no-input" in caplog.text
    # WhiteNoise serves the plain file from the app folder.
    css = client.get("/static/css/site.css")
    assert css.status_code == 200
    assert b".embed-preview" in b"".join(css.streaming_content)


@pytest.mark.django_db
def test_pages_link_the_collected_copies(client, production_storage):
    hashed = "css/site.0123456789ab.css"
    (production_storage / "css").mkdir()
    (production_storage / hashed).write_text("body {}")
    manifest = {"paths": {"css/site.css": hashed}, "version": "1.1", "hash": "x"}
    (production_storage / "staticfiles.json").write_text(json.dumps(manifest))
    body = client.get("/manage/login/").content.decode()
    assert f'href="/static/{hashed}"' in body
