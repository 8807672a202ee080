from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as accounts_views
from alerts import views as alerts_views
from api.v1 import unknown_endpoint, url_patterns

# Every URL under /t/<tenant_slug>/ is a tenant view: the role-matrix test walks them all.
tenant_patterns = [
    # The tenant's home reads every provider app's copy, so it lives above them, with the alerts.
    path("", alerts_views.home, name="tenant-home"),
    path("", include("accounts.urls")),
    path("alerts/", include("alerts.urls")),
    path("premium/", include("premium.urls")),
    path("spikon/", include("spikon.urls")),
    path("sms/", include("sms.urls")),
    path("redirect-schedules/", include("redirect_schedules.urls")),
    path("snapshots/", include("snapshots.urls")),
    path("api-tokens/", include("api.urls")),
]

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("healthz", accounts_views.healthz_ready, name="healthz"),
    path("healthz/live", accounts_views.healthz_live, name="healthz-live"),
    path("healthz/ready", accounts_views.healthz_ready, name="healthz-ready"),
    path("tenants/new/", accounts_views.tenant_create, name="tenant-create"),
    path("t/<slug:tenant_slug>/", include(tenant_patterns)),
    path("api/v1/", url_patterns()),
    path("api/v1/<path:rest>", unknown_endpoint),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", accounts_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password/reset/", accounts_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        accounts_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/two-factor/", accounts_views.two_factor, name="two-factor"),
    path("accounts/two-factor/verify/", accounts_views.two_factor_verify, name="two-factor-verify"),
    path(
        "accounts/two-factor/recovery-codes/", accounts_views.recovery_codes, name="two-factor-recovery-codes"
    ),
    path("invitations/<str:token>/", accounts_views.invitation, name="invitation"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
