"""Robustness at the request boundary: input no view can use, and a database that does not answer."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, QueryDict


def drop_nul_bytes(get_response: Callable[[HttpRequest], HttpResponse]):
    """Query values (and names) holding a NUL byte are dropped before any view reads them, as the site
    ignores any other value that can match nothing: no real link holds one, and PostgreSQL refuses them in
    text, so every filter, search, download and admin list would answer 500."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if "%00" in request.META.get("QUERY_STRING", ""):
            pairs = [(k, v) for k, values in request.GET.lists() for v in values if "\x00" not in k + v]
            request.GET = QueryDict(urlencode(pairs))
        return get_response(request)

    return middleware
