"""The sitemap: the public pages and every published plan, each in every interface language with its
alternates (hreflang, x-default = the unprefixed English page)."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from plans.models import Plan


class _PerLanguage:
    """The (item, language) pairs that Django's i18n sitemap paginates, made a page at a time: Django builds
    the list of every pair for every page it serves, which at 100,000 plans held 300,000 pairs and every
    plan in memory (a worker's peak grew by 100 MB for one request). The paginator needs only the length
    and a slice."""

    def __init__(self, queryset, languages: list[str]):
        self.queryset, self.languages = queryset, languages
        self._length = None

    def __len__(self) -> int:
        if self._length is None:
            self._length = self.queryset.count() * len(self.languages)
        return self._length

    def __getitem__(self, index: slice) -> list:
        start, stop, _step = index.indices(len(self))
        n = len(self.languages)
        first = start // n
        items = self.queryset[first : -(-stop // n)]
        pairs = [(item, language) for item in items for language in self.languages]
        return pairs[start - first * n : stop - first * n]


class LanguagesSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class PlanSitemap(LanguagesSitemap):
    changefreq = "monthly"
    limit = 5000  # URLs per page (a plan is one per language); /sitemap.xml is the index of the pages

    def items(self):
        return Plan.objects.published().order_by("pk").only("slug", "updated_at")

    def _items(self):
        return _PerLanguage(self.items(), self._languages())

    def get_latest_lastmod(self):
        # Django's default calls lastmod() on every plan, all of them in memory, for the index's one date.
        return self.items().order_by("-updated_at").values_list("updated_at", flat=True).first()

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
