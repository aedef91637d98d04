"""Download one plan in the archive format (the "download in archive format" link of the detail page and
the admin)."""

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from plans import permissions
from plans.archive.dump import UnwritableLayout, archive_file
from plans.models import Plan

logger = logging.getLogger(__name__)


@require_GET
def download(request: HttpRequest, slug: str) -> HttpResponse:
    """The plan as an archive file, named like the file it was imported from. 404 for plans the user may
    not read, so that the existence of a draft is not revealed. Its private parts only for those who may
    see them (its lab's focal points, reviewers, superusers), never for staff as such."""
    plan = Plan.objects.for_reader(request.user).filter(slug=slug).first()
    if plan is None:
        raise Http404
    try:
        name, text = archive_file(plan, private=permissions.can_see_private_parts(request.user, plan))
    except UnwritableLayout:
        logger.exception("archive download of %s", slug)
        # The plan exists but its stored layout cannot be written: a plain answer that says so, not a 500.
        message = _("This plan cannot be written in the archive format at the moment.")
        return HttpResponse(message, status=409, content_type="text/plain; charset=utf-8")
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
