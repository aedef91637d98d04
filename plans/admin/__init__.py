"""The authoring and review UI, one module per area: `plan` (plans, their inlines, workflow buttons,
review queue, preview and history pages), `blog_links` (adding and reviewing links), `reference` (labs,
SDGs, tag vocabularies), with their `forms` and the plan's `fieldsets`. Importing the package registers
them all with the admin site (Django's autodiscovery imports `plans.admin`)."""

from plans.admin import blog_links, plan, reference  # noqa: F401
