"""`{% dashboard %}`: the review workspace on the admin home (plans/dashboard.py)."""

from django import template

from plans import dashboard as boards

register = template.Library()


@register.inclusion_tag("admin/dashboard.html", takes_context=True)
def dashboard(context):
    request = context["request"]
    return {**boards.board(request.user), "request": request}
