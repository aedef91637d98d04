"""Reference data in the admin: labs, the 17 SDGs and the tag vocabularies."""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html_join
from django.utils.translation import gettext, gettext_lazy

from plans import permissions, vocabularies
from plans.admin.tags import suggest
from plans.models import SDG, Lab, TagChange
from plans.parts import TAG_VOCABULARIES
from plans.tag_keys import clean_name, tag_key


@admin.register(Lab)
class LabAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "iso3", "member_list"]
    search_fields = ["name", "country", "iso3"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        return permissions.admin_labs(request.user, super().get_queryset(request).prefetch_related("members"))

    @admin.display(description=gettext_lazy("focal points"))
    def member_list(self, lab):
        return format_html_join(", ", "{}", ((m.get_username(),) for m in lab.members.all()))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows nobody adds, changes or deletes in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SDG)
class SDGAdmin(ReadOnlyAdmin):
    """The 17 goals come from a data migration and are not edited."""

    list_display = ["number", "official_name", "colour"]

    @admin.display(description=gettext_lazy("name"), ordering="number")
    def official_name(self, sdg: SDG) -> str:
        return sdg.display_name  # in the staff member's language; the row keeps the English name


class TagAdminForm(forms.ModelForm):
    def clean_name(self):
        name = clean_name(self.cleaned_data["name"])
        other = type(self.instance).objects.filter(key=tag_key(name)).exclude(pk=self.instance.pk).first()
        if other is not None:
            raise ValidationError(
                gettext("“%(name)s” is already a tag of this vocabulary: merge the two instead.")
                % {"name": other.name}
            )
        return name


class TagAdmin(admin.ModelAdmin):
    """The tags of one vocabulary (`vocabulary` is set per registered model, from plans/parts.py). Reviewers
    curate them (plans/vocabularies.py): a changed name is a rename (the old one kept as an alias, logged,
    undoable), the "merge" action merges the selected tags after a preview, and labels and a broader
    category are edited here."""

    vocabulary = None
    form = TagAdminForm
    list_display = ["name", "slug", "name_fr", "name_es", "category", "alias_list"]
    search_fields = ["name", "name_fr", "name_es"]
    readonly_fields = ["slug", "alias_list"]
    fields = ["name", "slug", "name_fr", "name_es", "category", "alias_list"]
    actions = ["merge_selected"]

    def get_queryset(self, request):
        return permissions.admin_tags(request.user, super().get_queryset(request), self.vocabulary)

    def has_add_permission(self, request):
        allowed = super().has_add_permission(request)
        return allowed and permissions.can_create_tag(request.user, self.vocabulary.name)

    def has_change_permission(self, request, obj=None):
        return permissions.can_curate_tags(request.user)

    def has_delete_permission(self, request, obj=None):
        return permissions.can_curate_tags(request.user) and super().has_delete_permission(request, obj)

    def has_curate_permission(self, request):
        return permissions.can_curate_tags(request.user)

    def get_urls(self):
        opts = self.model._meta
        suggestions = self.admin_site.admin_view(partial(suggest, vocabulary_name=self.vocabulary.name))
        return [
            path("suggest/", suggestions, name=f"{opts.app_label}_{opts.model_name}_suggest"),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("aliases"))
    def alias_list(self, tag):
        return ", ".join(a.get("name", "") for a in tag.aliases or ())

    def save_model(self, request, obj, form, change):
        if change and "name" in form.changed_data:
            new_name = obj.name
            obj.name = type(obj).objects.values_list("name", flat=True).get(pk=obj.pk)
            super().save_model(request, obj, form, change)  # labels and category
            vocabularies.rename(self.vocabulary.name, obj, new_name, by=request.user)
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Merge the selected tags…"), permissions=["curate"])
    def merge_selected(self, request, queryset):
        chosen = list(queryset)
        if len(chosen) < 2:
            self.message_user(request, gettext("Select at least two tags to merge."), messages.WARNING)
            return None
        name = self.vocabulary.name
        counts = vocabularies.uses(name, chosen)
        default = max(chosen, key=lambda t: (counts.get(t.pk, 0), -t.pk))
        picked = request.POST.get("target", "")
        target = next((t for t in chosen if str(t.pk) == picked), default)
        if request.POST.get("confirm") == "merge":
            try:
                change = vocabularies.merge(name, chosen, target, by=request.user)
            except vocabularies.CurationError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            self.message_user(request, change.summary, messages.SUCCESS)
            return None
        preview = vocabularies.preview(name, [t for t in chosen if t.pk != target.pk], target)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Merge tags"),
            "preview": preview,
            "chosen": chosen,
            "counts": counts,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/plans/tag_merge.html", context)


for _vocabulary in TAG_VOCABULARIES:
    admin.site.register(
        _vocabulary.tag_model,
        type(f"{_vocabulary.tag_model_name}Admin", (TagAdmin,), {"vocabulary": _vocabulary}),
    )


@admin.register(TagChange)
class TagChangeAdmin(ReadOnlyAdmin):
    """The log of merges and renames (who, when, what), read-only; reviewers undo a change from here."""

    list_display = ["at", "vocabulary", "action", "summary", "actor", "undone_at", "undone_by"]
    list_filter = ["vocabulary", "action"]
    actions = ["undo_selected"]

    def has_module_permission(self, request):
        return permissions.can_curate_tags(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.can_curate_tags(request.user)

    def has_curate_permission(self, request):
        return permissions.can_curate_tags(request.user)

    @admin.action(description=gettext_lazy("Undo the selected changes"), permissions=["curate"])
    def undo_selected(self, request, queryset):
        for change in queryset.order_by("-pk"):  # the latest first: an earlier one may depend on it
            try:
                vocabularies.undo(change, by=request.user)
            except vocabularies.CurationError as exc:
                self.message_user(request, f"{change.summary}: {exc}", messages.ERROR)
            else:
                self.message_user(request, gettext("Undone: %(what)s") % {"what": change.summary})
