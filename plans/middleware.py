"""Robustness at the request boundary: input no view can use, and a database that does not answer."""

import logging
import sys
from collections.abc import Callable
from itertools import chain
from urllib.parse import urlencode

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

log = logging.getLogger(__name__)


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


RETRY_AFTER = "30"  # seconds: a database restart or fail-over, not a long outage


def _unreachable(exception: BaseException | None) -> bool:
    return isinstance(exception, OperationalError | InterfaceError)


def _note_unreachable_database(sender, request: HttpRequest | None = None, **kwargs) -> None:
    # Sent while Django handles an exception no view caught (a middleware's, e.g. reading the session).
    if request is not None and _unreachable(sys.exc_info()[1]):
        request.database_unreachable = True


class DatabaseUnavailable:
    """A database that does not answer (refused, reset, gone while a connection was reused) makes a clean
    503 with Retry-After and a short translatable page, instead of the 500 page and its "we logged an
    error": the site is not broken, it is waiting. Nothing is kept between requests, so the first request
    after the database is back is served normally (Django reconnects by itself). Errors are still logged.

    What views raise (pages, the API, the admin, templates rendered after the view) is caught here; what a
    middleware inside this one raises (reading a signed-in reader's session) has already become the 500
    page, which is replaced; a streamed download's first piece is produced here (`started`). Past that
    piece, a download cut by an outage can only end early."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        got_request_exception.connect(_note_unreachable_database, dispatch_uid="plans-database-unreachable")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "database_unreachable", False) and response.status_code == 500:
            return self.unavailable(request)
        if response.streaming and not response.is_async and not isinstance(response, FileResponse):
            return self.started(request, response)
        return response

    def started(self, request: HttpRequest, response: StreamingHttpResponse) -> HttpResponse:
        """A streamed download queries the database while it streams, once its 200 has been sent: its first
        piece is produced here, while the status can still change."""
        pieces = iter(response.streaming_content)
        try:
            first = next(pieces, None)
        except (OperationalError, InterfaceError) as exc:
            return self.process_exception(request, exc)
        response.streaming_content = pieces if first is None else chain([first], pieces)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _unreachable(exception):
            return None
        log.error("Database unavailable: %r", exception)
        return self.unavailable(request)

    @staticmethod
    def unavailable(request: HttpRequest) -> HttpResponse:
        response = render(request, "503.html", status=503)
        response["Retry-After"] = RETRY_AFTER
        add_never_cache_headers(response)
        return response
