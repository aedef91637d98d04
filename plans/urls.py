from django.urls import path

from plans import views
from plans.archive import views as archive_views

app_name = "plans"

urlpatterns = [
    # Public site
    path("", views.home, name="home"),
    path("plans/", views.plan_list, name="list"),
    path("plans/<slug:slug>/", views.plan_detail, name="detail"),
    path("plans/<slug:slug>/archive.md", archive_views.download, name="archive"),
    path("map/", views.plan_map, name="map"),
    path("map/pins.json", views.map_pins, name="map-pins"),
    path("stats/", views.stats, name="stats"),
    path("data/", views.open_data, name="data"),
]
