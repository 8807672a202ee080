"""Invitations: an admin invites an address, the invitee makes the membership through the emailed link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Invitation, Membership, Role, User
from conftest import PASSWORD


def invite(client, tenant, email: str, role: Role = Role.OPERATOR):
    return client.post(reverse("member-invite", args=[tenant.slug]), {"email": email, "role": role})


def link_path(mailbox, address: str, count: int = 1) -> str:
    (link,) = [link for link in mailbox.links(mailbox.wait_for(address, count)) if "/invitations/" in link]
    return link.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_an_invitee_creates_their_own_account_and_joins(client, tenant, tenant_admin, mailbox):
    client.force_login(tenant_admin)
    response = invite(client, tenant, "Nowa.Osoba@Example.com")
    assert response.status_code == 302
    invitation = Invitation.objects.get(tenant=tenant)
    assert invitation.email == "nowa.osoba@example.com" and invitation.role == Role.OPERATOR
    assert not Membership.objects.filter(tenant=tenant, user__email="nowa.osoba@example.com").exists()
    page = client.get(reverse("members", args=[tenant.slug]))
    assert "nowa.osoba@example.com" in page.text and "Wyślij ponownie" in page.text

    message = mailbox.wait_for("nowa.osoba@example.com")
    assert "Acme Telecom" in message["Subject"]
    path = link_path(mailbox, "nowa.osoba@example.com")
    assert invitation.token_hash not in path  # the link carries the token, the database only its hash

    client.logout()
    form = client.get(path)
    assert form.status_code == 200 and "Acme Telecom" in form.text
    joined = client.post(path, {"username": "nowa", "password1": PASSWORD, "password2": PASSWORD})
    assert joined.status_code == 302 and joined["Location"] == reverse("tenant-home", args=[tenant.slug])
    user = User.objects.get(username="nowa")
    assert user.email == "nowa.osoba@example.com" and user.check_password(PASSWORD)
    assert Membership.objects.get(tenant=tenant, user=user).role == Role.OPERATOR
    assert client.get(reverse("tenant-home", args=[tenant.slug])).status_code == 200  # logged in
    assert not Invitation.objects.exists()
    assert AuditEvent.objects.filter(tenant=tenant, action="members.join", username="nowa").exists()

    client.logout()
    assert client.get(path).status_code == 404  # used once


def test_an_existing_user_logs_in_and_accepts(client, tenant, owner, outsider, mailbox):
    client.force_login(owner)
    invite(client, tenant, outsider.email, Role.ADMIN)
    path = link_path(mailbox, outsider.email)
    client.logout()
    client.force_login(outsider)
    page = client.get(path)
    assert page.status_code == 200 and outsider.username in page.text
    assert client.post(path).status_code == 302
    assert Membership.objects.get(tenant=tenant, user=outsider).role == Role.ADMIN


def test_the_answer_is_the_same_for_any_address(client, tenant, owner, outsider, mailbox):
    client.force_login(owner)
    known, unknown = invite(client, tenant, outsider.email), invite(client, tenant, "nikt@example.com")
    assert known.status_code == unknown.status_code == 302
    texts = [client.get(known["Location"]).text.replace(outsider.email, "X"), ""]
    texts[1] = client.get(unknown["Location"]).text.replace("nikt@example.com", "X")
    assert outsider.username not in texts[0]


def test_inviting_again_sends_a_new_link_and_the_old_one_stops_working(client, tenant, tenant_admin, mailbox):
    client.force_login(tenant_admin)
    invite(client, tenant, "raz@example.com")
    first = link_path(mailbox, "raz@example.com")
    invitation = Invitation.objects.get()
    client.post(reverse("invitation-resend", args=[tenant.slug, invitation.pk]))
    second = link_path(mailbox, "raz@example.com", count=2)
    assert first != second and Invitation.objects.count() == 1
    client.logout()
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200


def test_a_revoked_or_expired_invitation_link_does_not_work(client, tenant, tenant_admin, mailbox):
    client.force_login(tenant_admin)
    invite(client, tenant, "a@example.com")
    invite(client, tenant, "b@example.com")
    revoked, expired = link_path(mailbox, "a@example.com"), link_path(mailbox, "b@example.com")
    client.post(
        reverse("invitation-revoke", args=[tenant.slug, Invitation.objects.get(email="a@example.com").pk])
    )
    Invitation.objects.filter(email="b@example.com").update(expires_at=timezone.now() - timedelta(seconds=1))
    client.logout()
    for path in (revoked, expired):
        response = client.get(path)
        assert response.status_code == 404 and "nie działa" in response.text
        client.post(path, {"username": "ktos", "password1": PASSWORD, "password2": PASSWORD})
    assert not User.objects.filter(username="ktos").exists()
    assert AuditEvent.objects.filter(action="members.revoke", object_label="a@example.com").exists()


def test_an_admin_invites_up_to_operator_and_cannot_touch_an_admin_invitation(
    client, tenant, tenant_admin, owner
):
    client.force_login(tenant_admin)
    assert invite(client, tenant, "szef@example.com", Role.ADMIN).status_code == 400
    assert not Invitation.objects.exists()
    client.force_login(owner)
    invite(client, tenant, "szef@example.com", Role.ADMIN)
    invitation = Invitation.objects.get()
    client.force_login(tenant_admin)
    client.post(reverse("invitation-revoke", args=[tenant.slug, invitation.pk]))
    assert Invitation.objects.filter(pk=invitation.pk).exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"email": "", "role": Role.VIEWER},
        {"email": "not-an-address", "role": 10},
        {"email": "a@b.pl", "role": 999},
    ],
)
def test_bad_invitation_input_is_a_form_error(client, tenant, tenant_admin, bad):
    client.force_login(tenant_admin)
    response = client.post(reverse("member-invite", args=[tenant.slug]), bad)
    assert response.status_code == 400 and not Invitation.objects.exists()


def test_an_unreachable_mail_server_keeps_the_invitation_and_says_so(client, tenant, tenant_admin, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    client.force_login(tenant_admin)
    response = invite(client, tenant, "c@example.com")
    assert response.status_code == 302 and Invitation.objects.filter(email="c@example.com").exists()
    assert "nie udało się wysłać" in client.get(response["Location"]).text


@pytest.mark.parametrize(
    ("username", "refused"),
    [("а_owner", True), ("раураl", True), ("Ωmega", True), ("ｏｌｇａ", False), ("żaneta.k", False)],
)
def test_usernames_are_normalised_and_lookalikes_refused(
    client, tenant, tenant_admin, mailbox, username, refused
):
    client.force_login(tenant_admin)
    invite(client, tenant, "nowy@example.com")
    path = link_path(mailbox, "nowy@example.com")
    client.logout()
    response = client.post(path, {"username": username, "password1": PASSWORD, "password2": PASSWORD})
    if refused:
        assert response.status_code == 400 and "jednego alfabetu" in response.text
        assert not User.objects.filter(email="nowy@example.com").exists()
    else:
        assert response.status_code == 302
        assert User.objects.get(email="nowy@example.com").username in ("olga", "żaneta.k")


def test_a_taken_username_is_refused_without_saying_whose(client, tenant, tenant_admin, outsider, mailbox):
    client.force_login(tenant_admin)
    invite(client, tenant, "nowy@example.com")
    path = link_path(mailbox, "nowy@example.com")
    client.logout()
    response = client.post(
        path, {"username": outsider.username.upper(), "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 400 and "wybierz inną" in response.text
    assert outsider.email not in response.text


def test_without_email_the_invitation_is_kept_and_the_way_out_is_named(
    client, tenant, tenant_admin, settings
):
    settings.EMAIL_ENABLED = False
    client.force_login(tenant_admin)
    response = invite(client, tenant, "d@example.com")
    assert response.status_code == 302 and Invitation.objects.filter(email="d@example.com").exists()
    assert "createuser" in client.get(response["Location"]).text


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"username": "nowa", "password1": PASSWORD, "password2": PASSWORD + "x"}, "Hasła się różnią"),
        ({"username": "nowa", "password1": "12345678901", "password2": "12345678901"}, "hasło"),
        ({"username": "", "password1": PASSWORD, "password2": PASSWORD}, "To pole jest wymagane"),
        ({"username": "a b!", "password1": PASSWORD, "password2": PASSWORD}, "nazwę użytkownika"),
    ],
)
def test_bad_sign_up_input_is_a_form_error(client, tenant, tenant_admin, mailbox, data, says):
    client.force_login(tenant_admin)
    invite(client, tenant, "nowa@example.com")
    path = link_path(mailbox, "nowa@example.com")
    client.logout()
    response = client.post(path, data)
    assert response.status_code == 400 and says in response.text
    assert not User.objects.filter(email="nowa@example.com").exists() and Invitation.objects.exists()
    assert client.put(path).status_code == 405
