"""Objects the role-matrix test needs for the accounts URLs that take an id.

Each app with id-taking tenant URLs has a `tests/matrix.py` with OBJECTS: URL name -> a
function that makes such an object in the given tenant and returns the URL's kwargs (called
afresh for every request, and with another tenant for the IDOR test). NOT_TENANT_OBJECTS names
URLs whose kwargs are not a tenant's object.
"""

from datetime import timedelta

from django.utils import timezone

from accounts import sync
from accounts.models import Invitation, Membership, Role, Tenant, User


def a_member(tenant: Tenant) -> dict[str, int]:
    user = User.objects.create_user(username=f"matrix-{User.objects.count()}", password="x-unused-9")
    return {"member_id": Membership.objects.create(user=user, tenant=tenant, role=Role.VIEWER).pk}


def an_invitation(tenant: Tenant) -> dict[str, int]:
    invitation = Invitation.objects.create(
        tenant=tenant,
        email=f"matrix-{Invitation.objects.count()}@example.com",
        role=Role.VIEWER,
        token_hash=f"{Invitation.objects.count():064d}",
        expires_at=timezone.now() + timedelta(days=7),
    )
    return {"invitation_id": invitation.pk}


def a_sync(tenant: Tenant) -> dict[str, str]:
    sync.register("matrix", "things", "accounts.tasks.record_worker_heartbeat")
    return {"provider": "matrix", "resource": "things"}


# The sync line names a provider and a resource, not an object of a tenant.
NOT_TENANT_OBJECTS = {"sync-status"}

OBJECTS = {
    "sync-status": a_sync,
    "member-role": a_member,
    "member-remove": a_member,
    "invitation-resend": an_invitation,
    "invitation-revoke": an_invitation,
}
