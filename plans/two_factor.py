"""Two-factor authentication for staff (django-otp): a TOTP app plus single-use recovery codes.

Who must pass a second factor after the password: every staff member who has enrolled a device, and
reviewers and superusers when `TWO_FACTOR_REQUIRED` is on (the default when DEBUG is off). Until they
have, every page except these and signing out sends them to enrol or to enter a code.
"""

import base64
import io
from urllib.parse import urlencode

import django_otp
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from plans.audit import AuditEvent, record
from plans.permissions import is_reviewer

RECOVERY_CODES = 10

# Pages a user who still owes a second factor may open.
OPEN_URL_NAMES = ("two-factor", "two-factor-verify", "admin:logout", "admin:login", "csp-report")


def has_device(user) -> bool:
    """Whether `user` has a confirmed device (a TOTP app or recovery codes)."""
    return any(True for _device in django_otp.devices_for_user(user))


def must_verify(user) -> bool:
    """Whether `user`, signed in with a password, still owes a second factor."""
    if not (user.is_authenticated and user.is_staff) or user.is_verified():
        return False
    if settings.TWO_FACTOR_REQUIRED and (user.is_superuser or is_reviewer(user)):
        return True
    return has_device(user)


def two_factor_gate(get_response):
    """Middleware (after django-otp's OTPMiddleware) sending a user who owes a second factor to enrol or
    to enter a code, then back to the page asked for."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if must_verify(request.user) and request.path_info not in _open_paths():
            target = "two-factor-verify" if has_device(request.user) else "two-factor"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return get_response(request)

    return middleware


def _open_paths() -> set[str]:
    return {reverse(name) for name in OPEN_URL_NAMES}


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())
    return target if safe else reverse("admin:index")


def _new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with new ones, shown once."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="recovery codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def _render(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """An admin page (header, user links) outside the admin site's own views."""
    return render(request, f"admin/two_factor/{template}", admin.site.each_context(request) | context)


def _qr_code(uri: str) -> str:
    out = io.BytesIO()
    write_qrcode_image(uri, out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


@staff_member_required
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP app: scan the QR code (or type the secret), confirm with a code, receive recovery
    codes once. Once enrolled, the page offers new recovery codes instead."""
    user = request.user
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        if not user.is_verified():
            return redirect("two-factor-verify")
        return _render(request, "enrolled.html", {"title": _("Two-factor authentication")})
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = _new_recovery_codes(user)
            django_otp.login(request, device)
            record(AuditEvent.Kind.TWO_FACTOR_ENROLLED, user=user, request=request)
            return _show_codes(request, codes)
        form.add_error("code", _("That code is not right. Check that your device's clock is correct."))
    context = {
        "title": _("Set up two-factor authentication"),
        "form": form,
        "qr_code": _qr_code(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode(),
        "uri": device.config_url,
        "next": _next_url(request),
    }
    return _render(request, "setup.html", context)


@staff_member_required
def verify(request: HttpRequest) -> HttpResponse:
    """Ask for a code from the TOTP app, or a recovery code (each works once)."""
    form = CodeForm(request.POST or None)
    if form.is_valid():
        code = form.cleaned_data["code"].strip()
        # Devices lock while they verify, so two requests cannot both use one recovery code; each device
        # slows down after a wrong code (django-otp's throttling).
        with transaction.atomic():
            device = next(
                (
                    d
                    for d in django_otp.devices_for_user(request.user, for_verify=True)
                    if d.verify_token(code)
                ),
                None,
            )
        if device is not None:
            django_otp.login(request, device)
            return redirect(_next_url(request))
        record(AuditEvent.Kind.TWO_FACTOR_FAILED, user=request.user, request=request)
        form.add_error("code", _("That code is not right, or was used already. Wait a moment and try again."))
    context = {"title": _("Enter your code"), "form": form, "next": _next_url(request)}
    return _render(request, "verify.html", context)


@require_POST
@staff_member_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes for a verified, enrolled user; the old ones stop working."""
    if not (request.user.is_verified() and has_device(request.user)):
        return redirect("two-factor")
    return _show_codes(request, _new_recovery_codes(request.user))


def _show_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    context = {"title": _("Your recovery codes"), "codes": codes}
    response = _render(request, "recovery_codes.html", context)
    response["Cache-Control"] = "no-store"  # shown once: not kept by the browser either
    return response
