"""The third-party apps under names a reader understands, in their language.

The admin lists each installed app and its models by their verbose names. Some apps give none (the admin
then shows "Otp_Totp" and "Axes"), some give an English one that is not marked for translation ("Tasks
Database Backend", "TOTP device"), and some ship no Spanish catalogue (django-axes). These AppConfig
subclasses, named in INSTALLED_APPS instead of the apps' own, give each app a translated name and, once its
models exist, translated model names; our catalogues translate the msgids the apps mark themselves (marked
here with gettext_noop so that makemessages keeps them). Only the names change: the apps' labels, tables and
migrations stay theirs (`_meta.original_attrs` is untouched, so makemigrations sees no change).
"""

from axes.apps import AppConfig as AxesAppConfig
from django.apps import apps
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_otp.plugins.otp_static.apps import DefaultConfig as StaticDefaultConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPDefaultConfig
from django_tasks_db.apps import TasksAppConfig
from reversion.apps import ReversionConfig as ReversionAppConfig
from taggit.apps import TaggitAppConfig

# Marked by the apps themselves (gettext_lazy in their models), translated by no catalogue of theirs in
# one of our languages at least: django-axes has no Spanish, django-tasks-db none at all, and taggit's French
# keeps "Tags" as the English word.
gettext_noop("access attempt")
gettext_noop("access attempts")
gettext_noop("access failure")
gettext_noop("access failures")
gettext_noop("access log")
gettext_noop("access logs")
gettext_noop("access attempt expiration")
gettext_noop("access attempt expirations")
gettext_noop("Task Result")
gettext_noop("Task Results")
gettext_noop("tag")
gettext_noop("tags")
gettext_noop("Attempt Time")  # django-axes' French catalogue lacks it
# Django 6.1's admin (admin/date_hierarchy.html, the lists of access attempts) is newer than its catalogues.
gettext_noop("Filter by %(field_name)s")


def _name(app_label: str, model_name: str, singular, plural) -> None:
    meta = apps.get_model(app_label, model_name)._meta
    meta.verbose_name, meta.verbose_name_plural = singular, plural


class AxesConfig(AxesAppConfig):
    verbose_name = _("Sign-in throttling")


# django-otp's texts are plain English strings: its forms show them as they are unless replaced. The help
# texts keep their English as msgid: migrations compare them (labels are not compared).
OTP_HELP_TEXTS = {
    "The user that this device belongs to.": _("The user that this device belongs to."),
    "The human-readable name of this device.": _("The human-readable name of this device."),
    "Is this device ready for use?": _("Is this device ready for use?"),
    "The date and time when this device was initially created in the system.": _(
        "The date and time when this device was initially created in the system."
    ),
    "The most recent date and time this device was used.": _(
        "The most recent date and time this device was used."
    ),
    "A timestamp of the last failed verification attempt. Null if last attempt succeeded.": _(
        "A timestamp of the last failed verification attempt. Null if last attempt succeeded."
    ),
    "Number of successive failed attempts.": _("Number of successive failed attempts."),
    "A hex-encoded secret key of up to 40 bytes.": _("A hex-encoded secret key of up to 40 bytes."),
    "The time step in seconds.": _("The time step in seconds."),
    "The Unix time at which to begin counting steps.": _("The Unix time at which to begin counting steps."),
    "The number of digits to expect in a token.": _("The number of digits to expect in a token."),
    "The number of time steps in the past or future to allow.": _(
        "The number of time steps in the past or future to allow."
    ),
    "The number of time steps the prover is known to deviate from our clock.": _(
        "The number of time steps the prover is known to deviate from our clock."
    ),
    "The t value of the latest verified token. The next token must be at a higher time step.": _(
        "The t value of the latest verified token. The next token must be at a higher time step."
    ),
}
OTP_LABELS = {
    "user": _("user"),
    "name": _("name"),
    "confirmed": _("confirmed"),
    "created_at": _("created at"),
    "last_used_at": _("last used at"),
    "throttling_failure_timestamp": _("time of the last failure"),
    "throttling_failure_count": _("failures in a row"),
    "key": _("key"),
    "step": _("time step"),
    "t0": _("start time (t0)"),
    "digits": _("digits"),
    "tolerance": _("tolerance"),
    "drift": _("drift"),
    "last_t": _("last time step"),
    "device": _("set of recovery codes"),
    "token": _("code"),
}
OTP_FIELDSETS = {
    "Identity": _("Identity"),
    "Timestamps": _("Dates"),
    "Configuration": _("Configuration"),
    "State": _("State"),
    "Throttling": _("Throttling"),
}


def _translate_otp(app_label: str, model_names: tuple[str, ...]) -> None:
    """Translated labels and help texts for the fields of django-otp's models, and translated fieldset
    names and search help on their admin pages."""
    from django.contrib import admin

    for model_name in model_names:
        model = apps.get_model(app_label, model_name)
        for field in model._meta.fields:
            field.verbose_name = OTP_LABELS.get(field.name, field.verbose_name)
            field.help_text = OTP_HELP_TEXTS.get(str(field.help_text), field.help_text)
        model_admin = admin.site._registry.get(model)
        if model_admin is None:
            continue
        if model_admin.search_help_text:
            model_admin.search_help_text = _("Search by the user's name or e-mail address")
        get_fieldsets = model_admin.get_fieldsets

        def translated(request, obj=None, get_fieldsets=get_fieldsets):
            return [(OTP_FIELDSETS.get(name, name), options) for name, options in get_fieldsets(request, obj)]

        model_admin.get_fieldsets = translated


class TOTPConfig(TOTPDefaultConfig):
    verbose_name = _("Two-factor: authenticator apps")

    def ready(self):
        super().ready()
        _translate_otp("otp_totp", ("totpdevice",))
        _name(
            "otp_totp",
            "totpdevice",
            _("authenticator app (TOTP device)"),
            _("authenticator apps (TOTP devices)"),
        )


class StaticConfig(StaticDefaultConfig):
    verbose_name = _("Two-factor: recovery codes")

    def ready(self):
        super().ready()
        _name("otp_static", "staticdevice", _("set of recovery codes"), _("sets of recovery codes"))
        _name("otp_static", "statictoken", _("recovery code"), _("recovery codes"))
        _translate_otp("otp_static", ("staticdevice", "statictoken"))


class TaggitConfig(TaggitAppConfig):
    verbose_name = _("Free tags")


class TasksConfig(TasksAppConfig):
    verbose_name = _("Background tasks")


class ReversionConfig(ReversionAppConfig):
    verbose_name = _("Revisions")


BOOLEAN_ICONS = {True: ("yes", _("Yes")), False: ("no", _("No")), None: ("unknown", _("Unknown"))}


def _boolean_icon(value) -> str:
    """Django's admin icon for a yes/no value, with a translated text: Django's own writes `alt="True"`."""
    name, text = BOOLEAN_ICONS[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{name}.svg"), text)


def translate_admin_icons() -> None:
    """Replace `admin_list._boolean_icon`, which the admin's lists, read-only fields and filters look up in
    that module each time they draw a yes/no icon (called by `PlansConfig.ready()`; imported here, not while
    the apps load)."""
    from django.contrib.admin.templatetags import admin_list

    admin_list._boolean_icon = _boolean_icon
