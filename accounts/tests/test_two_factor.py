from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent
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
    assert right.status_code == 200 and len(right.context["codes"]) == 10  # the recovery codes, shown once
    assert "no-store" in right["Cache-Control"]
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


def _with_authenticator_and_codes(client, user) -> list[str]:
    """Two-factor login set up by the user; returns the recovery codes the page showed."""
    log_in(client, user)
    client.get(reverse("two-factor"))
    device = TOTPDevice.objects.get(user=user)
    codes = client.post(reverse("two-factor"), {"token": current_code(device)}).context["codes"]
    client.logout()
    return codes


def test_a_recovery_code_logs_in_once_is_audited_and_warned_about(client, operator, tenant, mailbox):
    codes = _with_authenticator_and_codes(client, operator)
    assert len(set(codes)) == 10
    tenant_url = reverse("tenant-home", kwargs={"tenant_slug": tenant.slug})

    log_in(client, operator)
    used = client.post(reverse("two-factor-verify"), {"token": codes[0].upper(), "next": tenant_url})
    assert used.status_code == 302 and used["Location"] == tenant_url
    assert client.get(tenant_url).status_code == 200
    event = AuditEvent.objects.get(tenant=tenant, action="login.recovery-code")
    assert event.username == operator.username and event.changes == {"recovery codes left": [10, 9]}
    warning = mailbox.wait_for(operator.email)
    assert "kodem zapasowym" in str(warning["Subject"]) and "9" in mailbox.body(warning)
    assert codes[0] not in mailbox.body(warning)

    client.logout()
    log_in(client, operator)
    again = client.post(reverse("two-factor-verify"), {"token": codes[0], "next": tenant_url})
    assert again.status_code == 200 and again.context["form"].errors
    assert client.get(tenant_url).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(client, operator):
    codes = _with_authenticator_and_codes(client, operator)
    log_in(client, operator)
    client.post(reverse("two-factor-verify"), {"token": codes[9]})
    assert "9" in client.get(reverse("two-factor")).text
    assert client.get(reverse("two-factor-recovery-codes")).status_code == 405
    new_codes = client.post(reverse("two-factor-recovery-codes")).context["codes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    client.logout()
    log_in(client, operator)
    assert client.post(reverse("two-factor-verify"), {"token": codes[1]}).status_code == 200
    StaticDevice.objects.filter(user=operator).update(throttling_failure_count=0)  # no wait after a failure
    assert client.post(reverse("two-factor-verify"), {"token": new_codes[1]}).status_code == 302


def test_turning_two_factor_off_removes_the_recovery_codes(client, operator):
    codes = _with_authenticator_and_codes(client, operator)
    log_in(client, operator)
    client.post(reverse("two-factor-verify"), {"token": codes[0]})
    device = TOTPDevice.objects.get(user=operator)
    device.last_t = -1  # the setup used the current code: let it count once more
    device.save()
    client.post(reverse("two-factor"), {"token": current_code(device)})
    assert not StaticToken.objects.filter(device__user=operator).exists()
