from django.urls import path

from plans import views
from plans.archive import views as archive_views

app_name = "plans"

urlpatterns = [
    # Public site
    path("", views.home, name="home"),
    path("plans/", views.plan_list, name="list"),
    # Every value of a tag facet, reached from the page of that name by a relative link ("values/methods/"):
    # the facets' HTML is cached once for the three pages, and each gets its way back.
    path("plans/values/<str:name>/", views.facet_values, {"origin": "list"}, name="list-values"),
    path("map/values/<str:name>/", views.facet_values, {"origin": "map"}, name="map-values"),
    path("stats/values/<str:name>/", views.facet_values, {"origin": "stats"}, name="stats-values"),
    path("plans/<slug:slug>/", views.plan_detail, name="detail"),
    path("plans/<slug:slug>/archive.md", archive_views.download, name="archive"),
    path("map/", views.plan_map, name="map"),
    path("map/pins.json", views.map_pins, name="map-pins"),
    path("stats/", views.stats, name="stats"),
    path("data/", views.open_data, name="data"),
]
