"""Load the demo content and the demo users so that a fresh clone shows a living site."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from plans.models import Lab, Plan

SEEDS = Path(settings.BASE_DIR) / "seeds"
SEED_COUNTRY = "Vietnam"  # the seed plan (seeds/000_41ebf5d89bd6417a.txt) is Viet Nam's

# username, password, role: printed at the end and listed in the README.
DEMO_USERS = [
    ("admin", "admin-demo-pw", "superuser"),
    ("focal", "focal-demo-pw", "focal point"),
    ("reviewer", "reviewer-demo-pw", "reviewer"),
]


class Command(BaseCommand):
    help = (
        "Import the plans in seeds/ (once: plans already imported are left as they are) and create the demo "
        "users admin, focal (focal point of the seed plan's lab) and reviewer. Refuses to create users when "
        "DEBUG is off. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-plans", action="store_true", help="Only create the demo users.")

    def handle(self, *args, no_plans=False, **options):
        if not settings.DEBUG:
            raise CommandError("Demo users have known passwords: setup_demo runs only with DEBUG=1.")
        if not no_plans:
            self.import_seeds()
        lab = Lab.objects.filter(country=SEED_COUNTRY).first() or Lab.objects.create(
            name=f"Accelerator Lab {SEED_COUNTRY}", country=SEED_COUNTRY, iso3="VNM"
        )
        User = get_user_model()
        for username, password, role in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                if role == "superuser":
                    user = User.objects.create_superuser(username, f"{username}@example.org", password)
                else:
                    user = User.objects.create_user(
                        username, f"{username}@example.org", password, is_staff=True
                    )
            if role == "focal point":
                user.groups.add(Group.objects.get_or_create(name="Focal points")[0])
                lab.members.add(user)
            elif role == "reviewer":
                user.groups.add(Group.objects.get_or_create(name="Reviewers")[0])
        self.stdout.write("Demo users (log in at /admin/):")
        for username, password, role in DEMO_USERS:
            self.stdout.write(f"  {role:<12} {username} / {password}")
        self.stdout.write(f"{Plan.objects.published().count()} published plans, {Lab.objects.count()} labs.")

    def import_seeds(self):
        files = sorted(p for p in SEEDS.iterdir() if p.suffix in {".md", ".txt"} and p.name != "README.md")
        new = [str(p) for p in files if not Plan.objects.filter(source_file=p.name).exists()]
        if new:
            call_command("import_plans", *new)
