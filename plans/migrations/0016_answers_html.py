"""Answers as clean HTML, stored (issue 12, finding 8): pages stop sanitising on every render. Existing rows
are filled here, with the same sanitiser the saves and the importer use."""

from django.db import migrations, models

from plans.catalogue import TEXT_ANSWER_FIELDS
from plans.parts import CHILDREN
from plans.sanitise import answers_html

BATCH = 500


def fill(apps, schema_editor):
    fields = {"Plan": TEXT_ANSWER_FIELDS} | {c.model_name: c.answer_fields for c in CHILDREN if c.answer_fields}
    for name, answer_fields in fields.items():
        model = apps.get_model("plans", name)
        batch = []
        for row in model.objects.only("pk", *answer_fields).iterator(chunk_size=BATCH):
            row.answers_html = answers_html(row, answer_fields)
            batch.append(row)
            if len(batch) == BATCH:
                model.objects.bulk_update(batch, ["answers_html"])
                batch = []
        model.objects.bulk_update(batch, ["answers_html"])


class Migration(migrations.Migration):

    dependencies = [
        ('plans', '0015_archive_fields'),
    ]

    operations = [
        migrations.AddField(
            model_name='barrier',
            name='answers_html',
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name='answers as clean HTML'),
        ),
        migrations.AddField(
            model_name='bloglink',
            name='answers_html',
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name='answers as clean HTML'),
        ),
        migrations.AddField(
            model_name='evidence',
            name='answers_html',
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name='answers as clean HTML'),
        ),
        migrations.AddField(
            model_name='extraanswer',
            name='answers_html',
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name='answers as clean HTML'),
        ),
        migrations.AddField(
            model_name='insight',
            name='answers_html',
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name='answers as clean HTML'),
        ),
        migrations.AddField(
            model_name='learningquestion',
            name='answers_html',
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name='answers as clean HTML'),
        ),
        migrations.AddField(
            model_name='partnership',
            name='answers_html',
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name='answers as clean HTML'),
        ),
        migrations.AddField(
            model_name='plan',
            name='answers_html',
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name='answers as clean HTML'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
    ]
