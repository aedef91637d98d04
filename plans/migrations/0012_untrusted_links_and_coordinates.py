"""Neutralise what the importer and old code let in (issue 12, findings 1 and 4), before 0013 makes the
database refuse it: a link whose scheme is not http, https or mailto keeps its words but loses its link
(evidence: the URL moves into the text; blog link: rejected with a note, so it is never public), and
coordinates that are not finite and on Earth are emptied."""

from django.db import migrations

from plans.validators import link_url, valid_coordinates

NOTE = "Rejected automatically: only http, https and mailto links may be published."


def neutralise(apps, schema_editor):
    Plan = apps.get_model("plans", "Plan")
    Evidence = apps.get_model("plans", "Evidence")
    BlogLink = apps.get_model("plans", "BlogLink")
    rows = Plan.objects.exclude(latitude=None, longitude=None).values_list("pk", "latitude", "longitude")
    bad = [pk for pk, lat, lng in rows.iterator() if not valid_coordinates(lat, lng)]
    Plan.objects.filter(pk__in=bad).update(latitude=None, longitude=None)
    for row in Evidence.objects.exclude(url="", image_url="").only("text", "url", "image_url").iterator():
        refused = [u for u in (row.url, row.image_url) if u and not link_url(u)]
        if refused:
            row.text = "\n".join(t for t in (row.text, *refused) if t)
            row.url, row.image_url = link_url(row.url), link_url(row.image_url)
            row.save(update_fields=["text", "url", "image_url"])
    for link in BlogLink.objects.exclude(status="rejected").only("url").iterator():
        if not link_url(link.url):
            BlogLink.objects.filter(pk=link.pk).update(status="rejected", review_note=NOTE)


class Migration(migrations.Migration):
    dependencies = [("plans", "0011_plain_related_names")]

    operations = [migrations.RunPython(neutralise, migrations.RunPython.noop, elidable=False)]
