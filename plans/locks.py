"""Soft locks: who else has a plan's change form open, and since when.

Nothing is locked: opening the form of a plan that someone else opened recently says who and since when,
and the lost-update check of the form (plans/admin/forms.py) still refuses a save made over theirs. A
person's mark is renewed when they open the form and every `HEARTBEAT` while it stays open in their
browser (static/js/edit_session.js), and forgotten when they leave it by saving, or after `FRESH_FOR`
without a sign of them: a few missed heartbeats, so that closing the tab frees the plan within minutes
while a form left open (a background tab's timers run at least once a minute) keeps its mark.
"""

from datetime import timedelta

from django.utils import timezone

from plans.models import EditSession

HEARTBEAT = timedelta(seconds=60)
FRESH_FOR = timedelta(minutes=3)


def opened(plan, user) -> list[EditSession]:
    """`user` opens the plan's form: renew their mark; returns the others editing it now, earliest first."""
    now = timezone.now()
    mine = EditSession.objects.filter(plan=plan, user=user)
    # A mark older than FRESH_FOR is a new session: it starts now.
    if not mine.filter(seen_at__gte=now - FRESH_FOR).update(seen_at=now):
        EditSession.objects.update_or_create(plan=plan, user=user, defaults={"since": now, "seen_at": now})
    return list(others(plan, user))


def renewed(plan, user) -> bool:
    """The heartbeat of `user`'s open form: renews their mark if they still hold it (it is fresh); False when
    it is gone (they saved and left, or it expired: others have been told they left, and the mark starts
    again only when they open the form again)."""
    now = timezone.now()
    mine = EditSession.objects.filter(plan=plan, user=user, seen_at__gte=now - FRESH_FOR)
    return bool(mine.update(seen_at=now))


def others(plan, user):
    fresh = timezone.now() - FRESH_FOR
    return (
        EditSession.objects.filter(plan=plan, seen_at__gte=fresh)
        .exclude(user=user)
        .select_related("user")
        .order_by("since")
    )


def left(plan, user) -> None:
    """`user` saved and left the form."""
    EditSession.objects.filter(plan=plan, user=user).delete()
