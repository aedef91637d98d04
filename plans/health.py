"""/healthz: a real health check that stays cheap enough to be the benchmarks' floor.

Per request it runs one trivial query (the database answers). Whether migrations are all applied is
checked once per process, at start-up (acclab/wsgi.py) or on the first request, never per request.
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

_unapplied: int | None = None


def check_migrations() -> int:
    """Count unapplied migrations once per process and remember it."""
    global _unapplied
    if _unapplied is None:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        _unapplied = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    return _unapplied


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means "unhealthy", whatever the driver raises
        return HttpResponse(
            f"database unavailable: {type(exc).__name__}\n", status=503, content_type="text/plain"
        )
    unapplied = check_migrations()
    if unapplied:
        return HttpResponse(f"{unapplied} unapplied migrations\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
