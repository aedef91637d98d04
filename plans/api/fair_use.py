"""Fair use of the API: published rate limits instead of silent blocking.

Anonymous clients get `settings.API_ANON_RATE` requests per period, counted per address; a registered person
sending one of their API keys (`X-API-Key: <key>` or `Authorization: Api-Key <key>`, made on their account
page) gets `settings.API_KEY_RATE`, counted per key. Every API answer says where the client stands
(`X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`, seconds until the window ends); over the
limit the answer is 429 with `Retry-After`. An unknown or revoked key is refused (401), never served as
anonymous: its owner must learn that it no longer works.

The counts are DRF throttles over fixed windows kept in the shared cache (Redis in production) with an
atomic increment, so that any number of worker processes agree on one count. A cache that does not answer
lets requests through: the limit protects the site, it must not take it down with Redis.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from redis.exceptions import RedisError
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.throttling import BaseThrottle

from plans.signin import client_ip

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
KEY_HEADER = "X-API-Key"
KEYWORD = "Api-Key"
# last_used_at is written at most this often per key: not one write per request.
LAST_USED_EVERY = 60


def parse_rate(rate: str) -> tuple[int, int]:
    """'60/minute' → (60, 60)."""
    number, _slash, period = rate.partition("/")
    return int(number), PERIODS[period.strip().rstrip("s")]


def published_rates() -> dict:
    """The limits as the pages and the API documentation state them."""
    anonymous, key = parse_rate(settings.API_ANON_RATE), parse_rate(settings.API_KEY_RATE)
    return {
        "anonymous": {"requests": anonymous[0], "seconds": anonymous[1]},
        "key": {"requests": key[0], "seconds": key[1]},
    }


def presented_key(request) -> str:
    key = request.META.get("HTTP_X_API_KEY", "")
    if not key:
        scheme, _space, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == KEYWORD.lower():
            key = value
    return key.strip()


class APIKeyAuthentication(BaseAuthentication):
    """A registered person's API key: `request.user` is its owner and `request.auth` the key."""

    def authenticate(self, request):
        key = presented_key(request)
        if not key:
            return None
        from plans.models import APIKey

        found = APIKey.find(key)
        if found is None:
            raise AuthenticationFailed(_("This API key is unknown or has been revoked."))
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > LAST_USED_EVERY:
            APIKey.objects.filter(pk=found.pk).update(last_used_at=now)
        return found.user, found

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 to a refused key.
        return f'{KEYWORD} realm="api"'


class WindowThrottle(BaseThrottle):
    """At most `rate` requests per fixed window, counted with the cache's atomic increment."""

    scope = ""

    def rate(self) -> str:
        raise NotImplementedError

    def ident(self, request) -> str | None:
        """Who is counted, or None when this throttle does not apply to the request."""
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        ident = self.ident(request)
        if ident is None:
            return True
        limit, seconds = parse_rate(self.rate())
        now = time.time()
        window = int(now // seconds)
        key = f"throttle:{self.scope}:{ident}:{window}"
        try:
            cache.add(key, 0, seconds + 1)
            count = cache.incr(key)
        except (ValueError, RedisError, OSError):  # expired between add and incr, or the cache is down
            return True
        self.wait_seconds = max(1, int((window + 1) * seconds - now + 0.999))
        # Read by `rate_limit_headers` (the view's Django request outlives DRF's).
        request._request.rate_limit = (limit, max(limit - count, 0), self.wait_seconds)
        return count <= limit

    def wait(self):
        return getattr(self, "wait_seconds", None)


class AnonymousThrottle(WindowThrottle):
    scope = "anon"

    def rate(self) -> str:
        return settings.API_ANON_RATE

    def ident(self, request) -> str | None:
        return None if request.auth is not None else client_ip(request._request)


class KeyThrottle(WindowThrottle):
    scope = "key"

    def rate(self) -> str:
        return settings.API_KEY_RATE

    def ident(self, request) -> str | None:
        return None if request.auth is None else f"{request.auth.pk}"


def rate_limit_headers(get_response):
    """Middleware: the client's standing in the API's rate limit, on every API answer that was counted."""

    def middleware(request):
        response = get_response(request)
        standing = getattr(request, "rate_limit", None)
        if standing is not None:
            limit, remaining, reset = standing
            response["X-RateLimit-Limit"] = str(limit)
            response["X-RateLimit-Remaining"] = str(remaining)
            response["X-RateLimit-Reset"] = str(reset)
        return response

    return middleware


class CountedBeforeCache:
    """For views whose answers are cached (`plans.cache.public_page` around `dispatch`): authentication and
    throttling happen before the cache is asked, so that a cached answer counts as much as a computed one
    and a revoked key is refused even for a page in the cache. DRF's own check then does not count twice."""

    page_cache = staticmethod(lambda view: view)  # plans.cache.public_page(…), set by the view

    def dispatch(self, request, *args, **kwargs):
        refused = self._refusal(request, *args, **kwargs)
        if refused is not None:
            return refused
        self._counted = True
        # The API answers the same to everybody: whoever sent a key shares the cached answers.
        request.user = AnonymousUser()
        return self.page_cache(super().dispatch)(request, *args, **kwargs)

    def _refusal(self, request, *args, **kwargs):
        drf_request = self.initialize_request(request, *args, **kwargs)
        self.args, self.kwargs, self.request = args, kwargs, drf_request
        self.headers = self.default_response_headers
        try:
            drf_request.user  # noqa: B018  (authenticates: a refused key raises here)
            self.check_throttles(drf_request)
        except APIException as exc:
            return self.finalize_response(drf_request, self.handle_exception(exc), *args, **kwargs)
        return None

    def check_throttles(self, request):
        if not getattr(self, "_counted", False):
            super().check_throttles(request)


# ------------------------------------------------------------------ the OpenAPI schema says all of this


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = APIKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": KEY_HEADER,
            "description": str(_("An API key made on your account page: a higher rate limit.")),
        }


def _header(description) -> dict:
    return {"schema": {"type": "integer"}, "description": str(description)}


def document_limits(result, generator, request, public):
    """drf-spectacular postprocessing hook: the rate-limit headers on every answer, and the 401 (refused
    key) and 429 (over the limit, with Retry-After) answers of every operation."""
    error = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
    standing = {
        "X-RateLimit-Limit": _header(_("Requests allowed in the current window.")),
        "X-RateLimit-Remaining": _header(_("Requests left in the current window.")),
        "X-RateLimit-Reset": _header(_("Seconds until the window ends.")),
    }
    rates = published_rates()
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            for answer in responses.values():
                answer.setdefault("headers", {}).update(standing)
            responses["401"] = {
                "description": str(_("The API key is unknown or has been revoked.")),
                "content": {"application/json": {"schema": error}},
            }
            responses["429"] = {
                "description": str(
                    _(
                        "Over the rate limit (%(anonymous)s requests per %(seconds)s s without a key): wait "
                        "the seconds given by Retry-After."
                    )
                    % {"anonymous": rates["anonymous"]["requests"], "seconds": rates["anonymous"]["seconds"]}
                ),
                "headers": {**standing, "Retry-After": _header(_("Seconds to wait before asking again."))},
                "content": {"application/json": {"schema": error}},
            }
    return result
