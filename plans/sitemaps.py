"""The sitemap: the public pages and every published plan, each in every interface language with its
alternates (hreflang, x-default = the unprefixed English page)."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from plans.models import Plan


class LanguagesSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class PlanSitemap(LanguagesSitemap):
    changefreq = "monthly"
    limit = 5000

    def items(self):
        return Plan.objects.published().order_by("pk").only("slug", "updated_at")

    def lastmod(self, item: Plan):
        return item.updated_at


class PageSitemap(LanguagesSitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return ["plans:home", "plans:list", "plans:map", "plans:stats"]

    def location(self, item: str) -> str:
        return reverse(item)


SITEMAPS = {"pages": PageSitemap, "plans": PlanSitemap}
