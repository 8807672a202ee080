"""The rules of managing members: invitations, who may change whom, and that a tenant always keeps an owner."""

from __future__ import annotations

import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import Invitation, Membership, Role, Tenant, User


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


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_link(invitation: Invitation) -> str:
    """A fresh token for the invitation's link (any earlier link stops working); returns the token."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.token_hash = token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + Invitation.LIFETIME
    return token


def invite(tenant: Tenant, actor: User, actor_role: Role, email: str, role: int) -> tuple[Invitation, str]:
    """Invite an address; inviting it again (or at the same moment) renews its one pending invitation.

    Returns the invitation and the token of its link, to be sent to the address and nowhere else.
    """
    _check_role_allowed(actor_role, role)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(tenant=tenant, email=email).first()
        if invitation is not None and not can_manage(actor_role, invitation.role):
            raise MemberChangeRefused(_("Only an owner can change an invitation to the admin or owner role."))
        before = role_name(invitation.role) if invitation else None
        if invitation is None:
            invitation = Invitation(tenant=tenant, email=email)
        invitation.role, invitation.invited_by = role, actor
        token = _new_link(invitation)
        try:
            with transaction.atomic():
                invitation.save()
        except IntegrityError:
            # Another admin invited the address at the same moment: theirs is the one invitation.
            invitation = Invitation.objects.select_for_update().get(tenant=tenant, email=email)
            before = role_name(invitation.role)
            invitation.role, invitation.invited_by = role, actor
            token = _new_link(invitation)
            invitation.save()
        audit.record(
            tenant,
            actor,
            "members.invite",
            object_type="invitation",
            object_id=str(invitation.pk),
            object_label=email,
            changes={"role": (before, role_name(role))},
        )
    return invitation, token


def resend_invitation(tenant: Tenant, actor: User, actor_role: Role, invitation: Invitation) -> str:
    """A new link for a pending invitation, valid for another week; returns its token."""
    if not can_manage(actor_role, invitation.role):
        raise MemberChangeRefused(_("Only an owner can resend an invitation to the admin or owner role."))
    token = _new_link(invitation)
    with transaction.atomic():
        invitation.invited_by = actor
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at", "invited_by"])
        audit.record(
            tenant, actor, "members.invite-again", object_type="invitation", object_id=str(invitation.pk),
            object_label=invitation.email,
        )  # fmt: skip
    return token


def revoke_invitation(tenant: Tenant, actor: User, actor_role: Role, invitation: Invitation) -> None:
    if not can_manage(actor_role, invitation.role):
        raise MemberChangeRefused(_("Only an owner can revoke an invitation to the admin or owner role."))
    with transaction.atomic():
        audit.record(
            tenant,
            actor,
            "members.revoke",
            object_type="invitation",
            object_id=str(invitation.pk),
            object_label=invitation.email,
            changes={"role": (role_name(invitation.role), None)},
        )
        invitation.delete()


def pending_invitation(token: str) -> Invitation | None:
    """The invitation a link names, if it is still pending and not expired."""
    invitation = Invitation.objects.select_related("tenant").filter(token_hash=token_hash(token)).first()
    if invitation is None or invitation.is_expired:
        return None
    return invitation


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    """The invitee joins: the membership is made, the invitation used up (its link stops working)."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
        if locked is None or locked.is_expired:
            raise MemberChangeRefused(_("This invitation is no longer valid."))
        if Membership.objects.filter(tenant=locked.tenant_id, user=user).exists():
            raise MemberChangeRefused(
                _("You are already a member of %(tenant)s.") % {"tenant": invitation.tenant.name}
            )
        membership = Membership.objects.create(tenant_id=locked.tenant_id, user=user, role=locked.role)
        audit.record(
            invitation.tenant,
            user,
            "members.join",
            object_type="membership",
            object_id=str(membership.pk),
            object_label=user.get_username(),
            changes={"role": (None, role_name(locked.role)), "invited address": (None, locked.email)},
        )
        locked.delete()
    return membership


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
