"""Staff pages of service offers and of the catalogue, under /manage/services/.

Views are thin: they check rights with places.access, parse a form, call one action and
render. Offers of a place are read by whoever may read the place and changed by whoever may
edit it. The catalogue (service kinds and providers) is shared by the whole registry: every
staff member may read it, registry admins change it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from places import access
from places.access import staff_required
from places.models import Place, Typology
from places.versioning import StaleRecord, describe_change, version_required
from services import actions, selectors
from services.forms import (
    ConfirmForm,
    NeedWordForm,
    OfferForm,
    ProviderForm,
    ServiceKindForm,
    SuspendForm,
)
from services.models import NeedWord, Provider, ServiceKind, ServiceOffer


def _visible_place(request, public_id) -> Place:
    """The place if the person may read it; 404 otherwise, so outsiders learn nothing."""
    return access.access_place(request.user, public_id)


def _editable_place(request, public_id) -> Place:
    return access.access_place(
        request.user,
        public_id,
        write=True,
        message=_("You may read this place but not change its offers."),
    )


def _offer_of(place: Place, pk: int) -> ServiceOffer:
    return get_object_or_404(
        ServiceOffer.objects.select_related("kind", "kind__category", "provider"),
        place=place,
        pk=pk,
    )


def _back_to_list(place: Place):
    return redirect("services:offer_list", public_id=place.public_id)


# ---------------------------------------------------------------------------- offers


@require_GET
@staff_required
def offer_list(request, public_id):
    place = _visible_place(request, public_id)
    return render(
        request,
        "manage/services/offer_list.html",
        {
            "place": place,
            "offers": selectors.offers_of_place(place),
            "can_edit": access.can_edit_place(request.user, place),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def offer_create(request, public_id):
    place = _editable_place(request, public_id)
    form = OfferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            offer = actions.offer_create(place=place, user=request.user, data=form.action_data())
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("“%(offer)s” was added.") % {"offer": offer.kind})
            return _back_to_list(place)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "manage/services/offer_form.html",
        {"place": place, "form": form, "offer": None},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def offer_edit(request, public_id, pk):
    place = _editable_place(request, public_id)
    offer = _offer_of(place, pk)
    form = OfferForm(request.POST or None, offer=offer)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            actions.offer_update(
                offer=offer,
                user=request.user,
                expected_version=form.cleaned_data["version"],
                data=form.action_data(),
            )
        except actions.StaleOffer as exc:
            conflict = {
                "message": exc.messages[0],
                "changes": [describe_change(r) for r in exc.since],
            }
            # Keep the person's input and move the version on: saving again applies it.
            data = request.POST.copy()
            data["version"] = str(exc.current.version)
            form = OfferForm(data, offer=exc.current)
            form.is_valid()
            form.add_error(None, exc.messages[0])
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("“%(offer)s” was saved.") % {"offer": offer.kind})
            return _back_to_list(place)
    status = 409 if conflict else 400 if request.method == "POST" else 200
    return render(
        request,
        "manage/services/offer_form.html",
        {"place": place, "form": form, "offer": offer, "conflict": conflict},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def offer_suspend(request, public_id, pk):
    place = _editable_place(request, public_id)
    offer = _offer_of(place, pk)
    form = SuspendForm(
        request.POST or None,
        initial={"version": offer.version, "until": offer.suspended_until},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.offer_suspend(
                offer=offer,
                user=request.user,
                until=form.cleaned_data["until"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("“%(offer)s” is suspended.") % {"offer": offer.kind})
            return _back_to_list(place)
    return render(
        request,
        "manage/services/offer_suspend.html",
        {"place": place, "offer": offer, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _status_change(request, place, offer, action, done_message):
    form = ConfirmForm(request.POST)
    try:
        if not form.is_valid():
            raise version_required()
        action(offer=offer, user=request.user, expected_version=form.cleaned_data["version"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done_message % {"offer": offer.kind})
    return _back_to_list(place)


@require_http_methods(["GET", "POST"])
@staff_required
def offer_end(request, public_id, pk):
    place = _editable_place(request, public_id)
    offer = _offer_of(place, pk)
    if request.method == "GET":
        return render(request, "manage/services/offer_end.html", {"place": place, "offer": offer})
    return _status_change(request, place, offer, actions.offer_end, _("“%(offer)s” has ended."))


@require_POST
@staff_required
def offer_reactivate(request, public_id, pk):
    place = _editable_place(request, public_id)
    offer = _offer_of(place, pk)
    return _status_change(
        request, place, offer, actions.offer_reactivate, _("“%(offer)s” is active again.")
    )


# ---------------------------------------------------------------------------- catalogue


@require_GET
@staff_required
def catalogue(request):
    access.require_catalogue_editor(request.user)
    return render(
        request,
        "manage/services/catalogue.html",
        {
            "groups": selectors.service_kinds_grouped(active_only=False),
            "providers": selectors.providers(),
        },
    )


def _with_version(post, version: int):
    data = post.copy()
    data["version"] = str(version)
    return data


def _catalogue_conflict(exc: StaleRecord, model) -> dict:
    return {
        "message": exc.messages[0],
        "changes": [describe_change(r, model) for r in exc.since],
    }


@require_http_methods(["GET", "POST"])
@staff_required
def service_kind_edit(request, pk=None):
    access.require_catalogue_editor(request.user)
    kind = get_object_or_404(ServiceKind, pk=pk) if pk else None
    form = ServiceKindForm(request.POST or None, kind=kind)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            if kind is None:
                kind = actions.service_kind_create(user=request.user, data=form.action_data())
            else:
                actions.service_kind_update(
                    kind=kind,
                    user=request.user,
                    data=form.action_data(),
                    expected_version=form.cleaned_data["version"],
                )
        except StaleRecord as exc:
            # Keep the person's input and move the version on: saving again applies it.
            conflict = _catalogue_conflict(exc, ServiceKind)
            kind = exc.current
            form = ServiceKindForm(_with_version(request.POST, exc.version), kind=kind)
            form.is_valid()
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": kind.name})
            return redirect("services:catalogue")
    return render(
        request,
        "manage/services/catalogue_form.html",
        {"form": form, "object": kind, "title": _("Service kind"), "conflict": conflict},
        status=409 if conflict else 400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def provider_edit(request, pk=None):
    access.require_catalogue_editor(request.user)
    provider = get_object_or_404(Provider, pk=pk) if pk else None
    form = ProviderForm(request.POST or None, provider=provider)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            if provider is None:
                provider = actions.provider_create(user=request.user, data=form.action_data())
            else:
                actions.provider_update(
                    provider=provider,
                    user=request.user,
                    data=form.action_data(),
                    expected_version=form.cleaned_data["version"],
                )
        except StaleRecord as exc:
            # Keep the person's input and move the version on: saving again applies it.
            conflict = _catalogue_conflict(exc, Provider)
            provider = exc.current
            form = ProviderForm(_with_version(request.POST, exc.version), provider=provider)
            form.is_valid()
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": provider.name})
            return redirect("services:catalogue")
    return render(
        request,
        "manage/services/catalogue_form.html",
        {"form": form, "object": provider, "title": _("Provider"), "conflict": conflict},
        status=409 if conflict else 400 if request.method == "POST" else 200,
    )


# ---------------------------------------------------------------------- search vocabulary


@require_GET
@staff_required
def need_word_list(request):
    """The words residents type and what they mean; registry admins only."""
    access.require_catalogue_editor(request.user)
    kind_names = {k.slug: k.display_name for k in selectors.service_kinds()}
    words = [
        {
            "word": word,
            "kinds": [kind_names.get(slug, slug) for slug in word.kinds],
            "typologies": [
                str(Typology.Code(code).label)
                for code in word.typologies
                if code in Typology.Code.values
            ],
        }
        for word in selectors.need_words()
    ]
    return render(request, "manage/services/need_word_list.html", {"words": words})


@require_http_methods(["GET", "POST"])
@staff_required
def need_word_edit(request, pk=None):
    access.require_catalogue_editor(request.user)
    word = get_object_or_404(NeedWord, pk=pk) if pk else None
    form = NeedWordForm(request.POST or None, word=word)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            if word is None:
                word = actions.need_word_create(user=request.user, data=form.action_data())
            else:
                actions.need_word_update(
                    word=word,
                    user=request.user,
                    data=form.action_data(),
                    expected_version=form.cleaned_data["version"],
                )
        except StaleRecord as exc:
            # Keep the person's input and move the version on: saving again applies it.
            conflict = _catalogue_conflict(exc, NeedWord)
            word = exc.current
            form = NeedWordForm(_with_version(request.POST, exc.version), word=word)
            form.is_valid()
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": word.phrase})
            return redirect("services:need_word_list")
    return render(
        request,
        "manage/services/need_word_form.html",
        {"form": form, "object": word, "conflict": conflict},
        status=409 if conflict else 400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def need_word_delete(request, pk):
    access.require_catalogue_editor(request.user)
    word = get_object_or_404(NeedWord, pk=pk)
    form = ConfirmForm(
        request.POST if request.method == "POST" else None, initial={"version": word.version}
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            actions.need_word_delete(
                word=word, user=request.user, expected_version=form.cleaned_data["version"]
            )
        except StaleRecord as exc:
            # Show the word as it is now; removing it again starts from this version.
            conflict = _catalogue_conflict(exc, NeedWord)
            conflict["next"] = _("The word was not removed. Remove it again if you still mean to.")
            word = exc.current
            form = ConfirmForm(initial={"version": word.version})
        else:
            messages.success(request, _("“%(name)s” was removed.") % {"name": word.phrase})
            return redirect("services:need_word_list")
    return render(
        request,
        "manage/services/need_word_delete.html",
        {"object": word, "form": form, "conflict": conflict},
        status=409 if conflict else 400 if request.method == "POST" else 200,
    )
