"""The URL map: the admin, the public site (plans namespace), feeds, sitemap and robots.txt."""

from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from plans import views as plan_views
from plans.feeds import LatestPlansFeed
from plans.headers import csp_report
from plans.health import healthz
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
    # Operations: load balancers and the benchmarks' floor (one trivial query)
    path("healthz", healthz, name="healthz"),
    # Browsers report Content-Security-Policy violations here (see SECURE_CSP)
    path("csp-report/", csp_report, name="csp-report"),
    # Machine-readable
    path("feeds/plans/", LatestPlansFeed(), name="feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", plan_views.robots_txt, name="robots"),
    # Open data: the read-only API, and downloads before the public site so that
    # /plans/download.csv is not read as a plan's slug
    path("api/", include("plans.api.urls")),
    path("", include("plans.download_urls")),
    # Uploaded evidence files, each only for those who may see its plan (MEDIA_URL)
    path("media/<path:path>", serve_upload, name="media"),
    # Public site
    path("", include("plans.urls")),
]

handler404 = "plans.views.page_not_found"
handler500 = "plans.views.server_error"
