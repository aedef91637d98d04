"""Password reset (the admin's login page links to `admin_password_reset`; the templates are the admin's)
and the two-factor pages."""

from django.contrib.auth import views as auth_views
from django.urls import path

from plans import two_factor
from plans.signin import password_reset

urlpatterns = [
    path("admin/two-factor/", two_factor.setup, name="two-factor"),
    path("admin/two-factor/verify/", two_factor.verify, name="two-factor-verify"),
    path("admin/two-factor/recovery-codes/", two_factor.recovery_codes, name="two-factor-recovery-codes"),
    path("admin/password_reset/", password_reset, name="admin_password_reset"),
    path(
        "admin/password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
