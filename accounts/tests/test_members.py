from django.urls import reverse

from accounts.models import AuditEvent, Membership, Role, User
from conftest import make_member


def members_url(tenant, name="members", **kwargs):
    return reverse(name, kwargs={"tenant_slug": tenant.slug, **kwargs})


def test_members_page_lists_members(login, tenant, members):
    response = login(members[Role.ADMIN]).get(members_url(tenant))
    assert response.status_code == 200
    for user in members.values():
        assert user.username in response.text


def test_owner_promotes_an_operator_to_admin(login, tenant, owner, operator):
    membership = Membership.objects.get(tenant=tenant, user=operator)
    response = login(owner).post(
        members_url(tenant, "member-role", member_id=membership.pk), {"role": Role.ADMIN}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    event = AuditEvent.objects.get(action="members.role")
    assert event.changes == {"role": ["operator", "admin"]}


def test_role_change_over_htmx_returns_the_table(login, tenant, tenant_admin, viewer):
    membership = Membership.objects.get(tenant=tenant, user=viewer)
    response = login(tenant_admin).post(
        members_url(tenant, "member-role", member_id=membership.pk),
        {"role": Role.OPERATOR},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'id="member-table"' in response.text and "<html" not in response.text
    membership.refresh_from_db()
    assert membership.role == Role.OPERATOR


def test_admin_cannot_change_or_remove_an_owner(login, tenant, tenant_admin, owner):
    membership = Membership.objects.get(tenant=tenant, user=owner)
    client = login(tenant_admin)
    client.post(members_url(tenant, "member-role", member_id=membership.pk), {"role": Role.VIEWER})
    client.post(members_url(tenant, "member-remove", member_id=membership.pk))
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_last_owner_cannot_be_demoted_or_removed(login, tenant, owner):
    membership = Membership.objects.get(tenant=tenant, user=owner)
    client = login(owner)
    response = client.post(
        members_url(tenant, "member-role", member_id=membership.pk),
        {"role": Role.ADMIN},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "ostatniego właściciela" in response.text
    client.post(members_url(tenant, "member-remove", member_id=membership.pk))
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_an_owner_can_step_down_when_another_owner_exists(login, tenant, owner):
    make_member(tenant, "druga-owner", Role.OWNER)
    membership = Membership.objects.get(tenant=tenant, user=owner)
    login(owner).post(members_url(tenant, "member-role", member_id=membership.pk), {"role": Role.ADMIN})
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_remove_member(login, tenant, tenant_admin, viewer):
    membership = Membership.objects.get(tenant=tenant, user=viewer)
    response = login(tenant_admin).post(members_url(tenant, "member-remove", member_id=membership.pk))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(pk=viewer.pk).exists()
    assert AuditEvent.objects.filter(action="members.remove", object_label=viewer.username).exists()


def test_a_membership_of_another_tenant_is_not_found(login, tenant, owner, other_tenant, outsider):
    foreign = Membership.objects.get(tenant=other_tenant, user=outsider)
    client = login(owner)
    assert client.post(members_url(tenant, "member-remove", member_id=foreign.pk)).status_code == 404
    assert (
        client.post(members_url(tenant, "member-role", member_id=foreign.pk), {"role": 10}).status_code == 404
    )
    assert Membership.objects.filter(pk=foreign.pk, role=Role.OWNER).exists()


def test_wrong_methods_are_refused(login, tenant, owner, viewer):
    membership = Membership.objects.get(tenant=tenant, user=viewer)
    client = login(owner)
    assert client.get(members_url(tenant, "member-invite")).status_code == 405
    assert client.get(members_url(tenant, "member-remove", member_id=membership.pk)).status_code == 405
    assert client.post(members_url(tenant)).status_code == 405
