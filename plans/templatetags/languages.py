"""`{% language_links as links %}`: the current page in each interface language (plans.i18n)."""

from django import template

from plans import i18n

register = template.Library()


@register.simple_tag(takes_context=True)
def language_links(context) -> list[i18n.LanguageLink]:
    request = context.get("request")
    return i18n.language_links(request) if request else []
