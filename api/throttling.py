"""Rate limits: per IP address for anonymous reads, per token for partners.

The rates come from `settings.API_RATE_LIMITS` ({"anonymous": "60/min", "partner":
"1200/min"}) and are read on each request, so tests and deployments can change them.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.auth import token_of

DEFAULT_RATES = {"anonymous": "120/min", "partner": "1200/min"}


def _rates() -> dict[str, str]:
    return {**DEFAULT_RATES, **getattr(settings, "API_RATE_LIMITS", {})}


class _Throttle(SimpleRateThrottle):
    scope_name = ""

    def __init__(self):
        # Skip SimpleRateThrottle.__init__: it reads the rate once, at import time.
        pass

    def get_rate(self):
        return _rates().get(self.scope_name)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class AnonymousThrottle(_Throttle):
    scope_name = "anonymous"

    def get_cache_key(self, request, view):
        if token_of(request) is not None:
            return None
        return f"api-throttle:ip:{self.get_ident(request)}"


class PartnerThrottle(_Throttle):
    scope_name = "partner"

    def get_cache_key(self, request, view):
        token = token_of(request)
        if token is None:
            return None
        return f"api-throttle:token:{token.pk}"
