"""The authoring and review UI. Every access decision is delegated to plans/permissions.py; this module
only arranges the forms, the workflow buttons, the history and the review lists around it."""

import difflib
import json
from collections import defaultdict

import reversion
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from reversion.models import Version

from plans import catalogue, permissions, workflow
from plans.models import (
    SDG,
    STAGES,
    Barrier,
    BlogLink,
    DatasourceTag,
    Evidence,
    ExtraAnswer,
    Insight,
    Lab,
    LearningQuestion,
    MethodTag,
    Partnership,
    Plan,
    PlanEvent,
    TaggedDatasource,
    TaggedMethod,
    TaggedThematicArea,
    ThematicAreaTag,
)
from plans.validators import link_url

# ---------------------------------------------------------------- history (django-reversion)

# django-reversion rather than a home-made history: it stores a plan together with the rows it "follows"
# (children and tag links) as one revision with its author and time, reverts them together, and is
# well kept. Blog links are followed too; a restore keeps their review decisions (see restore_revision).
PLAN_CHILDREN = (
    "insights",
    "barriers",
    "partnerships",
    "learning_questions",
    "evidence",
    "blog_links",
    "extra_answers",
)
TAG_THROUGHS = ("taggedmethod_set", "taggeddatasource_set", "taggedthematicarea_set")

for _model in (
    Insight,
    Barrier,
    Partnership,
    LearningQuestion,
    Evidence,
    BlogLink,
    ExtraAnswer,
    MethodTag,
    DatasourceTag,
    ThematicAreaTag,
):
    if not reversion.is_registered(_model):
        reversion.register(_model)
for _model in (TaggedMethod, TaggedDatasource, TaggedThematicArea):
    if not reversion.is_registered(_model):
        reversion.register(_model, follow=("tag",))
if not reversion.is_registered(Plan):
    reversion.register(Plan, follow=PLAN_CHILDREN + TAG_THROUGHS)


def plan_versions(plan):
    return Version.objects.get_for_object(plan).select_related("revision__user")


def last_change(plan):
    """(who, when) of the most recent save or workflow step of `plan`, for the lost-update message."""
    candidates = []
    version = plan_versions(plan).first()
    if version is not None:
        candidates.append((version.revision.date_created, version.revision.user))
    event = plan.events.select_related("actor").first()
    if event is not None:
        candidates.append((event.created_at, event.actor))
    if not candidates:
        return None, plan.updated_at
    when, who = max(candidates, key=lambda c: c[0])
    return who, when


# ---------------------------------------------------------------- forms


class PlanAdminForm(forms.ModelForm):
    handover_options = forms.MultipleChoiceField(
        label=gettext_lazy("handover process"), required=False, widget=forms.CheckboxSelectMultiple
    )
    # The `updated_at` the form was opened with: a save is refused when somebody saved in between.
    opened_version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Plan
        fields = "__all__"
        widgets = {"sdgs": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "handover_options" in self.fields:
            # Imported plans may hold answers outside the fixed list; they stay selectable, never dropped.
            current = list(self.instance.handover_options or [])
            known = dict(catalogue.HANDOVER_OPTIONS)
            extra = [(o, o) for o in current if o not in known]
            self.fields["handover_options"].choices = [*catalogue.HANDOVER_OPTIONS, *extra]
            self.initial.setdefault("handover_options", current)
        if self.instance.pk and "opened_version" in self.fields:
            self.fields["opened_version"].initial = self.instance.updated_at.isoformat()

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            current = Plan.objects.filter(pk=self.instance.pk).values_list("updated_at", flat=True).first()
            opened = parse_datetime(cleaned.get("opened_version") or "")
            if current is not None and opened != current:
                who, when = last_change(self.instance)
                name = (who.get_full_name() or who.get_username()) if who else _("someone")
                # The next save is taken as a deliberate overwrite: the message said what happened.
                self.data = self.data.copy()
                self.data[self.add_prefix("opened_version")] = current.isoformat()
                raise ValidationError(
                    _(
                        "%(who)s saved this plan on %(when)s, after you opened it. Your changes are still "
                        "in the form; open the plan in another tab to compare, then save again to overwrite."
                    )
                    % {"who": name, "when": date_format(timezone.localtime(when), "DATETIME_FORMAT")},
                    code="lost_update",
                )
        return cleaned


class LearningQuestionForm(forms.ModelForm):
    stages = forms.MultipleChoiceField(
        label=gettext_lazy("learning-cycle stages"),
        choices=STAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = LearningQuestion
        fields = "__all__"


# ---------------------------------------------------------------- inlines


class PlanChildInline(admin.StackedInline):
    """Children follow their plan: editable exactly when the plan is."""

    extra = 0

    def has_view_permission(self, request, obj=None):
        # The plan itself was already checked by PlanAdmin; this only asks for a role.
        return permissions.can_view_in_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return permissions.can_change(request.user, obj) if obj else permissions.can_add(request.user)

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)


class InsightInline(PlanChildInline):
    model = Insight
    fields = ["position", "text"]


class BarrierInline(PlanChildInline):
    model = Barrier
    fields = ["position", "text"]


class PartnershipInline(PlanChildInline):
    model = Partnership
    fields = ["position", "name", "sector", "is_new_and_unusual", "description"]


class LearningQuestionInline(PlanChildInline):
    model = LearningQuestion
    form = LearningQuestionForm
    fields = ["position", "question", "stages", "methods_usage", "data_gaps"]


class EvidenceInline(PlanChildInline):
    model = Evidence
    fields = ["position", "kind", "text", "url", "file", "image_url"]


class BlogLinkInline(PlanChildInline):
    model = BlogLink
    fields = ["position", "url", "title", "status", "review_note", "reviewed_by", "reviewed_at"]
    readonly_fields = ["status", "review_note", "reviewed_by", "reviewed_at"]


class ExtraAnswerInline(PlanChildInline):
    model = ExtraAnswer
    fields = ["position", "section", "prompt", "answer"]


# ---------------------------------------------------------------- plan

# The fieldsets follow the sections of the form the plan answers, as plans/catalogue.py describes them;
# a new plan (no form yet) shows every template's sections in turn. Fields no section of that form asks
# for stay editable in a collapsed "other fields" set, so that nothing an import brought is out of reach.
TIME_FIELDS = ("time_sense", "time_explore", "time_test", "time_grow")
META_FIELDSETS = [
    (None, {"fields": ["title", "kind", "form_version", "lab", "year", "language", "opened_version"]}),
    (
        gettext_lazy("Where and who"),
        {"fields": ["country", ("latitude", "longitude"), "focal_point_email"]},
    ),
]
TAIL_FIELDSETS = [
    (
        gettext_lazy("Status"),
        {"fields": ["status", "published_at", "created_by", "created_at", "updated_at"]},
    ),
    (
        gettext_lazy("Archive"),
        {
            "classes": ["collapse"],
            "fields": ["slug", "source_file", "raw_title", "section_markers", "archive_layout"],
        },
    ),
]
# Questions of the admin that the archive's prompts do not carry: shown with the section they belong to.
SECTION_EXTRAS = {
    "challenge_statement": ["challenge_type"],
    "challenge_classification": ["thematic_areas", "sdgs"],
    "data_methods": ["methods", "datasources"],
}
CONTENT_FIELDS = [
    "plan_name",
    "challenge_type",
    "challenge_statement",
    "background",
    "value_proposition",
    "tweet_summary",
    "thematic_areas",
    "sdgs",
    "partners_overview",
    "early_leads",
    "handover_options",
    "handover_details",
    TIME_FIELDS,
    "methods",
    "datasources",
    "why_data",
    "why_methods",
    "partners_civil_society",
    "partners_academic",
    "partners_private",
    "partners_government",
    "partners_new_unusual",
    "partners_un",
    "bonus_answer",
]


def _section_fields(section) -> list:
    fields = []
    for prompt in section.prompts:
        kind, name = prompt.target.kind, prompt.target.name
        if kind in (catalogue.FIELD, catalogue.CHECKLIST, catalogue.PARTNERS) and name:
            fields.append(name)
        elif kind == catalogue.TIME:
            fields.append(TIME_FIELDS)
    fields += SECTION_EXTRAS.get(section.key, [])
    return fields


def content_fieldsets(form_version: str | None) -> list:
    """The content fieldsets of a plan answering `form_version` (None: every template in turn)."""
    if form_version in catalogue.TEMPLATES:
        templates, prefix = [catalogue.template(form_version)], False
    else:
        templates, prefix = [catalogue.TEMPLATES[k] for k in ("opening", "closing_v2", "closing_v1")], True
    fieldsets, placed = [], set()
    for tpl in templates:
        for section in tpl.sections:
            fields = [f for f in _section_fields(section) if f not in placed]
            if not fields:
                continue
            placed.update(fields)
            title = f"{tpl.label}: {section.label}" if prefix else str(section.label)
            options = {"fields": fields}
            if section.key == "learnings":
                options["description"] = gettext_lazy(
                    "Key insights, barriers and blog links are listed below. The time split is empty or adds "
                    "up to 100 %."
                )
            fieldsets.append((title, options))
    rest = [f for f in CONTENT_FIELDS if f not in placed]
    if rest:
        fieldsets.append((gettext_lazy("Other fields"), {"classes": ["collapse"], "fields": rest}))
    return fieldsets


def plan_fieldsets(form_version: str | None) -> list:
    return [*META_FIELDSETS, *content_fieldsets(form_version), *TAIL_FIELDSETS]


ALWAYS_READONLY = ["status", "published_at", "created_by", "created_at", "updated_at"]


def _tag_list(objs) -> str:
    return ", ".join(o.name for o in objs)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    form = PlanAdminForm
    inlines = [
        InsightInline,
        BarrierInline,
        PartnershipInline,
        LearningQuestionInline,
        EvidenceInline,
        BlogLinkInline,
        ExtraAnswerInline,
    ]
    list_display = ["title", "lab", "kind", "year", "status", "method_list", "datasource_list", "sdg_list"]
    list_select_related = ["lab"]
    list_filter = [
        "status",
        "kind",
        "year",
        "language",
        ("lab", admin.RelatedOnlyFieldListFilter),
        ("methods", admin.RelatedOnlyFieldListFilter),
        ("datasources", admin.RelatedOnlyFieldListFilter),
        ("sdgs", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = [
        "title",
        "challenge_statement",
        "background",
        "value_proposition",
        "tweet_summary",
        "early_leads",
        "handover_details",
        "why_data",
        "why_methods",
    ]
    date_hierarchy = "published_at"
    readonly_fields = ALWAYS_READONLY
    save_on_top = True
    actions = None  # bulk changes of plans go through the workflow, one plan at a time
    show_facets = admin.ShowFacets.NEVER  # facets would count per filter choice on every page view

    # -- columns (over prefetched relations: never .names(), which ignores the prefetch)

    @admin.display(description=gettext_lazy("methods"))
    def method_list(self, plan):
        return _tag_list(plan.methods.all())

    @admin.display(description=gettext_lazy("data sources"))
    def datasource_list(self, plan):
        return _tag_list(plan.datasources.all())

    @admin.display(description=gettext_lazy("SDGs"))
    def sdg_list(self, plan):
        return ", ".join(str(s.number) for s in plan.sdgs.all())

    # -- who may do what: all asked of plans.permissions

    def get_queryset(self, request):
        qs = super().get_queryset(request).prefetch_related("methods", "datasources", "sdgs")
        return permissions.admin_plans(request.user, qs)

    def has_module_permission(self, request):
        return permissions.can_view_in_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.can_view_in_admin(request.user, obj)

    def has_add_permission(self, request):
        return permissions.can_add(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return permissions.can_add(request.user)
        return permissions.can_change(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return permissions.can_delete(request.user, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = plan_fieldsets(obj.form_version if obj else None)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read-only: the checklist by its labels, and no edit-session marker.
        swap = {"handover_options": "handover_display"}
        return [
            (
                name,
                {**options, "fields": [swap.get(f, f) for f in options["fields"] if f != "opened_version"]},
            )
            for name, options in fieldsets
        ]

    @admin.display(description=gettext_lazy("handover process"))
    def handover_display(self, plan):
        labels = dict(catalogue.HANDOVER_OPTIONS)
        return "; ".join(labels.get(o, o) for o in plan.handover_options or []) or "—"

    def get_readonly_fields(self, request, obj=None):
        if not request.user.is_superuser:
            return [*ALWAYS_READONLY, "slug", "handover_display"]
        return [*ALWAYS_READONLY, "handover_display"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "lab":
            # A crafted POST naming another lab fails validation: it is not among the choices.
            kwargs["queryset"] = permissions.addable_labs(request.user, Lab.objects.all())
            kwargs["required"] = not request.user.is_superuser
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        if (
            obj.lab_id is not None
            and not permissions.addable_labs(request.user, Lab.objects.filter(pk=obj.lab_id)).exists()
        ):
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is BlogLink:
            for link_form in formset.forms:
                link = link_form.instance
                # An edited link is a new link: its earlier approval does not cover the new address.
                if link.pk and link_form.has_changed() and "url" in link_form.changed_data:
                    link.status, link.reviewed_by, link.reviewed_at = BlogLink.Status.PENDING, None, None
        super().save_formset(request, form, formset, change)

    # -- revisions: one per admin save, made after the children and tags are saved

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            with transaction.atomic(), reversion.create_revision(manage_manually=True):
                reversion.set_user(request.user)
                return super().changeform_view(request, object_id, form_url, extra_context)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def log_addition(self, request, obj, message):
        reversion.add_to_revision(obj)
        reversion.set_comment(_("Created."))
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        reversion.add_to_revision(obj)
        reversion.set_comment(self._describe(message))
        return super().log_change(request, obj, message)

    @staticmethod
    def _describe(message) -> str:
        """The admin's summary of a save ("Changed title. Added key insight …"): the revision comment."""
        from django.contrib.admin.models import LogEntry

        text = message if isinstance(message, str) else json.dumps(message)
        return LogEntry(change_message=text).get_change_message() or _("No fields changed.")

    # -- the change form: workflow buttons, timeline, blog link outcomes

    def change_view(self, request, object_id, form_url="", extra_context=None):
        plan = self.get_object(request, unquote(object_id))
        extra_context = extra_context or {}
        if plan is not None and self.has_view_permission(request, plan):
            links = list(plan.blog_links.all())
            extra_context.update(
                transitions=[
                    workflow.PLAN_TRANSITIONS[a]
                    for a in permissions.available_transitions(request.user, plan)
                ],
                events=plan.events.select_related("actor", "blog_link"),
                blog_links=links,
                pending_links=sum(1 for link in links if link.status == BlogLink.Status.PENDING),
                can_add_blog_link=permissions.can_add_blog_link(request.user, plan),
                can_preview=permissions.can_preview(request.user, plan),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    # -- extra pages

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("review-queue/", wrap(self.review_queue_view), name="plans_plan_review_queue"),
            path(
                "<path:object_id>/transition/<str:action>/",
                wrap(self.transition_view),
                name="plans_plan_transition",
            ),
            path("<path:object_id>/preview/", wrap(self.preview_view), name="plans_plan_preview"),
            path("<path:object_id>/history/compare/", wrap(self.compare_view), name="plans_plan_compare"),
            path(
                "<path:object_id>/history/<int:version_id>/restore/",
                wrap(self.restore_view),
                name="plans_plan_restore",
            ),
            *super().get_urls(),
        ]

    def _plan_or_404(self, request, object_id):
        plan = self.get_object(request, unquote(object_id))
        if plan is None:  # not in admin_plans(): absent, whether it exists or not
            raise Http404
        return plan

    def transition_view(self, request, object_id, action):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        plan = self._plan_or_404(request, object_id)
        if action not in workflow.PLAN_TRANSITIONS:
            raise Http404
        try:
            # PermissionDenied propagates: the admin answers 403.
            workflow.make(plan, action, request.user, request.POST.get("comment", ""))
        except ValidationError as error:
            for text in error.messages:
                self.message_user(request, text, messages.ERROR)
        else:
            self.message_user(request, workflow.PLAN_TRANSITIONS[action].done % {"object": plan})
        return HttpResponseRedirect(reverse("admin:plans_plan_change", args=[plan.pk]))

    def review_queue_view(self, request):
        if not permissions.can_review(request.user):
            raise PermissionDenied
        plans = (
            self.get_queryset(request)
            .filter(status=Plan.Status.SUBMITTED)
            .annotate(
                submitted_at=Max("events__created_at", filter=Q(events__action=PlanEvent.Action.SUBMIT))
            )
            .select_related("lab")
            .order_by("submitted_at", "updated_at")
        )
        pending = BlogLink.objects.filter(status=BlogLink.Status.PENDING).count()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "plans": plans,
            "pending_links": pending,
            "title": _("Review queue"),
        }
        return TemplateResponse(request, "admin/plans/plan/review_queue.html", context)

    def preview_view(self, request, object_id):
        plan = self._plan_or_404(request, object_id)
        if not permissions.can_preview(request.user, plan):
            raise PermissionDenied
        from plans.views import detail_context

        # The public page's own context and template: the preview is what the public will see.
        plan = Plan.objects.filter(pk=plan.pk).with_content_for(None).get()
        context = {**detail_context(plan), "preview": True}
        return TemplateResponse(request, "plans/detail.html", context)

    def history_view(self, request, object_id, extra_context=None):
        plan = self._plan_or_404(request, object_id)
        versions = list(plan_versions(plan))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object": plan,
            "original": plan,
            "versions": versions,
            "title": _("History: %(title)s") % {"title": plan},
            "can_restore": permissions.can_change(request.user, plan),
            "events": plan.events.select_related("actor"),
        }
        return TemplateResponse(request, "admin/plans/plan/object_history.html", context)

    def compare_view(self, request, object_id):
        plan = self._plan_or_404(request, object_id)
        versions = plan_versions(plan)
        try:
            a = versions.get(pk=int(request.GET.get("a", "")))
            b = versions.get(pk=int(request.GET.get("b", "")))
        except (ValueError, Version.DoesNotExist):
            raise Http404 from None
        if a.revision.date_created > b.revision.date_created:
            a, b = b, a
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object": plan,
            "original": plan,
            "a": a,
            "b": b,
            "changes": compare_versions(a, b),
            "title": _("Changes in %(title)s") % {"title": plan},
        }
        return TemplateResponse(request, "admin/plans/plan/compare.html", context)

    def restore_view(self, request, object_id, version_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        plan = self._plan_or_404(request, object_id)
        if not permissions.can_change(request.user, plan):
            raise PermissionDenied
        version = get_object_or_404(plan_versions(plan), pk=version_id)
        restore_revision(plan, version, request.user)
        self.message_user(
            request,
            _("Restored the version of %(when)s as a new revision.")
            % {"when": date_format(timezone.localtime(version.revision.date_created), "DATETIME_FORMAT")},
        )
        return HttpResponseRedirect(reverse("admin:plans_plan_change", args=[plan.pk]))


def restore_revision(plan, version, user):
    """Put the plan, its children and its tags back as they were in `version`, as a new revision.

    The workflow state is not content: status and publication date stay as they are now, blog links keep
    their current review decisions, and a link brought back from the past needs review again."""
    with transaction.atomic(), reversion.create_revision(manage_manually=True):
        keep = {"status": plan.status, "published_at": plan.published_at}
        reviews = {
            link.pk: (link.status, link.reviewed_by_id, link.reviewed_at, link.review_note)
            for link in plan.blog_links.all()
        }
        version.revision.revert(delete=True)
        plan = Plan.objects.get(pk=plan.pk)
        for name, value in keep.items():
            setattr(plan, name, value)
        plan.save()
        for link in plan.blog_links.all():
            status, reviewed_by, reviewed_at, note = reviews.get(
                link.pk, (BlogLink.Status.PENDING, None, None, "")
            )
            link.status, link.reviewed_by_id, link.reviewed_at, link.review_note = (
                status,
                reviewed_by,
                reviewed_at,
                note,
            )
            link.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        reversion.set_user(user)
        reversion.set_comment(
            _("Restored the version of %(when)s.")
            % {"when": date_format(timezone.localtime(version.revision.date_created), "DATETIME_FORMAT")}
        )
        reversion.add_to_revision(plan)
    return plan


def _version_map(version):
    """{model: {object_id: version}} of every row stored in `version`'s revision."""
    rows = defaultdict(dict)
    for v in version.revision.version_set.select_related("content_type"):
        rows[v.content_type.model_class()][v.object_id] = v
    return rows


def _show(value) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def compare_versions(a, b) -> list[dict]:
    """What changed between two revisions of a plan: its fields, then its children and tags, each as a
    list of {"label", "before", "after", "diff"} rows (a unified text diff for long texts)."""
    rows_a, rows_b = _version_map(a), _version_map(b)
    sections = []

    def field_rows(model, dict_a, dict_b):
        rows = []
        for field in model._meta.concrete_fields + model._meta.many_to_many:
            if field.name in ("id", "plan", "updated_at", "content_object") or not hasattr(field, "attname"):
                continue
            before, after = dict_a.get(field.attname), dict_b.get(field.attname)
            if field.many_to_many:
                before, after = dict_a.get(field.name), dict_b.get(field.name)
            if before == after:
                continue
            diff = ""
            if isinstance(before, str) and isinstance(after, str) and (len(before) + len(after)) > 160:
                diff = "\n".join(
                    difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1)
                )
            rows.append(
                {
                    "label": str(field.verbose_name),
                    "before": _show(before),
                    "after": _show(after),
                    "diff": diff,
                }
            )
        return rows

    plan_rows = field_rows(Plan, a.field_dict, b.field_dict)
    if plan_rows:
        sections.append({"title": str(Plan._meta.verbose_name), "rows": plan_rows})

    tag_names = {}
    for rows in (rows_a, rows_b):
        for tag_model in (MethodTag, DatasourceTag, ThematicAreaTag):
            for object_id, v in rows.get(tag_model, {}).items():
                tag_names[(tag_model, object_id)] = v.field_dict.get("name", v.object_repr)
    for through, tag_model in (
        (TaggedMethod, MethodTag),
        (TaggedDatasource, DatasourceTag),
        (TaggedThematicArea, ThematicAreaTag),
    ):

        def names(rows, through=through, tag_model=tag_model):
            return sorted(
                tag_names.get((tag_model, str(v.field_dict.get("tag_id"))), v.object_repr)
                for v in rows.get(through, {}).values()
            )

        before, after = names(rows_a), names(rows_b)
        if before != after:
            sections.append(
                {
                    "title": str(tag_model._meta.verbose_name_plural),
                    "rows": [
                        {
                            "label": _("removed"),
                            "before": _show(sorted(set(before) - set(after))),
                            "after": "",
                            "diff": "",
                        },
                        {
                            "label": _("added"),
                            "before": "",
                            "after": _show(sorted(set(after) - set(before))),
                            "diff": "",
                        },
                    ],
                }
            )

    for child in (Insight, Barrier, Partnership, LearningQuestion, Evidence, BlogLink, ExtraAnswer):
        old, new = rows_a.get(child, {}), rows_b.get(child, {})
        rows = []
        for object_id in sorted(set(old) | set(new), key=lambda i: int(i) if i.isdigit() else 0):
            if object_id not in new:
                rows.append(
                    {"label": _("removed"), "before": old[object_id].object_repr, "after": "", "diff": ""}
                )
            elif object_id not in old:
                rows.append(
                    {"label": _("added"), "before": "", "after": new[object_id].object_repr, "diff": ""}
                )
            else:
                for row in field_rows(child, old[object_id].field_dict, new[object_id].field_dict):
                    row["label"] = f"{new[object_id].object_repr[:40]} · {row['label']}"
                    rows.append(row)
        if rows:
            sections.append({"title": str(child._meta.verbose_name_plural), "rows": rows})
    return sections


# ---------------------------------------------------------------- blog links


APPROVE = workflow.LINK_TRANSITIONS[PlanEvent.Action.APPROVE_LINK]
REJECT = workflow.LINK_TRANSITIONS[PlanEvent.Action.REJECT_LINK]


class RejectForm(forms.Form):
    note = forms.CharField(
        label=REJECT.comment_label,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The lab's focal points receive this note."),
    )


@admin.register(BlogLink)
class BlogLinkAdmin(admin.ModelAdmin):
    list_display = ["link", "plan", "lab", "status", "reviewed_by", "reviewed_at", "review_buttons"]
    list_filter = ["status", ("plan__lab", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["plan__lab", "reviewed_by"]
    search_fields = ["url", "title", "plan__title"]
    fields = ["plan", "url", "title", "position", "status", "review_note", "reviewed_by", "reviewed_at"]
    readonly_fields = ["status", "review_note", "reviewed_by", "reviewed_at"]
    actions = ["approve_selected", "reject_selected"]

    @admin.display(description=gettext_lazy("link"), ordering="url")
    def link(self, obj):
        if not link_url(obj.url):  # shown as text: staff see what was refused, and no script runs
            return obj.title or obj.url
        return format_html(
            '<a href="{}" rel="noopener" target="_blank">{}</a>', obj.url, obj.title or obj.url
        )

    @admin.display(description=gettext_lazy("lab"), ordering="plan__lab__name")
    def lab(self, obj):
        return obj.plan.lab

    @admin.display(description=gettext_lazy("review"))
    def review_buttons(self, obj):
        # Buttons inside the changelist's own form (which carries the CSRF token), posted elsewhere.
        if obj.status != BlogLink.Status.PENDING:
            return ""
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post">{}</button> '
            '<a class="button" href="{}">{}</a>',
            reverse("admin:plans_bloglink_approve", args=[obj.pk]),
            APPROVE.label,
            reverse("admin:plans_bloglink_reject", args=[obj.pk]),
            _("Reject…"),
        )

    def get_list_display(self, request):
        if permissions.can_review_blog_link(request.user):
            return self.list_display
        return [c for c in self.list_display if c != "review_buttons"]

    # -- permissions

    def get_queryset(self, request):
        return permissions.admin_blog_links(request.user, super().get_queryset(request))

    def has_module_permission(self, request):
        return permissions.can_view_in_admin(request.user)

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return permissions.can_view_in_admin(request.user)
        return permissions.can_view_in_admin(request.user, obj.plan)

    def has_add_permission(self, request):
        return permissions.can_add(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return self.has_add_permission(request)
        return permissions.can_change_blog_link(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_review_permission(self, request):
        return permissions.can_review_blog_link(request.user)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [*self.readonly_fields, "plan"]
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "plan":
            labs = permissions.addable_labs(request.user, Lab.objects.all())
            qs = Plan.objects.all() if request.user.is_superuser else Plan.objects.filter(lab__in=labs)
            kwargs["queryset"] = qs.select_related("lab")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if plan_id := request.GET.get("plan"):
            initial["plan"] = plan_id
        return initial

    def save_model(self, request, obj, form, change):
        if not change and not permissions.can_add_blog_link(request.user, obj.plan):
            raise PermissionDenied
        if change and "url" in form.changed_data:
            obj.status, obj.reviewed_by, obj.reviewed_at = BlogLink.Status.PENDING, None, None
        super().save_model(request, obj, form, change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            # A blog link is part of its plan's content: its save is a revision of the plan.
            with transaction.atomic(), reversion.create_revision(manage_manually=True):
                reversion.set_user(request.user)
                return super().changeform_view(request, object_id, form_url, extra_context)
        extra_context = extra_context or {}
        if object_id:
            link = self.get_object(request, unquote(object_id))
            extra_context["can_review_link"] = link is not None and permissions.can_review_blog_link(
                request.user, link
            )
            if link is not None:
                extra_context["link_transitions"] = [
                    t for t in workflow.LINK_TRANSITIONS.values() if link.status in t.sources
                ]
        return super().changeform_view(request, object_id, form_url, extra_context)

    def log_addition(self, request, obj, message):
        reversion.add_to_revision(obj.plan)
        reversion.set_comment(_("Added blog link %(url)s.") % {"url": obj.url})
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        reversion.add_to_revision(obj.plan)
        reversion.set_comment(_("Changed blog link %(url)s.") % {"url": obj.url})
        return super().log_change(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if "_save" in request.POST:
            return HttpResponseRedirect(reverse("admin:plans_plan_change", args=[obj.plan_id]))
        return super().response_add(request, obj, post_url_continue)

    # -- approve / reject

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/approve/", wrap(self.approve_view), name="plans_bloglink_approve"),
            path("<path:object_id>/reject/", wrap(self.reject_view), name="plans_bloglink_reject"),
            *super().get_urls(),
        ]

    def _link_or_404(self, request, object_id):
        link = self.get_object(request, unquote(object_id))
        if link is None:
            raise Http404
        return link

    def _next(self, request):
        return HttpResponseRedirect(reverse("admin:plans_bloglink_changelist") + "?status__exact=pending")

    def approve_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        link = self._link_or_404(request, object_id)
        try:
            workflow.make(link, PlanEvent.Action.APPROVE_LINK, request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(request, APPROVE.done % {"object": link})
        return self._next(request)

    def reject_view(self, request, object_id):
        link = self._link_or_404(request, object_id)
        if not permissions.can_review_blog_link(request.user, link):
            raise PermissionDenied
        return self._reject(request, [link])

    def _reject(self, request, links):
        form = RejectForm(request.POST if "note" in request.POST else None)
        if form.is_valid():
            done = self._review_all(request, links, REJECT, form.cleaned_data["note"])
            self.message_user(
                request,
                ngettext("Rejected %(n)d blog link.", "Rejected %(n)d blog links.", done) % {"n": done},
            )
            return self._next(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "links": links,
            "form": form,
            "title": _("Reject blog links"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/plans/bloglink/reject.html", context)

    def _review_all(self, request, links, transition, note="") -> int:
        """Make `transition` on each of `links`; say why each refused one was refused. Returns how many."""
        done = 0
        for link in links:
            try:
                workflow.make(link, transition.action, request.user, note)
                done += 1
            except ValidationError as error:
                for text in error.messages:
                    self.message_user(
                        request, _("%(link)s: %(error)s") % {"link": link, "error": text}, messages.WARNING
                    )
        return done

    @admin.action(description=gettext_lazy("Approve selected blog links"), permissions=["review"])
    def approve_selected(self, request, queryset):
        done = self._review_all(request, queryset.select_related("plan"), APPROVE)
        self.message_user(
            request, ngettext("Approved %(n)d blog link.", "Approved %(n)d blog links.", done) % {"n": done}
        )

    @admin.action(description=gettext_lazy("Reject selected blog links…"), permissions=["review"])
    def reject_selected(self, request, queryset):
        return self._reject(request, list(queryset.select_related("plan")))


# ---------------------------------------------------------------- reference data


@admin.register(Lab)
class LabAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "iso3", "member_list"]
    search_fields = ["name", "country", "iso3"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("members")

    @admin.display(description=gettext_lazy("focal points"))
    def member_list(self, lab):
        return format_html_join(", ", "{}", ((m.get_username(),) for m in lab.members.all()))


@admin.register(SDG)
class SDGAdmin(admin.ModelAdmin):
    """The 17 goals come from a data migration and are not edited."""

    list_display = ["number", "name", "colour"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    readonly_fields = ["slug"]


for _tag_model in (MethodTag, DatasourceTag, ThematicAreaTag):
    admin.site.register(_tag_model, TagAdmin)
