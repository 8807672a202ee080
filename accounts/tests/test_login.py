from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD


def attempt(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_repeated_failed_logins_lock_the_user_out(client, operator, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, operator.username, "wrong-password").status_code == 200
    locked = attempt(client, operator.username, "wrong-password")
    assert locked.status_code == 429
    assert "Zbyt wiele nieudanych logowań" in locked.text
    # Even the right password is refused while the lockout lasts.
    assert attempt(client, operator.username, PASSWORD).status_code == 429


def test_a_successful_login_resets_the_failure_count(client, operator, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, operator.username, "wrong-password")
    assert attempt(client, operator.username, PASSWORD).status_code == 302
    client.logout()
    assert attempt(client, operator.username, "wrong-password").status_code == 200


def test_failed_login_says_so_without_revealing_which_part_was_wrong(client, operator):
    response = attempt(client, operator.username, "wrong-password")
    assert response.status_code == 200 and response.context["form"].errors


def test_logout_is_a_post(client, operator):
    client.force_login(operator)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_change_keeps_this_session_and_ends_the_others(client, operator, django_user_model):
    from django.test import Client

    other_device = Client()
    other_device.force_login(operator)
    client.force_login(operator)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-Long-passphrase-42",
            "new_password2": "a-new-Long-passphrase-42",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code in (200, 302)
    assert "/accounts/login/" not in client.get(reverse("home")).get("Location", "")
    assert "/accounts/login/" in other_device.get(reverse("home"))["Location"]


def test_a_session_ends_after_session_cookie_age(client, operator, tenant, settings, monkeypatch):
    """SESSION_COOKIE_AGE is honoured by the server (not only by the browser's cookie): once it has passed,
    a tenant page sends the member to the login page."""
    settings.SESSION_COOKIE_AGE = 3600
    assert attempt(client, operator.username, PASSWORD).status_code == 302
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 3600
    page = reverse("tenant-home", kwargs={"tenant_slug": tenant.slug})
    assert client.get(page).status_code == 200
    started = timezone.now()

    monkeypatch.setattr(timezone, "now", lambda: started + timedelta(seconds=3590))
    assert client.get(page).status_code == 200

    monkeypatch.setattr(timezone, "now", lambda: started + timedelta(seconds=3610))
    expired = client.get(page)
    assert expired.status_code == 302 and expired["Location"].startswith(reverse("login"))
