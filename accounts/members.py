"""The rules of managing members: who may change whom, and that a tenant always keeps an owner."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import Membership, Role, Tenant, User


class MemberChangeRefused(Exception):
    """The change is not allowed; the message says why, in the operator's words."""


def can_manage(actor_role: Role, member_role: int) -> bool:
    """Admins manage viewers and operators; owners manage everyone."""
    return actor_role == Role.OWNER or member_role < Role.ADMIN


def role_name(role: int) -> str:
    """A role as the audit log stores it: a stable name ("operator"), not in the actor's language."""
    return Role(role).name.lower()


def _check_role_allowed(actor_role: Role, role: int) -> None:
    if role not in Role.values:
        raise MemberChangeRefused(_("Unknown role."))
    if not can_manage(actor_role, role):
        raise MemberChangeRefused(_("Only an owner can give the admin or owner role."))


def _ensure_other_owner(tenant: Tenant, membership: Membership) -> None:
    # Lock the owners' rows so that two owners cannot demote each other at the same time.
    owners = list(
        Membership.objects.select_for_update()
        .filter(tenant=tenant, role=Role.OWNER)
        .values_list("pk", flat=True)
    )
    if owners == [membership.pk]:
        raise MemberChangeRefused(
            _("The last owner cannot be removed or demoted; make someone else owner first.")
        )


def add_member(
    tenant: Tenant, actor: User, actor_role: Role, username: str, email: str, role: int
) -> tuple[Membership, str | None]:
    """Add an existing or new user; returns the membership and, for a new user, a one-time password."""
    _check_role_allowed(actor_role, role)
    with transaction.atomic():
        user = get_user_model().objects.filter(username__iexact=username).first()
        password = None
        if user is None:
            password = secrets.token_urlsafe(12)
            user = get_user_model().objects.create_user(username=username, email=email, password=password)
        if Membership.objects.filter(tenant=tenant, user=user).exists():
            raise MemberChangeRefused(_("%(username)s is already a member.") % {"username": user.username})
        membership = Membership.objects.create(tenant=tenant, user=user, role=role)
        audit.record(
            tenant,
            actor,
            "members.add",
            object_type="membership",
            object_id=str(membership.pk),
            object_label=user.username,
            changes={"role": (None, role_name(role)), "new user": (None, password is not None)},
        )
    return membership, password


def change_role(tenant: Tenant, actor: User, actor_role: Role, membership: Membership, role: int) -> None:
    if not can_manage(actor_role, membership.role):
        raise MemberChangeRefused(_("Only an owner can change an admin or owner."))
    _check_role_allowed(actor_role, role)
    if role == membership.role:
        return
    with transaction.atomic():
        if membership.role == Role.OWNER:
            _ensure_other_owner(tenant, membership)
        before = role_name(membership.role)
        membership.role = role
        membership.save(update_fields=["role"])
        audit.record(
            tenant,
            actor,
            "members.role",
            object_type="membership",
            object_id=str(membership.pk),
            object_label=membership.user.username,
            changes={"role": (before, role_name(role))},
        )


def remove_member(tenant: Tenant, actor: User, actor_role: Role, membership: Membership) -> None:
    if not can_manage(actor_role, membership.role):
        raise MemberChangeRefused(_("Only an owner can remove an admin or owner."))
    with transaction.atomic():
        if membership.role == Role.OWNER:
            _ensure_other_owner(tenant, membership)
        audit.record(
            tenant,
            actor,
            "members.remove",
            object_type="membership",
            object_id=str(membership.pk),
            object_label=membership.user.username,
            changes={"role": (role_name(membership.role), None)},
        )
        membership.delete()
