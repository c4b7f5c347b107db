"""Staff pages for partner tokens (/manage/partners/): registry admins only.

A registry admin sees and manages the tokens of the organisations they administer; a
token's secret is shown once, on the page that follows its creation, and never again.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from api import actions
from api.models import PartnerToken
from places.access import require_registry_admin, staff_required
from places.selectors import admin_organisations
from services.selectors import providers


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=None, empty_label=None
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"),
        choices=PartnerToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[PartnerToken.Scope.READ],
    )
    provider = forms.ModelChoiceField(
        label=gettext_lazy("Provider (for write:offers)"), queryset=None, required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = admin_organisations(user)
        self.fields["provider"].queryset = providers()


def _admin_only(request):
    require_registry_admin(request.user, _("Only registry admins manage partner tokens."))


@staff_required
def token_list(request):
    _admin_only(request)
    tokens = PartnerToken.objects.filter(
        organisation__in=admin_organisations(request.user)
    ).select_related("organisation", "provider", "created_by")
    form = TokenForm(user=request.user)
    return render(request, "manage/partners/token_list.html", {"tokens": tokens, "form": form})


@staff_required
def token_create(request):
    _admin_only(request)
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = actions.token_create(
                user=request.user,
                organisation=form.cleaned_data["organisation"],
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                provider=form.cleaned_data["provider"],
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            # Rendered once, never stored: reloading this page does not show it again.
            return render(
                request,
                "manage/partners/token_created.html",
                {"token": token, "raw": raw},
                status=201,
            )
    return render(
        request,
        "manage/partners/token_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@staff_required
@require_POST
def token_revoke(request, pk: int):
    _admin_only(request)
    token = get_object_or_404(PartnerToken, pk=pk)
    if not admin_organisations(request.user).filter(pk=token.organisation_id).exists():
        raise Http404
    actions.token_revoke(token=token, user=request.user)
    return redirect("partners:token_list")
