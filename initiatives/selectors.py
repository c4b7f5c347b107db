"""Reads of calls, submissions and guides, shared by the staff pages and the public site."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from initiatives.models import Call, Guide, InitiativeRecord, Submission
from places.access import of_my_organisations


def open_calls(now: datetime.datetime | None = None) -> QuerySet[Call]:
    """Calls that accept projects now, the nearest deadline first."""
    now = now or timezone.now()
    return Call.objects.filter(status=Call.Status.OPEN, deadline__gt=now).order_by("deadline", "id")


def past_calls(now: datetime.datetime | None = None) -> QuerySet[Call]:
    """Published calls that no longer accept projects (closed, or their deadline passed)."""
    now = now or timezone.now()
    return Call.objects.filter(
        Q(status=Call.Status.CLOSED) | Q(status=Call.Status.OPEN, deadline__lte=now)
    ).order_by("-deadline", "-id")


def public_call(slug: str) -> Call | None:
    """A call residents may read (open or closed, never a draft)."""
    return (
        Call.objects.select_related("organisation")
        .exclude(status=Call.Status.DRAFT)
        .filter(slug=slug)
        .first()
    )


def staff_calls(user) -> QuerySet[Call]:
    """The calls of the person's organisations, with their count of submissions."""
    return of_my_organisations(
        Call.objects.select_related("organisation").annotate(submission_count=Count("submissions")),
        user,
    )


def call_submissions(call: Call) -> QuerySet[Submission]:
    return call.submissions.select_related("place").order_by("-created_at", "-id")


def submission_history(submission: Submission) -> QuerySet[InitiativeRecord]:
    return submission.records.select_related("user").order_by("created_at", "id")


def published_guides(profile: str | None = None) -> QuerySet[Guide]:
    """Published guides; with `profile`, those of that profile and the general ones."""
    guides = Guide.objects.filter(published=True)
    if profile:
        guides = guides.filter(Q(profile=profile) | Q(profile=""))
    return guides.order_by("position", "title_fr")


def public_guide(slug: str) -> Guide | None:
    return Guide.objects.filter(published=True, slug=slug).first()


def staff_guides() -> QuerySet[Guide]:
    return Guide.objects.order_by("position", "title_fr")
