"""Download one plan in the archive format (the "download in archive format" link of the detail page and
the admin)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from plans import permissions
from plans.archive.dump import archive_file
from plans.models import Plan


@require_GET
def download(request: HttpRequest, slug: str) -> HttpResponse:
    """The plan as an archive file, named like the file it was imported from. 404 for plans the user may
    not read, so that the existence of a draft is not revealed. Its private parts only for those who may
    see them (its lab's focal points, reviewers, superusers), never for staff as such."""
    plan = Plan.objects.for_reader(request.user).filter(slug=slug).first()
    if plan is None:
        raise Http404
    name, text = archive_file(plan, private=permissions.can_see_private_parts(request.user, plan))
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
