from django.db import migrations

from plans.countries import code_for


def fill_codes(apps, schema_editor):
    """Every lab gets its alpha-3 code from its country's name, every plan from its written country, else
    from its lab's."""
    labs = apps.get_model("plans", "Lab")
    plans = apps.get_model("plans", "Plan")
    for lab in labs.objects.filter(iso3=""):
        code = code_for(lab.country) or code_for(lab.name.removeprefix("Accelerator Lab "))
        if code:
            labs.objects.filter(pk=lab.pk).update(iso3=code)
    iso3 = dict(labs.objects.values_list("pk", "iso3"))
    pending = plans.objects.filter(country_code="")
    for country, lab_id in pending.values_list("country", "lab_id").distinct().order_by():
        code = code_for(country) or iso3.get(lab_id, "")
        if code:  # one UPDATE per (country, lab), not per plan
            pending.filter(country=country, lab_id=lab_id).update(country_code=code)


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0026_country_codes"),
    ]

    operations = [migrations.RunPython(fill_codes, migrations.RunPython.noop)]
