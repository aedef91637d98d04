
import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


# Every existing child row gets its own key (a default on AddField would give all rows the same one).
CHILD_MODELS = ("barrier", "bloglink", "evidence", "extraanswer", "insight", "learningquestion", "partnership")


def give_keys(apps, schema_editor):
    for name in CHILD_MODELS:
        model = apps.get_model("plans", name)
        batch = []
        for row in model.objects.filter(key__isnull=True).only("pk").iterator(chunk_size=2000):
            row.key = uuid.uuid4()
            batch.append(row)
            if len(batch) == 2000:
                model.objects.bulk_update(batch, ["key"])
                batch = []
        model.objects.bulk_update(batch, ["key"])


class Migration(migrations.Migration):

    dependencies = [
        ('plans', '0019_search_stems'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='barrier',
            name='key',
            field=models.UUIDField(null=True, editable=False, verbose_name='row identity'),
        ),
        migrations.AddField(
            model_name='bloglink',
            name='key',
            field=models.UUIDField(null=True, editable=False, verbose_name='row identity'),
        ),
        migrations.AddField(
            model_name='evidence',
            name='key',
            field=models.UUIDField(null=True, editable=False, verbose_name='row identity'),
        ),
        migrations.AddField(
            model_name='extraanswer',
            name='key',
            field=models.UUIDField(null=True, editable=False, verbose_name='row identity'),
        ),
        migrations.AddField(
            model_name='insight',
            name='key',
            field=models.UUIDField(null=True, editable=False, verbose_name='row identity'),
        ),
        migrations.AddField(
            model_name='learningquestion',
            name='key',
            field=models.UUIDField(null=True, editable=False, verbose_name='row identity'),
        ),
        migrations.AddField(
            model_name='partnership',
            name='key',
            field=models.UUIDField(null=True, editable=False, verbose_name='row identity'),
        ),
        migrations.RunPython(give_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='barrier',
            name='key',
            field=models.UUIDField(default=uuid.uuid4, editable=False, verbose_name='row identity'),
        ),
        migrations.AlterField(
            model_name='bloglink',
            name='key',
            field=models.UUIDField(default=uuid.uuid4, editable=False, verbose_name='row identity'),
        ),
        migrations.AlterField(
            model_name='evidence',
            name='key',
            field=models.UUIDField(default=uuid.uuid4, editable=False, verbose_name='row identity'),
        ),
        migrations.AlterField(
            model_name='extraanswer',
            name='key',
            field=models.UUIDField(default=uuid.uuid4, editable=False, verbose_name='row identity'),
        ),
        migrations.AlterField(
            model_name='insight',
            name='key',
            field=models.UUIDField(default=uuid.uuid4, editable=False, verbose_name='row identity'),
        ),
        migrations.AlterField(
            model_name='learningquestion',
            name='key',
            field=models.UUIDField(default=uuid.uuid4, editable=False, verbose_name='row identity'),
        ),
        migrations.AlterField(
            model_name='partnership',
            name='key',
            field=models.UUIDField(default=uuid.uuid4, editable=False, verbose_name='row identity'),
        ),
        migrations.AlterField(
            model_name='planevent',
            name='action',
            field=models.CharField(choices=[('submit', 'Submit'), ('return', 'Return to author'), ('publish', 'Publish'), ('withdraw', 'Withdraw'), ('reopen', 'Reopen'), ('approve_link', 'Approve blog link'), ('reject_link', 'Reject blog link'), ('submit_revision', 'Submit revision'), ('return_revision', 'Request changes to revision'), ('publish_revision', 'Publish revision'), ('discard_revision', 'Discard revision')], max_length=20, verbose_name='action'),
        ),
        migrations.CreateModel(
            name='PlanRevision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(verbose_name='number')),
                ('status', models.CharField(choices=[('editing', 'Being edited'), ('submitted', 'Submitted'), ('returned', 'Changes requested'), ('published', 'Published'), ('discarded', 'Discarded')], default='editing', max_length=10, verbose_name='status')),
                ('content', models.JSONField(default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name='content')),
                ('base', models.JSONField(default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name='live content when started')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='started at')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='last saved at')),
                ('review_comment', models.TextField(blank=True, verbose_name="reviewer's comment")),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='started by')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='revisions', to='plans.plan', verbose_name='plan')),
                ('updated_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='last saved by')),
            ],
            options={
                'verbose_name': 'revision',
                'verbose_name_plural': 'revisions',
                'ordering': ['plan', '-number'],
            },
        ),
        migrations.AddField(
            model_name='planevent',
            name='revision',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='events', to='plans.planrevision', verbose_name='revision'),
        ),
        migrations.CreateModel(
            name='ReviewComment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('field', models.CharField(blank=True, max_length=100, verbose_name='field')),
                ('child', models.CharField(blank=True, max_length=40, verbose_name='kind of row')),
                ('row_key', models.UUIDField(blank=True, null=True, verbose_name='row')),
                ('row_text', models.TextField(blank=True, verbose_name='row as commented')),
                ('body', models.TextField(verbose_name='comment')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='time')),
                ('resolved_at', models.DateTimeField(blank=True, null=True, verbose_name='resolved at')),
                ('author', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='author')),
                ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='replies', to='plans.reviewcomment', verbose_name='reply to')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='plans.plan', verbose_name='plan')),
                ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='resolved by')),
                ('revision', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='plans.planrevision', verbose_name='revision')),
            ],
            options={
                'verbose_name': 'review comment',
                'verbose_name_plural': 'review comments',
                'ordering': ['created_at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='EditSession',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('since', models.DateTimeField(default=django.utils.timezone.now, verbose_name='editing since')),
                ('seen_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='last seen')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='edit_sessions', to='plans.plan', verbose_name='plan')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'edit session',
                'verbose_name_plural': 'edit sessions',
                'constraints': [models.UniqueConstraint(fields=('plan', 'user'), name='edit_session_plan_user')],
            },
        ),
        migrations.AddConstraint(
            model_name='planrevision',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ('editing', 'submitted', 'returned'))), fields=('plan',), name='plan_one_pending_revision', violation_error_message='This plan already has a revision in progress.'),
        ),
        migrations.AddConstraint(
            model_name='planrevision',
            constraint=models.UniqueConstraint(fields=('plan', 'number'), name='plan_revision_number'),
        ),
        migrations.AddIndex(
            model_name='reviewcomment',
            index=models.Index(fields=['plan', 'revision'], name='comment_plan_revision'),
        ),
    ]
