"""/healthz: a real health check that stays cheap enough to be the benchmarks' floor.

Per request it runs one trivial query (the database answers) and, with Redis, one PING. Whether migrations
are all applied is checked once per process, at start-up (acclab/wsgi.py) or on the first request, never
per request.

It answers JSON, one entry per dependency: {"database": "ok", "cache": "ok"}. The status follows what the
site can do: 503 when the database does not answer (or migrations are missing), because no page can be
served; 200 with "cache": "down" when only the cache is down, because every page is still served (uncached,
slower): a load balancer should keep sending traffic, and a monitor can still alert on the body.
"""

import logging

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from plans.middleware import RETRY_AFTER

_unapplied: int | None = None
log = logging.getLogger(__name__)


def check_migrations() -> int:
    """Count unapplied migrations once per process and remember it."""
    global _unapplied
    if _unapplied is None:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        _unapplied = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    return _unapplied


def check_migrations_at_start() -> None:
    """A worker's start-up (acclab/wsgi.py): check now, or, when the database does not answer (a worker
    restarted during an outage), leave it to the first /healthz that reaches the database. A worker that
    fails to boot makes gunicorn's master stop altogether, and then nothing recovers by itself."""
    try:
        check_migrations()
    except DatabaseError as exc:
        log.warning("Migrations not checked at start-up, the database does not answer: %r", exc)


def _database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means "down", whatever the driver raises
        return f"down: {type(exc).__name__}"
    unapplied = check_migrations()
    return f"{unapplied} unapplied migrations" if unapplied else "ok"


def _cache() -> str:
    # Only the Redis cache can be down; the per-process LocMem cache of a single server always answers.
    available = getattr(cache, "available", None)
    return "ok" if available is None or available() else "down"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report = {"database": _database(), "cache": _cache()}
    response = JsonResponse(report, status=200 if report["database"] == "ok" else 503)
    if response.status_code == 503:
        response["Retry-After"] = RETRY_AFTER
    return response
