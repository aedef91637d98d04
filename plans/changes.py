"""When a plan last changed for its readers (`Plan.modified_at`): what harvesters ask for with
`modified_since` (the API's changes feed, the DCAT catalogue).

A plan's own save moves it (`Plan.save`; the status too: a withdrawal is a change a mirror must see). So
does every write that changes what is shown of it without saving the plan row: a child row (blog links
included: an approval makes one public), a tag added or removed, a tag, lab or SDG renamed. Those use
`update()`, which leaves `updated_at` alone: the admin's edit forms compare `updated_at` to refuse lost
updates, and approving a blog link is not an edit of the plan that should make an open form stale.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

# Set while `loaddata` restores a backup (plans/management/commands/loaddata.py). Rows arrive with their own
# `modified_at`; only many-to-many sets (a plan's SDGs) send a signal that cannot say it is raw, and it
# would move the date of every restored plan to the time of the restore.
_restoring = ContextVar("restoring", default=False)


@contextmanager
def restoring():
    token = _restoring.set(True)
    try:
        yield
    finally:
        _restoring.reset(token)


def _touch(**lookup) -> None:
    from plans.models import Plan

    Plan.objects.filter(**lookup).update(modified_at=timezone.now())


def _child_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        _touch(pk=instance.plan_id)


def _tagged(sender, instance, action, reverse, pk_set, **kwargs):
    if _restoring.get():
        return
    if not reverse:  # plan.sdgs.add(goal): instance is the plan
        if action in {"post_add", "post_remove", "post_clear"}:
            _touch(pk=instance.pk)
    elif action == "pre_clear":  # goal.plans.clear(): the plans it leaves are known only before
        _touch(sdgs=instance)
    elif action in {"post_add", "post_remove"}:
        _touch(pk__in=pk_set or ())


def _assignment_changed(sender, instance, raw=False, **kwargs):
    # taggit's through rows (TaggedMethod…) are saved one by one by `plan.methods.add()`.
    if not raw:
        _touch(pk=instance.content_object_id)


def _plan_deleted(sender, instance, **kwargs):
    # Only a plan that was public once leaves a tombstone: nobody mirrored a plan never published.
    if instance.published_at is not None:
        from plans.models import DeletedPlan

        DeletedPlan.objects.create(slug=instance.slug)


def _renamed(field: str):
    def receiver(sender, instance, raw=False, created=False, **kwargs):
        if not raw and not created:
            _touch(**{field: instance})

    return receiver


def connect() -> None:
    """Connected by `PlansConfig.ready()`."""
    from plans.models import SDG, Lab, Plan
    from plans.parts import TAG_VOCABULARIES, VOCABULARIES, child_models

    for model in child_models():
        for signal in (post_save, post_delete):
            signal.connect(_child_changed, sender=model, dispatch_uid=f"changes-{model.__name__}-{signal}")
    for vocabulary in TAG_VOCABULARIES:
        for signal in (post_save, post_delete):
            signal.connect(
                _assignment_changed,
                sender=vocabulary.through,
                dispatch_uid=f"changes-{vocabulary.through.__name__}-{signal}",
            )
        post_save.connect(
            _renamed(vocabulary.name), sender=vocabulary.tag_model, dispatch_uid=f"changes-{vocabulary}"
        )
    for vocabulary in VOCABULARIES:
        if vocabulary not in TAG_VOCABULARIES:
            m2m_changed.connect(_tagged, sender=vocabulary.through, dispatch_uid=f"changes-{vocabulary}-m2m")
    post_delete.connect(_plan_deleted, sender=Plan, dispatch_uid="changes-plan-deleted")
    post_save.connect(_renamed("lab"), sender=Lab, dispatch_uid="changes-lab")
    post_save.connect(_renamed("sdgs"), sender=SDG, dispatch_uid="changes-sdg")
