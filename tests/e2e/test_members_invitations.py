"""Members in the browser: invite, the invitee's email and sign-up, send again, revoke, change role, remove;
and a forgotten password reset by email. The emails are read from a real local SMTP server."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Invitation, Membership, Role, Tenant, User
from conftest import PASSWORD, make_member
from tests.e2e.conftest import log_in
from tests.e2e.test_every_page_fits import LAYOUT_PROBLEMS
from tests.smtp import start_smtp_server

pytestmark = pytest.mark.browser

NEW_PASSWORD = "moje-wlasne-haslo-2026"


@pytest.fixture
def mailbox(settings):
    controller, received = start_smtp_server(settings)
    yield received
    controller.stop()


def test_invite_join_send_again_revoke_change_role_and_remove(live_server, watched_page, browser, mailbox):
    page = watched_page
    tenant = Tenant.objects.create(slug="delta", name="Delta Telekom")
    owner = make_member(tenant, "ola-wlascicielka", Role.OWNER)
    log_in(page, live_server, owner)
    page.goto(f"{live_server.url}/t/delta/members/")

    page.fill("input[name=email]", "nowy.operator@example.com")
    page.select_option("select[name=role]", str(Role.OPERATOR))
    page.click("text=Wyślij zaproszenie")
    assert "Wysłano zaproszenie do nowy.operator@example.com" in page.locator(".notice-success").inner_text()
    assert "nowy.operator@example.com" in page.locator("#invitations").inner_text()
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(LAYOUT_PROBLEMS) == [], width

    # A second invitation: sent again (the first link stops working), then revoked.
    page.fill("input[name=email]", "pomylka@example.com")
    page.click("text=Wyślij zaproszenie")
    first_link = mailbox.links(mailbox.wait_for("pomylka@example.com"))[0]
    row = page.locator("#invitations tr", has_text="pomylka@example.com")
    row.locator("text=Wyślij ponownie").click()
    second_link = mailbox.links(mailbox.wait_for("pomylka@example.com", count=2))[0]
    assert first_link != second_link
    page.locator("#invitations tr", has_text="pomylka@example.com").locator("text=Cofnij").click()
    expect(page.locator("#invitations")).not_to_contain_text("pomylka@example.com")

    # The invitee, in a browser of their own, follows the link and creates their account.
    message = mailbox.wait_for("nowy.operator@example.com")
    assert "Delta Telekom" in str(message["Subject"])
    (link,) = mailbox.links(message)
    invitee_context = browser.new_context(locale="pl-PL")
    invitee = invitee_context.new_page()
    invitee.goto(link)
    assert "Dołącz do organizacji Delta Telekom" in invitee.locator("main h1").inner_text()
    invitee.fill("input[name=username]", "nowy.operator")
    invitee.fill("input[name=password1]", NEW_PASSWORD)
    invitee.fill("input[name=password2]", NEW_PASSWORD)
    invitee.click("text=Załóż konto i dołącz")
    invitee.wait_for_url("**/t/delta/")
    assert "Witamy w organizacji Delta Telekom" in invitee.locator(".notice-success").inner_text()
    invitee.goto(second_link)
    assert "nie działa" in invitee.locator("main h1").inner_text()  # a revoked invitation
    invitee_context.close()

    # The owner sees the new member, changes their role and removes them.
    page.goto(f"{live_server.url}/t/delta/members/")
    member = User.objects.get(username="nowy.operator")
    membership = Membership.objects.get(tenant=tenant, user=member)
    row = page.locator(f"#member-{membership.pk}")
    row.locator("select[name=role]").select_option(str(Role.ADMIN))
    row.locator("text=Zmień rolę").click()
    page.wait_for_function(
        f"document.querySelector('#member-{membership.pk} select').value === '{Role.ADMIN.value}'"
    )
    page.wait_for_timeout(300)
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator(f"#member-{membership.pk}").locator("text=Usuń").click()
    page.locator(f"#member-{membership.pk}").wait_for(state="detached")
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert not Invitation.objects.exists()
    assert page.problems == [] and page.csp_violations() == []


def test_a_forgotten_password_is_reset_from_the_emailed_link(live_server, watched_page, mailbox):
    page = watched_page
    tenant = Tenant.objects.create(slug="epsilon", name="Epsilon")
    user = make_member(tenant, "zapominalska", Role.VIEWER)
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("text=Nie pamiętasz hasła?")
    page.fill("input[name=email]", user.email)
    page.click("main button[type=submit]")
    assert "Sprawdź pocztę" in page.locator("main h1").inner_text()

    (link,) = mailbox.links(mailbox.wait_for(user.email))
    page.goto(link)
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.click("main button[type=submit]")
    assert "Hasło ustawione" in page.locator("main h1").inner_text()

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/t/epsilon/")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    assert page.problems == [] and page.csp_violations() == []
