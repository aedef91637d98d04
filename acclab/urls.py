"""The URL map: the admin, the public site (plans namespace), feeds, sitemap and robots.txt."""

from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from plans import views as plan_views
from plans.feeds import LatestPlansFeed
from plans.sitemaps import SITEMAPS

urlpatterns = [
    path("admin/", admin.site.urls),
    # Machine-readable
    path("feeds/plans/", LatestPlansFeed(), name="feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", plan_views.robots_txt, name="robots"),
    # Open data: the read-only API, and downloads before the public site so that
    # /plans/download.csv is not read as a plan's slug
    path("api/", include("plans.api.urls")),
    path("", include("plans.download_urls")),
    # Public site
    path("", include("plans.urls")),
]

handler404 = "plans.views.page_not_found"
handler500 = "plans.views.server_error"
