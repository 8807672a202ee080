import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEvent, Membership, Role, Tenant
from conftest import PASSWORD, make_member


def test_login_page_is_polish_by_default(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'lang="pl"' in response.text
    assert "Zaloguj" in response.text


def test_language_switch_to_english(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Log in" in client.get(reverse("login")).text


def test_login_and_a_single_tenant_member_lands_in_it(client, tenant, operator):
    response = client.post(
        reverse("login"), {"username": operator.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("tenant-home", kwargs={"tenant_slug": tenant.slug})


def test_member_of_two_tenants_sees_the_switcher(login, tenant, other_tenant, operator):
    Membership.objects.create(user=operator, tenant=other_tenant, role=Role.VIEWER)
    response = login(operator).get(reverse("home"))
    assert response.status_code == 200
    assert tenant.name in response.text and other_tenant.name in response.text
    page = login(operator).get(reverse("tenant-home", kwargs={"tenant_slug": tenant.slug}))
    assert reverse("tenant-home", kwargs={"tenant_slug": other_tenant.slug}) in page.text


def test_navigation_follows_the_role(login, tenant, viewer, operator, owner):
    viewer_page = login(viewer).get(reverse("tenant-home", kwargs={"tenant_slug": tenant.slug})).text
    assert reverse("members", kwargs={"tenant_slug": tenant.slug}) not in viewer_page
    assert reverse("premium:index", kwargs={"tenant_slug": tenant.slug}) in viewer_page
    # The organisation's pages are under one entry, leading to the first the member may open, and its
    # sub-navigation lists those the role allows.
    owner_page = login(owner).get(reverse("members", kwargs={"tenant_slug": tenant.slug})).text
    assert reverse("tenant-settings", kwargs={"tenant_slug": tenant.slug}) in owner_page
    operator_page = login(operator).get(reverse("tenant-home", kwargs={"tenant_slug": tenant.slug})).text
    audit_url = reverse("audit-log", kwargs={"tenant_slug": tenant.slug})
    assert f'href="{audit_url}"' in operator_page and ">Organizacja</a>" in operator_page
    assert reverse("members", kwargs={"tenant_slug": tenant.slug}) not in operator_page
    assert ">Organizacja</a>" not in viewer_page


def test_staff_superuser_creates_a_tenant_and_owns_it(client, django_user_model, db):
    boss = django_user_model.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    client.force_login(boss)
    response = client.post(
        reverse("tenant-create"), {"name": "Nowa Firma", "slug": "nowa-firma", "time_zone": "Europe/Warsaw"}
    )
    assert response.status_code == 302
    tenant = Tenant.objects.get(slug="nowa-firma")
    assert Membership.objects.get(tenant=tenant, user=boss).role == Role.OWNER
    assert AuditEvent.objects.filter(tenant=tenant, action="tenant.create").exists()


def test_tenant_creation_rejects_bad_slug_and_non_superusers(client, django_user_model, login, owner, db):
    assert login(owner).get(reverse("tenant-create")).status_code == 403
    boss = django_user_model.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    client.force_login(boss)
    response = client.post(
        reverse("tenant-create"), {"name": "X", "slug": "Zła Nazwa", "time_zone": "Europe/Warsaw"}
    )
    assert response.status_code == 200 and not Tenant.objects.filter(name="X").exists()
    assert response.context["form"].errors["slug"]


def test_owner_changes_settings_with_an_audit_event(login, tenant, owner):
    url = reverse("tenant-settings", kwargs={"tenant_slug": tenant.slug})
    response = login(owner).post(url, {"name": "Acme 2", "time_zone": "Europe/London"})
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert (tenant.name, tenant.time_zone) == ("Acme 2", "Europe/London")
    event = AuditEvent.objects.get(action="tenant.settings")
    assert event.changes == {
        "name": ["Acme Telecom", "Acme 2"],
        "time zone": ["Europe/Warsaw", "Europe/London"],
    }


def test_settings_name_time_zones_as_people_read_them_and_store_the_iana_name(login, tenant, owner):
    url = reverse("tenant-settings", kwargs={"tenant_slug": tenant.slug})
    page = login(owner).get(url).text
    assert re.search(r'<option value="America/New_York">America/New York \(UTC-0[45]:00\)</option>', page)
    assert re.search(r'<option value="Europe/Warsaw" selected>Europe/Warsaw \(UTC\+0[12]:00\)</option>', page)


def test_settings_reject_an_unknown_time_zone(login, tenant, owner):
    url = reverse("tenant-settings", kwargs={"tenant_slug": tenant.slug})
    response = login(owner).post(url, {"name": "Acme", "time_zone": "Mars/Olympus"})
    assert response.status_code == 200 and response.context["form"].errors["time_zone"]
    tenant.refresh_from_db()
    assert tenant.time_zone == "Europe/Warsaw"


def test_audit_log_masks_secret_fields(tenant, owner):
    event = audit.record(
        tenant, owner, "premium.account", changes={"api_key": ("old-key", "new-key"), "email": ("a", "b")}
    )
    assert event.changes == {"api_key": ["(changed)", "(changed)"], "email": ["a", "b"]}


def _events(tenant, user, count, action="premium.redirect", start=None):
    start = start or timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            tenant=tenant,
            user=user,
            username=user.username,
            action=action,
            object_label=f"obj-{i}",
            created_at=start - timedelta(minutes=i),
        )
        for i in range(count)
    )


def test_audit_log_filters_and_pages(login, tenant, other_tenant, operator, viewer, outsider):
    _events(tenant, operator, 120)
    _events(tenant, viewer, 3, action="members.add", start=timezone.now() - timedelta(days=10))
    _events(other_tenant, outsider, 5, action="secret.other")
    url = reverse("audit-log", kwargs={"tenant_slug": tenant.slug})
    client = login(operator)

    first = client.get(url)
    assert first.status_code == 200
    assert len(first.context["page"].items) == 50
    assert "secret.other" not in first.text
    labels = [e.object_label for e in first.context["page"].items]
    assert labels[:2] == ["obj-0", "obj-1"]

    second = client.get(url, {"after": first.context["page"].next_cursor})
    assert [e.object_label for e in second.context["page"].items][:1] == ["obj-50"]

    by_user = client.get(url, {"user": viewer.username})
    assert {e.username for e in by_user.context["page"].items} == {viewer.username}
    by_action = client.get(url, {"action": "members"})
    assert len(by_action.context["page"].items) == 3
    day = (timezone.localdate() - timedelta(days=10)).isoformat()
    by_date = client.get(url, {"date_from": day, "date_to": day})
    assert {e.action for e in by_date.context["page"].items} == {"members.add"}


def test_audit_log_bad_filters_and_cursor_are_harmless(login, tenant, operator):
    url = reverse("audit-log", kwargs={"tenant_slug": tenant.slug})
    client = login(operator)
    response = client.get(url, {"date_from": "2026-13-45"})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.get(url, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "nie może być późniejsza" in response.text
    assert client.get(url, {"after": "!!!not-a-cursor"}).status_code == 200
    assert client.get(url, {"after": "WyJ4Il0"}).status_code == 200


def test_audit_log_over_htmx_returns_the_results_partial(login, tenant, operator):
    _events(tenant, operator, 2)
    response = login(operator).get(
        reverse("audit-log", kwargs={"tenant_slug": tenant.slug}), HTTP_HX_REQUEST="true"
    )
    assert 'id="audit-results"' in response.text and "<html" not in response.text


def test_audit_log_query_count_does_not_grow_with_rows(
    login, tenant, operator, django_assert_max_num_queries
):
    _events(tenant, operator, 300)
    client = login(operator)
    url = reverse("audit-log", kwargs={"tenant_slug": tenant.slug})
    # A fixed number per page (session, user, sign-in devices, membership, demo strip, events, filter), none per row.
    with django_assert_max_num_queries(9):
        client.get(url)


def test_htmx_responses_carry_messages_out_of_band(login, tenant, tenant_admin):
    viewer = make_member(tenant, "v2", Role.VIEWER)
    membership = Membership.objects.get(user=viewer)
    response = login(tenant_admin).post(
        reverse("member-role", kwargs={"tenant_slug": tenant.slug, "member_id": membership.pk}),
        {"role": Role.OPERATOR},
        HTTP_HX_REQUEST="true",
    )
    assert 'id="messages"' in response.text and 'hx-swap-oob="true"' in response.text


def test_pages_send_a_strict_content_security_policy(client, db):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
