"""URLs of one tenant, under /t/<tenant_slug>/."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("settings/", views.tenant_settings, name="tenant-settings"),
    path("members/", views.members, name="members"),
    path("members/invite/", views.member_invite, name="member-invite"),
    path("members/<int:member_id>/role/", views.member_role, name="member-role"),
    path("members/<int:member_id>/remove/", views.member_remove, name="member-remove"),
    path("invitations/<int:invitation_id>/send-again/", views.invitation_resend, name="invitation-resend"),
    path("invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation-revoke"),
    path("audit/", views.audit_log, name="audit-log"),
    path("sync/<slug:provider>/<slug:resource>/", views.sync_status, name="sync-status"),
]
