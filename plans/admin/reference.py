"""Reference data in the admin: labs, the 17 SDGs and the tag vocabularies."""

from functools import partial

from django.contrib import admin
from django.urls import path
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy

from plans import permissions
from plans.admin import tags
from plans.models import SDG, Lab
from plans.parts import TAG_VOCABULARIES


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


@admin.register(SDG)
class SDGAdmin(admin.ModelAdmin):
    """The 17 goals come from a data migration and are not edited."""

    list_display = ["number", "official_name", "colour"]

    @admin.display(description=gettext_lazy("name"), ordering="number")
    def official_name(self, sdg: SDG) -> str:
        return sdg.display_name  # in the staff member's language; the row keeps the English name

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TagAdmin(admin.ModelAdmin):
    """The tags of one vocabulary (`vocabulary` is set per registered model, from plans/parts.py)."""

    vocabulary = None
    list_display = ["name", "slug"]
    search_fields = ["name"]
    readonly_fields = ["slug"]

    def get_queryset(self, request):
        return permissions.admin_tags(request.user, super().get_queryset(request), self.vocabulary)

    def get_urls(self):
        opts = self.model._meta
        suggestions = self.admin_site.admin_view(partial(tags.suggest, vocabulary_name=self.vocabulary.name))
        return [
            path("suggest/", suggestions, name=f"{opts.app_label}_{opts.model_name}_suggest"),
            *super().get_urls(),
        ]


for _vocabulary in TAG_VOCABULARIES:
    admin.site.register(
        _vocabulary.tag_model,
        type(f"{_vocabulary.tag_model_name}Admin", (TagAdmin,), {"vocabulary": _vocabulary}),
    )
