"""The audit log of sign-ins and role changes, for superusers.

Signal receivers write it: Django's sign-in signals, changes to a user's groups or labs, and saves of a
user's role flags. Who made a role change is the signed-in user of the request being served (a
middleware remembers it); changes made outside a request (a management command) have no actor.
"""

from contextvars import ContextVar

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import models
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plans.signin import client_ip

ROLE_FLAGS = ("is_active", "is_staff", "is_superuser")

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def _account(verbose_name) -> models.ForeignKey:
    """An account an event names; emptied when the account is deleted, the row staying."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


class AuditEvent(models.Model):
    """One security-relevant event. Rows are only ever added: the admin shows them read-only, to
    superusers. `username` keeps the name as typed or as it was, so a row still reads right after the
    account is renamed or deleted (then `user` is empty)."""

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", _("signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("sign-in failed")
        TWO_FACTOR_ENROLLED = "two_factor_enrolled", _("two-factor device enrolled")
        TWO_FACTOR_FAILED = "two_factor_failed", _("two-factor code refused")
        ROLE_CHANGED = "role_changed", _("role changed")
        LAB_MEMBERSHIP_CHANGED = "lab_membership_changed", _("lab membership changed")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    kind = models.CharField(_("event"), max_length=30, choices=Kind.choices)
    user = _account(_("user"))
    username = models.CharField(_("username"), max_length=150, blank=True)
    actor = _account(_("changed by"))
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.username}"


def record(kind: str, *, user=None, username: str = "", detail: str = "", request=None) -> AuditEvent:
    """Add one event; `request` defaults to the request being served, which gives the actor and address."""
    request = request or _request.get()
    actor = getattr(request, "user", None)
    return AuditEvent.objects.create(
        kind=kind,
        user=user,
        username=(username or (user.get_username() if user else ""))[:150],
        actor=actor if actor is not None and actor.is_authenticated else None,
        ip_address=(client_ip(request) or None) if request is not None else None,
        detail=detail[:500],
    )


def remember_request(get_response):
    """Middleware (after AuthenticationMiddleware) that lets receivers find the request they run under."""

    def middleware(request: HttpRequest):
        token = _request.set(request)
        try:
            return get_response(request)
        finally:
            _request.reset(token)

    return middleware


# ---------------------------------------------------------------- receivers


def _signed_in(sender, request, user, **kwargs):
    record(AuditEvent.Kind.SIGNED_IN, user=user, request=request)


def _sign_in_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or "")
    user = get_user_model()._default_manager.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    # django-axes (an earlier receiver) marks attempts it refused without checking the password.
    detail = str(_("refused: too many failures")) if getattr(request, "axes_locked_out", False) else ""
    record(AuditEvent.Kind.SIGN_IN_FAILED, user=user, username=username, detail=detail, request=request)


def _remember_role_flags(sender, instance, update_fields=None, **kwargs):
    if instance.pk is None or (update_fields is not None and not set(update_fields) & set(ROLE_FLAGS)):
        instance._audit_old_flags = None
        return
    instance._audit_old_flags = sender._default_manager.filter(pk=instance.pk).values(*ROLE_FLAGS).first()


def _role_flags_saved(sender, instance, created, **kwargs):
    old = getattr(instance, "_audit_old_flags", None)
    if created:
        old = dict.fromkeys(ROLE_FLAGS, False) | {"is_active": True}
    if old is None:
        return
    changes = [
        f"{flag}: {old[flag]} → {getattr(instance, flag)}"
        for flag in ROLE_FLAGS
        if old[flag] != getattr(instance, flag)
    ]
    if changes:
        detail = ("created; " if created else "") + ", ".join(changes)
        record(AuditEvent.Kind.ROLE_CHANGED, user=instance, detail=detail)


def _m2m_receiver(kind: str, label: str, other: str):
    """A receiver of m2m_changed on a through model with fields `user` and `other` ("group", "lab"), changed
    from either side (user.groups.add, group.user_set.remove, lab.members.set …). A clear is recorded just
    before it happens, while its rows can still be read."""

    def receiver(sender, instance, action, pk_set, **kwargs):
        user_side = isinstance(instance, get_user_model())
        if action == "pre_clear":
            rows = sender.objects.filter(**{"user" if user_side else other: instance})
            pairs = [(row.user, getattr(row, other)) for row in rows.select_related("user", other)]
            sign = "−"
        elif action in ("post_add", "post_remove") and pk_set:
            related = sender._meta.get_field("user" if not user_side else other).related_model
            found = related._default_manager.filter(pk__in=pk_set)
            pairs = [(instance, o) for o in found] if user_side else [(u, instance) for u in found]
            sign = "+" if action == "post_add" else "−"
        else:
            return
        by_user: dict = {}
        for user, thing in pairs:
            by_user.setdefault(user, []).append(str(thing))
        for user, things in by_user.items():
            record(kind, user=user, detail=f"{label} {sign} {', '.join(sorted(things))}")

    return receiver


def connect() -> None:
    """Connect the receivers (called once from PlansConfig.ready)."""
    from plans.models import Lab  # plans.models imports this module (AuditEvent)

    user_model = get_user_model()
    user_logged_in.connect(_signed_in, dispatch_uid="audit-signed-in")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="audit-sign-in-failed")
    pre_save.connect(_remember_role_flags, sender=user_model, dispatch_uid="audit-role-flags-pre")
    post_save.connect(_role_flags_saved, sender=user_model, dispatch_uid="audit-role-flags")
    m2m_changed.connect(
        _m2m_receiver(AuditEvent.Kind.ROLE_CHANGED, "groups", "group"),
        sender=user_model.groups.through,
        dispatch_uid="audit-groups",
        weak=False,
    )
    m2m_changed.connect(
        _m2m_receiver(AuditEvent.Kind.LAB_MEMBERSHIP_CHANGED, "labs", "lab"),
        sender=Lab.members.through,
        dispatch_uid="audit-labs",
        weak=False,
    )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The log for superusers only, read-only: nobody edits or deletes history from the admin."""

    list_display = ["at", "kind", "username", "actor", "ip_address", "detail"]
    list_filter = ["kind", "at"]
    search_fields = ["username", "detail", "ip_address"]
    date_hierarchy = "at"
    list_select_related = ["actor"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def _never(self, request, obj=None):
        return False

    has_add_permission = has_change_permission = has_delete_permission = _never
