"""Security headers beyond Django's own: Permissions-Policy, and the endpoint that logs CSP violations."""

import json
import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

log = logging.getLogger("acclab.csp")

# Features no page of ours uses, switched off so that injected content cannot use them either.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)

# Browsers send one report of a few hundred bytes; anything larger is not a report.
MAX_REPORT_BYTES = 16 * 1024


def permissions_policy(get_response):
    """Middleware adding the Permissions-Policy header to every response."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    return middleware


@csrf_exempt  # browsers post reports without a token; the view changes nothing
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """Log a Content-Security-Policy violation report (report-uri's `csp-report` or report-to's list)."""
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = MAX_REPORT_BYTES + 1
    if length > MAX_REPORT_BYTES:
        return HttpResponse(status=413)
    try:
        report = json.loads(request.read(MAX_REPORT_BYTES))
    except ValueError:
        return HttpResponse(status=400)
    reports = report if isinstance(report, list) else [report]
    for item in reports[:10]:
        if not isinstance(item, dict):
            continue
        body = item.get("csp-report") or item.get("body")
        if not isinstance(body, dict):
            continue
        log.warning(
            "CSP violation: %s blocked %s on %s",
            str(body.get("violated-directive") or body.get("effectiveDirective"))[:100],
            str(body.get("blocked-uri") or body.get("blockedURL"))[:300],
            str(body.get("document-uri") or body.get("documentURL"))[:300],
        )
    return HttpResponse(status=204)
