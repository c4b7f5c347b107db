"""The import's bulk path writes exactly what the single-row actions write, on real rows.

The same rows are imported twice into an empty registry: once through the bulk actions
(places_create_many, external_ids_add_many, places_publish_many, offers_create_many,
schedules_set_osm_many), once row by row through place_create, external_id_add,
place_publish, offer_create and schedule_set_osm. Every table the import touches, the
history and the webhook deliveries must be identical, ids and timestamps aside.
"""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal

import pytest
from django.db import models

from api import actions as api_actions
from api import webhooks
from api.imports.pipeline import run_import
from api.models import (
    ImportedHoursText,
    ImportedValue,
    PossibleDuplicate,
    WebhookDelivery,
)
from places.models import PROFILE_MODELS, ChangeRecord, ExternalId, Place
from scheduling.models import OpeningInterval, Schedule
from services.actions import provider_create
from services.models import ServiceOffer

CNFS = "lieux-de-mediation-numerique.cnfs.json"
HUB = "20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur.json"
FS = "liste-fs-20240801.csv"
IGNORED = {"id", "public_id", "created_at", "updated_at", "resolved_at"}


def _json_rows(shared_data, name: str, keep) -> list[dict]:
    return [r for r in json.loads((shared_data / name).read_text(encoding="utf-8")) if keep(r)]


def _sample_files(shared_data, folder):
    """Maine-et-Loire in the CNFS and France Services files (they share places, Durtal
    among them: matches, merged hours and offers from both), and the first 40 rows of the
    Hub du Sud file that give hours (the first one's made unreadable)."""
    cnfs = folder / "cnfs.json"
    cnfs.write_text(
        json.dumps(
            _json_rows(shared_data, CNFS, lambda r: str(r.get("code_postal"))[:2] == "49"),
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    hub_rows = _json_rows(shared_data, HUB, lambda r: r.get("horaires"))[:40]
    # One row's hours made unreadable, to be kept as text by both paths.
    hub_rows[0]["horaires"] = "lundi matin sauf vacances"
    hub = folder / "hub.json"
    hub.write_text(json.dumps(hub_rows), encoding="utf-8")
    fs = folder / "fs.csv"
    with (shared_data / FS).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [r for r in reader if r["insee_dep"].zfill(2) == "49"]
        fields = reader.fieldnames
    with fs.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    return [("lmn", cnfs), ("france-services", fs), ("lmn", hub)]


def _plain(value):
    if isinstance(value, Decimal):
        return str(value.normalize())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _state() -> dict[str, list[str]]:
    """Every row the import may write, with places named by slug and offers by (place,
    kind, provider) instead of their ids, as sorted JSON lines per table."""
    slugs = dict(Place.objects.values_list("pk", "slug"))
    offers = {
        pk: f"{slugs[place]}/{kind}/{provider}"
        for pk, place, kind, provider in ServiceOffer.objects.values_list(
            "pk", "place_id", "kind_id", "provider_id"
        )
    }

    def target(text: str) -> str:
        return re.sub(r"offer:(\d+)", lambda m: f"offer:{offers[int(m[1])]}", text)

    def row(obj) -> dict:
        out = {}
        for field in obj._meta.concrete_fields:
            if field.name in IGNORED:
                continue
            value = getattr(obj, field.attname)
            if isinstance(field, models.ForeignKey) and value is not None:
                if field.related_model is Place:
                    value = slugs[value]
                elif field.related_model is ServiceOffer:
                    value = offers[value]
            elif field.name == "target":
                value = target(value)
            out[field.name] = _plain(value)
        return out

    tables = {
        "place": Place.objects.all(),
        **{name: model.objects.all() for name, model in PROFILE_MODELS.items()},
        "typologies": Place.typologies.through.objects.all(),
        "networks": Place.networks.through.objects.all(),
        "external_id": ExternalId.objects.all(),
        "offer": ServiceOffer.objects.all(),
        "schedule": Schedule.objects.all(),
        "calendar": OpeningInterval.objects.all(),
        "hours_text": ImportedHoursText.objects.all(),
        "unmapped": ImportedValue.objects.all(),
        "duplicate": PossibleDuplicate.objects.all(),
        "history": ChangeRecord.objects.all(),
    }
    state = {
        name: sorted(json.dumps(row(o), sort_keys=True, default=str) for o in rows)
        for name, rows in tables.items()
    }
    events = []
    for delivery in WebhookDelivery.objects.all():
        payload = dict(delivery.payload)
        payload.pop("id")
        payload.pop("occurred_at")
        payload["place"] = {k: v for k, v in payload["place"].items() if k != "id"}
        payload["target"] = target(payload["target"])
        if "offer_id" in payload:
            payload["offer_id"] = offers[payload["offer_id"]]
        events.append(json.dumps([delivery.event, payload], sort_keys=True))
    state["webhooks"] = sorted(events)
    return state


def _empty_registry() -> None:
    Place.objects.all().delete()  # with their profiles, offers, schedules, history...
    OpeningInterval.objects.all().delete()  # no database cascade on the calendar
    ChangeRecord.objects.all().delete()
    WebhookDelivery.objects.all().delete()
    PossibleDuplicate.objects.all().delete()


def _import(files, organisation, user, *, one_by_one: bool, capture) -> list:
    reports = []
    with capture(execute=True):
        for fmt, path in files:
            report = run_import(
                fmt=fmt,
                path=path,
                organisation=organisation,
                user=user,
                batch_size=25,  # several batches, places of one batch matched in the next
                one_by_one=one_by_one,
            )
            reports.append(
                (
                    report.created,
                    report.updated,
                    report.unchanged,
                    report.queued,
                    report.rejected,
                    report.offers_created,
                    report.unmapped_kept,
                    sorted((w.row, w.code, w.field, w.message) for w in report.warnings),
                    sorted((w.row, w.code, w.message) for w in report.rejections),
                )
            )
    return reports


@pytest.mark.django_db
def test_bulk_and_single_row_imports_write_the_same_rows(
    shared_data,
    tmp_path,
    organisation,
    registry_admin,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    import ipaddress

    from places import outbound

    # The partner's host resolves to a public address (no network here; deliveries are
    # compared as queued, never sent).
    monkeypatch.setattr(
        outbound, "resolve", lambda host, port: [ipaddress.ip_address("93.184.215.14")]
    )
    files = _sample_files(shared_data, tmp_path)
    token, _raw = api_actions.token_create(
        user=registry_admin, organisation=organisation, name="Partenaire", scopes=["read"]
    )
    webhooks.subscription_create(token=token, url="https://partner.example/hook", events=["*"])
    # The provider standing for the organisation exists before both runs (its creation
    # is recorded once, not per run).
    provider_create(
        user=registry_admin,
        data={"slug": "ville", "name": "Ville", "sector": "public", "organisation": organisation},
    )
    ChangeRecord.objects.all().delete()

    bulk_reports = _import(
        files,
        organisation,
        registry_admin,
        one_by_one=False,
        capture=django_capture_on_commit_callbacks,
    )
    bulk = _state()
    _empty_registry()
    single_reports = _import(
        files,
        organisation,
        registry_admin,
        one_by_one=True,
        capture=django_capture_on_commit_callbacks,
    )
    single = _state()

    assert single_reports == bulk_reports
    for table in bulk:
        assert single[table] == bulk[table], table
    # The sample exercises what it claims to: every kind of write, and events for them.
    created = sum(r[0] for r in bulk_reports)
    assert created > 60
    for table in ("place", "mediation", "external_id", "offer", "schedule", "calendar"):
        assert bulk[table], table
    assert len(bulk["hours_text"]) == 1
    events = {json.loads(line)[0] for line in bulk["webhooks"]}
    assert {"place.published", "offer.created", "calendar.changed"} <= events
    assert "place.created" not in events  # created as drafts, announced when published
