"""URL map: the admin (authoring and review), the public site, and the files robots read."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from plans.health import healthz

admin.site.site_header = _("AccLab Plans")
admin.site.site_title = _("AccLab Plans")
admin.site.index_title = _("Authoring and review")

urlpatterns = [
    # Authoring and review
    path("admin/", admin.site.urls),
    # Operations: load balancers and the benchmarks' floor
    path("healthz", healthz, name="healthz"),
    # Public site
    path("", include("plans.urls")),
]
