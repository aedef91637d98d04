"""Atom feed of the latest published plans."""

from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from plans.models import Plan
from plans.search import plain


class LatestPlansFeed(Feed):
    feed_type = Atom1Feed
    title = _("Action Learning Plans of the UNDP Accelerator Labs")
    subtitle = _("The latest published learning plans and closing reports.")
    link = reverse_lazy("plans:list")

    def items(self):
        # What the public may see (permissions.visible_plans), whoever asks: a feed is shared as it is. It
        # shows no blog link nor e-mail, so none of a plan's private parts.
        return Plan.objects.visible_to(None).select_related("lab").order_by("-published_at", "-pk")[:50]

    def item_title(self, item: Plan) -> str:
        return item.title

    def item_description(self, item: Plan) -> str:
        text = item.tweet_summary or item.challenge_statement or item.plan_name
        # The summary is HTML: the words only (tags, script contents and entities decoded), cut, then
        # escaped, so that no tag, whole or cut short, reaches a feed reader.
        return escape(Truncator(plain(text)).words(60))

    def item_pubdate(self, item: Plan):
        return item.published_at

    def item_updateddate(self, item: Plan):
        return item.updated_at

    def item_author_name(self, item: Plan) -> str:
        return item.lab.name if item.lab else ""

    def item_categories(self, item: Plan):
        return [item.get_kind_display(), item.country] if item.country else [item.get_kind_display()]
