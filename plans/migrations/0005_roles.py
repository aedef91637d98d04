"""The two editorial roles as groups, so that a fresh database has them: focal points author plans of their
labs, reviewers review. Which *objects* a focal point may touch is decided by plans/permissions.py (lab
membership and status); these model permissions only open the admin pages."""

from django.db import migrations

FOCAL_POINTS = {
    "plans": {
        "plan": ["add", "change", "view"],
        "insight": ["add", "change", "delete", "view"],
        "barrier": ["add", "change", "delete", "view"],
        "partnership": ["add", "change", "delete", "view"],
        "learningquestion": ["add", "change", "delete", "view"],
        "evidence": ["add", "change", "delete", "view"],
        "extraanswer": ["add", "change", "delete", "view"],
        "bloglink": ["add", "change", "view"],
        "lab": ["view"],
        "sdg": ["view"],
        "planevent": ["view"],
        "methodtag": ["add", "view"],
        "datasourcetag": ["add", "view"],
        "thematicareatag": ["add", "view"],
    },
}
REVIEWERS = {
    "plans": {
        "plan": ["view", "review"],
        "insight": ["view"],
        "barrier": ["view"],
        "partnership": ["view"],
        "learningquestion": ["view"],
        "evidence": ["view"],
        "extraanswer": ["view"],
        "bloglink": ["view"],
        "lab": ["view"],
        "sdg": ["view"],
        "planevent": ["view"],
        "methodtag": ["view"],
        "datasourcetag": ["view"],
        "thematicareatag": ["view"],
    },
}
GROUPS = {"Focal points": FOCAL_POINTS, "Reviewers": REVIEWERS}


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, spec in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, models in spec.items():
            for model, actions in models.items():
                codenames = [f"{a}_{model}" for a in actions]
                perms = list(
                    Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
                )
                missing = set(codenames) - {p.codename for p in perms}
                if missing:
                    raise RuntimeError(f"permissions missing for group {name!r}: {sorted(missing)}")
                group.permissions.add(*perms)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0004_workflow"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
