"""WSGI entry point (gunicorn acclab.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acclab.settings")

application = get_wsgi_application()

# Check migrations once per worker at start-up, so that /healthz never has to (later if the database is down).
from plans.health import check_migrations_at_start  # noqa: E402

check_migrations_at_start()

# A worker's start-up leaves ~150,000 objects that live as long as it does (modules, classes, functions,
# URL patterns, templates' nodes once loaded). Each full collection of the cyclic garbage collector walked
# them all: 40-50 ms pauses every few dozen pages computed afresh. Frozen, they are left out of every
# collection (the standard library's advice for long-running processes, gc.freeze()).
import gc  # noqa: E402

from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 (the property imports every view module now: frozen too)
gc.freeze()
