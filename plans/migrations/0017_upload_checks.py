import plans.uploads
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('plans', '0016_answers_html'),
    ]

    operations = [
        migrations.AlterField(
            model_name='evidence',
            name='file',
            field=plans.uploads.UploadField(blank=True, help_text='An image, a PDF or an office document.', upload_to='evidence/%Y/', validators=[plans.uploads.validate_upload], verbose_name='uploaded image or file'),
        ),
    ]
