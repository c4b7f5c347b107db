"""Staff pages for webhooks (/manage/partners/webhooks/): registry admins only.

Admins see the subscriptions of their organisations' tokens, subscribe a token, remove a
subscription and read its delivery log. Writes go through api.webhooks' actions.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from api import webhooks
from api.models import PartnerToken, WebhookSubscription
from places.access import require_registry_admin, staff_required
from places.selectors import admin_organisations


class SubscriptionForm(forms.Form):
    token = forms.ModelChoiceField(label=gettext_lazy("Token"), queryset=None, empty_label=None)
    url = forms.URLField(
        label=gettext_lazy("Address to post to"), max_length=500, assume_scheme="https"
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=[(e, e) for e in ("place.*", "offer.*", *webhooks.EVENTS)],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, tokens, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].queryset = tokens.filter(revoked_at__isnull=True)


def _admin_tokens(request):
    require_registry_admin(request.user, _("Only registry admins manage webhooks."))
    organisations = admin_organisations(request.user)
    return PartnerToken.objects.filter(organisation__in=organisations)


def _subscription(request, pk: int) -> WebhookSubscription:
    tokens = _admin_tokens(request)
    return get_object_or_404(
        WebhookSubscription.objects.select_related("token"), pk=pk, token__in=tokens
    )


@staff_required
def webhook_list(request):
    tokens = _admin_tokens(request)
    form = SubscriptionForm(request.POST or None, tokens=tokens)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = webhooks.subscription_create(
                token=form.cleaned_data["token"],
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                user=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
    return render(
        request,
        "manage/partners/webhooks.html",
        {
            "subscriptions": webhooks.subscriptions_for(tokens),
            "form": form,
            "created": created,
        },
    )


@staff_required
def webhook_log(request, pk: int):
    subscription = _subscription(request, pk)
    return render(
        request,
        "manage/partners/webhooks_log.html",
        {"subscription": subscription, "deliveries": webhooks.delivery_log(subscription)},
    )


@staff_required
@require_POST
def webhook_delete(request, pk: int):
    subscription = _subscription(request, pk)
    webhooks.subscription_delete(subscription=subscription, user=request.user)
    messages.success(request, _("The subscription was removed."))
    return redirect("partners:webhook_list")
