"""The URL map: the admin, the public site (plans namespace), feeds, sitemap and robots.txt.

The public site and its feed are in three languages: English unprefixed at the URLs it always had, French
under /fr/ and Spanish under /es/ (i18n_patterns). Staff pages (the admin, sign-in) and the API stay
unprefixed in the language the person chose (plans.i18n.chosen_language): a staff member's admin does not
change with the page they came from, and an API's URLs name data, not a language. Files and data (downloads,
media, the sitemap that lists every language's URLs) and operations (/healthz, CSP reports, robots.txt) have
no prose to translate.
"""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import index as sitemap_index
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from plans import dcat, dumps
from plans import views as plan_views
from plans.cache import public_page
from plans.feeds import LatestPlansFeed
from plans.headers import csp_report
from plans.health import healthz
from plans.i18n import set_language
from plans.sitemaps import SITEMAPS
from plans.uploads import serve as serve_upload

admin.site.site_header = _("AccLab Plans")
admin.site.site_title = _("AccLab Plans")
admin.site.index_title = _("Authoring and review")

urlpatterns = [
    # Password reset and two-factor pages, before the admin's own URLs
    path("", include("plans.signin_urls")),
    # Authoring and review
    path("admin/", admin.site.urls),
    # Django's language switch, which also remembers a signed-in person's choice
    path("i18n/setlang/", set_language, name="set_language"),
    # Operations: load balancers and the benchmarks' floor (one trivial query)
    path("healthz", healthz, name="healthz"),
    # Browsers report Content-Security-Policy violations here (see SECURE_CSP)
    path("csp-report/", csp_report, name="csp-report"),
    # Machine-readable
    # The index of the sitemap's pages: one page held only its first 5,000 URLs, the rest unreachable
    path(
        "sitemap.xml",
        sitemap_index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path("sitemap-<section>.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap-section"),
    path("robots.txt", plan_views.robots_txt, name="robots"),
    # The DCAT catalogue of the collection, for data portals
    path("catalog.jsonld", dcat.catalog_jsonld, name="catalog-jsonld"),
    path("catalog.ttl", dcat.catalog_ttl, name="catalog-ttl"),
    # Dated full dumps, as written by `manage.py dump_collection` (complete ones only)
    path("dumps/<str:day>/", dumps.serve, {"name": dumps.MANIFEST}, name="dump-folder"),
    path("dumps/<str:day>/<str:name>", dumps.serve, name="dump-file"),
    # Open data: the read-only API, and downloads before the public site so that
    # /plans/download.csv is not read as a plan's slug
    path("api/", include("plans.api.urls")),
    path("", include("plans.download_urls")),
    # Uploaded evidence files, each only for those who may see its plan (MEDIA_URL)
    path("media/<path:path>", serve_upload, name="media"),
]

urlpatterns += i18n_patterns(
    # The feed's title and links in the reader's language
    path("feeds/plans/", LatestPlansFeed(), name="feed"),
    # The texts our scripts show (the djangojs catalogues), in the page's language: /fr/jsi18n/
    path("jsi18n/", public_page(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    # Public site
    path("", include("plans.urls")),
    # A registered person's API keys
    path("", include("plans.account_urls")),
    prefix_default_language=False,
)

handler404 = "plans.views.page_not_found"
handler500 = "plans.views.server_error"
