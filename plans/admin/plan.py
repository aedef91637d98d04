"""The plan pages of the admin: list, change form with its workflow buttons and timeline, review queue,
preview and history. Every access decision is asked of plans/permissions.py, every transition of
plans/workflow.py, every history operation of plans/history.py."""

import json
from datetime import UTC

import reversion
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from reversion.models import Version

import plans.admin.review as review  # not "from plans.admin": that package imports this module
from plans import catalogue, dashboard, history, locks, permissions, workflow
from plans.admin.fieldsets import ALWAYS_READONLY, SUPERUSER_FIELDS, plan_layout
from plans.admin.forms import ChildRowForm, LearningQuestionForm, PlanAdminForm
from plans.choices import FORM_KINDS
from plans.models import STAGES, BlogLink, Lab, Plan, PlanEvent
from plans.parts import CHILDREN
from plans.presentation import detail_context, language_name

# ---------------------------------------------------------------- inlines


def may_edit_form(user, plan) -> bool:
    """May `user` save this plan's change form: the plan itself (permissions.can_change), or, when their
    saves go to a published plan's revision (its authors; superusers once it has one), that revision
    (plans/admin/review.py) while it is not with the reviewers."""
    if permissions.edits_revision(user, plan):
        return permissions.can_edit_revision(user, plan, plan.pending_revision)
    return permissions.can_change(user, plan)


class PlanChildInline(admin.StackedInline):
    """Children follow their plan: editable exactly when the plan is (or its revision). Shown inside the
    section that asks for them (plans/admin/fieldsets.py), with the prompt's label and guidance; rows are
    ordered by dragging or with their move buttons, which set the hidden `position`
    (static/js/plan_form.js)."""

    extra = 0
    form = ChildRowForm
    template = "admin/plans/plan/edit_inline/stacked.html"
    description = ""
    # Lists written as text, row after row: an empty row waits at the end (a new plan starts with one,
    # and the form's script adds the next as the last one is typed in).
    auto_row = False

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if self.auto_row and obj is None else 0

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "position":
            kwargs["widget"] = forms.HiddenInput
        elif db_field.name in ("name", "title"):  # a partner's name: one line, not a text box
            kwargs["widget"] = forms.TextInput(attrs={"class": "vTextField"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_view_permission(self, request, obj=None):
        # The plan itself was already checked by PlanAdmin; this only asks for a role.
        return permissions.can_view_in_admin(request.user)

    def has_add_permission(self, request, obj=None):
        if obj is None:
            return permissions.can_add(request.user)
        # Django asks again for every row of the formset (user_deleted_form), and edits_revision reads the
        # plan's pending revision from the database: one answer per inline and request.
        answers = request.__dict__.setdefault("_acclab_inline_rights", {})
        key = (self.model, obj.pk)
        if key not in answers:
            answers[key] = self._may_edit_rows(request.user, obj)
        return answers[key]

    def _may_edit_rows(self, user, plan) -> bool:
        if self.model is BlogLink and permissions.edits_revision(user, plan):
            return False  # a revision carries no blog links: each has its own approval
        return may_edit_form(user, plan)

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)


class LearningQuestionInline(PlanChildInline):
    """Read-only (a published plan, a reviewer), the stages by their labels: the JSON field would show the
    list of stored keys."""

    form = LearningQuestionForm
    readonly_fields = ["stage_display"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self.has_change_permission(request, obj):
            return [f for f in fields if f != "stage_display"]
        return ["stage_display" if f == "stages" else f for f in fields]

    @admin.display(description=gettext_lazy("learning-cycle stages"))
    def stage_display(self, question):
        labels = dict(STAGES)
        return ", ".join(str(labels.get(s, s)) for s in question.stages) or "—"


# A reviewer's decision on a reviewed child (a blog link): shown, never edited with the plan.
REVIEW_FIELDS = ["status", "review_note", "reviewed_by", "reviewed_at"]


class ReviewedChildInline(PlanChildInline):
    """Rows a reviewer approves (blog links): their decision is shown once there is one to show; a new
    plan's rows have none yet (who and when stay on the timeline and the link's own page)."""

    def get_fields(self, request, obj=None):
        shown = ["status", "review_note"] if obj is not None else []
        fields = [f for f in super().get_fields(request, obj) if f not in REVIEW_FIELDS or f in shown]
        if {"url", "title"} <= set(fields):  # address and title side by side
            fields[fields.index("url")] = ("url", "title")
            fields.remove("title")
        return fields


INLINE_BASES = {"learning_questions": LearningQuestionInline}
AUTO_ROW_LISTS = ("insights", "barriers", "partnerships", "learning_questions", "blog_links")


def child_inline(child) -> type[PlanChildInline]:
    """The inline of one kind of child row (plans/parts.py): its position, then its fields in model order."""
    fields = [
        f.name
        for f in child.model._meta.fields
        if f.editable and not f.auto_created and f.name not in ("plan", "position")
    ]
    options = {
        "model": child.model,
        "fields": ["position", *fields, "row_key"],
        "auto_row": child.related_name in AUTO_ROW_LISTS,
    }
    if child.reviewed:
        options["readonly_fields"] = REVIEW_FIELDS
    base = INLINE_BASES.get(child.related_name, ReviewedChildInline if child.reviewed else PlanChildInline)
    return type(f"{child.model.__name__}Inline", (base,), options)


CHILD_OF_MODEL = {c.model: c.related_name for c in CHILDREN}
# The forms a new plan can be written in, with the page's title: the current ones first.
NEW_PLAN_TITLES = {
    Plan.FormVersion.OPENING: gettext_lazy("New opening plan"),
    Plan.FormVersion.CLOSING_V2: gettext_lazy("New closing report"),
    Plan.FormVersion.CLOSING_V1: gettext_lazy("New closing report (first form, 2021–2023)"),
}


def new_plan_choices() -> list[dict]:
    """The "new plan" buttons: what each form is for."""
    add = reverse("admin:plans_plan_add")
    notes = {
        Plan.FormVersion.OPENING: _("Your challenge, evidence, partners and learning questions."),
        Plan.FormVersion.CLOSING_V2: _("Insights, handover, data and methods, partners: the current form."),
        Plan.FormVersion.CLOSING_V1: _("For plans closed with the older form (2021–2023)."),
    }
    return [
        {"form": form, "url": f"{add}?form={form}", "label": title, "note": notes[form]}
        for form, title in NEW_PLAN_TITLES.items()
    ]


def lab_defaults(labs) -> dict[str, dict]:
    """What a new plan of each lab starts with: the lab's country, and the point of its latest plan that
    has one (the map picker refines it)."""
    defaults = {str(lab.pk): {"country": lab.country, "latitude": None, "longitude": None} for lab in labs}
    located = (
        Plan.objects.filter(lab__in=labs, latitude__isnull=False, longitude__isnull=False)
        .order_by("lab_id", "-created_at")
        .values_list("lab_id", "latitude", "longitude")
    )
    for lab_id, latitude, longitude in located:
        entry = defaults[str(lab_id)]
        if entry["latitude"] is None:
            entry.update(latitude=round(latitude, 5), longitude=round(longitude, 5))
    return defaults


def posted_datetime(data, name):
    """A date and time posted by a `datetime-local` input, read as UTC (the labels say so); None if empty."""
    value = (data.get(name) or "").strip()
    if not value:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationError(_("“%(value)s” is not a date and time.") % {"value": value})
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)


# Tags shown in a list row: a plan of the archive has up to 30 methods, which made rows a screen tall.
TAGS_SHOWN = 3


def _tag_list(objs) -> str:
    """The first TAGS_SHOWN names, then how many more; every name in the tooltip. `objs` is a prefetched
    relation's .all(): sliced in Python, as slicing the queryset would ask the database again."""
    names = [o.name for o in objs]
    shown = ", ".join(names[:TAGS_SHOWN])
    if len(names) <= TAGS_SHOWN:
        return shown
    more = len(names) - TAGS_SHOWN
    return format_html(
        '<span title="{}">{} <span class="more-tags">{}</span></span>',
        ", ".join(names),
        shown,
        ngettext("+%(n)s more", "+%(n)s more", more) % {"n": more},
    )


class LanguageFilter(admin.SimpleListFilter):
    """The plans' languages by their names in the admin's language (the field holds codes: "fr", "pt"),
    only those of the plans this person sees."""

    title = gettext_lazy("language")
    parameter_name = "language__exact"  # the parameter of the field's own filter, which this replaces

    def lookups(self, request, model_admin):
        plans = permissions.admin_plans(request.user, Plan.objects.all())
        codes = plans.exclude(language="").order_by().values_list("language", flat=True).distinct()
        return sorted(((code, language_name(code)) for code in codes), key=lambda c: c[1].casefold())

    def queryset(self, request, queryset):
        return queryset.filter(language=self.value()) if self.value() else queryset


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    form = PlanAdminForm
    inlines = [child_inline(c) for c in CHILDREN]
    list_display = [
        "title",
        "lab",
        "kind",
        "year",
        "status",
        "review_state",
        "method_list",
        "datasource_list",
        "sdg_list",
    ]
    list_select_related = ["lab"]
    list_filter = [
        "status",
        "kind",
        "year",
        LanguageFilter,
        ("lab", admin.RelatedOnlyFieldListFilter),
        ("methods", admin.RelatedOnlyFieldListFilter),
        ("datasources", admin.RelatedOnlyFieldListFilter),
        ("sdgs", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", *catalogue.TEXT_ANSWER_FIELDS]
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

    @admin.display(description=gettext_lazy("review"))
    def review_state(self, plan):
        """What the authors must know of the review in the list: a request for changes with its comment,
        or the state of the live plan's revision (annotated by `review.with_review_state`)."""
        return review.review_state(plan)

    def changelist_view(self, request, extra_context=None):
        # Without the admin's left sidebar (the home page's list of models again, 300 px of a 1,280 px
        # screen): beside it and the filters, the table had 630 px for nine columns and hid four behind a
        # scroll bar. The breadcrumbs lead to the same places.
        return super().changelist_view(request, {**(extra_context or {}), "is_nav_sidebar_enabled": False})

    def get_list_display(self, request):
        # A focal point of one lab: every row is of that lab, and the column took a sixth of the list's width
        if permissions.works_in_one_lab(request.user):
            return [c for c in self.list_display if c != "lab"]
        return self.list_display

    def get_list_filter(self, request):
        if permissions.works_in_one_lab(request.user):
            return [f for f in self.list_filter if not (isinstance(f, tuple) and f[0] == "lab")]
        return self.list_filter

    # -- who may do what: all asked of plans.permissions

    def get_queryset(self, request):
        qs = super().get_queryset(request).prefetch_related("methods", "datasources", "sdgs")
        return permissions.admin_plans(request.user, review.with_review_state(qs))

    def has_module_permission(self, request):
        return permissions.can_view_in_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.can_view_in_admin(request.user, obj)

    def has_add_permission(self, request):
        return permissions.can_add(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return permissions.can_add(request.user)
        return may_edit_form(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return permissions.can_delete(request.user, obj)

    # -- the form: only the chosen template's sections, each child list inside its section

    def _form_version(self, request, obj=None) -> str:
        """The template the form shows: the plan's, or for a new plan the one chosen ("?form=" on the
        add page, then the hidden field it posts); the opening plan when none is known."""
        if obj is not None:
            return obj.form_version
        chosen = request.POST.get("form_version") or request.GET.get("form")
        return chosen if chosen in catalogue.TEMPLATES else Plan.FormVersion.OPENING

    def _layout(self, request, obj=None):
        def holds(name):  # an answer to another template's question, kept from an import
            return obj is not None and getattr(obj, name, None) not in (None, "", [])

        tail = ("status", "archive") if obj is not None else ("archive",) if request.user.is_superuser else ()
        return plan_layout(self._form_version(request, obj), holds, tail)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [block.fieldset() for block in self._layout(request, obj)]
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read-only: the checklist and the language by their labels, and no edit-session marker.
        swap = {"handover_options": "handover_display", "language": "language_display"}
        return [
            (
                name,
                {**options, "fields": [swap.get(f, f) for f in options["fields"] if f != "opened_version"]},
            )
            for name, options in fieldsets
        ]

    def get_inline_instances(self, request, obj=None):
        """The child lists the template's sections show, headed with their prompt; on an existing plan
        also any other list that holds rows (imports), shown after the sections."""
        lists = {c.related_name: c for block in self._layout(request, obj) for c in block.children}
        shown = []
        for inline in super().get_inline_instances(request, obj):
            related_name = CHILD_OF_MODEL[inline.model]
            if related_name in lists:
                inline.verbose_name_plural = lists[related_name].label
                inline.description = lists[related_name].guidance
            elif obj is None or not getattr(obj, related_name).exists():
                continue
            shown.append(inline)
        return shown

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Each fieldset with the child lists shown after it (templates/admin/plans/plan/change_form.html).
        formsets = {f.formset.prefix: f for f in context.get("inline_admin_formsets", [])}
        sections = [
            (fieldset, [formsets.pop(c.related_name) for c in block.children if c.related_name in formsets])
            for fieldset, block in zip(context["adminform"], self._layout(request, obj), strict=True)
        ]
        context.update(
            plan_sections=sections,
            other_inline_formsets=list(formsets.values()),
            lab_defaults=lab_defaults(permissions.addable_labs(request.user, Lab.objects.all())),
            form_label=catalogue.template(self._form_version(request, obj)).label,
            map_tile_url=settings.MAP_TILE_URL,
            map_tile_attribution=settings.MAP_TILE_ATTRIBUTION,
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def add_view(self, request, form_url="", extra_context=None):
        """Choose first, then write: without a chosen form the page offers the forms; with one, the form
        shows that template only."""
        chosen = request.POST.get("form_version") or request.GET.get("form")
        if request.method == "GET" and chosen not in NEW_PLAN_TITLES:
            if not self.has_add_permission(request):
                raise PermissionDenied
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("New plan"),
                "choices": new_plan_choices(),
            }
            return TemplateResponse(request, "admin/plans/plan/choose_form.html", context)
        extra_context = {**(extra_context or {}), "title": NEW_PLAN_TITLES.get(chosen, _("New plan"))}
        return super().add_view(request, form_url, extra_context)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.pop("form", None)
        initial["form_version"] = self._form_version(request)
        initial.setdefault("year", timezone.now().year)
        language = (getattr(request, "LANGUAGE_CODE", "") or "")[:2]
        if language in dict(settings.LANGUAGES):
            initial.setdefault("language", language)  # the language the author works in
        labs = list(permissions.addable_labs(request.user, Lab.objects.all())[:2])
        if len(labs) == 1:  # a focal point of one lab writes for that lab
            initial.setdefault("lab", labs[0].pk)
            for name, value in lab_defaults([labs[0]])[str(labs[0].pk)].items():
                if value is not None:
                    initial.setdefault(name, value)
        return initial

    @admin.display(description=gettext_lazy("handover process"))
    def handover_display(self, plan):
        options = plan.handover_options or []
        return "; ".join(catalogue.option_label(catalogue.HANDOVER_OPTIONS, o) for o in options) or "—"

    @admin.display(description=gettext_lazy("language"))
    def language_display(self, plan):
        return language_name(plan.language)

    def get_readonly_fields(self, request, obj=None):
        # A plan's form is chosen when it is created; only superusers change it (to correct an import).
        chosen = ["form_version"] if obj is not None else []
        if not request.user.is_superuser:
            return [*ALWAYS_READONLY, *SUPERUSER_FIELDS, *chosen, "handover_display", "language_display"]
        return [*ALWAYS_READONLY, "handover_display", "language_display"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "lab":
            # A crafted POST naming another lab fails validation: it is not among the choices.
            kwargs["queryset"] = permissions.addable_labs(request.user, Lab.objects.all())
            kwargs["required"] = not request.user.is_superuser
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.edited_revision = getattr(request, "acclab_revision", None)
        field = form.base_fields.get("opening_plan")
        if field is not None:
            # The opening plans this report may close: the user's own (permissions), of the report's lab;
            # a crafted POST naming another is not among the choices.
            lab_id = obj.lab_id if obj is not None else None
            field.queryset = permissions.linkable_opening_plans(
                request.user, Plan.objects.exclude(pk=obj.pk if obj else None), lab_id
            ).select_related("lab")
            field.label_from_instance = lambda plan: " · ".join(
                str(part) for part in (plan.title, plan.lab, plan.year) if part
            )
        return form

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.kind = FORM_KINDS.get(obj.form_version, obj.kind)  # the kind follows the form
        if (
            obj.lab_id is not None
            and not permissions.addable_labs(request.user, Lab.objects.filter(pk=obj.lab_id)).exists()
        ):
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # Rows added without a position (no script ran) go to the end of their list, in the order given.
        taken = [f.cleaned_data.get("position") or 0 for f in formset.forms if f.instance.pk]
        last = max(taken, default=0)
        for row in formset.extra_forms:
            if row.has_changed() and "position" not in row.changed_data:
                last += 1
                row.instance.position = last
        to_review = []
        for link_form in formset.forms if formset.model is BlogLink else ():
            link = link_form.instance
            if (
                link_form.has_changed()
                and "url" in link_form.changed_data
                and not (formset.can_delete and formset._should_delete_form(link_form))
            ):
                to_review.append(link)
                # An edited link is a new link: its earlier approval does not cover the new address.
                if link.pk:
                    link.reset_review()
        super().save_formset(request, form, formset, change)
        for link in to_review:  # the reviewers hear of each new address, once it is saved
            link.await_review(by=request.user)

    # -- revisions: one per admin save, made after the children and tags are saved

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            with history.revision_by(request.user):
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
        if plan is None or not self.has_view_permission(request, plan):
            return super().change_view(request, object_id, form_url, extra_context)
        revision = plan.pending_revision if plan.status != Plan.Status.DRAFT else None
        if (
            request.method == "POST"
            and revision is not None
            and permissions.edits_revision(request.user, plan)
            and not permissions.can_edit_revision(request.user, plan, revision)
        ):
            # A form opened before the revision went to the reviewers: say why nothing was saved.
            self.message_user(
                request,
                _(
                    "Revision %(number)s of this live plan is with the reviewers: your changes were not "
                    "saved. Edit it again once a reviewer returns it for changes."
                )
                % {"number": revision.number},
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        self._change_context(request, plan, revision, extra_context)
        if permissions.edits_revision(request.user, plan) and (
            revision is not None or request.method == "POST"
        ):
            # The authors of a published plan see and save its revision; the live plan stays as it is.
            response = review.edit_revision(
                request,
                plan,
                revision,
                lambda: super(PlanAdmin, self).change_view(request, object_id, form_url, extra_context),
            )
        else:
            response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "POST" and response.status_code == 302 and "_continue" not in request.POST:
            locks.left(plan, request.user)
        return response

    def _change_context(self, request, plan, revision, extra_context) -> None:
        """The change form's workflow buttons, timeline, blog link outcomes, revision and review."""
        links = list(plan.blog_links.all())
        available = permissions.available_transitions(request.user, plan, revision)
        extra_context.update(review.form_context(request, plan, revision))
        # A revision belongs to its live plan: "Save and add another" would leave it for a new, empty plan.
        extra_context["show_save_and_add_another"] = not extra_context["edits_revision"]
        extra_context.update(
            transitions=[workflow.TRANSITIONS[a] for a in available],
            events=plan.events.select_related("actor", "blog_link"),
            blog_links=links,
            pending_links=sum(1 for link in links if link.status == BlogLink.Status.PENDING),
            can_add_blog_link=permissions.can_add_blog_link(request.user, plan),
            can_preview=permissions.can_preview(request.user, plan),
            can_review_links=permissions.can_review_blog_link(request.user),
            **self._linked_plans(request, plan),
        )
        if PlanEvent.Action.SUBMIT in available:  # the checklist is for those about to submit
            checklist = plan.submission_checklist()
            extra_context.update(
                checklist=checklist,
                checklist_missing_required=any(i.required and not i.done for i in checklist),
                checklist_gaps=sum(1 for i in checklist if not i.done),
            )

    def _linked_plans(self, request, plan) -> dict:
        """The opening plan and closing report linked to `plan`, each as (title, the address the user may
        follow: its admin page, else its public page once published, else none), and whether the user may
        start the closing report (templates/admin/plans/plan/includes/linked_plans.html)."""

        def shown(linked):
            if linked is None:
                return None
            if permissions.can_view_in_admin(request.user, linked):
                return {"plan": linked, "url": reverse("admin:plans_plan_change", args=[linked.pk])}
            if linked.status == Plan.Status.PUBLISHED:
                return {"plan": linked, "url": linked.get_absolute_url()}
            return None

        report = Plan.objects.filter(opening_plan=plan).select_related("lab").first()
        return {
            "linked_opening_plan": shown(plan.opening_plan if plan.opening_plan_id else None),
            "linked_closing_report": shown(report),
            "can_start_closing_report": report is None
            and permissions.can_start_closing_report(request.user, plan),
        }

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
            path("<path:object_id>/revision/", wrap(self.revision_view), name="plans_plan_revision"),
            path(
                "<path:object_id>/revision/<int:number>/",
                wrap(self.revision_view),
                name="plans_plan_revision_number",
            ),
            path("<path:object_id>/comments/", wrap(self.comment_view), name="plans_plan_comment"),
            path(
                "<path:object_id>/edit-session/", wrap(self.edit_session_view), name="plans_plan_edit_session"
            ),
            path(
                "<path:object_id>/comments/<int:comment_id>/resolve/",
                wrap(self.resolve_view),
                name="plans_plan_comment_resolve",
            ),
            path(
                "<path:object_id>/closing-report/",
                wrap(self.start_closing_report_view),
                name="plans_plan_start_closing_report",
            ),
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
        transition = workflow.PLAN_TRANSITIONS.get(action) or workflow.REVISION_TRANSITIONS.get(action)
        if transition is None or not transition.button:
            raise Http404
        # A revision's transition acts on the plan's pending revision (the one the page showed).
        target = plan
        if action in workflow.REVISION_TRANSITIONS:
            target = plan.pending_revision
        try:
            if target is None or (target is not plan and str(target.pk) != request.POST.get("revision", "")):
                raise ValidationError(
                    _("This revision was published, discarded or replaced meanwhile. Nothing was changed.")
                )
            dates = {name: posted_datetime(request.POST, name) for name in transition.dates}
            if transition.confirm and not request.POST.get("confirm"):
                # Asked before anything else only once the user may make it: otherwise 403 as always.
                if permissions.can_make_transition(request.user, target, action):
                    raise ValidationError(_("Tick the box to confirm."))
            # PermissionDenied propagates: the admin answers 403.
            workflow.make(target, action, request.user, request.POST.get("comment", ""), **dates)
        except ValidationError as error:
            for text in error.messages:
                self.message_user(request, text, messages.ERROR)
        else:
            self.message_user(request, transition.done % {"object": plan})
            if not transition.target:  # discarded: the plan is gone
                return HttpResponseRedirect(reverse("admin:plans_plan_changelist"))
        if request.POST.get("back") == "revision" and action in workflow.REVISION_TRANSITIONS:
            if action == PlanEvent.Action.PUBLISH_REVISION and target is not None:
                return HttpResponseRedirect(
                    reverse("admin:plans_plan_revision_number", args=[plan.pk, target.number])
                )
            return HttpResponseRedirect(reverse("admin:plans_plan_revision", args=[plan.pk]))
        return HttpResponseRedirect(reverse("admin:plans_plan_change", args=[plan.pk]))

    def start_closing_report_view(self, request, object_id):
        """The change-form action "Start the closing report" (POST): the new draft, with its first
        revision, then its change form; a plan that already has its report says so and stays."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        plan = self._plan_or_404(request, object_id)
        try:
            # PermissionDenied propagates: the admin answers 403.
            with history.revision_by(request.user):
                report = plan.start_closing_report(by=request.user)
                reversion.add_to_revision(report)
                reversion.set_comment(_("Started from the opening plan “%(title)s”.") % {"title": plan})
        except ValidationError as error:
            for text in error.messages:
                self.message_user(request, text, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:plans_plan_change", args=[plan.pk]))
        self.message_user(
            request,
            _(
                "The closing report is started from the opening plan: its lab, place, year, tags and "
                "partners are filled in. Write what the plan taught you, then submit it."
            ),
        )
        return HttpResponseRedirect(reverse("admin:plans_plan_change", args=[report.pk]))

    def review_queue_view(self, request):
        if not permissions.can_review(request.user):
            raise PermissionDenied
        pending = BlogLink.objects.filter(status=BlogLink.Status.PENDING).count()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "queue": dashboard.review_queue(request.user),
            "pending_links": pending,
            "title": _("Review queue"),
        }
        return TemplateResponse(request, "admin/plans/plan/review_queue.html", context)

    def preview_view(self, request, object_id):
        plan = self._plan_or_404(request, object_id)
        if not permissions.can_preview(request.user, plan):
            raise PermissionDenied
        # A published plan's pending revision previews as it will be published (`?live=1`: the live plan).
        revision = None
        if plan.status == Plan.Status.PUBLISHED and not request.GET.get("live"):
            revision = plan.pending_revision if permissions.can_see_revision(request.user, plan) else None
        with review.sandbox(plan, revision):
            # The public page's own context and template: the preview is what the public will see.
            plan = Plan.objects.filter(pk=plan.pk).with_content_for(None).get()
            context = {**detail_context(plan), "preview": True, "preview_revision": revision}
            response = TemplateResponse(request, "plans/detail.html", context)
            response.render()
        return response

    def edit_session_view(self, request, object_id):
        """The change form's heartbeat (POST, static/js/edit_session.js): 200 while the user still holds
        their edit session of the plan (plans/locks.py), 409 once it is gone; for those who may save it."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        plan = self._plan_or_404(request, object_id)
        if not may_edit_form(request.user, plan):
            raise PermissionDenied
        held = locks.renewed(plan, request.user)
        return JsonResponse({"held": held}, status=200 if held else 409)

    def revision_view(self, request, object_id, number=None):
        return review.revision_view(self, request, self._plan_or_404(request, object_id), number)

    def comment_view(self, request, object_id):
        return review.comment_view(request, self._plan_or_404(request, object_id))

    def resolve_view(self, request, object_id, comment_id):
        return review.resolve_view(request, self._plan_or_404(request, object_id), comment_id)

    def history_view(self, request, object_id, extra_context=None):
        plan = self._plan_or_404(request, object_id)
        versions = list(history.plan_versions(plan))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object": plan,
            "original": plan,
            # Django's history breadcrumbs name the list by `module_name` ("Plans"): without it the crumb
            # between the app and the plan was empty.
            "module_name": capfirst(self.opts.verbose_name_plural),
            "versions": versions,
            "title": _("History: %(title)s") % {"title": plan},
            "can_restore": permissions.can_change(request.user, plan),
            "events": plan.events.select_related("actor"),
        }
        return TemplateResponse(request, "admin/plans/plan/object_history.html", context)

    def compare_view(self, request, object_id):
        plan = self._plan_or_404(request, object_id)
        versions = history.plan_versions(plan)
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
            "changes": history.compare_versions(a, b),
            "title": _("Changes in %(title)s") % {"title": plan},
        }
        return TemplateResponse(request, "admin/plans/plan/compare.html", context)

    def restore_view(self, request, object_id, version_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        plan = self._plan_or_404(request, object_id)
        if not permissions.can_change(request.user, plan):
            raise PermissionDenied
        version = get_object_or_404(history.plan_versions(plan), pk=version_id)
        history.restore_revision(plan, version, request.user)
        self.message_user(
            request,
            _("Restored the version of %(when)s as a new revision.") % {"when": history.when(version)},
        )
        return HttpResponseRedirect(reverse("admin:plans_plan_change", args=[plan.pk]))
