"""Template helpers of the public site."""

from django import template
from django.conf import settings

from plans import presentation, search

register = template.Library()


@register.simple_tag(takes_context=True)
def absolute_url(context, path: str = "") -> str:
    """`SITE_URL` + path (or the current path): canonical and OpenGraph links must be absolute."""
    request = context.get("request")
    if not path:
        path = request.path if request else "/"
    return settings.SITE_URL + path


@register.filter
def highlight(snippet: str | None):
    """A search snippet, escaped, with the matched words in <mark>."""
    return search.highlight(snippet)


@register.simple_tag
def plan_card(plan):
    """A plan's card in a list (`presentation.card`)."""
    return presentation.card(plan)


@register.simple_tag
def year_table(years, kinds):
    """The chart of plans per year and kind (`presentation.year_table`)."""
    return presentation.year_table(years, kinds)


@register.simple_tag
def bar_table(caption, rows, label_heading, link_param="", count_heading=""):
    """A chart of the statistics page: a table with a bar per row (`presentation.bar_table`)."""
    return presentation.bar_table(caption, rows, label_heading, link_param, count_heading)
