"""Passwords: reset by email, and a password someone else chose is replaced at the first login."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import Membership, Role, User
from conftest import PASSWORD

NEW_PASSWORD = "zupelnie-nowe-haslo-42"


def reset_link(mailbox, address: str, count: int = 1) -> str:
    (link,) = mailbox.links(mailbox.wait_for(address, count))
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_a_forgotten_password_is_reset_by_email(client, operator, mailbox):
    asked = client.post(reverse("password_reset"), {"email": operator.email.upper()})
    assert asked.status_code == 302 and asked["Location"] == reverse("password_reset_done")
    path = reset_link(mailbox, operator.email)
    form = client.get(path, follow=True)
    assert form.status_code == 200 and "new_password1" in form.text
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    operator.refresh_from_db()
    assert operator.check_password(NEW_PASSWORD)
    assert client.get(path, follow=True).context["validlink"] is False  # used once


def test_the_answer_never_says_whether_the_address_is_known(client, operator, mailbox):
    known = client.post(reverse("password_reset"), {"email": operator.email}, follow=True)
    unknown = client.post(reverse("password_reset"), {"email": "nikt@example.com"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    csrf = re.compile(r'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"')
    assert csrf.sub("", known.text) == csrf.sub("", unknown.text)
    mailbox.wait_for(operator.email)
    assert mailbox.to("nikt@example.com") == []


def test_reset_emails_are_throttled_with_the_same_answer(client, operator, mailbox):
    for _attempt in range(5):
        response = client.post(reverse("password_reset"), {"email": operator.email})
        assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    mailbox.wait_for(operator.email, count=3)
    client.post(reverse("password_reset"), {"email": "inny@example.com"})
    assert len(mailbox.to(operator.email)) == 3


def test_a_password_set_by_the_command_must_be_changed_at_the_first_login(client, tenant):
    out = io.StringIO()
    call_command("createuser", "nowy.operator", "--email", "n@example.com", "--tenant", tenant.slug,
                 "--role", "operator", stdout=out)  # fmt: skip
    password = re.search(r"first login\): (\S+)", out.getvalue()).group(1)
    user = User.objects.get(username="nowy.operator")
    assert (
        user.must_change_password and Membership.objects.get(user=user, tenant=tenant).role == Role.OPERATOR
    )

    client.post(reverse("login"), {"username": "nowy.operator", "password": password})
    tenant_url = reverse("tenant-home", args=[tenant.slug])
    blocked = client.get(tenant_url)
    assert blocked.status_code == 302 and blocked["Location"] == reverse("password_change")
    changed = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert client.get(tenant_url).status_code == 200
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["а_owner"], "alfabetu"),
        (["olga-owner"], "exists already"),
        (["x", "--tenant", "nie-ma"], "No tenant"),
        (["x", "--email", "zly"], "adres email"),
    ],
)
def test_the_command_refuses_bad_input_clearly(owner, arguments, says):
    with pytest.raises(CommandError, match=says):
        call_command("createuser", *arguments, stdout=io.StringIO())
    assert not User.objects.filter(username="x").exists()


def test_a_user_who_chose_their_password_is_not_stopped(client, operator, tenant):
    client.post(reverse("login"), {"username": operator.username, "password": PASSWORD})
    assert client.get(reverse("tenant-home", args=[tenant.slug])).status_code == 200


def test_a_password_a_staff_member_sets_in_the_admin_must_be_changed(client, operator, django_user_model):
    staff = django_user_model.objects.create_superuser("szef", "szef@example.com", PASSWORD)
    client.force_login(staff)
    url = reverse("admin:auth_user_password_change", args=[operator.pk])
    response = client.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 302
    operator.refresh_from_db()
    assert operator.check_password(NEW_PASSWORD) and operator.must_change_password
    added = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "z-admina",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
        },
    )
    assert added.status_code == 302 and User.objects.get(username="z-admina").must_change_password
