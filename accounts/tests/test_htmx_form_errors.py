"""A refused HTMX form is answered 422, which HTMX swaps in place: a 400 would let django-htmx's
development script replace the whole page with the fragment. Without HTMX the page stays a 400."""

from django.urls import reverse

from accounts.models import Membership, Role


def role_url(tenant, membership):
    return reverse("member-role", kwargs={"tenant_slug": tenant.slug, "member_id": membership.pk})


def test_a_refused_htmx_form_is_answered_422_with_its_error(login, tenant, owner):
    membership = Membership.objects.get(tenant=tenant, user=owner)
    response = login(owner).post(role_url(tenant, membership), {"role": Role.ADMIN}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert 'id="member-table"' in response.text and "notice-error" in response.text
    assert Membership.objects.get(pk=membership.pk).role == Role.OWNER


def test_a_refused_form_without_htmx_stays_a_400_page(login, tenant, owner):
    response = login(owner).post(
        reverse("member-invite", kwargs={"tenant_slug": tenant.slug}),
        {"email": "not an address", "role": Role.VIEWER},
    )
    assert response.status_code == 400
    assert "<html" in response.text and "errorlist" in response.text


def test_a_successful_htmx_answer_keeps_its_status(login, tenant, owner, tenant_admin):
    membership = Membership.objects.get(tenant=tenant, user=tenant_admin)
    response = login(owner).post(
        role_url(tenant, membership), {"role": Role.OPERATOR}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
