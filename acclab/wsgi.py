"""WSGI entry point (gunicorn acclab.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acclab.settings")

application = get_wsgi_application()

# Check migrations once per worker at start-up, so that /healthz never has to (later if the database is down).
from plans.health import check_migrations_at_start  # noqa: E402

check_migrations_at_start()
