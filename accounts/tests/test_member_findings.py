"""The attacks on the old "add a username" members form: nobody becomes a member of a tenant without
accepting an invitation sent to their address, and no answer tells whether a username exists."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Membership, Role, User


def _post_member(client, tenant, username: str, role: Role = Role.ADMIN, email: str = ""):
    """What an admin posts to the members page to bring someone in (an invitation, once "add a username")."""
    data = {"username": username, "email": email or f"{username}@example.com", "role": role}
    return client.post(reverse("member-invite", args=[tenant.slug]), data)


def test_a_username_made_in_one_tenant_cannot_be_squatted_into_another(
    client, tenant, tenant_admin, other_tenant, outsider
):
    client.force_login(outsider)  # the owner of the other tenant makes "nowy-admin" there first
    _post_member(client, other_tenant, "nowy-admin", Role.VIEWER)
    client.force_login(tenant_admin)
    _post_member(client, tenant, "nowy-admin", Role.OPERATOR)
    assert not Membership.objects.filter(tenant=tenant, user__username="nowy-admin").exists()


def test_an_existing_user_of_another_tenant_is_not_added_without_consent(client, tenant, owner, outsider):
    client.force_login(owner)
    response = _post_member(client, tenant, outsider.username, Role.VIEWER, email="someone@example.com")
    assert not Membership.objects.filter(tenant=tenant, user=outsider).exists()
    members_page = client.get(reverse("members", args=[tenant.slug]))
    assert outsider.email not in members_page.text and outsider.email not in response.text


def test_the_form_never_tells_whether_a_username_exists(client, tenant, owner, outsider):
    client.force_login(owner)
    known = _post_member(client, tenant, outsider.username, Role.VIEWER, email="a@example.com")
    unknown = _post_member(client, tenant, "nikt-taki", Role.VIEWER, email="b@example.com")
    assert known.status_code == unknown.status_code
    assert outsider.username not in known.text.replace("a@example.com", "")


@pytest.mark.django_db(transaction=True)
def test_two_admins_inviting_one_address_at_once_make_one_invitation(tenant, owner, tenant_admin):
    from django.test import Client

    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def invite(user: User) -> None:
        client = Client()
        client.force_login(user)
        barrier.wait()
        try:
            statuses.append(
                _post_member(client, tenant, "jednoczesny", Role.VIEWER, "raz@example.com").status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=invite, args=(user,)) for user in (owner, tenant_admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(status < 500 for status in statuses), statuses
    from accounts.models import Invitation

    assert Invitation.objects.filter(tenant=tenant, email="raz@example.com").count() == 1
