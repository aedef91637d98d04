"""The read-only API under /api/: plans, tag counts, the OpenAPI schema and its documentation pages."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import routers

from plans.api import views

app_name = "api"

router = routers.DefaultRouter()
router.register("plans", views.PlanViewSet, basename="plan")

urlpatterns = [
    path("", include(router.urls)),
    path("tags/<str:vocabulary>/", views.TagCountList.as_view(), name="tags"),
    # OpenAPI 3 schema and its browsable documentation (Swagger UI, Redoc) served from our static files
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script under our CSP
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]
