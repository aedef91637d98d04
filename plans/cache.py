"""Caching that is never stale, with any number of worker processes.

Every cache key for public content carries `current_version()`, a number kept in the database
(`ContentVersion`). Anything that changes what the public may see calls `bump()` in the same transaction,
so the next request in *any* worker computes new keys and misses; old entries simply expire. Reading the
version costs one primary-key query per request, far cheaper than rendering a page.

The pages of one plan (its page, its API record) are keyed on that plan's own version instead
(`plan_version()`: its `modified_at`, which every write that changes what is shown of it moves, and the
version of what every plan's page shows, labs and tag names): a write to one plan bumps the content
version only (`bump(every_plan=False)`), so that publishing or editing a plan leaves every other plan's
pages cached; lists, searches and statistics still miss.

With `REDIS_URL` the entries are shared between workers; without it each process keeps its own (LocMem),
which is still correct because the version comes from the database. A Redis that does not answer is a
cache miss, never an error (`RedisCache`).
"""

import logging
import re
import time
import zlib
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from functools import cache as cache_once
from functools import partial, wraps
from hashlib import blake2b
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends import redis as django_redis
from django.db import connection
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils.autoreload import file_changed
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from redis.exceptions import RedisError

PAGE_TIMEOUT = 60 * 60  # entries of an old version are dead weight: let them age out within the hour
RETRY_SECONDS = 5  # after a failure, how long the cache is skipped before Redis is tried again

log = logging.getLogger(__name__)


def _tolerant(method: Callable, fallback: Callable) -> Callable:
    @wraps(method)
    def call(self, *args, **kwargs):
        if time.monotonic() < RedisCache.down_until:
            return fallback(*args, **kwargs)
        try:
            return method(self, *args, **kwargs)
        except (RedisError, OSError) as exc:  # refused, timed out, reset, out of memory…
            RedisCache.down_until = time.monotonic() + RETRY_SECONDS
            log.warning("Cache unavailable (%r): serving uncached for %s s", exc, RETRY_SECONDS)
            return fallback(*args, **kwargs)

    return call


class RedisCache(django_redis.RedisCache):
    """Django's Redis cache, for which a Redis that does not answer is a miss, not an error: with Redis down
    every public page and the API used to answer 500. Every error of the client is caught here, once for
    every user of the cache (pages, facets, statistics), and logged; the process then skips the cache for
    RETRY_SECONDS (one failed attempt per worker, not one per call, when Redis hangs instead of refusing)
    and tries again, so recovery needs no restart. `incr`/`decr` keep their errors: nothing here counts."""

    down_until = 0.0  # per process: time.monotonic() before which Redis is not tried

    get = _tolerant(django_redis.RedisCache.get, lambda key, default=None, version=None: default)
    get_many = _tolerant(django_redis.RedisCache.get_many, lambda keys, version=None: {})
    has_key = _tolerant(django_redis.RedisCache.has_key, lambda key, version=None: False)
    add = _tolerant(django_redis.RedisCache.add, lambda *args, **kwargs: False)
    set = _tolerant(django_redis.RedisCache.set, lambda *args, **kwargs: None)
    set_many = _tolerant(django_redis.RedisCache.set_many, lambda data, *args, **kwargs: list(data))
    touch = _tolerant(django_redis.RedisCache.touch, lambda *args, **kwargs: False)
    delete = _tolerant(django_redis.RedisCache.delete, lambda *args, **kwargs: False)
    delete_many = _tolerant(django_redis.RedisCache.delete_many, lambda *args, **kwargs: None)
    clear = _tolerant(django_redis.RedisCache.clear, lambda: None)

    def available(self) -> bool:
        """Whether Redis answers now (a real round trip, whatever `down_until` says): for /healthz."""
        try:
            return bool(self._cache.get_client().ping())
        except (RedisError, OSError):
            return False


# The anonymous request whose public page is being computed (`public_page`): what it reads of the content
# version, it reads once. A list asked for it four times (its page, the plans' bitmap, the list's order and
# places, `plans.postings`), one query each.
_computing: ContextVar[HttpRequest | None] = ContextVar("computing", default=None)


def computing() -> HttpRequest | None:
    """The anonymous request whose public page is being computed now (`public_page`), if any."""
    return _computing.get()


def current_version(request: HttpRequest | None = None) -> int:
    """The content version; read once per request when `request` is given, or while a public page is
    computed (a page, its facets and its statistics then share one query and one consistent version)."""
    return versions(request).get(CONTENT, 0)


def versions(request: HttpRequest | None = None) -> dict[int, int]:
    """{CONTENT: version, SHARED: version}, read together once per request as `current_version`: the
    page's key needs the first, the postings of a page computed afresh both (`postings.current`), which
    was a second query of every such page."""
    if request is None:
        request = _computing.get()
    if request is not None and hasattr(request, "_versions"):
        return request._versions
    with connection.cursor() as cursor:
        cursor.execute(_versions_sql(), [CONTENT, SHARED])
        found = dict(cursor.fetchall())
    if request is not None:
        request._versions = found
    return found


@cache_once
def _versions_sql() -> str:
    """Every cached page reads the versions before anything else, hits included: in SQL written once rather
    than built by the ORM on each request (0.29 ms of Django for a 0.015 ms query on SQLite)."""
    from plans.models import ContentVersion

    return f"SELECT id, value FROM {ContentVersion._meta.db_table} WHERE id IN (%s, %s)"


# ContentVersion rows: every public page; what every plan's own page shows besides the plan (labs, tags).
CONTENT, SHARED = 1, 2


def _increment(pk: int) -> None:
    from plans.models import ContentVersion

    if not ContentVersion.objects.filter(pk=pk).update(value=F("value") + 1):
        ContentVersion.objects.create(pk=pk, value=2)


def bump(every_plan: bool = True) -> None:
    """Declare that published content may have changed (call inside the changing transaction): every list,
    search, statistics and feed misses; with `every_plan`, every plan's own pages too (bulk writers, labs,
    tags: what any plan's page may show). A write to one plan says `every_plan=False`: its own pages are
    keyed on its `modified_at` (`plan_version`), which the write moves (plans/changes.py)."""
    _increment(CONTENT)
    if every_plan:
        _increment(SHARED)


def plan_version(request: HttpRequest, slug: str) -> str:
    """The version of one plan's own pages (its page, its API record), in one query: when it last changed
    for its readers (`Plan.modified_at`, moved by every write that changes what is shown of it), when its
    opening plan or closing report did (its page names them once published), and the version of what every
    plan's page shows (`bump()`). The content version for a slug of no plan (a 404, never cached)."""
    with connection.cursor() as cursor:
        cursor.execute(_plan_version_sql(), [SHARED, slug])
        row = cursor.fetchone()
    if row is None:
        return str(current_version(request))
    # Digits only: a key holds no space (SQLite gives times as text, PostgreSQL as datetimes).
    return "plan-" + "-".join(re.sub(r"\D", "", str(v or 0)) for v in row)


@cache_once
def _plan_version_sql() -> str:
    """What `plan_version` reads, written once: the ORM took 0.7 ms to build it, for every hit of a plan's
    page (the page itself is read from the cache in a tenth of that)."""
    from plans.models import ContentVersion, Plan

    plans, link = Plan._meta.db_table, Plan._meta.get_field("opening_plan").column
    return (
        f"SELECT (SELECT value FROM {ContentVersion._meta.db_table} WHERE id = %s), "
        f"p.modified_at, o.modified_at, c.modified_at FROM {plans} p "
        f"LEFT JOIN {plans} o ON o.id = p.{link} LEFT JOIN {plans} c ON c.{link} = p.id "
        "WHERE p.slug = %s"
    )


def _key(prefix: str, version: int, text: str) -> str:
    digest = blake2b(text.encode(), digest_size=16).hexdigest()
    return f"{prefix}:{version}:{get_language()}:{digest}"


def get_or_compute(
    name: str,
    params: str,
    compute: Callable[[], Any],
    version: int | None = None,
    request: HttpRequest | None = None,
) -> Any:
    """Cached value of `compute()` for this content version (facet counts, statistics, figures)."""
    key = _key(name, current_version(request) if version is None else version, params)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, PAGE_TIMEOUT)
    return value


def get_or_compute_many(
    name: str, params: dict[str, str], compute: Callable[[list[str]], dict[str, Any]], version: int
) -> dict[str, Any]:
    """{id: cached value} for `params` ({id: what the value depends on}), in one round trip to the cache;
    those missing are computed together by `compute(missing ids)` (one query for several facets) and
    stored."""
    keys = {ident: _key(name, version, text) for ident, text in params.items()}
    hits = cache.get_many(list(keys.values()))
    found = {ident: hits[key] for ident, key in keys.items() if key in hits}
    missing = [ident for ident in params if ident not in found]
    if missing:
        computed = compute(missing)
        cache.set_many({keys[ident]: computed[ident] for ident in missing}, PAGE_TIMEOUT)
        found.update(computed)
    return found


PACK_FROM = 32 * 1024  # bytes: pages this large are kept compressed


def _entry(content: bytes, content_type: str) -> tuple:
    """What the cache keeps of a page. A list or a search page carries every facet's values (about 220 KB
    at 20,000 plans), and a worker's own cache (LocMem, 300 entries) full of them took its memory past
    200 MB: such pages are kept compressed (about 7 times smaller, also in Redis), and inflated on a hit
    (under a millisecond). Small pages (a plan's, ~20 KB) are kept as they are."""
    if len(content) < PACK_FROM:
        return content, content_type
    return zlib.compress(content, 1), content_type, True


def public_page(
    view: Callable[..., HttpResponse] | None = None,
    *,
    params: Iterable[str] = (),
    variant: Callable[[HttpRequest], str | None] | None = None,
    plan: str = "",
):
    """Cache a public page for anonymous GET requests, keyed by content version, language, scheme, host,
    path, the query parameters the page reads (`params`, in `filters.canonical_query`'s form) and
    `variant(request)` (the API's negotiated format; `None` means "do not cache this one"). Use as
    `@public_page` for a page without parameters, or `@public_page(params=…)`. A page of one plan names
    the view argument that holds its slug (`plan="slug"`): it is keyed on that plan's version
    (`plan_version`) instead of the content version, and stays cached when other plans change.

    Every unknown parameter (`?utm_x=<random>`) used to make a new entry: now the page is rendered from
    the normalised request itself, so what is stored depends on nothing outside its key (no link on it
    keeps a parameter of the request that filled the cache).

    Signed-in users (authors, reviewers) always get a fresh render: they may see previews and their own
    messages. Responses that set cookies (a CSRF token, a session) are never cached, so no one's token is
    served to someone else.
    """
    if view is None:
        return partial(public_page, params=params, variant=variant, plan=plan)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        from plans.filters import canonical_query

        request.GET = canonical_query(request.GET, params)
        request.META["QUERY_STRING"] = request.GET.urlencode()
        kind = variant(request) if variant else ""
        if kind is None:
            return view(request, *args, **kwargs)
        address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
        slug = kwargs.get(plan) if plan else None
        version = plan_version(request, slug) if slug else current_version(request)
        key = _key("page", version, f"{address}|{kind}")
        hit = cache.get(key)
        if hit is not None:
            content, content_type, *packed = hit
            content = zlib.decompress(content) if packed else content
            response = HttpResponse(content, content_type=content_type)
            response["X-Cache"] = "hit"
        else:
            token = _computing.set(request)  # a GET of an anonymous reader: nothing it does moves the version
            try:
                response = view(request, *args, **kwargs)
            finally:
                _computing.reset(token)
            # A page that used a CSRF token (the middleware sets its cookie later) is personal: not cached.
            personal = response.cookies or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            if response.status_code == 200 and not response.streaming and not personal:
                if hasattr(response, "render") and callable(response.render):
                    response.render()
                cache.set(key, _entry(response.content, response["Content-Type"]), PAGE_TIMEOUT)
            response["X-Cache"] = "miss"
        patch_vary_headers(response, ["Cookie", "Accept-Language", "Accept"])
        return response

    return wrapper


def _changed(sender, instance, raw=False, signal=None, **kwargs):
    from django.db.models.signals import post_delete

    from plans.models import Plan

    if not raw:
        # A plan, a child row or a tag assignment changes that plan's pages only (and moves its modified_at);
        # a lab or a tag (its name) any plan's, and so does a deleted plan (superusers only, rare): it leaves
        # no modified_at, by which what processes keep of the plans (plans/postings.py) is brought up to
        # date, and another plan's page may link to it (an opening plan to its closing report).
        one = (
            (isinstance(instance, Plan) and signal is not post_delete)
            or hasattr(instance, "plan_id")
            or hasattr(instance, "content_object_id")
        )
        bump(every_plan=not one)


def _m2m_changed(sender, action, **kwargs):
    if action in {"post_add", "post_remove", "post_clear"}:
        bump(every_plan=False)  # the plans' modified_at moves (plans/changes.py)


def connect() -> None:
    """Bump on every write that can change a public page: plans, their children (blog links included: an
    approval makes one public), tag assignments and names, labs and SDGs (called by
    `PlansConfig.ready()`; children and vocabularies from `plans.parts`). Bulk writers that bypass
    signals (the importer, bench_generate) call `bump()` themselves."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from plans.models import Lab, Plan
    from plans.parts import TAG_VOCABULARIES, VOCABULARIES, child_models

    senders = [
        Plan,
        Lab,
        *child_models(),
        *(v.through for v in TAG_VOCABULARIES),
        *(v.tag_model for v in VOCABULARIES),
    ]
    for sender in senders:
        post_save.connect(_changed, sender=sender, dispatch_uid=f"cache-{sender.__name__}-saved")
        post_delete.connect(_changed, sender=sender, dispatch_uid=f"cache-{sender.__name__}-deleted")
    for through in (v.through for v in VOCABULARIES):
        m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"cache-{through.__name__}-m2m")
    file_changed.connect(_template_edited, dispatch_uid="cache-fragments-template-edited")


def _template_edited(sender, file_path, **kwargs) -> None:
    """The development server keeps running when a template changes (Django resets its templates instead):
    the header and footer it kept (the `fragments` cache, templates/base.html) are rendered again."""
    if file_path.suffix == ".html":
        caches["fragments"].clear()
