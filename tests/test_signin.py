"""Sign-in security: throttling, two-factor authentication, password reset and the audit log."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

LOGIN = "/admin/login/?next=/admin/"


def sign_in(client, username, password, address="203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, username, times, address="203.0.113.7"):
    """`times` wrong passwords; the tenth answers with the lockout page already."""
    for _ in range(times):
        assert sign_in(client, username, "wrong", address).status_code in {200, 429}


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    """Hundreds of sign-ins: hash the personas' passwords cheaply (set before they are created)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# ---------------------------------------------------------------- throttling


@pytest.mark.django_db
def test_it_refuses_the_right_password_after_ten_failures(client, reviewer):
    fail(client, "rita", 10)
    response = sign_in(client, "rita", "pw")
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_still_signs_in_after_nine_failures(client, reviewer):
    fail(client, "rita", 9)
    assert sign_in(client, "rita", "pw").status_code == 302
    assert client.session["_auth_user_id"] == str(reviewer.pk)


@pytest.mark.django_db
def test_it_counts_failures_in_a_row_only(client, reviewer):
    fail(client, "rita", 9)
    assert sign_in(client, "rita", "pw").status_code == 302
    client.logout()
    fail(client, "rita", 9)
    assert sign_in(client, "rita", "pw").status_code == 302


@pytest.mark.django_db
def test_it_signs_in_again_after_the_cool_down(client, reviewer, settings):
    fail(client, "rita", 10)
    assert sign_in(client, "rita", "pw").status_code == 429
    # The cool-down has passed for every recorded attempt.
    past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=past)
    assert sign_in(client, "rita", "pw").status_code == 302


@pytest.mark.django_db
def test_it_locks_an_account_from_every_address(client, reviewer):
    fail(client, "rita", 10, address="203.0.113.7")
    assert sign_in(client, "rita", "pw", address="198.51.100.9").status_code == 429


@pytest.mark.django_db
def test_it_locks_an_address_for_every_account(client, reviewer, focal_point):
    for username in ["rita", "alice"] * 5:
        sign_in(client, username, "wrong", address="203.0.113.7")
    assert sign_in(client, "alice", "pw", address="203.0.113.7").status_code == 429


@pytest.mark.django_db
def test_it_does_not_lock_another_account_at_another_address(client, reviewer, focal_point):
    fail(client, "rita", 10, address="203.0.113.7")
    assert sign_in(client, "alice", "pw", address="198.51.100.9").status_code == 302


@pytest.mark.django_db
def test_it_refuses_a_locked_out_attempt_before_hashing(client, reviewer, monkeypatch):
    fail(client, "rita", 10)
    hashed = []
    for name in ("check_password", "set_password"):
        original = getattr(AbstractBaseUser, name)
        monkeypatch.setattr(
            AbstractBaseUser, name, lambda self, raw, _o=original, _n=name: hashed.append(_n) or _o(self, raw)
        )
    assert sign_in(client, "rita", "pw").status_code == 429
    assert sign_in(client, "nobody", "pw").status_code == 429  # the address is locked too
    assert hashed == []


@pytest.mark.django_db
def test_it_counts_the_address_the_trusted_proxy_saw(client, reviewer, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(10):
        client.post(
            LOGIN,
            {"username": "rita", "password": "wrong"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7",
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


# ---------------------------------------------------------------- password reset

RESET = "/admin/password_reset/"


@pytest.mark.django_db
def test_it_links_the_login_page_to_the_password_reset(client):
    assert RESET.encode() in client.get("/admin/login/").content


@pytest.mark.django_db
def test_it_answers_the_same_whether_or_not_an_account_exists(client, reviewer, mailoutbox):
    known = client.post(RESET, {"email": "rita@example.org"})
    unknown = client.post(RESET, {"email": "nobody@example.org"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    pages = [client.get(r["Location"]).content.decode() for r in (known, unknown)]
    # Nonces and (masked) CSRF tokens, as of the language form, differ on every response whatever the account.
    unique = r'(nonce|name="csrfmiddlewaretoken" value)="[^"]*"'
    assert re.sub(unique, "", pages[0]) == re.sub(unique, "", pages[1])
    assert [m.to for m in mailoutbox] == [["rita@example.org"]]


@pytest.mark.django_db
def test_it_resets_a_password_through_the_mailed_link(client, reviewer, mailoutbox, settings):
    client.post(RESET, {"email": "rita@example.org"}, HTTP_HOST="testserver")
    body = mailoutbox[0].body
    # The link is built on SITE_URL, never on the Host header a client sends.
    link = next(w for w in body.split() if "/reset/" in w)
    assert link.startswith(settings.SITE_URL + "/reset/")
    path = link.removeprefix(settings.SITE_URL)
    form = client.get(path, follow=True)
    assert form.status_code == 200
    new = "a-long-new-passphrase-42"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done["Location"] == "/reset/done/"
    assert sign_in(client, "rita", new).status_code == 302


# ---------------------------------------------------------------- audit log


def events(kind=None):
    from plans.audit import AuditEvent

    rows = AuditEvent.objects.order_by("pk")
    return list(rows.filter(kind=kind) if kind else rows)


@pytest.mark.django_db
def test_it_logs_a_sign_in_with_its_address(client, reviewer):
    sign_in(client, "rita", "pw", address="198.51.100.9")
    [event] = events("signed_in")
    assert (event.user, event.username, event.ip_address) == (reviewer, "rita", "198.51.100.9")


@pytest.mark.django_db
def test_it_logs_failed_sign_ins_even_for_unknown_names(client, reviewer):
    sign_in(client, "rita", "wrong")
    sign_in(client, "mallory", "guess")
    assert [(e.user, e.username) for e in events("sign_in_failed")] == [(reviewer, "rita"), (None, "mallory")]


@pytest.mark.django_db
def test_it_logs_a_refused_attempt_during_a_lockout(client, reviewer):
    fail(client, "rita", 10)
    sign_in(client, "rita", "pw")
    last = events("sign_in_failed")[-1]
    assert "too many failures" in last.detail
    assert events("signed_in") == []


@pytest.mark.django_db
def test_it_logs_group_changes_from_either_side(reviewer, focal_point):
    from django.contrib.auth.models import Group

    reviewers = Group.objects.get(name="Reviewers")
    focal_point.groups.add(reviewers)
    reviewers.user_set.remove(focal_point)
    reviewer.groups.clear()
    details = [(e.user.username, e.detail) for e in events("role_changed") if e.detail.startswith("groups")]
    assert details[-3:] == [
        ("alice", "groups + Reviewers"),
        ("alice", "groups − Reviewers"),
        ("rita", "groups − Reviewers"),
    ]


@pytest.mark.django_db
def test_it_logs_role_flag_changes_and_new_superusers(django_user_model, focal_point):
    focal_point.is_superuser = True
    focal_point.save()
    focal_point.last_name = "Smith"
    focal_point.save()  # no role flag changed: nothing logged
    django_user_model.objects.create_superuser("eve", "eve@example.org", "pw")
    details = [(e.username, e.detail) for e in events("role_changed") if "is_" in e.detail]
    assert details[-2:] == [
        ("alice", "is_superuser: False → True"),
        ("eve", "created; is_staff: False → True, is_superuser: False → True"),
    ]


@pytest.mark.django_db
def test_it_logs_lab_membership_changes(focal_point, lab_b):
    lab_b.members.add(focal_point)
    focal_point.labs.remove(lab_b)
    assert [e.detail for e in events("lab_membership_changed")][-2:] == [
        "labs + Accelerator Lab Peru",
        "labs − Accelerator Lab Peru",
    ]


@pytest.mark.django_db
def test_it_names_who_changed_a_role_in_the_admin(client, superuser, focal_point):
    client.force_login(superuser)
    change = f"/admin/auth/user/{focal_point.pk}/change/"
    form = client.get(change).context["adminform"].form
    data = {
        k: v for k, v in form.initial.items() if v is not None and k not in {"groups", "user_permissions"}
    }
    data.update(
        {"is_staff": "on", "is_active": "on", "is_superuser": "on", "date_joined_0": "2026-01-01"},
        date_joined_1="00:00:00",
        last_login_0="",
        last_login_1="",
        groups=[g.pk for g in focal_point.groups.all()],
    )
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = events("role_changed")[-1]
    assert (event.user, event.actor, event.detail) == (focal_point, superuser, "is_superuser: False → True")


@pytest.mark.django_db
def test_it_shows_the_log_to_superusers_only_and_read_only(client, superuser, reviewer):
    sign_in(client, "rita", "wrong")
    client.force_login(reviewer)
    assert client.get("/admin/plans/auditevent/").status_code == 403
    client.force_login(superuser)
    page = client.get("/admin/plans/auditevent/")
    assert page.status_code == 200
    assert b"sign-in failed" in page.content
    event = events("sign_in_failed")[0]
    assert client.get(f"/admin/plans/auditevent/{event.pk}/change/").status_code == 200  # a view page
    assert client.post(f"/admin/plans/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/plans/auditevent/add/").status_code == 403


# ---------------------------------------------------------------- two-factor authentication


def totp_code(device, steps_ahead=0) -> str:
    """The code an authenticator app shows for `device`, now or `steps_ahead` periods of 30 s later
    (django-otp accepts one period of drift, and never the same period twice)."""
    from django_otp.oath import totp

    return (
        f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=steps_ahead):06d}"
    )


def enrol(client, user):
    """Sign in with the password, enrol an authenticator app from the QR page; the recovery codes."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert sign_in(client, user.username, "pw").status_code == 302
    page = client.get("/admin/two-factor/")
    assert b"data:image/svg+xml;base64," in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post("/admin/two-factor/", {"code": totp_code(device)})
    assert done.status_code == 200
    return re.findall(r"<li><code>(\w+)</code></li>", done.content.decode())


def enrol_and_sign_in_again(client, user):
    """Enrol, sign out, sign in with the password only: the second factor is now owed."""
    codes = enrol(client, user)
    client.logout()
    sign_in(client, user.username, "pw")
    return codes


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True


@pytest.mark.django_db
@pytest.mark.usefixtures("required")
@pytest.mark.parametrize("persona", ["reviewer", "superuser"])
def test_it_sends_reviewers_and_superusers_to_enrol_first(client, persona, request):
    user = request.getfixturevalue(persona)
    assert sign_in(client, user.username, "pw")["Location"] == "/admin/"
    response = client.get("/admin/plans/plan/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/two-factor/?next=%2Fadmin%2Fplans%2Fplan%2F"


@pytest.mark.django_db
@pytest.mark.usefixtures("required")
def test_it_lets_focal_points_without_a_device_in_with_a_password(client, focal_point):
    sign_in(client, "alice", "pw")
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_it_asks_nobody_for_a_second_factor_when_not_required(client, reviewer, settings):
    settings.TWO_FACTOR_REQUIRED = False
    sign_in(client, "rita", "pw")
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("required")
def test_it_enrols_a_device_and_gives_recovery_codes_once(client, reviewer):
    codes = enrol(client, reviewer)
    assert len(codes) == 10
    assert client.get("/admin/").status_code == 200  # verified by the enrolment itself
    page = client.get("/admin/two-factor/").content.decode()
    assert "Two-factor authentication is on" in page
    assert not any(code in page for code in codes)
    [event] = events("two_factor_enrolled")
    assert event.user == reviewer


@pytest.mark.django_db
@pytest.mark.usefixtures("required")
def test_it_refuses_a_wrong_code_at_enrolment(client, reviewer):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    sign_in(client, "rita", "pw")
    client.get("/admin/two-factor/")
    device = TOTPDevice.objects.get(user=reviewer)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    response = client.post("/admin/two-factor/", {"code": wrong})
    assert b"That code is not right" in response.content
    assert not TOTPDevice.objects.get(user=reviewer).confirmed
    assert client.get("/admin/")["Location"].startswith("/admin/two-factor/")


@pytest.mark.django_db
@pytest.mark.usefixtures("required")
def test_it_asks_for_a_code_at_the_next_sign_in(client, reviewer):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    enrol_and_sign_in_again(client, reviewer)
    response = client.get("/admin/plans/plan/")
    assert response["Location"] == "/admin/two-factor/verify/?next=%2Fadmin%2Fplans%2Fplan%2F"
    device = TOTPDevice.objects.get(user=reviewer)
    verified = client.post(response["Location"], {"code": totp_code(device, steps_ahead=1)})
    assert verified["Location"] == "/admin/plans/plan/"
    assert client.get("/admin/plans/plan/").status_code == 200


@pytest.mark.django_db
def test_it_asks_a_focal_point_with_a_device_for_a_code_even_when_not_required(client, focal_point, settings):
    settings.TWO_FACTOR_REQUIRED = False
    enrol_and_sign_in_again(client, focal_point)
    assert client.get("/admin/")["Location"].startswith("/admin/two-factor/verify/")


@pytest.mark.django_db
@pytest.mark.usefixtures("required")
def test_it_refuses_a_wrong_code_and_logs_it(client, reviewer):
    enrol_and_sign_in_again(client, reviewer)
    response = client.post("/admin/two-factor/verify/", {"code": "000000x"})
    assert b"That code is not right" in response.content
    assert client.get("/admin/")["Location"].startswith("/admin/two-factor/verify/")
    assert [e.user for e in events("two_factor_failed")] == [reviewer]


@pytest.mark.django_db
@pytest.mark.usefixtures("required")
def test_it_accepts_each_recovery_code_once(client, reviewer):
    codes = enrol_and_sign_in_again(client, reviewer)
    assert client.post("/admin/two-factor/verify/", {"code": codes[0]})["Location"] == "/admin/"
    client.logout()
    sign_in(client, "rita", "pw")
    again = client.post("/admin/two-factor/verify/", {"code": codes[0]})
    assert again.status_code == 200
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
@pytest.mark.usefixtures("required")
def test_it_replaces_recovery_codes_on_request(client, reviewer):
    from django_otp.plugins.otp_static.models import StaticToken

    old = enrol(client, reviewer)
    page = client.post("/admin/two-factor/recovery-codes/")
    new = re.findall(r"<li><code>(\w+)</code></li>", page.content.decode())
    assert len(new) == 10
    assert page["Cache-Control"] == "no-store"
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)
    assert not set(old) & set(new)


@pytest.mark.django_db
@pytest.mark.usefixtures("required")
def test_it_gives_no_new_recovery_codes_before_the_second_factor(client, reviewer):
    from django_otp.plugins.otp_static.models import StaticToken

    old = enrol_and_sign_in_again(client, reviewer)
    response = client.post("/admin/two-factor/recovery-codes/")
    assert response.status_code == 302
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(old)


@pytest.mark.django_db
@pytest.mark.usefixtures("required")
def test_it_does_not_follow_a_next_url_off_site(client, reviewer):
    codes = enrol_and_sign_in_again(client, reviewer)
    response = client.post("/admin/two-factor/verify/", {"code": codes[1], "next": "https://evil.example/"})
    assert response["Location"] == "/admin/"


@pytest.mark.django_db
@pytest.mark.usefixtures("required")
def test_it_keeps_the_public_site_closed_to_a_half_signed_in_reviewer(client, reviewer, plan_factory):
    draft = plan_factory(title="Secret draft")
    sign_in(client, "rita", "pw")
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/two-factor/")


@pytest.mark.django_db
def test_it_turns_two_factor_on_by_default_in_production_only():
    from tests.test_settings import settings_value

    assert settings_value("settings.TWO_FACTOR_REQUIRED") == "False"
    production = settings_value("settings.TWO_FACTOR_REQUIRED", DEBUG="0", SECRET_KEY="x" * 50)
    assert production == "True"
    off = settings_value(
        "settings.TWO_FACTOR_REQUIRED", DEBUG="0", SECRET_KEY="x" * 50, TWO_FACTOR_REQUIRED="0"
    )
    assert off == "False"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("required")
def test_it_enrols_in_a_real_browser_under_the_csp(page, login, reviewer, artifacts_dir):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    login(reviewer)
    page.wait_for_url("**/admin/two-factor/?next=*")
    qr = page.get_by_role("img", name="QR code of your authenticator key")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    page.screenshot(path=str(artifacts_dir / "two-factor-setup.png"), full_page=True)
    page.fill("#id_code", totp_code(TOTPDevice.objects.get(user=reviewer)))
    page.click("input[type=submit]")
    assert page.locator("#recovery-codes li").count() == 10
    page.get_by_role("link", name="Continue to the admin").click()
    page.wait_for_url("**/admin/")
    assert page.console_errors == []
