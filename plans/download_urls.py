"""Open-data downloads (plans/downloads.py). Included before the public site's URLs in acclab/urls.py,
so that `plans/download.csv` is never read as a plan's slug."""

from django.urls import path

from plans import downloads

app_name = "downloads"

urlpatterns = [
    # The current filtered list: the same query parameters as /plans/
    path("plans/download.csv", downloads.plans_csv, name="csv"),
    path("plans/download.xlsx", downloads.plans_xlsx, name="xlsx"),
    path("plans/download.json", downloads.plans_json, name="json"),
    path("plans/download.geojson", downloads.plans_geojson, name="geojson"),
    path("plans/download.zip", downloads.plans_zip, name="zip"),
    # The data dictionary (Frictionless Data Package) of the CSV and XLSX downloads of the same list
    path("plans/datapackage.json", downloads.datapackage, name="datapackage"),
    # One plan (its archive-format file is plans:archive, served by plans/archive/views.py)
    path("plans/<slug:slug>.json", downloads.plan_json, name="plan_json"),
]
