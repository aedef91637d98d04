"""`{{ data|jsonld }}`: a schema.org description as a JSON-LD block. A data block, not a script: browsers do
not run it, so the Content-Security-Policy has nothing to allow. Escaped like `json_script`, so that no
text of a plan can close the element."""

import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def jsonld(data: dict):
    text = json.dumps(data, ensure_ascii=False).translate(ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308
