from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent, Membership, Tenant, User


@admin.register(User)
class DashboardUserAdmin(UserAdmin):
    """A password a staff member sets here, for a new user or another one, is changed at that user's next login."""

    fieldsets = (*UserAdmin.fieldsets, (_("Password"), {"fields": ["must_change_password"]}))

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    def user_change_password(self, request, id, form_url=""):  # noqa: A002 - the name Django calls it by
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302 and str(request.user.pk) != str(id):
            User.objects.filter(pk=id).update(must_change_password=True)
        return response


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is written by the application, never edited."""

    list_display = ["created_at", "tenant", "username", "action", "object_label", "outcome"]
    list_filter = ["outcome", "tenant"]
    search_fields = ["action", "username", "object_label"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
