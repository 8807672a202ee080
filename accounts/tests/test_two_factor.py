from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD


def current_code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def log_in(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def test_set_up_turns_on_two_factor_after_a_right_code(client, operator):
    log_in(client, operator)
    page = client.get(reverse("two-factor"))
    assert page.status_code == 200 and "data:image/svg+xml;base64," in page.text
    device = TOTPDevice.objects.get(user=operator, confirmed=False)

    wrong = client.post(
        reverse("two-factor"), {"token": "000000" if current_code(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 200 and wrong.context["form"].errors
    device.refresh_from_db()
    assert not device.confirmed

    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    right = client.post(reverse("two-factor"), {"token": current_code(device)})
    assert right.status_code == 302
    assert TOTPDevice.objects.get(user=operator).confirmed


def test_login_with_an_authenticator_asks_for_the_code(client, operator, tenant):
    device = TOTPDevice.objects.create(user=operator, name="authenticator", confirmed=True)
    log_in(client, operator)
    tenant_url = reverse("tenant-home", kwargs={"tenant_slug": tenant.slug})
    blocked = client.get(tenant_url)
    assert blocked.status_code == 302 and blocked["Location"].startswith(reverse("two-factor-verify"))

    bad = client.post(reverse("two-factor-verify"), {"token": "12x456", "next": tenant_url})
    assert bad.status_code == 200 and bad.context["form"].errors

    good = client.post(reverse("two-factor-verify"), {"token": current_code(device), "next": tenant_url})
    assert good.status_code == 302 and good["Location"] == tenant_url
    assert client.get(tenant_url).status_code == 200


def test_verify_never_redirects_off_site(client, operator):
    device = TOTPDevice.objects.create(user=operator, name="authenticator", confirmed=True)
    log_in(client, operator)
    response = client.post(
        reverse("two-factor-verify"), {"token": current_code(device), "next": "https://evil.example.net/"}
    )
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_a_tenant_can_require_two_factor(login, tenant, operator, owner):
    tenant.two_factor_required = True
    tenant.save()
    client = login(operator)
    response = client.get(reverse("tenant-home", kwargs={"tenant_slug": tenant.slug}))
    assert response.status_code == 302 and response["Location"].startswith(reverse("two-factor"))


def test_owner_turns_the_requirement_on_with_an_audit_event(login, tenant, owner):
    from accounts.models import AuditEvent

    url = reverse("tenant-settings", kwargs={"tenant_slug": tenant.slug})
    login(owner).post(url, {"name": tenant.name, "time_zone": tenant.time_zone, "two_factor_required": "on"})
    tenant.refresh_from_db()
    assert tenant.two_factor_required
    assert AuditEvent.objects.get(action="tenant.settings").changes == {"two-factor required": [False, True]}


def test_turning_off_needs_a_current_code(client, operator):
    device = TOTPDevice.objects.create(user=operator, name="authenticator", confirmed=True)
    log_in(client, operator)
    client.post(reverse("two-factor-verify"), {"token": current_code(device)})
    wrong = "999999" if current_code(device, offset=1) != "999999" else "888888"
    refused = client.post(reverse("two-factor"), {"token": wrong})
    assert refused.status_code == 200 and TOTPDevice.objects.filter(user=operator).exists()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    # A code may be used once only, so the next step's code (within the allowed drift) turns it off.
    turned_off = client.post(reverse("two-factor"), {"token": current_code(device, offset=1)})
    assert turned_off.status_code == 302 and not TOTPDevice.objects.filter(user=operator).exists()
