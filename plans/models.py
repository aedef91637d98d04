"""The data model of Action Learning Plans.

A plan is a filled-in form (an opening plan, a closing report or the rare hybrid of both). Single-answer
questions are fields on `Plan`; repeated answers are ordered child rows; what the archive holds that has no
field of its own is kept in `ExtraAnswer` rows and `Plan.archive_layout`, so that an imported plan can be
written back to the archive format without losing a word.
"""

import functools
import hashlib
import hmac
import secrets
import uuid
from datetime import UTC

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.db import IntegrityError, connections, models, router, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager, _TaggableManager
from taggit.models import TagBase, TaggedItemBase

from plans import catalogue, choices, completeness, countries, notifications, permissions, workflow
from plans.archive.mapping import empty_content, render
from plans.archive.write import write
from plans.audit import _account as account_field
from plans.choices import STAGES  # noqa: F401  (re-exported: forms and the archive code name it here)
from plans.i18n import SDG_NAMES
from plans.parts import CHILDREN, VOCABULARIES, VOCABULARY_NAMES, child
from plans.tag_keys import clean_name, tag_key
from plans.uploads import UploadField
from plans.validators import LATITUDE, LONGITUDE, validate_latitude, validate_link_url, validate_longitude


def answers_html_field() -> models.JSONField:
    """The row's answers as clean HTML ({field: html}), made by plans/sanitise.py whenever the row is saved
    or imported, so that pages never sanitise: the answers themselves stay exactly as written."""
    return models.JSONField(_("answers as clean HTML"), default=dict, blank=True, editable=False)


def account_link(verbose_name, *, blank: bool = True, **extra) -> models.ForeignKey:
    """A person a row names (who created, claimed, reviewed, scheduled …): emptied when the account is
    deleted, the row staying; no reverse accessor on the user."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=blank,
        related_name="+",
        verbose_name=verbose_name,
        **extra,
    )


class Lab(models.Model):
    """An Accelerator Lab. Its `members` are the focal points who author its plans."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    iso3 = models.CharField(_("ISO 3166-1 alpha-3"), max_length=3, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="labs", verbose_name=_("focal points")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("lab")
        verbose_name_plural = _("labs")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.iso3 = (self.iso3 or countries.code_for(self.country)).upper()
        super().save(*args, **kwargs)


class SDG(models.Model):
    """One of the 17 Sustainable Development Goals; rows are created by a data migration."""

    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    colour = models.CharField(_("colour"), max_length=7, help_text=_("Official colour as #rrggbb."))

    class Meta:
        ordering = ["number"]
        verbose_name = _("SDG")
        verbose_name_plural = _("SDGs")

    def __str__(self) -> str:
        return f"{self.number}. {self.display_name}"

    @property
    def display_name(self) -> str:
        """The goal's official name in the active language (the database keeps the English one)."""
        return str(SDG_NAMES.get(self.number, self.name))


class LongTagBase(TagBase):
    """Tag with room for the sentence-long free tags of the archive (up to 619 characters seen).

    Curated (plans/vocabularies.py): one tag per `key` (case, accents, spacing and punctuation folded,
    plans/tag_keys.py), the names it had before a merge or rename kept as `aliases` (so old links, API
    filters and re-imports still find it), labels in French and Spanish, and an optional broader
    `category` of the same vocabulary. Aliases live on the row rather than in a table of their own: every
    reader of a plan's tags (export, search index, suggestions) gets them with the prefetched tag."""

    name = models.CharField(_("name"), max_length=1000, unique=True)
    slug = models.SlugField(_("slug"), max_length=255, unique=True, allow_unicode=True)
    key = models.CharField(_("comparison key"), max_length=1000, unique=True, editable=False)
    name_fr = models.CharField(_("French label"), max_length=1000, blank=True)
    name_es = models.CharField(_("Spanish label"), max_length=1000, blank=True)
    # [{"name": …, "slug": …, "key": …}, …]: earlier names of this tag (plans/vocabularies.py writes them).
    aliases = models.JSONField(_("aliases"), default=list, blank=True, editable=False)
    category = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="narrower",
        verbose_name=_("broader category"),
        help_text=_("A broader tag of the same vocabulary: its plans are found under this one too."),
    )

    class Meta:
        abstract = True
        ordering = ["name"]

    def slugify(self, tag, i=None):
        base = slugify(tag, allow_unicode=True)[:200] or "tag"
        return f"{base}_{i}" if i is not None else base

    def save(self, *args, **kwargs):
        self.name = clean_name(self.name)
        self.key = tag_key(self.name)
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        """The tag's name in the active language: its French or Spanish label when it has one."""
        return {"fr": self.name_fr, "es": self.name_es}.get((get_language() or "")[:2], "") or self.name

    @property
    def alias_keys(self) -> set[str]:
        return {a.get("key") or tag_key(a.get("name", "")) for a in self.aliases or ()}

    @classmethod
    def resolve(cls, names, *, create: bool = True) -> dict[str, "LongTagBase"]:
        """{name as given: tag} for each name: the tag of the same key, else the tag that had this name
        before (an alias), else (when `create`) a new tag under the tidied name. Names that are blank or
        nothing but punctuation are left out, and so are unknown names when not `create`."""
        keys = {name: tag_key(clean_name(name)) for name in names if isinstance(name, str)}
        keys = {name: key for name, key in keys.items() if key}  # blank names are no tag
        found = {t.key: t for t in cls.objects.filter(key__in=set(keys.values()))}
        missing = set(keys.values()) - set(found)
        if missing:
            for tag in cls.objects.exclude(aliases=[]):
                for key in tag.alias_keys & missing:
                    found.setdefault(key, tag)
        result = {}
        for name, key in keys.items():
            if key not in found and create:
                found[key] = cls.objects.create(name=clean_name(name))
            if key in found:
                result[name] = found[key]
        return result


# One tag model and one through model per vocabulary: a method and a datasource with the same name
# must stay two different tags (taggit would otherwise share the row).
class MethodTag(LongTagBase):
    class Meta(LongTagBase.Meta):
        verbose_name = _("method")
        verbose_name_plural = _("methods")


class DatasourceTag(LongTagBase):
    class Meta(LongTagBase.Meta):
        verbose_name = _("data source")
        verbose_name_plural = _("data sources")


class ThematicAreaTag(LongTagBase):
    class Meta(LongTagBase.Meta):
        verbose_name = _("thematic area")
        verbose_name_plural = _("thematic areas")


def _tagged_meta(prefix: str) -> tuple[list[models.Index], list[models.UniqueConstraint]]:
    """(indexes, constraints) of a tag-assignment table: both directions, each covering. (tag, plan) counts
    facets and lists a tag's plans; (plan, tag) prefetches a page's tags and counts facets over a filtered
    set of plans, and is unique: a plan carries a tag once, so facet counts count rows instead of
    COUNT(DISTINCT plan), which sorted every assignment and spilled to disk at 100,000 plans. They replace
    the foreign keys' single-column indexes, which are their prefixes."""
    return (
        [models.Index(fields=["tag", "content_object"], name=f"{prefix}_tag_plan")],
        [models.UniqueConstraint(fields=["content_object", "tag"], name=f"{prefix}_plan_tag")],
    )


class TaggedPlan(TaggedItemBase):
    """A plan's assignment of one tag of a vocabulary: one concrete subclass (table) per vocabulary."""

    content_object = models.ForeignKey("Plan", on_delete=models.CASCADE, db_index=False)

    class Meta:
        abstract = True


class TaggedMethod(TaggedPlan):
    tag = models.ForeignKey(MethodTag, on_delete=models.CASCADE, related_name="tagged_items", db_index=False)

    class Meta:
        indexes, constraints = _tagged_meta("taggedmethod")
        verbose_name = _("method of a plan")
        verbose_name_plural = _("methods of plans")


class TaggedDatasource(TaggedPlan):
    tag = models.ForeignKey(
        DatasourceTag, on_delete=models.CASCADE, related_name="tagged_items", db_index=False
    )

    class Meta:
        indexes, constraints = _tagged_meta("taggeddatasource")
        verbose_name = _("data source of a plan")
        verbose_name_plural = _("data sources of plans")


class TaggedThematicArea(TaggedPlan):
    tag = models.ForeignKey(
        ThematicAreaTag, on_delete=models.CASCADE, related_name="tagged_items", db_index=False
    )

    class Meta:
        indexes, constraints = _tagged_meta("taggedtheme")
        verbose_name = _("thematic area of a plan")
        verbose_name_plural = _("thematic areas of plans")


class TagChange(models.Model):
    """One merge or rename of tags by a reviewer or a command (plans/vocabularies.py): who, when, what, and
    in `data` everything needed to undo it (the merged tags as they were, and which plans carried them)."""

    class Action(models.TextChoices):
        MERGE = "merge", _("merge")
        RENAME = "rename", _("rename")

    vocabulary = models.CharField(_("vocabulary"), max_length=30)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    summary = models.CharField(_("what"), max_length=1000)
    data = models.JSONField(_("undo data"), default=dict, editable=False)
    actor = account_field(_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = account_field(_("undone by"))

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("tag change")
        verbose_name_plural = _("tag changes")

    def __str__(self) -> str:
        return self.summary


def validate_source_file(name: str) -> None:
    """A plan's archive file name: a bare name (no folders, no "." or ".."), without control characters
    (a CR or LF in it broke the download's Content-Disposition header)."""
    if (
        name in (".", "..")
        or any(c in name for c in "/\\")
        or any(ord(c) < 32 or ord(c) == 127 for c in name)
    ):
        raise ValidationError(
            _("A source file is a plain file name: no folders, no line breaks or other control characters."),
            code="source_file",
        )


# The parts of a layout item and the types of their arguments (plans/archive/mapping.py describes them).
_OPTIONAL_STR, _OPTIONAL_INT = (str, type(None)), (int, type(None))
_LAYOUT_PARTS = {
    "f": (str,),
    "x": (int,),
    "i": (),
    "br": (),
    "b": (int,),
    "h": (),
    "c": (str,),
    "q": (int, str),
    "e": (str, _OPTIONAL_INT),
    "p": (int, str),
    "t": (str,),
    "g": (_OPTIONAL_STR, list),
}


def _part_problem(part, where: str) -> str | None:
    if not (isinstance(part, list) and part and part[0] in _LAYOUT_PARTS):
        return where
    types = _LAYOUT_PARTS[part[0]]
    if len(part) != len(types) + 1 or not all(isinstance(a, t) for a, t in zip(part[1:], types, strict=True)):
        return where
    if part[0] == "g":
        return next(
            (p for n, sub in enumerate(part[2]) if (p := _part_problem(sub, f"{where}[2][{n}]"))), None
        )
    return None


def _layout_problem(layout) -> str | None:
    """Where (as a JSON path) `layout` departs from the format the exporter reads, or None."""
    if not isinstance(layout, dict):
        return "$"
    for key in ("meta", "title", "header_extra", "sections"):
        if not isinstance(layout.get(key, []), list):
            return key
    for key in ("title", "header_extra"):
        for n, line in enumerate(layout.get(key, [])):
            if not isinstance(line, str):
                return f"{key}[{n}]"
    for n, pair in enumerate(layout.get("meta", [])):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            return f"meta[{n}]"
    for s, section in enumerate(layout.get("sections", [])):
        where = f"sections[{s}]"
        if not (
            isinstance(section, dict)
            and isinstance(section.get("h"), str)
            and isinstance(section.get("m"), bool)
            and isinstance(section.get("k", 0), _OPTIONAL_STR)
            and isinstance(section.get("lq", 0), int)
            and isinstance(section.get("items"), list)
        ):
            return where
        for i, item in enumerate(section["items"]):
            at = f"{where}.items[{i}]"
            if not (
                isinstance(item, dict)
                and isinstance(item.get("p", 0), _OPTIONAL_STR)
                and isinstance(item.get("k", 0), _OPTIONAL_STR)
                and isinstance(item.get("parts"), list)
            ):
                return at
            for p, part in enumerate(item["parts"]):
                if problem := _part_problem(part, f"{at}.parts[{p}]"):
                    return problem
    return None


def validate_archive_layout(layout) -> None:
    """A layout the exporter can write back to the archive (plans/archive/mapping.py describes the format):
    checked part by part, then written once with empty content. A malformed layout made the plan's archive
    download, the collection ZIP and `export_plans` fail for everybody."""
    where = _layout_problem(layout)
    if where is None:
        try:
            write(render(empty_content(), layout))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            where = "$"
    if where is not None:
        raise ValidationError(
            _("The archive layout is malformed at %(where)s; the plan could not be written to the archive."),
            code="archive_layout",
            params={"where": where},
        )


class CuratedTags(_TaggableManager):
    """taggit's manager of a plan's tags, finding existing tags the curated way: a name given as text is
    the tag of the same key or alias (`LongTagBase.resolve`), never a near-duplicate created beside it."""

    def _to_tag_model_instances(self, tags, tag_kwargs):
        names = [t for t in tags if isinstance(t, str)]
        found = self.through.tag_model().resolve(names)
        return super()._to_tag_model_instances(
            [found[t] if isinstance(t, str) else t for t in tags if not isinstance(t, str) or t in found],
            tag_kwargs,
        )


def _vocabulary(through, verbose_name) -> TaggableManager:
    """One tag vocabulary of a plan (plans/parts.py lists them), listed by name."""
    return TaggableManager(
        through=through,
        blank=True,
        ordering=["name"],
        related_name="plans",
        verbose_name=verbose_name,
        manager=CuratedTags,
    )


class PlanQuerySet(models.QuerySet):
    def published(self):
        """The only definition of "public": everything the public site, feeds and API show starts here."""
        return self.filter(status=Plan.Status.PUBLISHED)

    def visible_to(self, user):
        return permissions.visible_plans(user, self)

    def for_reader(self, user=None):
        """What `user` (None: the public) may read of these plans: the plans they may see
        (`permissions.visible_plans`), each with everything a page, download, API response or archive file
        shows of it (`with_content_for`)."""
        return self.visible_to(user).with_content_for(user)

    def with_content_for(self, user=None):
        """Everything shown of a plan, in a fixed number of queries whatever the number of plans: lab, tags,
        SDGs, children, and of the reviewed children (blog links) what `user` may see: the approved ones,
        plus the others of plans whose private parts are theirs (`permissions.visible_blog_links`); and the
        linked opening plan and closing report when they are published (`Plan.public_opening_plan`)."""
        return self.select_related("lab").prefetch_related(*self._content_lookups(user))

    def _content_lookups(self, user=None, leave=()):
        """The prefetches of `with_content_for`, but those of the relations named in `leave`."""
        children = [
            models.Prefetch(c.related_name, permissions.visible_blog_links(user, c.model.objects.all()))
            if c.reviewed
            else c.related_name
            for c in CHILDREN
            if c.related_name not in leave
        ]
        links = [
            models.Prefetch(relation, _linked(), to_attr=attribute)
            for relation, attribute in LINKS.items()
            if relation not in leave
        ]
        return [*(name for name in VOCABULARY_NAMES if name not in leave), *children, *links]

    def one_for_reader(self, user=None, **lookup):
        """`for_reader(user).get(**lookup)` for the page of one plan: the same plan with the same content in
        the same queries, but its tags, SDGs and children (all but the reviewed blog links) are read with SQL
        that Django builds once per process (`_relation_sql`) instead of once per request, and sent together
        (`_rows_of`: one round trip to PostgreSQL for a dozen statements). Building a query
        costs Django about 1 ms of CPU and a plan's page needs a dozen: at 100,000 plans that was about half
        of an uncached page of one plan (124 pages/s in `bench/run.py`). Raises DoesNotExist as get() does."""
        compiled = dict(_relation_sql())
        public = not (user and user.is_authenticated)
        if public:  # as the public may see them: the plan, its lab, its blog links
            compiled.update(_public_relation_sql())
            by_slug = compiled.pop("plan")
        if public and lookup.keys() == {"slug"}:
            plan = _one(self.db, by_slug, lookup["slug"])  # its lab comes with its relations
        else:
            plan = self.visible_to(user).select_related("lab").get(**lookup)
            compiled.pop("lab", None)
        plan._prefetched_objects_cache = {}
        statements = [
            (sql, [*params[:at], plan.pk, *params[at + 1 :]]) for _, sql, params, at, _ in compiled.values()
        ]
        for (name, (query, _sql, _params, _at, selected)), rows in zip(
            compiled.items(), _rows_of(connections[self.db], statements), strict=True
        ):
            rows = _instances(self.db, query, selected, rows)
            if name == "lab":  # as select_related("lab") would have set it
                Plan.lab.field.set_cached_value(plan, next(iter(rows), None))
                continue
            if name in LINKS:  # a published opening plan or closing report, or None
                setattr(plan, LINKS[name], next(iter(rows), None))
                continue
            cached = getattr(plan, name).get_queryset()  # what a prefetch stores: the plan's own rows
            cached._result_cache, cached._prefetch_done = rows, True
            plan._prefetched_objects_cache[name] = cached
        models.prefetch_related_objects([plan], *self._content_lookups(user, leave=compiled))
        return plan


def _rows_of(connection, statements: list[tuple[str, list]]) -> list[list[tuple]]:
    """The rows of each (SQL, parameters), on PostgreSQL sent together in one pipeline: one round trip
    for all instead of one for each."""
    if connection.vendor != "postgresql":
        found = []
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                found.append(cursor.fetchall())
        return found
    connection.ensure_connection()
    cursors = []
    try:
        with connection.wrap_database_errors, connection.connection.pipeline():
            for sql, params in statements:
                cursors.append(cursor := connection.cursor())
                cursor.execute(sql, params)
        return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


_PLAN_ID = -7_318_452_961  # stands for the plan in `_relation_sql`: no plan's id, nor any other value


# A plan's links to its opening plan and closing report when they are published: {relation: attribute}.
LINKS = {"opening_plan": "_public_opening_plan", "closing_report": "_public_closing_report"}


def _linked():
    """What a plan's page shows of its published opening plan or closing report."""
    return Plan.objects.published().only("slug", "title", "kind", "language", "opening_plan_id")


_SLUG = "\ue000slug\ue000"  # stands for the slug of the plan asked for: no slug holds these characters


def _compiled(querysets: dict) -> dict:
    """{name: (query, SQL, parameters, where the plan's id (or slug) is in them, columns selected)} of
    querysets built for the plan `_PLAN_ID` (or `_SLUG`), as Django compiles them (with their order)."""
    found = {}
    for name, queryset in querysets.items():
        query = queryset.query
        # Rows are read as the model's own columns (all, or those of `only()`), in their order.
        assert not query.extra_select and not query.annotation_select and not query.select_related, name
        compiler = query.get_compiler(using=router.db_for_read(query.model))
        sql, params = compiler.as_sql()
        params = list(params)
        assert params.count(_PLAN_ID) + params.count(_SLUG) == 1, name
        selected = [column for column, _, _ in compiler.select]
        assert all(column.target.model._meta.concrete_model is query.model for column in selected), name
        at = params.index(_PLAN_ID if _PLAN_ID in params else _SLUG)
        found[name] = (query, sql, params, at, selected)
    return found


def _instances(db: str, query, selected: list, rows: list[tuple]) -> list:
    """Model instances of rows read with `_compiled` SQL, their values converted as Django converts them
    (JSON, and dates on SQLite)."""
    compiler = query.get_compiler(db)
    if converters := compiler.get_converters(selected):
        rows = compiler.apply_converters(rows, converters)
    columns = [column.target.attname for column in selected]
    return [query.model.from_db(db, columns, row) for row in rows]


def _one(db: str, compiled: tuple, value):
    """The one row of `_compiled` SQL for this value of its placeholder, as `get()` gives it."""
    query, sql, params, at, selected = compiled
    with connections[db].cursor() as cursor:
        cursor.execute(sql, [*params[:at], value, *params[at + 1 :]])
        rows = cursor.fetchall()
    if not rows:
        raise query.model.DoesNotExist(f"{query.model._meta.object_name} matching query does not exist.")
    return _instances(db, query, selected, rows)[0]


@functools.cache
def _relation_sql() -> dict:
    """`_compiled` `plan.<relation>.all()` for the tags, SDGs and the children that need no review, and the
    plan's published opening plan and closing report (LINKS): built once per process, run for each plan
    by `one_for_reader`."""
    plan = Plan(pk=_PLAN_ID)
    relations = (*VOCABULARY_NAMES, *(c.related_name for c in CHILDREN if not c.reviewed))
    opening = Plan.objects.filter(pk=_PLAN_ID).values("opening_plan_id")
    return _compiled(
        {
            **{name: getattr(plan, name).all() for name in relations},
            "opening_plan": _linked().filter(pk__in=opening),
            "closing_report": _linked().filter(opening_plan_id=_PLAN_ID),
        }
    )


@functools.cache
def _public_relation_sql() -> dict:
    """`_compiled` for `one_for_reader` when no one is signed in, as `permissions` lets the public see them:
    the plan itself by its slug ("plan": published), its lab, and its reviewed children (blog links: the
    approved ones). Built by the ORM on each request, they took about 3 ms of a plan's page."""
    plan = Plan(pk=_PLAN_ID)
    return _compiled(
        {
            "plan": permissions.visible_plans(None, Plan.objects.filter(slug=_SLUG)),
            "lab": Lab.objects.filter(pk__in=Plan.objects.filter(pk=_PLAN_ID).values("lab_id")),
            **{
                c.related_name: permissions.visible_blog_links(None, getattr(plan, c.related_name).all())
                for c in CHILDREN
                if c.reviewed
            },
        }
    )


# Leaving review (a plan or a revision of a live plan, returned or published): nobody reviews it any more and
# its publication is not scheduled.
OUT_OF_REVIEW = {"claimed_by": None, "claimed_at": None, "publish_at": None}
RELEASED = {"claimed_by": None, "claimed_at": None}


def claimed_by(by) -> dict:
    return {"claimed_by": by, "claimed_at": timezone.now()}


class Plan(models.Model):
    Kind = choices.PlanKind
    Status = choices.PlanStatus
    ChallengeType = choices.ChallengeType
    FormVersion = choices.FormVersion

    # Identity and metadata
    title = models.CharField(_("title"), max_length=500)
    slug = models.SlugField(_("slug"), max_length=255, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.OPENING)
    form_version = models.CharField(
        _("form"),
        max_length=12,
        choices=FormVersion,
        default=FormVersion.OPENING,
        help_text=_("Which version of the form this plan answers; decides its prompts."),
    )
    language = models.CharField(_("language"), max_length=10, default="en")
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    lab = models.ForeignKey(
        Lab, on_delete=models.PROTECT, null=True, blank=True, related_name="plans", verbose_name=_("lab")
    )
    country = models.CharField(
        _("country as written"),
        max_length=100,
        blank=True,
        help_text=_("The country as the plan's file or author wrote it; the site uses the country code."),
    )
    # ISO 3166-1 alpha-3 (plans/countries.py): what facets, map, statistics and downloads group by. Set
    # from the written country when it names one, else from the plan's lab (`save`).
    country_code = models.CharField(_("country code"), max_length=3, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True, validators=[validate_latitude])
    longitude = models.FloatField(_("longitude"), null=True, blank=True, validators=[validate_longitude])
    focal_point_email = models.EmailField(_("focal point e-mail"), max_length=254, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # When anything the public sees of the plan last changed (its row, children, tags, lab, status), for
    # harvesters (`/api/plans/?modified_since=`, the catalogue). Unlike `updated_at`, which the admin's
    # edit forms compare to refuse lost updates, it also moves when a child or a blog link changes alone
    # (plans/changes.py).
    modified_at = models.DateTimeField(_("modified at"), default=timezone.now, editable=False)
    created_by = account_link(_("created by"))
    # The review workspace (plans/workflow.py): who reviews a submission, and what is scheduled. Set only by
    # transitions; a restore of an older version keeps them (plans/history.py).
    claimed_by = account_link(_("review claimed by"))
    claimed_at = models.DateTimeField(_("review claimed at"), null=True, blank=True)
    publish_at = models.DateTimeField(_("scheduled publication"), null=True, blank=True, db_index=True)
    expire_at = models.DateTimeField(_("expiry date"), null=True, blank=True, db_index=True)
    scheduled_by = account_link(
        _("scheduled by"),
        help_text=_(
            "The reviewer who set the publication or expiry date; the scheduled transition is theirs."
        ),
    )

    # A closing report's opening plan, set by its authors (or by "Start the closing report"); the opening
    # plan reaches its report as `closing_report`. Corpus pairs are never guessed: a lab may close a plan
    # of the same theme with a report on another challenge.
    opening_plan = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="closing_report",
        verbose_name=_("opening plan"),
        limit_choices_to={"kind__in": choices.OPENING_KINDS},
        error_messages={"unique": _("This opening plan already has its closing report.")},
        help_text=_("The opening plan this closing report closes; each page links to the other once public."),
    )

    # Opening plan: challenge statement section
    plan_name = models.TextField(
        _("name of the action learning plan"),
        blank=True,
        help_text=_("The answer to “Please provide a name for your action learning plan.”"),
    )
    challenge_type = models.CharField(_("challenge type"), max_length=12, choices=ChallengeType, blank=True)
    challenge_statement = models.TextField(_("challenge statement"), blank=True)
    background = models.TextField(_("background"), blank=True)
    value_proposition = models.TextField(_("value proposition"), blank=True)
    # The archive holds longer tweets (up to 1,474 characters): the limit applies to new edits only,
    # through model validation, never to what is imported.
    tweet_summary = models.TextField(
        _("short “tweet” summary"), blank=True, validators=[MaxLengthValidator(280)]
    )
    partners_overview = models.TextField(
        _("partners overview"),
        blank=True,
        help_text=_("Who are your top partners (opening plan) / which partners you actually worked with."),
    )
    early_leads = models.TextField(_("early leads to grow"), blank=True)

    # Closing report: learnings
    handover_options = models.JSONField(_("handover process"), default=list, blank=True)
    handover_details = models.TextField(_("handover details"), blank=True)
    time_sense = models.PositiveSmallIntegerField(
        _("time on Sense (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    time_explore = models.PositiveSmallIntegerField(
        _("time on Explore (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    time_test = models.PositiveSmallIntegerField(
        _("time on Test (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    time_grow = models.PositiveSmallIntegerField(
        _("time on Grow (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    # Closing report: data and methods
    why_data = models.TextField(_("why these data"), blank=True)
    why_methods = models.TextField(_("why these methods"), blank=True)
    # Closing report, first form: partners as free text
    partners_civil_society = models.TextField(_("civil society partners"), blank=True)
    partners_academic = models.TextField(_("academic partners"), blank=True)
    partners_private = models.TextField(_("private sector partners"), blank=True)
    partners_government = models.TextField(_("government partners"), blank=True)
    partners_new_unusual = models.TextField(_("new and unusual partners"), blank=True)
    partners_un = models.TextField(_("UN internal partners"), blank=True)
    # Closing report: end
    bonus_answer = models.TextField(_("bonus question"), blank=True)

    # Tags
    methods = _vocabulary(TaggedMethod, _("methods"))
    datasources = _vocabulary(TaggedDatasource, _("data sources"))
    thematic_areas = _vocabulary(TaggedThematicArea, _("thematic areas"))
    sdgs = models.ManyToManyField(SDG, blank=True, related_name="plans", verbose_name=_("SDGs"))

    # Archive fidelity: what the format carries that is not content of its own. Only superusers edit these
    # fields (plans/admin/fieldsets.py); the validators hold on every path that validates.
    source_file = models.CharField(
        _("source file"),
        max_length=255,
        blank=True,
        db_index=True,
        validators=[validate_source_file],
        help_text=_("File name in the archive this plan was imported from; its identity on re-import."),
    )
    raw_title = models.TextField(_("title as found in the archive"), blank=True)
    section_markers = models.BooleanField(_("“****” under headings"), default=False)
    archive_layout = models.JSONField(
        _("archive layout"),
        default=dict,
        blank=True,
        validators=[validate_archive_layout],
        help_text=_("Order of sections, prompts and groups as found in the archive file."),
    )
    answers_html = answers_html_field()

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        # Reviewing is a right of its own, not a variant of "change": reviewers do not author.
        permissions = [("review_plan", _("Can review, publish and withdraw plans and approve blog links"))]
        constraints = [
            models.CheckConstraint(
                name="plan_time_split_empty_or_100",
                condition=(
                    Q(
                        time_sense__isnull=True,
                        time_explore__isnull=True,
                        time_test__isnull=True,
                        time_grow__isnull=True,
                    )
                    | Q(
                        time_sense__isnull=False,
                        time_explore__isnull=False,
                        time_test__isnull=False,
                        time_grow__isnull=False,
                    )
                    # Written as "sense = 100 - the others" so that it is one portable SQL expression.
                    & Q(
                        time_sense=100
                        - models.F("time_explore")
                        - models.F("time_test")
                        - models.F("time_grow")
                    )
                ),
                violation_error_message=_("The learning-cycle time split must be empty or add up to 100 %%."),
            ),
            # The database refuses what validation refuses, whatever the path (importer, update(), SQL):
            # one NaN or out-of-range value emptied the public map and made the API answer 500. NaN and
            # infinity fail these comparisons on PostgreSQL; SQLite stores NaN as NULL.
            models.CheckConstraint(
                name="plan_latitude_on_earth",
                condition=Q(latitude__isnull=True) | Q(latitude__gte=LATITUDE[0], latitude__lte=LATITUDE[1]),
                violation_error_message=_("A latitude is a number from -90 to 90."),
            ),
            models.CheckConstraint(
                name="plan_longitude_on_earth",
                condition=Q(longitude__isnull=True)
                | Q(longitude__gte=LONGITUDE[0], longitude__lte=LONGITUDE[1]),
                violation_error_message=_("A longitude is a number from -180 to 180."),
            ),
            # A file name is a plan's identity on re-import: a second plan naming another's file (another
            # lab's, say) would capture its re-import.
            models.UniqueConstraint(
                fields=["source_file"],
                condition=~Q(source_file=""),
                name="plan_source_file_unique",
                violation_error_message=_("Another plan already comes from this archive file."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="plan_status_published"),
            models.Index(fields=["year"], name="plan_year"),
            models.Index(fields=["modified_at", "id"], name="plan_modified"),
            models.Index(fields=["country"], name="plan_country"),
            # Covering indexes for the facet counts over published plans (GROUP BY without reading rows).
            models.Index(fields=["status", "country"], name="plan_status_country"),
            models.Index(fields=["status", "country_code"], name="plan_status_country_code"),
            models.Index(fields=["status", "year"], name="plan_status_year"),
            models.Index(fields=["status", "kind"], name="plan_status_kind"),
            models.Index(fields=["status", "language"], name="plan_status_language"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("plans:detail", kwargs={"slug": self.slug})

    TIME_FIELDS = catalogue.TIME_FIELDS  # the learning-cycle time split, in stage order

    # The excerpt a search page shows on the plan's card (set by `views.plan_list`). Present on every plan:
    # a card looking up a missing attribute costs the template engine a `dir()` of the plan (~35 µs, 20
    # cards a page).
    search_snippet = ""

    @property
    def time_split(self) -> list[int | None]:
        return [getattr(self, f) for f in self.TIME_FIELDS]

    def clean(self):
        super().clean()
        self._clean_opening_plan()
        values = self.time_split
        filled = [v for v in values if v is not None]
        if filled and len(filled) < 4:
            raise ValidationError(
                {
                    f: _("Fill in all four stages or none.")
                    for f, v in zip(self.TIME_FIELDS, values, strict=True)
                    if v is None
                }
            )
        if len(filled) == 4 and sum(filled) != 100:
            # On the split's first field: the form shows it on the split's row, and the database
            # constraint (which says the same) is then not checked a second time.
            raise ValidationError(
                {
                    self.TIME_FIELDS[0]: _(
                        "The time spent in the learning cycle must add up to 100 %%; it sums to %(total)s."
                    )
                    % {"total": sum(filled)}
                }
            )

    @property
    def country_name(self) -> str:
        """The plan's country in the reader's language (the written name when it names no country)."""
        return countries.name_of(self.country_code) or self.country

    def _clean_opening_plan(self):
        opening = self.opening_plan if self.opening_plan_id else None
        if opening is None:
            return
        # The admin's form sets the kind from the form version only when it saves: ask the form first.
        if choices.FORM_KINDS.get(self.form_version, self.kind) not in choices.CLOSING_KINDS:
            raise ValidationError({"opening_plan": _("Only a closing report closes an opening plan.")})
        if opening.pk == self.pk:
            raise ValidationError({"opening_plan": _("A plan cannot close itself.")})
        if opening.kind not in choices.OPENING_KINDS:
            raise ValidationError(
                {"opening_plan": _("“%(title)s” is not an opening plan.") % {"title": opening.title}}
            )

    # What a closing report started from its opening plan takes over (besides tags and partners).
    CARRIED_TO_CLOSING = (
        "title",
        "language",
        "year",
        "lab",
        "country",
        "country_code",
        "latitude",
        "longitude",
    )

    def start_closing_report(self, by):
        """Create the closing report of this opening plan: a draft on the current closing form, linked to
        this plan, with its lab, language, year, country, location, tags and partners (rows and overview)
        filled in for its authors to correct. Refused with PermissionDenied when `by` may not
        (`permissions.can_start_closing_report`), with ValidationError when the plan already has its
        report. Returns the report."""
        if not permissions.can_start_closing_report(by, self):
            raise PermissionDenied(_("You may not start a closing report from this plan."))
        report = Plan(
            kind=self.Kind.CLOSING,
            form_version=self.FormVersion.CLOSING_V2,
            opening_plan=self,
            created_by=by,
            partners_overview=self.partners_overview,
            **{name: getattr(self, name) for name in self.CARRIED_TO_CLOSING},
        )
        try:
            with transaction.atomic():
                if Plan.objects.filter(opening_plan=self).exists():
                    raise IntegrityError
                report.save()  # the unique link refuses a second report started at the same moment
                for vocabulary in VOCABULARIES:
                    getattr(report, vocabulary.name).set(list(getattr(self, vocabulary.name).all()))
                fields = child("partnerships").archived
                for partner in self.partnerships.all():
                    report.partnerships.create(
                        position=partner.position, **{f: getattr(partner, f) for f in fields}
                    )
        except IntegrityError:
            raise ValidationError(
                _("This opening plan already has its closing report."), code="has_closing_report"
            ) from None
        return report

    # The plans linked to this one as the public sees them: a linked plan that is not published is not
    # named. `with_content_for` prefetches them; otherwise they are read here.
    @property
    def public_opening_plan(self):
        if not hasattr(self, "_public_opening_plan"):
            found = Plan.objects.published().filter(pk=self.opening_plan_id) if self.opening_plan_id else []
            self._public_opening_plan = next(iter(found), None)
        return self._public_opening_plan

    @property
    def public_closing_report(self):
        if not hasattr(self, "_public_closing_report"):
            self._public_closing_report = Plan.objects.published().filter(opening_plan_id=self.pk).first()
        return self._public_closing_report

    @property
    def feed_id(self) -> int:
        return self.pk

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self.title, Plan, self.pk)
        if not self.country_code:  # a plan's country defaults to its lab's
            self.country_code = countries.code_for(self.country) or (self.lab.iso3 if self.lab_id else "")
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "country_code"}
        # Any save is a change for harvesters, a status change (a withdrawal) included (plans/changes.py).
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "modified_at"}
        self.modified_at = timezone.now()
        super().save(*args, **kwargs)

    # Editorial workflow: the rows of plans/workflow.py, made by `make_transition`.

    @property
    def pending_revision(self):
        """The revision of this published plan in progress (plans/revisions.py), or None."""
        if not self.pk:
            return None
        pending = self.revisions.filter(status__in=choices.PENDING_REVISION_STATUSES)
        return pending.select_related("updated_by").first()

    def _revision_in_review(self):
        """The pending revision that the plan's own transitions lead to: a published plan's, or a withdrawn
        one's (whose revision is then refused with a message saying why)."""
        if self.status in (self.Status.PUBLISHED, self.Status.WITHDRAWN):
            return self.pending_revision
        return None

    @property
    def is_scheduled(self) -> bool:
        return self.publish_at is not None

    @property
    def is_expiring(self) -> bool:
        return self.expire_at is not None

    def submit(self, by):
        """Draft → submitted: the lab's focal point hands the plan to the reviewers. On a published plan
        with a pending revision, submits the revision (the plan stays published). A draft is refused with
        ValidationError, naming what is missing, when it has nothing to review (plans/completeness.py: a
        closing report without a key insight, an opening plan without its challenge statement or a
        learning question)."""
        if (revision := self._revision_in_review()) is not None:
            return revision.submit(by)
        return make_transition(self, by, PlanEvent.Action.SUBMIT, ready=completeness.refusals)

    def submission_checklist(self) -> list[completeness.Item]:
        """What the plan answers of its form and what it leaves empty, shown to its authors before they
        submit; the items `submit` requires come first."""
        return completeness.checklist(self)

    def return_to_author(self, by, comment):
        """Submitted → draft, with the reviewer's comment (required: the authors must know what to fix).
        On a published plan with a submitted revision, returns the revision (changes requested)."""
        if (revision := self._revision_in_review()) is not None:
            return revision.return_to_author(by, comment)
        return make_transition(self, by, PlanEvent.Action.RETURN, comment, changes=OUT_OF_REVIEW)

    def recall(self, by, comment=""):
        """Submitted → draft, by its authors, who regret submitting; the note tells the reviewers why."""
        return make_transition(self, by, PlanEvent.Action.RECALL, comment, changes=OUT_OF_REVIEW)

    def publish(self, by, expire_at=None):
        """Submitted → published, now; with `expire_at`, withdrawn again then (`plans.tasks.run_schedules`).
        `published_at` is kept from a first publication, so that re-publishing after a withdrawal does not
        move an old plan to the top of the list. On a published plan with a submitted revision, applies the
        revision to the live plan."""
        if (revision := self._revision_in_review()) is not None:
            return revision.publish(by)
        changes = {
            "published_at": self.published_at or timezone.now(),
            **OUT_OF_REVIEW,
            "expire_at": expire_at,
            "scheduled_by": by if expire_at else None,
        }
        event = make_transition(
            self, by, PlanEvent.Action.PUBLISH, changes=changes, check=lambda: check_dates(None, expire_at)
        )
        if expire_at:
            schedule_run(expire_at)
        return event

    def schedule(self, by, publish_at=None, expire_at=None):
        """Submitted → submitted, to be published at `publish_at` (and withdrawn at `expire_at`) as `by`, by
        the task `plans.tasks.run_schedules`. Scheduling again moves the dates. On a published plan with a
        submitted revision, schedules the revision's publication (a live plan's expiry is its own:
        `set_expiry`)."""
        if (revision := self._revision_in_review()) is not None:
            if expire_at is not None:
                raise ValidationError(
                    _(
                        "A revision is scheduled without an expiry date: set the live plan’s expiry date on "
                        "its own."
                    ),
                    code="revision_expiry",
                )
            return revision.schedule(by, publish_at)
        changes = {"publish_at": publish_at, "expire_at": expire_at, "scheduled_by": by}
        event = make_transition(
            self,
            by,
            PlanEvent.Action.SCHEDULE,
            changes=changes,
            check=lambda: check_dates(publish_at, expire_at, publish_required=True),
        )
        schedule_run(publish_at)
        return event

    def unschedule(self, by):
        """Cancel a scheduled publication: the plan (or its submitted revision) stays submitted."""
        if (revision := self._revision_in_review()) is not None:
            return revision.unschedule(by)
        changes = {"publish_at": None, "expire_at": None, "scheduled_by": None}
        return make_transition(self, by, PlanEvent.Action.UNSCHEDULE, changes=changes)

    def claim(self, by):
        """A reviewer takes the review of a submission (or of a live plan's submitted revision); the others
        see whose it is."""
        if (revision := self._revision_in_review()) is not None:
            return revision.claim(by)
        return make_transition(self, by, PlanEvent.Action.CLAIM, changes=claimed_by(by))

    def release(self, by):
        """The claiming reviewer gives the review back."""
        if (revision := self._revision_in_review()) is not None:
            return revision.release(by)
        return make_transition(self, by, PlanEvent.Action.RELEASE, changes=RELEASED)

    def discard_revision(self, by):
        """Drop the pending revision of a published plan; the live plan is as it was."""
        revision = self.pending_revision
        if revision is None:
            raise ValidationError(_("This plan has no revision in progress."), code="no_revision")
        return revision.discard(by)

    def withdraw(self, by, reason=""):
        """Published → withdrawn: hidden from the public site, kept in the admin."""
        return make_transition(self, by, PlanEvent.Action.WITHDRAW, reason, changes={"expire_at": None})

    def set_expiry(self, by, expire_at=None):
        """A live plan is to be withdrawn at `expire_at`, as `by`, by the task `plans.tasks.run_schedules`;
        setting it again moves the date, `cancel_expiry` keeps the plan online."""
        changes = {"expire_at": expire_at, "scheduled_by": by}
        event = make_transition(
            self, by, PlanEvent.Action.SET_EXPIRY, changes=changes, check=lambda: check_expiry(expire_at)
        )
        schedule_run(expire_at)
        return event

    def cancel_expiry(self, by):
        """A published plan with an expiry date stays online after all."""
        changes = {"expire_at": None, "scheduled_by": None}
        return make_transition(self, by, PlanEvent.Action.CANCEL_EXPIRY, changes=changes)

    def expire(self, by):
        """Published → withdrawn at the expiry date `by` set (made by `plans.tasks.run_schedules`)."""
        return make_transition(self, by, PlanEvent.Action.EXPIRE, changes={"expire_at": None})

    def reopen(self, by):
        """Withdrawn → draft, so that the authors can correct it and submit it again."""
        return make_transition(self, by, PlanEvent.Action.REOPEN)

    def discard(self, by):
        """Delete a draft that was never published, with its children and timeline (its authors' choice).
        Deleted only if it is still such a draft in the database (not submitted meanwhile in another tab)."""
        transition = workflow.TRANSITIONS[PlanEvent.Action.DISCARD]
        check_transition(self, by, transition)
        with transaction.atomic():
            if not Plan.objects.filter(pk=self.pk, status=self.Status.DRAFT, published_at=None).delete()[0]:
                raise ValidationError(transition.wrong_status, code="wrong_status")


def _utc(moment) -> str:
    return formats.date_format(timezone.localtime(moment, UTC), "DATETIME_FORMAT")


def check_dates(publish_at, expire_at, publish_required=False) -> None:
    """A schedule must lie ahead: a date in the past would publish (or withdraw) at once, which the reviewer
    did not mean."""
    now = timezone.now()
    if publish_required and publish_at is None:
        raise ValidationError(_("Say when to publish the plan."), code="date_missing")
    if publish_at is not None and publish_at <= now:
        raise ValidationError(
            _("The publication date %(when)s (UTC) has passed: choose a later one, or publish now.")
            % {"when": _utc(publish_at)},
            code="date_past",
        )
    if expire_at is not None and expire_at <= (publish_at or now):
        raise ValidationError(
            _("The expiry date %(when)s (UTC) must come after the publication.") % {"when": _utc(expire_at)},
            code="expiry_too_early",
        )


def check_expiry(expire_at) -> None:
    """The expiry date of a live plan: required, and ahead (a date in the past would withdraw it at once)."""
    if expire_at is None:
        raise ValidationError(_("Say when to withdraw the plan from the public site."), code="date_missing")
    if expire_at <= timezone.now():
        raise ValidationError(
            _("The expiry date %(when)s (UTC) has passed: choose a later one, or withdraw the plan now.")
            % {"when": _utc(expire_at)},
            code="date_past",
        )


def schedule_run(when) -> None:
    """Have the task that publishes and expires what is due run at `when`, once the transaction commits."""
    from plans import tasks

    transaction.on_commit(lambda: tasks.enqueue_schedules(when))


def check_transition(obj, by, transition, comment="", check=None, ready=None) -> None:
    """Refuse `transition` on `obj` with PermissionDenied when `by` may not make it (asked first, so that
    such a user learns nothing about the object's state), with ValidationError when `obj` is not in one of
    its source states (its status, and the transition's condition), its required comment is empty,
    `ready(obj)` lists why it is not ready (each reason a message) or `check()` raises."""
    if not permissions.can_make_transition(by, obj, transition.action):
        raise PermissionDenied(transition.forbidden)
    if not transition.applies_to(obj):
        raise ValidationError(transition.wrong_status, code="wrong_status")
    if transition.needs_comment and not comment:
        raise ValidationError(transition.comment_missing, code="comment_required")
    if ready is not None and (missing := ready(obj)):
        raise ValidationError(missing, code="incomplete")
    if check is not None:
        check()


def make_transition(obj, by, action, comment="", changes=None, then=None, ready=None, check=None):
    """Make the workflow transition `action` (its row in plans/workflow.py) on `obj`, a plan or a blog link.

    Refused as `check_transition` says. Otherwise sets the target status and `changes`, saves them, records a
    PlanEvent and queues e-mails to the people concerned once the transaction has committed (if its row
    tells anybody); returns the event.

    `obj` may also be a plan's revision (plans/revisions.py). The status is claimed by a conditional UPDATE
    before anything else is written, so that of two people making a transition at once (two reviewers
    publishing), the second is refused as if they had seen the new status. `then(obj, by)`, when given,
    runs inside the same transaction after the status has changed; a ValidationError it raises undoes all."""
    transition = workflow.TRANSITIONS[action]
    comment = (comment or "").strip()
    check_transition(obj, by, transition, comment, check, ready)
    is_link, is_plan = isinstance(obj, BlogLink), isinstance(obj, Plan)
    changes = {"status": transition.target, **(changes or {})}
    with transaction.atomic():
        from_status = obj.status
        if not type(obj).objects.filter(pk=obj.pk, status=from_status).update(status=transition.target):
            raise ValidationError(transition.wrong_status, code="wrong_status")
        for name, value in changes.items():
            setattr(obj, name, value)
        # A plan's `updated_at` (auto_now) moves with its status: open edit forms then see the change.
        obj.save(update_fields=[*changes] if is_link else [*changes, "updated_at"])
        if then is not None:
            then(obj, by)
        event = PlanEvent.objects.create(
            plan_id=obj.pk if is_plan else obj.plan_id,
            blog_link=obj if is_link else None,
            revision=obj if not (is_plan or is_link) else None,
            actor=by,
            action=action,
            from_status=from_status,
            to_status=transition.target,
            comment=comment,
        )
        if transition.tells:
            notifications.after_commit(event)
    return event


def unique_slug(text: str, model, pk=None, max_length: int = 200) -> str:
    base = slugify(text)[:max_length].strip("-") or "plan"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exclude(pk=pk).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


class PlanChild(models.Model):
    """Ordered child rows of a plan; `position` keeps the order of the form."""

    # Each child names its rows on the plan plainly (`plan.learning_questions`); see plans/parts.py.
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="%(class)ss")
    position = models.PositiveIntegerField(_("position"), default=0)
    answers_html = answers_html_field()
    # The row's identity through revisions (plans/revisions.py) and for review comments (plans/comments.py):
    # a position changes when rows are reordered or inserted, a primary key when a revision is published.
    key = models.UUIDField(_("row identity"), default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True
        ordering = ["plan", "position", "pk"]


class Insight(PlanChild):
    text = models.TextField(_("insight"))

    class Meta(PlanChild.Meta):
        verbose_name = _("key insight")
        verbose_name_plural = _("key insights")

    def __str__(self) -> str:
        return self.text[:80]


class Barrier(PlanChild):
    text = models.TextField(_("barrier"))

    class Meta(PlanChild.Meta):
        verbose_name = _("barrier or bottleneck")
        verbose_name_plural = _("barriers and bottlenecks")

    def __str__(self) -> str:
        return self.text[:80]


class Partnership(PlanChild):
    Sector = choices.PartnerSector
    NewUnusual = choices.NewUnusual

    name = models.TextField(_("name"), blank=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector, default=Sector.UNKNOWN)
    description = models.TextField(_("description of the collaboration"), blank=True)
    is_new_and_unusual = models.CharField(
        _("new and unusual partner for UNDP?"), max_length=10, choices=NewUnusual, default=NewUnusual.UNKNOWN
    )

    class Meta(PlanChild.Meta):
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.name[:80] or str(_("(unnamed partner)"))


class LearningQuestion(PlanChild):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="learning_questions")
    question = models.TextField(_("learning question"), blank=True)
    stages = models.JSONField(_("learning-cycle stages"), default=list, blank=True)
    methods_usage = models.TextField(_("usage of methods"), blank=True)
    data_gaps = models.TextField(_("existing data gaps"), blank=True)

    class Meta(PlanChild.Meta):
        verbose_name = _("learning question")
        verbose_name_plural = _("learning questions")

    def __str__(self) -> str:
        return self.question[:80]

    def clean(self):
        allowed = {key for key, _label in STAGES}
        unknown = [s for s in self.stages if s not in allowed]
        if unknown:
            raise ValidationError({"stages": _("Unknown stages: %(s)s") % {"s": ", ".join(unknown)}})


class Evidence(PlanChild):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="evidence")

    Kind = choices.EvidenceKind

    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    text = models.TextField(_("text"), blank=True)
    url = models.URLField(_("link"), max_length=2000, blank=True, validators=[validate_link_url])
    file = UploadField(
        _("uploaded image or file"),
        upload_to="evidence/%Y/",
        blank=True,
        help_text=_("An image, a PDF or an office document."),
    )
    image_url = models.URLField(
        _("remote image URL"), max_length=2000, blank=True, validators=[validate_link_url]
    )

    class Meta(PlanChild.Meta):
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return (self.text or self.url or self.image_url or str(self.file))[:80]


class BlogLink(PlanChild):
    """A blog or publication link. Public only once a reviewer has approved it."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="blog_links")

    Status = choices.BlogLinkStatus

    url = models.URLField(_("URL"), max_length=2000, validators=[validate_link_url])
    title = models.CharField(_("title"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    reviewed_by = account_link(_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)

    class Meta(PlanChild.Meta):
        verbose_name = _("blog link")
        verbose_name_plural = _("blog links")
        indexes = [models.Index(fields=["status"], name="bloglink_status")]

    def __str__(self) -> str:
        return self.title or self.url

    # A reviewer's decision, as stored: what a restore or an edited URL keeps or clears together.
    REVIEW_ATTNAMES = ("status", "reviewed_by_id", "reviewed_at", "review_note")

    def reset_review(self) -> None:
        """Forget the reviewer's decision (unsaved): an edited or restored URL is a new link that nobody has
        reviewed, and an approval of the old address does not cover it."""
        self.status, self.review_note = self.Status.PENDING, ""
        self.reviewed_by, self.reviewed_at = None, None

    def _review(self, by, action, note=""):
        changes = {"reviewed_by": by, "reviewed_at": timezone.now(), "review_note": (note or "").strip()}
        return make_transition(self, by, action, note, changes=changes)

    def approve(self, by):
        """Make the link public (a pending or rejected link; a reviewer may change their mind)."""
        return self._review(by, PlanEvent.Action.APPROVE_LINK)

    def reject(self, by, note):
        """Keep the link off the public site; the note tells the focal points why (required)."""
        return self._review(by, PlanEvent.Action.REJECT_LINK, note)

    def await_review(self, by):
        """Tell the reviewers that this link, new or with a new address, awaits their approval."""
        return make_transition(self, by, PlanEvent.Action.ADD_LINK)


class ExtraAnswer(PlanChild):
    """An answer the archive holds that has no field of its own (unknown heading, rare prompt, text typed
    into an end-of-form message, …), kept verbatim and in order so that nothing is lost."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="extra_answers")
    section = models.TextField(_("section heading"), blank=True)
    prompt = models.TextField(_("prompt"), blank=True)
    answer = models.TextField(_("answer"), blank=True)

    class Meta(PlanChild.Meta):
        verbose_name = _("other answer")
        verbose_name_plural = _("other answers")

    def __str__(self) -> str:
        return f"{self.section} › {self.prompt}"[:80]


class PlanEvent(models.Model):
    """One step of a plan's editorial life (submitted, returned, published, a blog link approved, …): the
    timeline on the plan's admin page and the record of who decided what, and when."""

    Action = choices.EventAction

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="events", verbose_name=_("plan"))
    blog_link = models.ForeignKey(
        BlogLink,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("blog link"),
    )
    actor = account_link(_("actor"), blank=False)
    revision = models.ForeignKey(
        "PlanRevision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("revision"),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action)
    from_status = models.CharField(_("from"), max_length=10, blank=True)
    to_status = models.CharField(_("to"), max_length=10, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("plan event")
        verbose_name_plural = _("plan events")

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.plan_id} · {self.created_at:%Y-%m-%d %H:%M}"


class ContentVersion(models.Model):
    """One row whose `value` grows whenever published content may have changed.

    Cached public pages and facet counts carry this number in their keys. Because it lives in the database,
    every worker process sees a change at once (a per-process cache never serves a page older than the
    last committed edit), and bumping it in the same transaction as the edit keeps the two consistent.
    """

    value = models.PositiveBigIntegerField(default=1)

    class Meta:
        verbose_name = _("content version")

    def __str__(self) -> str:
        return str(self.value)


class UserPreference(models.Model):
    """A person's interface language, chosen with set_language (plans.i18n): it sets the language of their
    admin and of the e-mails they receive, whatever the language of the plans they handle."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference", verbose_name=_("user")
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"{self.user} · {self.language}"


# ---------------------------------------------------------------- revisions and review (plans/revisions.py,
# plans/comments.py, plans/locks.py hold what is done with them)


class PlanRevision(models.Model):
    """A changed copy of a published plan, edited by its authors and judged by the reviewers."""

    Status = choices.RevisionStatus

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("plan"))
    number = models.PositiveIntegerField(_("number"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.EDITING)
    content = models.JSONField(_("content"), default=dict, encoder=DjangoJSONEncoder)
    # The live plan as it was when the revision was started: what a closed revision is compared with.
    base = models.JSONField(_("live content when started"), default=dict, encoder=DjangoJSONEncoder)
    created_by = account_link(_("started by"), blank=False)
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    updated_by = account_link(_("last saved by"), blank=False)
    # Moves with every save and transition: an open form sees the change (the lost-update check).
    updated_at = models.DateTimeField(_("last saved at"), default=timezone.now)
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    # The review workspace, as for a submitted plan: who reviews the submitted revision, and when it is to be
    # published (as `scheduled_by`, by plans.tasks.run_schedules). Emptied when it leaves review.
    claimed_by = account_link(_("review claimed by"))
    claimed_at = models.DateTimeField(_("review claimed at"), null=True, blank=True)
    publish_at = models.DateTimeField(_("scheduled publication"), null=True, blank=True, db_index=True)
    scheduled_by = account_link(_("scheduled by"))

    class Meta:
        ordering = ["plan", "-number"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(status__in=choices.PENDING_REVISION_STATUSES),
                name="plan_one_pending_revision",
                violation_error_message=_("This plan already has a revision in progress."),
            ),
            models.UniqueConstraint(fields=["plan", "number"], name="plan_revision_number"),
        ]

    def __str__(self) -> str:
        return gettext("Revision %(number)s of “%(plan)s”") % {"number": self.number, "plan": self.plan}

    @property
    def is_pending(self) -> bool:
        return self.status in choices.PENDING_REVISION_STATUSES

    def save(self, *args, **kwargs):
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        self.updated_at = timezone.now()
        super().save(*args, **kwargs)

    # The workflow: rows of plans/workflow.py's REVISION_TRANSITIONS.

    def submit(self, by):
        """To the reviewers, when the plan as revised has something to review (as `Plan.submit` asks)."""
        from plans.revisions import refusals  # the revisions module reads these models

        return make_transition(self, by, PlanEvent.Action.SUBMIT_REVISION, ready=refusals)

    def return_to_author(self, by, comment):
        return make_transition(
            self,
            by,
            PlanEvent.Action.RETURN_REVISION,
            comment,
            changes={"review_comment": (comment or "").strip(), **OUT_OF_REVIEW},
        )

    @property
    def is_scheduled(self) -> bool:
        return self.publish_at is not None

    def claim(self, by):
        return make_transition(self, by, PlanEvent.Action.CLAIM_REVISION, changes=claimed_by(by))

    def release(self, by):
        return make_transition(self, by, PlanEvent.Action.RELEASE_REVISION, changes=RELEASED)

    def schedule(self, by, publish_at=None):
        """To be published at `publish_at` as `by` (plans.tasks.run_schedules), if the plan is still live."""
        from plans.revisions import check_live  # the revisions module reads these models

        def check():
            check_live(self.plan)
            check_dates(publish_at, None, publish_required=True)

        changes = {"publish_at": publish_at, "scheduled_by": by}
        event = make_transition(self, by, PlanEvent.Action.SCHEDULE_REVISION, changes=changes, check=check)
        schedule_run(publish_at)
        return event

    def unschedule(self, by):
        changes = {"publish_at": None, "scheduled_by": None}
        return make_transition(self, by, PlanEvent.Action.UNSCHEDULE_REVISION, changes=changes)

    def discard(self, by):
        return make_transition(self, by, PlanEvent.Action.DISCARD_REVISION)

    def publish(self, by):
        """Apply the revision to the live plan, in the transaction of the transition: a plan withdrawn
        since, or a revision another reviewer has just published, is refused and nothing is written."""
        from plans.revisions import apply_published  # the revisions module reads these models

        return make_transition(
            self, by, PlanEvent.Action.PUBLISH_REVISION, changes=OUT_OF_REVIEW, then=apply_published
        )


class ReviewComment(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="comments", verbose_name=_("plan"))
    revision = models.ForeignKey(
        "PlanRevision",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("revision"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("reply to"),
    )
    # The anchor: a field of the plan, or a row (kind and key), or neither for the plan as a whole.
    field = models.CharField(_("field"), max_length=100, blank=True)
    child = models.CharField(_("kind of row"), max_length=40, blank=True)
    row_key = models.UUIDField(_("row"), null=True, blank=True)
    # The row's words when the comment was made: shown if the row is deleted later.
    row_text = models.TextField(_("row as commented"), blank=True)
    author = account_link(_("author"), blank=False)
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = account_link(_("resolved by"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")
        indexes = [models.Index(fields=["plan", "revision"], name="comment_plan_revision")]

    def __str__(self) -> str:
        return self.body[:80]


class EditSession(models.Model):
    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="edit_sessions", verbose_name=_("plan")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    since = models.DateTimeField(_("editing since"), default=timezone.now)
    seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("edit session")
        verbose_name_plural = _("edit sessions")
        constraints = [models.UniqueConstraint(fields=["plan", "user"], name="edit_session_plan_user")]

    def __str__(self) -> str:
        return f"{self.user} · {self.plan_id}"


class DeletedPlan(models.Model):
    """A plan that was public once and has been deleted (superusers may): the changes feed lists it as a
    tombstone, as it does a withdrawn plan, so that mirrors remove it too (plans/changes.py records it)."""

    slug = models.SlugField(_("slug"), max_length=255)
    modified_at = models.DateTimeField(_("deleted at"), default=timezone.now)

    class Meta:
        verbose_name = _("deleted plan")
        verbose_name_plural = _("deleted plans")
        indexes = [models.Index(fields=["modified_at", "id"], name="deleted_plan_modified")]

    def __str__(self) -> str:
        return self.slug

    @property
    def feed_id(self) -> int:
        # In the changes feed, deleted plans sort before live ones changed at the same instant.
        return -self.pk


class APIKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class APIKey(models.Model):
    """A registered person's key to the API, for a higher rate limit than anonymous clients get
    (plans/api/fair_use.py). Only a digest of the key is stored: the key itself is shown once, when it is
    made. A revoked key is kept (its owner sees when it was revoked) and refused."""

    PREFIX_LENGTH = 8

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the key is for."))
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = APIKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key: str) -> str:
        # Keys are 190 random bits: a fast hash is enough (nothing to stretch, unlike a password).
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def make(cls, user, name: str) -> tuple["APIKey", str]:
        """A new key for `user`: the row, and the key to show once (`acl_<prefix>_<secret>`)."""
        while True:
            prefix = secrets.token_hex(cls.PREFIX_LENGTH // 2)
            if not cls.objects.filter(prefix=prefix).exists():
                break
        key = f"acl_{prefix}_{secrets.token_urlsafe(24)}"
        return cls.objects.create(user=user, name=name, prefix=prefix, digest=cls.hash(key)), key

    @classmethod
    def find(cls, key: str) -> "APIKey | None":
        """The active key `key` is, or None (unknown, malformed, revoked, or its owner deactivated)."""
        parts = key.split("_", 2)  # the secret itself may hold "_"
        if len(parts) != 3 or parts[0] != "acl" or len(parts[1]) != cls.PREFIX_LENGTH:
            return None
        found = cls.objects.active().select_related("user").filter(prefix=parts[1]).first()
        if found is None or not hmac.compare_digest(found.digest, cls.hash(key)):
            return None
        return found

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


# The audit log of sign-ins and role changes lives with its receivers and admin in plans/audit.py.
from plans.audit import AuditEvent  # noqa: E402, F401
