from django.db import migrations, models

from plans.tag_keys import clean_name, tag_key

VOCABULARIES = (
    ("MethodTag", "TaggedMethod"),
    ("DatasourceTag", "TaggedDatasource"),
    ("ThematicAreaTag", "TaggedThematicArea"),
)


def merge_variants(apps, schema_editor):
    """Give every tag its key and merge the tags that share one: the most used spelling stays (the oldest
    on a tie), the others' plans move to it, and their names become its aliases, so that links naming
    their slugs keep working."""
    for tag_name, through_name in VOCABULARIES:
        tags = apps.get_model("plans", tag_name)
        through = apps.get_model("plans", through_name)
        uses = dict(through.objects.values_list("tag_id").annotate(n=models.Count("pk")).order_by())
        groups = {}
        for tag in tags.objects.order_by("pk"):
            groups.setdefault(tag_key(tag.name), []).append(tag)
        for key, group in groups.items():
            group.sort(key=lambda t: (-uses.get(t.pk, 0), t.pk))
            keep, others = group[0], group[1:]
            for other in others:
                carried = through.objects.filter(tag_id=keep.pk).values("content_object_id")
                through.objects.filter(tag_id=other.pk).exclude(content_object_id__in=carried).update(
                    tag_id=keep.pk
                )
                through.objects.filter(tag_id=other.pk).delete()
                keep.aliases = [*keep.aliases, {"name": other.name, "slug": other.slug, "key": key}]
                other.delete()
            keep.name, keep.key = clean_name(keep.name), key
            keep.save()


class Migration(migrations.Migration):
    """Rows only: PostgreSQL refuses to alter a table (0021's indexes, 0023's unique key) in the
    transaction that moved its rows."""

    dependencies = [
        ("plans", "0021_tag_keys"),
    ]

    operations = [migrations.RunPython(merge_variants, migrations.RunPython.noop)]
