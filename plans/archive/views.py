"""Download one plan in the archive format (the "download in archive format" link of the detail page and
the admin)."""

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from plans.archive.dump import PREFETCH, dump
from plans.archive.write import write
from plans.models import BlogLink, Plan
from plans.permissions import visible_plans


def _is_editor(user) -> bool:
    """Editors get the whole document; the public only what the public site shows."""
    return bool(user.is_authenticated and user.is_staff)


@require_GET
def download(request: HttpRequest, slug: str) -> HttpResponse:
    """The plan as an archive file, named like the file it was imported from. 404 for plans the user may
    not read, so that the existence of a draft is not revealed."""
    plans = visible_plans(request.user, Plan.objects.all()).filter(slug=slug)
    editor = _is_editor(request.user)
    if editor:
        plans = plans.prefetch_related(*PREFETCH)
    else:  # unreviewed blog links stay private
        approved = BlogLink.objects.filter(status=BlogLink.Status.APPROVED)
        plans = plans.prefetch_related(
            *(p for p in PREFETCH if p != "blog_links"), Prefetch("blog_links", queryset=approved)
        )
    plan = plans.first()
    if plan is None:
        raise Http404
    if not editor and not settings.PUBLIC_FOCAL_POINT_EMAILS:
        plan.focal_point_email = ""  # this in-memory copy only
    name = plan.source_file.replace("\\", "/").rsplit("/", 1)[-1] or f"{plan.slug}.md"
    response = HttpResponse(write(dump(plan)), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
