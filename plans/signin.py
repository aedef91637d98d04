"""Sign-in security: the client address that throttling counts failures against, password reset."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest
from django.utils import translation

from plans.i18n import remembered_language


def client_ip(request: HttpRequest) -> str:
    """The client's address for django-axes: REMOTE_ADDR, or with `TRUSTED_PROXY_COUNT` proxies in front the
    address the outermost trusted proxy saw (entries to its left are whatever the client chose to send)."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if count <= 0 or len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


# Django's reset view answers the same page whether or not an account has the address. Its e-mailed link
# is built on SITE_URL, not on the request's Host header, which a client chooses.
class RecipientLanguageResetForm(PasswordResetForm):
    """Django's reset form, whose e-mail is written in the language its recipient chose (plans.i18n), else in
    the language of the page the reset was asked from."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        with translation.override(remembered_language(context["user"]) or translation.get_language()):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


password_reset = auth_views.PasswordResetView.as_view(
    form_class=RecipientLanguageResetForm,
    extra_email_context={
        "protocol": urlsplit(settings.SITE_URL).scheme,
        "domain": urlsplit(settings.SITE_URL).netloc,
        "site_name": urlsplit(settings.SITE_URL).netloc,
    },
)
