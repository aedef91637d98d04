"""Fill a database with N realistic published plans for the benchmarks (bench/README.md)."""

import copy
import random
import time
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from plans import cache, search
from plans.archive import importer
from plans.models import Lab, Plan
from plans.parts import CHILD_RELATED_NAMES, CHILDREN, TAG_VOCABULARIES

BATCH = 500


class Command(BaseCommand):
    help = (
        "Make the database hold N published plans derived from real ones: imports the corpus (or seeds/) "
        "when "
        "no imported plan exists, then copies imported plans with their children, tags and SDGs under varied "
        "titles, years, labs and locations until there are N. Deterministic (fixed random seed). For "
        "benchmarks only: never on a production database."
    )

    def add_arguments(self, parser):
        parser.add_argument("n", type=int, help="Number of published plans wanted in total.")
        parser.add_argument(
            "--source",
            default=None,
            help="Archive folder to import first (default ../shared/corpus, else seeds/).",
        )

    def handle(self, *args, n: int, source: str | None, **options):
        started = time.monotonic()
        if not Plan.objects.exclude(source_file="").exists():
            call_command("import_plans", self.source_dir(source), verbosity=0)
        originals = list(
            Plan.objects.published().exclude(source_file="").prefetch_related("sdgs", *CHILD_RELATED_NAMES)
        )
        if not originals:
            raise CommandError("No imported plan to derive from: import some archive files first.")
        labs = list(Lab.objects.all())
        have = Plan.objects.published().count()
        rng = random.Random(2026)
        made = 0
        while have + made < n:
            size = min(BATCH, n - have - made)
            self.copy_batch([originals[(made + i) % len(originals)] for i in range(size)], labs, rng, made)
            made += size
            self.stdout.write(f"\r{have + made}/{n} plans", ending="")
            self.stdout.flush()
        importer.refresh_statistics()
        self.stdout.write(
            f"\ngenerated {made} plans ({have + made} published) in {time.monotonic() - started:.1f} s"
        )

    def source_dir(self, source: str | None) -> str:
        candidates = (
            [Path(source)]
            if source
            else [settings.BASE_DIR.parent / "shared" / "corpus", settings.BASE_DIR / "seeds"]
        )
        for path in candidates:
            if path.is_dir():
                return str(path)
        raise CommandError(f"No archive folder found among {', '.join(map(str, candidates))}")

    @transaction.atomic
    def copy_batch(self, originals: list[Plan], labs: list[Lab], rng: random.Random, offset: int) -> None:
        clones = []
        for i, original in enumerate(originals):
            lab = rng.choice(labs)
            year = rng.randint(2019, 2025)
            clone = Plan(
                **{
                    f.attname: getattr(original, f.attname)
                    for f in Plan._meta.concrete_fields
                    if f.attname not in {"id", "slug", "created_at", "updated_at"}
                }
            )
            clone.title = f"{original.title} — {lab.country or lab.name} {year}"[:500]
            clone.slug = f"{original.slug[:200]}-b{offset + i}"
            clone.source_file = ""
            clone.lab, clone.country, clone.year = lab, lab.country, year
            # Jitter the point, but stay on Earth: the coordinate constraints refuse anything else.
            clone.latitude = min(90.0, max(-90.0, (original.latitude or 0) + rng.uniform(-2, 2)))
            clone.longitude = min(180.0, max(-180.0, (original.longitude or 0) + rng.uniform(-2, 2)))
            clone.published_at = datetime(year, rng.randint(1, 12), rng.randint(1, 28), tzinfo=UTC)
            clones.append(clone)
        Plan.objects.bulk_create(clones)
        for child in CHILDREN:
            rows = []
            for original, clone in zip(originals, clones, strict=True):
                for row in getattr(original, child.related_name).all():
                    row = copy.copy(row)  # the same original may be copied several times in one batch
                    row.pk, row.plan_id = None, clone.pk
                    rows.append(row)
            child.model.objects.bulk_create(rows)
        for through in (v.through for v in TAG_VOCABULARIES):
            by_plan: dict[int, list[int]] = {}
            for object_id, tag_id in through.objects.filter(
                content_object__in=[o.pk for o in originals]
            ).values_list("content_object_id", "tag_id"):
                by_plan.setdefault(object_id, []).append(tag_id)
            through.objects.bulk_create(
                [
                    through(content_object_id=clone.pk, tag_id=tag_id)
                    for original, clone in zip(originals, clones, strict=True)
                    for tag_id in by_plan.get(original.pk, [])
                ]
            )
        Plan.sdgs.through.objects.bulk_create(
            [
                Plan.sdgs.through(plan_id=clone.pk, sdg_id=sdg.pk)
                for original, clone in zip(originals, clones, strict=True)
                for sdg in original.sdgs.all()
            ]
        )
        search.update_index([c.pk for c in clones])
        cache.bump()
