from django.db import migrations, models

TAG_MODELS = ("datasourcetag", "methodtag", "thematicareatag")


class Migration(migrations.Migration):
    """Each key is held once since 0022 merged the variants: now it can be unique."""

    dependencies = [
        ("plans", "0022_merge_tag_variants"),
    ]

    operations = [
        *(
            migrations.AlterField(
                model_name=model,
                name="key",
                field=models.CharField(
                    editable=False, max_length=1000, unique=True, verbose_name="comparison key"
                ),
            )
            for model in TAG_MODELS
        ),
    ]
