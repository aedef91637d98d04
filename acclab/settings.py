"""Settings for AccLab Plans, read from the environment and an optional .env file (see .env.example).

One module for every environment: development defaults are safe to run locally, and production is
reached by setting variables, never by editing code. Helpers fail loudly on malformed values.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

# NAME=value lines of a file fill in what the environment leaves unset; the real environment always wins.
# ENV_FILE names the file: default .env beside manage.py (optional), empty for none (the test suite).
ENV_FILE = os.environ.get("ENV_FILE", str(BASE_DIR / ".env"))
if "ENV_FILE" in os.environ and ENV_FILE and not Path(ENV_FILE).is_file():
    raise ImproperlyConfigured(f"ENV_FILE names a file that does not exist: {ENV_FILE!r}")
if ENV_FILE:
    load_dotenv(ENV_FILE, override=False)


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


DEBUG = envbool("DEBUG", "1")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Third-party apps through plans/third_party.py: the same apps, under translated names.
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django_filters",
    "plans.third_party.TaggitConfig",
    "django_countries",  # ISO 3166 country names in English, French and Spanish (plans/countries.py)
    "plans.third_party.ReversionConfig",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "plans.third_party.AxesConfig",
    "django_otp",
    "plans.third_party.TOTPConfig",
    "plans.third_party.StaticConfig",
    "plans.third_party.TasksConfig",
    "plans",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "plans.headers.permissions_policy",
    "plans.api.fair_use.rate_limit_headers",
    # Before anything that may answer on its own (whitenoise, CommonMiddleware's redirects), so that those
    # answers carry the CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "plans.middleware.drop_nul_bytes",
    "plans.middleware.DatabaseUnavailable",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The admin's, sign-in pages' and API's language: the reader's, not the unprefixed English (after auth)
    "plans.i18n.chosen_language",
    "plans.audit.remember_request",
    "django_otp.middleware.OTPMiddleware",
    "plans.two_factor.two_factor_gate",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "acclab.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
            ],
        },
    },
]

WSGI_APPLICATION = "acclab.wsgi.application"

# No DATABASE_URL: an SQLite file inside the project, so that a fresh clone runs with nothing installed.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", "60"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while the importer writes; IMMEDIATE avoids "database is locked" upgrades;
    # a writer waits up to 20 s for the lock (Python's default is 5 s: two task workers on a busy machine
    # exceeded it, and the e-mail task queued after a transition was lost to "database is locked").
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: a full-text search over many matches crosses jit_above_cost and then spent ~60 ms compiling
    # expressions for a query that runs in less; no page here runs long enough to win it back. No parallel
    # workers: a search's matches were read by three processes in 27-34 ms, by one in 19 ms, and under
    # load the web workers already keep every core busy.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", "-c jit=off -c max_parallel_workers_per_gather=0"
    )
    if envbool("DB_PREPARED", "1"):
        # Parameters bound by the server, and each statement prepared on its fifth use on a connection:
        # a page runs the same dozen statements on every request, and PostgreSQL then parses and analyses
        # each once per connection (an uncached plan page: 14.0 → 12.3 ms in process at 100,000 plans).
        # A pooler in transaction mode that does not track prepared statements (PgBouncer before 1.21,
        # or without max_prepared_statements) needs DB_PREPARED=0.
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)

REDIS_URL = os.environ.get("REDIS_URL", "")


def redis_cache(url: str) -> dict:
    """A Redis cache that an outage degrades to no cache (plans.cache.RedisCache); short timeouts, so that a
    Redis that hangs costs a worker half a second, not a request's whole life."""
    timeouts = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    return {"BACKEND": "plans.cache.RedisCache", "LOCATION": url, "OPTIONS": timeouts}


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    # Each worker's own memory. Django's default of 300 entries was flooded by pages (~10 KB each): a stream
    # of new searches evicted every facet's counts (~4 KB, 8 a search) before a later page of the same search
    # could read them, and computed them again for nine pages in ten. 2,000 entries: ~20 MB at most.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": envint("CACHE_MAX_ENTRIES", "2000")},
        }
    }

# The site's header, footer and head links in each language (templates/base.html): the same on every page, and
# rendered with ~30 translations, URLs and static paths they cost 1 ms of each page computed afresh. In each
# process's own memory whatever the default cache: a few KB that change only with a deployment, which starts
# new processes, and that a round trip to Redis would cost as much as rendering.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "OPTIONS": {"MAX_ENTRIES": 200},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in throttling (django-axes). Failures are counted per account and per address in the database, which
# every worker shares; AxesStandaloneBackend comes first, so a locked-out attempt is refused before any
# password is hashed. A success resets the count; a failure during the cool-down restarts it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "10")
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in our own audit log
AXES_CLIENT_IP_CALLABLE = "plans.signin.client_ip"
# Behind the TLS proxy of the production notes every request comes from the proxy's address: the client's is
# the one the proxy appends to X-Forwarded-For. Count the proxies we trust, so that a client cannot choose
# its address by sending the header itself.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", "0" if DEBUG else "1")

# Two-factor authentication (django-otp, plans/two_factor.py): required of reviewers and superusers when on
# (by default in production; off in development so that the demo users sign in with a password alone).
TWO_FACTOR_REQUIRED = envbool("TWO_FACTOR_REQUIRED", "0" if DEBUG else "1")
OTP_TOTP_ISSUER = "AccLab Plans"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Uploaded evidence files: refused above this size before they are stored (plans/uploads.py). Request
# bodies other than files stay at Django's 2.5 MB; files above 2.5 MB are spooled to a temporary file
# rather than held in memory while they are checked.
ACCLAB_MAX_UPLOAD_MB = envint("ACCLAB_MAX_UPLOAD_MB", "10")
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o640

# Django 6 reads only STORAGES. The manifest storage needs collectstatic, so development and tests use
# the plain storage and production (DEBUG off) the compressed manifest one.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django 6.1 mailers. Development prints the workflow's e-mails on the console; production sends by SMTP.
MAILERS = {
    "default": {
        "BACKEND": os.environ.get(
            "EMAIL_BACKEND",
            "django.core.mail.backends.console.EmailBackend"
            if DEBUG
            else "django.core.mail.backends.smtp.EmailBackend",
        ),
        "OPTIONS": {},
    }
}
if MAILERS["default"]["BACKEND"].endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": envint("EMAIL_PORT", "25"),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": envbool("EMAIL_USE_TLS", "0"),
    }
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "AccLab Plans <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background tasks (Django's django.tasks): the workflow's e-mails and scheduled publication and expiry run
# outside the request. The django-tasks-db backend keeps the queue in the database every process shares, so
# that nothing is lost when a process stops; its worker (`manage.py task_worker`, started by ./run beside the
# server) runs them. Tests run them at once in the test process (ImmediateBackend, acclab/test_settings.py).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# The map works offline on a vendored world outline; production may add a tile server, e.g.
# MAP_TILE_URL=https://tile.example.org/{z}/{x}/{y}.png with its attribution (shown on the map).
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")

# Content-Security-Policy (Django's middleware), on every page: the public site, the admin and the API docs.
# Scripts come only from our origin or carry the request's nonce (`nonce="{{ csp_nonce }}"`), never from
# inline markup. Styles may be inline: bar widths and SDG colours are style attributes, and Leaflet, Swagger
# UI and Redoc inject <style> elements. Violations are posted to /csp-report/, which logs them (expect one
# per Redoc page view: its "API docs by Redocly" logo is an image on cdn.redoc.ly, blocked on purpose).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"]
    + ([f"{urlsplit(MAP_TILE_URL).scheme}://{urlsplit(MAP_TILE_URL).netloc}"] if MAP_TILE_URL else []),
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF, "blob:"],  # Redoc's search runs in a worker made from a blob
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "report-uri": "/csp-report/",
}

# Focal-point e-mails are personal data: off the public site, downloads and API unless switched on.
PUBLIC_FOCAL_POINT_EMAILS = envbool("PUBLIC_FOCAL_POINT_EMAILS", "0")

TAGGIT_CASE_INSENSITIVE = False

# The open-data API (plans/api/) is public and read-only: no authentication (so no CSRF and no answer
# that depends on who asks), page-number pagination answering {count, next, previous, results}.
REST_FRAMEWORK = {
    # Only API keys, which raise the rate limit; answers are the same for everybody (plans/api/fair_use.py).
    "DEFAULT_AUTHENTICATION_CLASSES": ["plans.api.fair_use.APIKeyAuthentication"],
    "DEFAULT_THROTTLE_CLASSES": ["plans.api.fair_use.AnonymousThrottle", "plans.api.fair_use.KeyThrottle"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# Published limits of the API: requests per period ("N/second|minute|hour|day") for anonymous clients (per
# address) and per API key; counted in the shared cache.
API_ANON_RATE = os.environ.get("API_ANON_RATE", "60/minute")
API_KEY_RATE = os.environ.get("API_KEY_RATE", "600/minute")
# The schema's documentation pages load Swagger UI and Redoc from drf-spectacular-sidecar's static files:
# no CDN, so they work offline and leak no visitor to a third party.
SPECTACULAR_SETTINGS = {
    "TITLE": _("AccLab Plans API"),
    "DESCRIPTION": _(
        "Read-only open data on the published Action Learning Plans of the UNDP Accelerator Labs."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The rate-limit headers and the 401 and 429 answers of every operation (plans/api/fair_use.py)
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "plans.api.fair_use.document_limits",
    ],
    # Plans and evidence both have a `kind`: name their enums rather than let a hash tell them apart.
    "ENUM_NAME_OVERRIDES": {
        "PlanKindEnum": "plans.models.Plan.Kind",
        "EvidenceKindEnum": "plans.models.Evidence.Kind",
    },
}
# The licence of the published data, named by its SPDX identifier and URL, with the notice it asks to keep:
# by default the archive's (the Labs publish their plans under the MIT License). Shown on every plan page,
# in every API record and download, and in the catalogue (plans/opendata.py).
DATA_LICENSE = os.environ.get("DATA_LICENSE", "MIT")
DATA_LICENSE_URL = os.environ.get("DATA_LICENSE_URL", "https://spdx.org/licenses/MIT.html")
DATA_LICENSE_NOTICE = os.environ.get("DATA_LICENSE_NOTICE", "Copyright (c) 2024 UNDP Accelerator Labs")
DATA_ATTRIBUTION = os.environ.get("DATA_ATTRIBUTION", "UNDP Accelerator Labs, SDG Commons archive")

# Dated full dumps of the published collection (`manage.py dump_collection`, plans/dumps.py): written
# here, served under /dumps/, the last DUMPS_KEEP dates kept.
DUMPS_ROOT = Path(os.environ.get("DUMPS_ROOT", BASE_DIR / "dumps"))
DUMPS_KEEP = envint("DUMPS_KEEP", "7")
# Plans per page of the DCAT catalogue (/catalog.jsonld, /catalog.ttl).
CATALOG_PAGE_SIZE = envint("CATALOG_PAGE_SIZE", "500")

# Open data: any site may read the API from a browser, but only read it, only under /api/, and never with
# the visitor's cookies.
CORS_ALLOW_ALL_ORIGINS = True
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False

if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "1")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
