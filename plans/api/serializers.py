"""A published plan as data: the one shape shared by the API, the JSON and GeoJSON downloads and the
per-plan JSON file, so that every open-data output says the same thing about a plan.

Serializers read only what `plans.downloads.prefetch()` has fetched (children, tags and approved blog
links), so that serializing a page or a chunk of plans costs a fixed number of queries.
"""

import re

from django.conf import settings
from django.urls import reverse
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from plans.catalogue import ANSWER_FIELDS, TIME_FIELDS
from plans.filters import SORTS
from plans.models import (
    SDG,
    Barrier,
    BlogLink,
    Evidence,
    ExtraAnswer,
    Insight,
    Lab,
    LearningQuestion,
    Partnership,
    Plan,
)
from plans.opendata import licence
from plans.validators import LATITUDE, LONGITUDE, coordinate, link_url


class TagSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text=_("The value to pass to the list's filter of this vocabulary."))
    name = serializers.CharField()


def tag_order(tag) -> tuple[str, str]:
    return tag.name.casefold(), tag.name


class TagListField(serializers.ListField):
    """The tags of one vocabulary in alphabetical order. taggit's prefetch drops the tag model's ordering,
    so without sorting here the order would be whatever the database returns (it differs between SQLite
    and PostgreSQL)."""

    child = TagSerializer()

    def to_representation(self, manager):
        return super().to_representation(sorted(manager.all(), key=tag_order))


class SDGSerializer(serializers.ModelSerializer):
    class Meta:
        model = SDG
        fields = ["number", "name"]


class LabSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lab
        fields = ["name", "country", "iso3"]


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# A URI, or '' when there is none (as Django's blank URL fields are documented).
URI_OR_EMPTY = {"oneOf": [{"type": "string", "format": "uri"}, {"type": "string", "maxLength": 0}]}


def as_uri(link: str) -> str:
    """A stored link as the URI the schema promises: the archive holds links with spaces, accents, a bare
    `%` or brackets, which are percent-encoded; a link without a scheme (`www.…`) becomes ''."""
    uri = iri_to_uri(STRAY_PERCENT.sub("%25", link.strip())).replace("[", "%5B").replace("]", "%5D")
    return uri if SCHEME.match(uri) else ""


class LicenseSerializer(serializers.Serializer):
    id = serializers.CharField(help_text=_("SPDX identifier of the licence."))
    url = serializers.URLField()
    notice = serializers.CharField(help_text=_("The copyright notice to keep with any copy."))
    attribution = serializers.CharField(help_text=_("Whom to credit."))


class LicenseField(serializers.Field):
    """The data's licence (settings.DATA_LICENSE…), on every record: a record copied alone keeps it."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, plan):
        return licence()


# What the API answers with a 404 (DRF's error body), documented so that clients can rely on it.
class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class CoordinateField(serializers.FloatField):
    """A stored coordinate, or null unless it is finite and on Earth: JSON has no NaN or infinity, and
    one such value made the whole response fail."""

    def __init__(self, bounds, **kwargs):
        self.bounds = bounds
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return coordinate(value, self.bounds)


class PlanAddressSerializer(serializers.ModelSerializer):
    """A plan's addresses: its page on the public site and its whole record in this API."""

    url = serializers.SerializerMethodField(help_text=_("The plan's page on the public site."))
    api_url = serializers.SerializerMethodField(help_text=_("The whole plan in this API."))

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, plan) -> str:
        return _absolute(self.context.get("request"), plan.get_absolute_url())

    @extend_schema_field(OpenApiTypes.URI)
    def get_api_url(self, plan) -> str:
        return _absolute(self.context.get("request"), reverse("api:plan-detail", kwargs={"slug": plan.slug}))


class LinkedPlanSerializer(PlanAddressSerializer):
    """A plan linked to another (a closing report and the opening plan it closes)."""

    class Meta:
        model = Plan
        fields = ["slug", "url", "api_url", "title", "kind"]
        read_only_fields = fields


def _linked(source: str, help_text) -> LinkedPlanSerializer:
    return LinkedPlanSerializer(source=source, allow_null=True, read_only=True, help_text=help_text)


class PlanSummarySerializer(PlanAddressSerializer):
    """What a list of plans shows: identity, place, time, tags and the linked opening plan or closing
    report."""

    lab = LabSerializer(allow_null=True)
    methods = TagListField()
    datasources = TagListField()
    thematic_areas = TagListField()
    sdgs = SDGSerializer(many=True, source="sdgs.all")
    latitude = CoordinateField(LATITUDE)
    longitude = CoordinateField(LONGITUDE)
    modified_at = serializers.DateTimeField(
        read_only=True, help_text=_("When anything shown of the plan last changed (for `modified_since`).")
    )
    license = extend_schema_field(LicenseSerializer)(LicenseField)()
    opening_plan = _linked(
        "public_opening_plan", _("The opening plan this closing report closes, once published; else null.")
    )
    closing_report = _linked(
        "public_closing_report", _("The closing report of this opening plan, once published; else null.")
    )

    class Meta:
        model = Plan
        fields = [
            "slug",
            "url",
            "api_url",
            "title",
            "kind",
            "form_version",
            "language",
            "year",
            "lab",
            "country",
            "country_code",
            "latitude",
            "longitude",
            "published_at",
            "updated_at",
            "modified_at",
            "license",
            "tweet_summary",
            "methods",
            "datasources",
            "thematic_areas",
            "sdgs",
            "opening_plan",
            "closing_report",
        ]
        read_only_fields = fields

    def get_fields(self):
        fields = super().get_fields()
        # Focal-point e-mails are personal data: they exist in the output only when the site chose to
        # publish them, and then the schema documents them too.
        if settings.PUBLIC_FOCAL_POINT_EMAILS:
            fields["focal_point_email"] = serializers.EmailField(read_only=True)
        return fields


class InsightSerializer(serializers.ModelSerializer):
    class Meta:
        model = Insight
        fields = ["text"]


class BarrierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Barrier
        fields = ["text"]


class PartnershipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Partnership
        fields = ["name", "sector", "description", "is_new_and_unusual"]


class LearningQuestionSerializer(serializers.ModelSerializer):
    stages = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = LearningQuestion
        fields = ["question", "stages", "methods_usage", "data_gaps"]


@extend_schema_field(URI_OR_EMPTY)
class LinkField(serializers.CharField):
    """A stored URL as output: "" unless it may be a link (http, https or mailto), so that no client
    turns an old `javascript:` row into a link."""

    def to_representation(self, value):
        return as_uri(link_url(value))


class EvidenceSerializer(serializers.ModelSerializer):
    file = serializers.SerializerMethodField()
    url = LinkField(read_only=True)
    image_url = LinkField(read_only=True)

    class Meta:
        model = Evidence
        fields = ["kind", "text", "url", "file", "image_url"]

    @extend_schema_field(URI_OR_EMPTY)
    def get_file(self, evidence) -> str:
        return _absolute(self.context.get("request"), evidence.file.url) if evidence.file else ""


class BlogLinkSerializer(serializers.ModelSerializer):
    url = LinkField(read_only=True)

    class Meta:
        model = BlogLink
        fields = ["url", "title"]


class ExtraAnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExtraAnswer
        fields = ["section", "prompt", "answer"]


class TimeSplitSerializer(serializers.Serializer):
    sense = serializers.IntegerField(source="time_sense", allow_null=True)
    explore = serializers.IntegerField(source="time_explore", allow_null=True)
    test = serializers.IntegerField(source="time_test", allow_null=True)
    grow = serializers.IntegerField(source="time_grow", allow_null=True)


class PlanDetailSerializer(PlanSummarySerializer):
    """The whole plan: every answer, the children in the form's order, the tags and approved blog links."""

    # Most archived plans never said: '' is one of the documented values.
    challenge_type = serializers.ChoiceField(Plan.ChallengeType.choices, allow_blank=True, read_only=True)
    time_split = TimeSplitSerializer(source="*", help_text=_("Percent of time per learning-cycle stage."))
    handover_options = serializers.ListField(child=serializers.CharField())
    insights = InsightSerializer(many=True, source="insights.all")
    barriers = BarrierSerializer(many=True, source="barriers.all")
    partners = PartnershipSerializer(many=True, source="partnerships.all")
    learning_questions = LearningQuestionSerializer(many=True, source="learning_questions.all")
    evidence = EvidenceSerializer(many=True, source="evidence.all")
    blog_links = serializers.SerializerMethodField(help_text=_("Approved blog and publication links only."))
    extra_answers = ExtraAnswerSerializer(many=True, source="extra_answers.all")

    class Meta(PlanSummarySerializer.Meta):
        # The forms' answers from the catalogue, in form order (the time split as one object), then children.
        fields = PlanSummarySerializer.Meta.fields + [
            *dict.fromkeys(
                "time_split" if name in TIME_FIELDS else name
                for name in ANSWER_FIELDS
                if name not in PlanSummarySerializer.Meta.fields
            ),
            "insights",
            "barriers",
            "partners",
            "learning_questions",
            "evidence",
            "blog_links",
            "extra_answers",
        ]
        read_only_fields = fields

    @extend_schema_field(BlogLinkSerializer(many=True))
    def get_blog_links(self, plan):
        # Filtered here as well as in the prefetch: a caller that forgot the prefetch must still never
        # publish a pending or rejected link.
        links = [link for link in plan.blog_links.all() if link.status == BlogLink.Status.APPROVED]
        # A blog link is its URL: one that cannot be a link is left out rather than shown empty.
        return [
            link for link in BlogLinkSerializer(links, many=True, context=self.context).data if link["url"]
        ]


# ------------------------------------------------------------------ query parameters


class FilterParameters(serializers.Serializer):
    """The list's filters whose values the schema constrains, checked before filtering so that an invalid
    one is answered 400 with the reason, as documented. Free values (countries, languages, tag slugs, the
    search) keep the public list's behaviour: a tag that no longer exists is ignored."""

    kind = serializers.ListField(child=serializers.ChoiceField(Plan.Kind.choices), required=False)
    year = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=32767), required=False)
    sdgs = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=17),
        required=False,
        help_text=_("SDG numbers."),
    )
    sort = serializers.ChoiceField(list(SORTS.items()), required=False)

    @classmethod
    def check(cls, query) -> dict:
        """The parameters of `query` (a QueryDict), checked; raise DRF's ValidationError (a 400) unless
        every one has a value the schema allows. Read as plain values, not as a form, where an empty `sort=`
        would count as absent although the schema refuses it."""
        lists = {name for name, field in cls().fields.items() if isinstance(field, serializers.ListField)}
        data = {name: values if name in lists else values[-1] for name, values in query.lists()}
        checked = cls(data=data)
        checked.is_valid(raise_exception=True)
        return checked.validated_data


class TombstoneSerializer(serializers.Serializer):
    """A plan that was published and no longer is (withdrawn), in the changes feed (`modified_since`): a
    mirror removes it. Its slug and when it went, nothing else of it."""

    slug = serializers.SlugField(read_only=True)
    api_url = serializers.SerializerMethodField()
    modified_at = serializers.DateTimeField(read_only=True)
    deleted = serializers.SerializerMethodField(help_text=_("Always true: remove this plan from a copy."))

    @extend_schema_field({"type": "boolean", "enum": [True]})
    def get_deleted(self, plan) -> bool:
        return True

    @extend_schema_field(OpenApiTypes.URI)
    def get_api_url(self, plan) -> str:
        return _absolute(self.context.get("request"), reverse("api:plan-detail", kwargs={"slug": plan.slug}))


class ChangeSerializer(serializers.BaseSerializer):
    """A record of the changes feed: the plan as the list shows it, or its tombstone."""

    def to_representation(self, plan):
        if isinstance(plan, Plan) and plan.status == Plan.Status.PUBLISHED:
            return PlanSummarySerializer(plan, context=self.context).data
        return TombstoneSerializer(plan, context=self.context).data


# A client asking for more at once should use the JSON download, which streams.
MAX_PAGE_SIZE = 200


class ListParameters(FilterParameters):
    page = serializers.IntegerField(min_value=1, required=False, help_text=_("A page number, from 1."))
    modified_since = serializers.DateTimeField(
        required=False,
        help_text=_(
            "Changes feed for harvesters: the plans modified at or after this time (ISO 8601, e.g. "
            "2026-01-31T00:00:00Z), oldest change first, with withdrawn plans as tombstones "
            "(`deleted: true`). Follow `next` to the end; next time, start from the last `modified_at` seen."
        ),
    )
    after = serializers.IntegerField(
        required=False, help_text=_("Set by the changes feed's `next` links: do not set it.")
    )
    page_size = serializers.IntegerField(
        min_value=1, max_value=MAX_PAGE_SIZE, required=False, help_text=_("Plans per page (50 unless given).")
    )


class TagCountSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text=_("The value to pass to the list's filter of this vocabulary."))
    name = serializers.CharField()
    count = serializers.IntegerField(help_text=_("Published plans (matching the filters) with this tag."))
