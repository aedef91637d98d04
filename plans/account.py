"""A registered person's account page for the API: make, list and revoke their API keys. Short views over
`APIKey` and `permissions.api_keys`; changes only by POST with CSRF."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from plans import permissions
from plans.api.fair_use import KEY_HEADER, published_rates
from plans.models import APIKey

# Keys a person may hold at once (revoked ones do not count): enough for every script, not a key factory.
MAX_ACTIVE_KEYS = 10


def _signed_in(view):
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not (request.user.is_authenticated and request.user.is_active):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        return view(request, *args, **kwargs)

    return wrapper


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_signed_in
def api_keys(request: HttpRequest) -> HttpResponse:
    keys = permissions.api_keys(request.user, APIKey.objects.all())
    new_key = None
    if request.method == "POST":
        name = request.POST.get("name", "").strip()[:100]
        if not name:
            messages.error(request, _("Give the key a name, to tell it from your others."))
        elif keys.active().count() >= MAX_ACTIVE_KEYS:
            messages.error(
                request, _("You hold %(n)s keys already: revoke one first.") % {"n": MAX_ACTIVE_KEYS}
            )
        else:
            _key, new_key = APIKey.make(request.user, name)
    context = {"keys": keys, "new_key": new_key, "header": KEY_HEADER, "rates": published_rates()}
    return render(request, "account/api_keys.html", context)


@require_POST
@_signed_in
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    # Another person's key is a 404: its existence is none of this person's business.
    key = get_object_or_404(permissions.api_keys(request.user, APIKey.objects.all()), pk=pk)
    key.revoke()
    messages.success(
        request, _("The key “%(name)s” is revoked: the API refuses it from now on.") % {"name": key.name}
    )
    return redirect("account:api-keys")
