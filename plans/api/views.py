"""Read-only API views. Public data only: every queryset starts from `Plan.objects.published()`, the list
and the tag counts go through the public list's FilterSet, and the serializers add approved blog links
only and no e-mail unless the site publishes them."""

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, viewsets
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param

from plans import cache, permissions
from plans.api import fair_use
from plans.api.serializers import (
    MAX_PAGE_SIZE,
    ChangeSerializer,
    ErrorSerializer,
    FilterParameters,
    ListParameters,
    PlanDetailSerializer,
    PlanSummarySerializer,
    TagCountSerializer,
    TombstoneSerializer,
)
from plans.downloads import prefetch
from plans.filters import LIST_PARAMETERS, AnyOfFilter, PlanFilter, counts
from plans.models import SDG, DatasourceTag, DeletedPlan, MethodTag, Plan, ThematicAreaTag

VOCABULARIES = {
    "methods": MethodTag,
    "datasources": DatasourceTag,
    "thematic_areas": ThematicAreaTag,
    "sdgs": SDG,
}


class PlanPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class ChangesPagination(PlanPagination):
    """Pages of the changes feed (`modified_since`), walked by the last record seen rather than by page
    number: a plan that changes while a harvester pages through moves to the end of the feed, and with
    numbered pages every plan after it would shift back one place and the next page would skip one. The
    answer keeps the list's shape; `next` carries the last record's `modified_at` and id."""

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        # Deleted plans' tombstones whatever the filters: removing a plan a mirror never had is harmless.
        deleted = changed_since(DeletedPlan.objects.all(), view.changes["since"], view.changes["after"], -1)
        self.total = queryset.count() + deleted.count()
        rows = sorted([*queryset[: size + 1], *deleted[: size + 1]], key=lambda r: (r.modified_at, r.feed_id))
        self.more = len(rows) > size
        self.rows = rows[:size]
        return self.rows

    def get_paginated_response(self, data):
        following = None
        if self.more:
            last = self.rows[-1]
            url = self.request.build_absolute_uri()
            url = replace_query_param(url, "modified_since", last.modified_at.isoformat())
            following = replace_query_param(url, "after", last.feed_id)
        return Response({"count": self.total, "next": following, "previous": None, "results": data})


def changed_since(queryset, since, after: int | None, sign: int = 1):
    """Rows modified at or after `since`, oldest change first; with `after` (the feed id of the last record
    of the previous page, modified at `since`), those after it. Feed ids are plans' ids (`sign` 1) and deleted
    plans' ids negated (`sign` -1), so that one cursor walks both."""
    if after is None:
        queryset = queryset.filter(modified_at__gte=since)
    elif sign > 0:
        queryset = queryset.filter(Q(modified_at__gt=since) | Q(modified_at=since, pk__gt=after))
    else:
        queryset = queryset.filter(Q(modified_at__gt=since) | Q(modified_at=since, pk__lt=-after))
    return queryset.order_by("modified_at", "pk" if sign > 0 else "-pk")


class PlanFilterBackend(DjangoFilterBackend):
    """The public list's FilterSet, with the list's behaviour: a tag that no longer exists is ignored rather
    than answered with 400 (a shared link stays valid when a tag is renamed), and the list's stable order
    (`sort`: newest, title, relevance). Values the schema constrains (kind, year, SDG, sort, page) are
    checked before, by the views (`FilterParameters.check`)."""

    def get_filterset_class(self, view, queryset=None):
        return PlanFilter

    def filter_queryset(self, request, queryset, view):
        return PlanFilter(request.query_params, queryset=queryset).sorted()


class PlanFilterSchema(DjangoFilterExtension):
    """Schema of the list's filters. drf-spectacular cannot follow `methods__slug` through taggit's
    manager, so tag filters are typed by the value they compare: a slug, or an SDG's number."""

    target_class = PlanFilterBackend
    priority = 1

    def _get_schema_from_model_field(self, auto_schema, filter_field, model):
        if isinstance(filter_field, AnyOfFilter):
            by_number = filter_field.to_field_name == "number"
            return build_basic_type(OpenApiTypes.INT if by_number else OpenApiTypes.STR)
        return super()._get_schema_from_model_field(auto_schema, filter_field, model)


# Every status the API answers is documented: a client (and schemathesis in CI) can rely on the schema.
INVALID = OpenApiResponse(OpenApiTypes.OBJECT, description=_("Each invalid parameter with its reasons."))
NOT_FOUND = OpenApiResponse(ErrorSerializer, description=_("No such page, plan or vocabulary."))


def negotiated_format(request) -> str | None:
    """The page cache's variant for the API: the representation DRF will answer with (`json`, or `api` for
    the browsable HTML), not the raw Accept header, in which any client could invent a new cache entry per
    request. None (no caching) when nothing is acceptable (DRF answers 406) or the client asked for a
    variant of a format (`application/json; indent=4`)."""
    renderers = [renderer() for renderer in api_settings.DEFAULT_RENDERER_CLASSES]
    try:
        renderer, media_type = DefaultContentNegotiation().select_renderer(Request(request), renderers)
    except NotAcceptable:
        return None
    return None if ";" in media_type else renderer.format


@extend_schema_view(
    list=extend_schema(
        summary=_("Published plans"),
        description=_(
            "Published plans matching the same filters and full-text search as the public list; values of "
            "one parameter are OR-ed, parameters are AND-ed."
        ),
        parameters=[ListParameters],
        # With `modified_since`, a record is a plan or the tombstone of a withdrawn one.
        responses={
            200: PolymorphicProxySerializer(
                component_name="PlanOrTombstone",
                serializers=[PlanSummarySerializer, TombstoneSerializer],
                resource_type_field_name=None,
                many=True,
            ),
            400: INVALID,
            404: NOT_FOUND,
        },
    ),
    retrieve=extend_schema(
        summary=_("One published plan"),
        description=_(
            "The whole plan: every answer, its children in the form's order, tags and approved blog links."
        ),
        responses={200: PlanDetailSerializer, 404: NOT_FOUND},
    ),
)
class PlanViewSet(fair_use.CountedBeforeCache, viewsets.ReadOnlyModelViewSet):
    # Serialising 50 whole plans costs tens of milliseconds: answers are cached like the public pages
    # (content-versioned, so never stale), on the parameters the list reads; counted for fair use first.
    page_cache = staticmethod(
        cache.public_page(
            params=(*LIST_PARAMETERS, "page_size", "format", "modified_since", "after"),
            variant=negotiated_format,
            plan="slug",  # a plan's record is keyed on its own version (the list on the content version)
        )
    )
    queryset = Plan.objects.published()
    lookup_field = "slug"
    filter_backends = [PlanFilterBackend]
    pagination_class = PlanPagination

    @property
    def changes(self) -> dict | None:
        """The changes feed's parameters (`modified_since`, `after`), checked, or None for the plain list."""
        return getattr(self, "_changes", None)

    def get_queryset(self):
        if self.changes is not None:
            return prefetch(permissions.harvestable_plans(Plan.objects.all()))
        return prefetch(super().get_queryset())

    def get_serializer_class(self):
        if self.action != "list":
            return PlanDetailSerializer
        return PlanSummarySerializer if self.changes is None else ChangeSerializer

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            self._paginator = ChangesPagination() if self.changes is not None else PlanPagination()
        return self._paginator

    def list(self, request, *args, **kwargs):
        checked = ListParameters.check(request.query_params)
        if checked.get("modified_since") is not None:
            self._changes = {"since": checked["modified_since"], "after": checked.get("after")}
        return super().list(request, *args, **kwargs)

    def filter_queryset(self, queryset):
        # A plan's own address ignores the list's query parameters.
        if self.action != "list":
            return queryset
        queryset = super().filter_queryset(queryset)
        if self.changes is not None:
            queryset = changed_since(queryset, self.changes["since"], self.changes["after"])
        return queryset


def tag_counts(vocabulary: str, plans) -> list[dict]:
    """Tags of one vocabulary with the number of `plans` carrying each, most used first (SDGs in their
    order); unused tags are left out. Counted as the facets are (`filters.counts`); names are read for the
    counted tags only."""
    tally = counts(vocabulary, plans)
    chosen = VOCABULARIES[vocabulary].objects.filter(pk__in=list(tally))
    if vocabulary == "sdgs":
        return [
            {"slug": str(s.number), "name": f"{s.number}. {s.name}", "count": tally[s.pk]}
            for s in chosen.order_by("number")
        ]
    # The database orders names (its collation), then a stable sort puts the most used first.
    tags = sorted(chosen.order_by("name", "pk").only("slug", "name"), key=lambda t: -tally[t.pk])
    return [{"slug": t.slug, "name": t.name, "count": tally[t.pk]} for t in tags]


@extend_schema(
    summary=_("Tags of a vocabulary with counts"),
    description=_(
        "The tags of one vocabulary used by published plans, with the number of plans for each, most used "
        "first (SDGs in their order; their slug is the goal's number). Accepts the list's filters, so the "
        "counts are those of the filtered plans."
    ),
    parameters=[
        OpenApiParameter(
            "vocabulary",
            OpenApiTypes.STR,
            OpenApiParameter.PATH,
            enum=list(VOCABULARIES),
            description=_("Which vocabulary."),
        ),
        FilterParameters,
    ],
    responses={200: TagCountSerializer(many=True), 400: INVALID, 404: NOT_FOUND},
)
class TagCountList(generics.ListAPIView):
    queryset = Plan.objects.published()
    serializer_class = TagCountSerializer
    filter_backends = [PlanFilterBackend]
    # A few hundred short rows at most: one answer, no pages.
    pagination_class = None

    def list(self, request, vocabulary: str):
        if vocabulary not in VOCABULARIES:
            raise Http404(_("Unknown vocabulary."))
        FilterParameters.check(request.query_params)
        rows = tag_counts(vocabulary, self.filter_queryset(self.get_queryset()))
        return Response(self.get_serializer(rows, many=True).data)
