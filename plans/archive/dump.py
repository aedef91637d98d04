"""ORM → Document: the current state of a plan as an archive document.

Models are imported inside the functions so that `plans.archive` can be imported before the app registry
is ready (the parser and writer need no Django at all).
"""

from plans.archive.document import Document
from plans.archive.mapping import TEXT_FIELDS, TIME_FIELDS, empty_content, render
from plans.parts import PREFETCH  # noqa: F401  (re-exported: the archive dumps every part)

PLAN_FIELDS = (
    *TEXT_FIELDS,
    *TIME_FIELDS,
    "title",
    "handover_options",
    "year",
    "country",
    "latitude",
    "longitude",
    "focal_point_email",
    "form_version",
    "language",
)


def _tag_names(manager) -> list[str]:
    # Iterate the (prefetchable) related manager: `names()` ignores prefetch_related.
    return [tag.name for tag in manager.all()]


def plan_content(plan) -> dict:
    """The plan's content in the shape `mapping` uses, read through prefetch-friendly `.all()` calls."""
    content = empty_content()
    content["plan"] = {name: getattr(plan, name) for name in PLAN_FIELDS}
    content["plan"]["handover_options"] = list(plan.handover_options or [])
    for key in ("methods", "datasources", "thematic_areas"):
        content[key] = _tag_names(getattr(plan, key))
    content["sdgs"] = [sdg.number for sdg in plan.sdgs.all()]
    content["insights"] = [{"text": row.text} for row in plan.insights.all()]
    content["barriers"] = [{"text": row.text} for row in plan.barriers.all()]
    content["partners"] = [
        {
            "name": r.name,
            "sector": r.sector,
            "description": r.description,
            "is_new_and_unusual": r.is_new_and_unusual,
        }
        for r in plan.partnerships.all()
    ]
    content["learning_questions"] = [
        {
            "question": r.question,
            "stages": list(r.stages or []),
            "methods_usage": r.methods_usage,
            "data_gaps": r.data_gaps,
        }
        for r in plan.learning_questions.all()
    ]
    content["evidence"] = [
        {
            "kind": r.kind,
            "text": r.text,
            "url": r.url,
            "image_url": r.image_url or (r.file.url if r.file else ""),
        }
        for r in plan.evidence.all()
    ]
    content["blog_links"] = [{"url": r.url} for r in plan.blog_links.all()]
    content["extra_answers"] = [
        {"section": r.section, "prompt": r.prompt, "answer": r.answer} for r in plan.extra_answers.all()
    ]
    return content


def sdg_names() -> dict[int, str]:
    from plans.models import SDG

    return dict(SDG.objects.values_list("number", "name"))


def dump(plan, names: dict[int, str] | None = None) -> Document:
    """The plan as an archive document: its layout (if imported) filled with its current content."""
    if names is None:
        names = {sdg.number: sdg.name for sdg in plan.sdgs.all()}
    layout = {k: v for k, v in (plan.archive_layout or {}).items() if k != "snapshot"}
    layout.setdefault("markers", plan.section_markers)  # for plans authored in the admin
    return render(plan_content(plan), layout, plan.raw_title, names)
