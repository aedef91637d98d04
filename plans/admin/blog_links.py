"""Blog links in the admin: adding and correcting them (focal points), approving and rejecting them one by
one or in bulk (reviewers). A link is part of its plan's content: each save is a revision of the plan."""

import reversion
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from plans import history, permissions, workflow
from plans.admin.forms import RejectForm
from plans.admin.plan import REVIEW_FIELDS
from plans.models import BlogLink, Lab, Plan, PlanEvent
from plans.validators import link_url

APPROVE = workflow.LINK_TRANSITIONS[PlanEvent.Action.APPROVE_LINK]
REJECT = workflow.LINK_TRANSITIONS[PlanEvent.Action.REJECT_LINK]


@admin.register(BlogLink)
class BlogLinkAdmin(admin.ModelAdmin):
    # The review buttons next to the link they decide on: at the end of the row they sat off-screen at
    # 1280 px, behind the plan, lab and reviewer columns (static/css/admin_review.css wraps long links).
    list_display = ["link", "review_buttons", "plan", "lab", "status", "reviewed_by", "reviewed_at"]
    list_filter = ["status", ("plan__lab", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["plan__lab", "reviewed_by"]
    search_fields = ["url", "title", "plan__title"]
    fields = ["plan", "url", "title", "position", *REVIEW_FIELDS]
    readonly_fields = REVIEW_FIELDS
    actions = ["approve_selected", "reject_selected"]

    class Media:
        css = {"all": ["css/admin_review.css"]}

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
            '<span class="review-buttons"><button type="submit" class="button" formaction="{}" '
            'formmethod="post">{}</button> <a class="button" href="{}">{}</a></span>',
            reverse("admin:plans_bloglink_approve", args=[obj.pk]),
            APPROVE.label,
            reverse("admin:plans_bloglink_reject", args=[obj.pk]),
            _("Reject…"),
        )

    def get_list_display(self, request):
        hidden = set()
        if not permissions.can_review_blog_link(request.user):
            hidden.add("review_buttons")
        if request.GET.get("status__exact") == BlogLink.Status.PENDING:
            hidden |= {"reviewed_by", "reviewed_at"}  # nobody has yet: room for the rest of the row
        return [c for c in self.list_display if c not in hidden]

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
            obj.reset_review()
        super().save_model(request, obj, form, change)
        if not change or "url" in form.changed_data:
            obj.await_review(by=request.user)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            # A blog link is part of its plan's content: its save is a revision of the plan.
            with history.revision_by(request.user):
                return super().changeform_view(request, object_id, form_url, extra_context)
        extra_context = extra_context or {}
        if object_id:
            link = self.get_object(request, unquote(object_id))
            extra_context["can_review_link"] = link is not None and permissions.can_review_blog_link(
                request.user, link
            )
            if link is not None:
                extra_context["link_transitions"] = [
                    t for t in workflow.LINK_TRANSITIONS.values() if t.button and link.status in t.sources
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
        """Back where the review was made: the plan's own page when it says so (`next`, a local address
        only), else the list of links awaiting review."""
        back = request.POST.get("next") or request.GET.get("next", "")
        if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            return HttpResponseRedirect(back)
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
