"""Answers as clean HTML, stored (issue 12, finding 8): pages stop sanitising on every render. Existing rows
are filled here, with the same sanitiser the saves and the importer use."""

from django.db import migrations, models

# answers_html is a cache of what the sanitiser makes of the answers, never data of its own: filling it with
# the sanitiser of the day is what a save does too, so the migration imports it (a pure function of the
# text, with no model or app state) rather than freezing a copy that would go stale.
from plans.sanitise import answers_html

BATCH = 500

# The answer fields as they stood when this migration was written (plans/catalogue.py's TEXT_ANSWER_FIELDS
# and plans/parts.py's CHILDREN), frozen here: a migration must keep meaning the same when those tables
# change shape later.
FIELDS = {
    "Plan": (
        "plan_name", "challenge_statement", "background", "value_proposition", "tweet_summary",
        "partners_overview", "early_leads", "handover_details", "why_data", "why_methods", "bonus_answer",
        "partners_civil_society", "partners_academic", "partners_private", "partners_government",
        "partners_new_unusual", "partners_un",
    ),
    "Insight": ("text",),
    "Barrier": ("text",),
    "Partnership": ("description",),
    "LearningQuestion": ("question", "methods_usage", "data_gaps"),
    "Evidence": ("text",),
    "ExtraAnswer": ("answer",),
}  # fmt: skip


def fill(apps, schema_editor):
    for name, answer_fields in FIELDS.items():
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
