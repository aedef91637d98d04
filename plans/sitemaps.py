"""The sitemap: the public pages and every published plan."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from plans.models import Plan


class PlanSitemap(Sitemap):
    changefreq = "monthly"
    limit = 5000

    def items(self):
        return Plan.objects.published().order_by("pk").only("slug", "updated_at")

    def lastmod(self, item: Plan):
        return item.updated_at


class PageSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return ["plans:home", "plans:list", "plans:map", "plans:stats"]

    def location(self, item: str) -> str:
        return reverse(item)


SITEMAPS = {"pages": PageSitemap, "plans": PlanSitemap}
