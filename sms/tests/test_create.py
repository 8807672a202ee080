"""Creating a subaccount from a template: validated first, sent at most once, the password shown once."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, SyncStatus
from providers.once import start_action
from sms.models import Subaccount, SubaccountCreation
from sms.sandbox import DEMO_TEMPLATE_ID
from sms.sync import sync_subaccounts

ADD = "/subaccounts/add.json"
PASSWORD = "Haslo-Nowe-77"


def create_url(tenant) -> str:
    return reverse("sms:subaccount-create", kwargs={"tenant_slug": tenant.slug})


def creation_url(tenant, creation: SubaccountCreation) -> str:
    return reverse("sms:creation", kwargs={"tenant_slug": tenant.slug, "creation_id": creation.pk})


def open_form(client, tenant) -> dict[str, str]:
    """GET the form and return the data a person would send with it."""
    response = client.get(create_url(tenant))
    assert response.status_code == 200
    template = Subaccount.objects.get(tenant=tenant, provider_id=DEMO_TEMPLATE_ID)
    return {
        "form_token": response.context["form"].initial["form_token"],
        "template": str(template.pk),
        "login": "nowe.konto",
        "password": PASSWORD,
        "name": "Nowe konto",
        "phone": "500 600 700",
        "email": "nowe@example.pl",
    }


def everything_stored(tenant) -> str:
    """Every value of every row this app and the audit log keep, as one text to search."""
    rows = [
        *SubaccountCreation.objects.filter(tenant=tenant).values(),
        *Subaccount.objects.filter(tenant=tenant).values(),
        *AuditEvent.objects.filter(tenant=tenant).values(),
    ]
    return repr(rows)


def test_admin_creates_a_subaccount_from_the_template(login, tenant, tenant_admin, synced, sandbox):
    client = login(tenant_admin)
    data = open_form(client, tenant)
    response = client.post(create_url(tenant), data)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert PASSWORD in page and "nowe.konto" in page  # shown this once

    created = Subaccount.objects.get(tenant=tenant, login="nowe.konto")
    assert (created.name, created.phone, created.email) == ("Nowe konto", "500600700", "nowe@example.pl")
    at_provider = sandbox.subaccount(created.provider_id)
    assert at_provider["settings"] == sandbox.subaccount(DEMO_TEMPLATE_ID)["settings"]
    assert sandbox.password_matches(created.provider_id, PASSWORD)
    assert PASSWORD not in everything_stored(tenant)

    creation = SubaccountCreation.objects.get(form_token=data["form_token"])
    assert creation.status == "created" and creation.provider_id == created.provider_id
    event = AuditEvent.objects.get(action="sms.subaccount.create")
    assert event.outcome == "success" and event.changes["login"] == [None, "nowe.konto"]
    assert event.changes["template"] == [None, f"szablon ({DEMO_TEMPLATE_ID})"]
    # Later views never show the password again.
    assert PASSWORD not in client.get(creation_url(tenant, creation)).content.decode()


def test_optional_fields_may_be_left_empty(login, tenant, tenant_admin, synced, sandbox):
    client = login(tenant_admin)
    data = {**open_form(client, tenant), "name": "", "phone": "", "email": ""}
    assert client.post(create_url(tenant), data).status_code == 200
    created = Subaccount.objects.get(tenant=tenant, login="nowe.konto")
    assert sandbox.subaccount(created.provider_id)["name"] == "" and created.phone == ""


def test_a_double_submitted_form_creates_once_and_shows_the_outcome(
    login, tenant, tenant_admin, synced, sandbox
):
    client = login(tenant_admin)
    data = open_form(client, tenant)
    assert client.post(create_url(tenant), data).status_code == 200
    again = client.post(create_url(tenant), data)
    creation = SubaccountCreation.objects.get(form_token=data["form_token"])
    assert again.status_code == 302 and again["Location"] == creation_url(tenant, creation)
    assert sandbox.request_count(ADD) == 1
    assert Subaccount.objects.filter(tenant=tenant, login="nowe.konto").count() == 1
    page = client.get(again["Location"]).content.decode()
    assert "sent already; it is not sent twice" in page and "exists" in page


def test_a_submission_while_the_first_is_still_sending_waits_for_it(
    login, tenant, tenant_admin, synced, sandbox
):
    client = login(tenant_admin)
    data = open_form(client, tenant)
    # The first request started the form's action and is waiting for the provider.
    start_action(tenant, data["form_token"], "sms.subaccount.create", user=tenant_admin)
    SubaccountCreation.objects.filter(form_token=data["form_token"]).update(
        status="sending", sent_at=timezone.now()
    )
    response = client.post(create_url(tenant), data)
    assert response.status_code == 302 and sandbox.request_count(ADD) == 0
    creation = SubaccountCreation.objects.get(form_token=data["form_token"])
    page = client.get(creation_url(tenant, creation)).content.decode()
    assert 'hx-trigger="every 1s"' in page and "being created" in page
    polled = client.get(creation_url(tenant, creation), HTTP_HX_REQUEST="true")
    assert polled.status_code == 200 and "<html" not in polled.content.decode()
    SubaccountCreation.objects.filter(pk=creation.pk).update(status="refused", error="nie")
    assert client.get(creation_url(tenant, creation), HTTP_HX_REQUEST="true").status_code == 286


def test_a_send_that_never_finished_is_shown_as_unknown(login, tenant, tenant_admin, sms_account):
    creation = SubaccountCreation.objects.create(
        tenant=tenant, status="sending", login="zawieszony", sent_at=timezone.now() - timedelta(minutes=10)
    )
    page = login(tenant_admin).get(creation_url(tenant, creation)).content.decode()
    assert "Outcome unknown — check" in page and "every 1s" not in page


def test_a_token_of_another_user_or_made_up_is_refused(login, tenant, tenant_admin, owner, synced, sandbox):
    data = open_form(login(owner), tenant)
    client = login(tenant_admin)
    for token in (data["form_token"], "made-up", ""):
        response = client.post(create_url(tenant), {**data, "form_token": token})
        assert response.status_code == 400 and "This form has expired" in response.content.decode()
        # The typed data comes back, never the password.
        assert 'value="nowe.konto"' in response.content.decode() and PASSWORD not in response.content.decode()
    assert sandbox.request_count(ADD) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"login": "ab"}, "at least 3 characters"),
        ({"login": "a" * 21}, "at most 20 characters"),
        ({"login": "nowe konto"}, "letters a-z and A-Z"),
        ({"login": "łukasz"}, "letters a-z and A-Z"),
        ({"login": "ab,cd"}, "letters a-z and A-Z"),
        ({"login": "ab<cd>"}, "letters a-z and A-Z"),
        ({"login": "WOJTEK"}, "exists already"),
        ({"password": "ab"}, "at least 3 characters"),
        ({"password": "x" * 21}, "at most 20 characters"),
        ({"phone": "12-34"}, "9–15 digits"),
        ({"phone": "+48 500 600 700 800 900 100"}, "at most 25 characters"),
        ({"email": "nie-email"}, "valid email"),
        ({"template": "999999"}, "Select a valid choice"),
        ({"template": ""}, "This field is required"),
        ({"name": "n" * 101}, "at most 100 characters"),
    ],
)
def test_bad_input_is_refused_before_the_provider(
    login, tenant, tenant_admin, synced, sandbox, changes, message
):
    client = login(tenant_admin)
    data = {**open_form(client, tenant), **changes}
    response = client.post(create_url(tenant), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert sandbox.request_count(ADD) == 0
    # The form's token is still unused, so the corrected form can be sent.
    assert SubaccountCreation.objects.get(form_token=data["form_token"]).status == "new"
    corrected = {**open_form(client, tenant), "form_token": data["form_token"]}
    assert client.post(create_url(tenant), corrected).status_code == 200


def test_logins_with_the_decided_marks_are_accepted(login, tenant, tenant_admin, synced, sandbox):
    client = login(tenant_admin)
    data = {**open_form(client, tenant), "login": "a_b@c.d-e"}
    assert client.post(create_url(tenant), data).status_code == 200
    assert Subaccount.objects.filter(tenant=tenant, login="a_b@c.d-e").exists()


def test_another_tenants_template_cannot_be_chosen(
    login, tenant, other_tenant, tenant_admin, synced, sandbox
):
    theirs = Subaccount.objects.create(tenant=other_tenant, provider_id=DEMO_TEMPLATE_ID, login="szablon")
    client = login(tenant_admin)
    response = client.post(create_url(tenant), {**open_form(client, tenant), "template": str(theirs.pk)})
    assert response.status_code == 400 and sandbox.request_count(ADD) == 0


@pytest.mark.parametrize("error_status", [200, 400])
def test_a_taken_login_is_refused_in_the_providers_words(
    login, tenant, tenant_admin, synced, sandbox, error_status
):
    sandbox.error_status = error_status  # the provider may send its error object with either
    client = login(tenant_admin)
    synced.client(in_request=False).add(
        subaccount_username="nowe.konto", subaccount_password="Inne-1", subaccount_id=1194
    )
    data = open_form(client, tenant)
    response = client.post(create_url(tenant), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "SerwerSMS.pl rejected a value" in page and "2002 LoginTaken: Podany login jest już zajęty" in page
    assert PASSWORD not in page and 'value="nowe.konto"' in page
    creation = SubaccountCreation.objects.get(form_token=data["form_token"])
    assert creation.status == "refused" and "LoginTaken" in creation.error
    # A fresh token comes with the form, so the corrected form can be sent.
    assert response.context["form"].initial["form_token"] != data["form_token"]
    event = AuditEvent.objects.get(action="sms.subaccount.create")
    assert event.outcome == "failure" and "LoginTaken" in event.message
    assert not Subaccount.objects.filter(tenant=tenant, login="nowe.konto").exists()


def test_a_template_gone_at_the_provider_is_invalid_id(login, tenant, tenant_admin, synced, sandbox):
    client = login(tenant_admin)
    data = open_form(client, tenant)
    synced.client(in_request=False).delete(DEMO_TEMPLATE_ID)
    response = client.post(create_url(tenant), data)
    assert response.status_code == 422
    assert "1004 InvalidID: Nieprawidłowy identyfikator subkonta szablonowego" in response.content.decode()


def test_refused_credentials_are_shown_inline_and_never_retried(login, tenant, tenant_admin, synced, sandbox):
    sandbox.set_fault(ADD, "auth")
    client = login(tenant_admin)
    response = client.post(create_url(tenant), open_form(client, tenant))
    assert response.status_code == 422
    assert (
        "does not know this API user or token" in response.content.decode()
        and "1001 InvalidUser" in response.content.decode()
    )
    assert sandbox.request_count(ADD) == 1


def test_an_unreachable_provider_changed_nothing(login, tenant, tenant_admin, synced, sandbox):
    client = login(tenant_admin)
    data = open_form(client, tenant)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        synced.base_url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    synced.save()
    response = client.post(create_url(tenant), data)
    text = response.content.decode()
    assert response.status_code == 422
    assert "Could not connect to the provider. Nothing was changed" in text
    assert SubaccountCreation.objects.get(form_token=data["form_token"]).status == "refused"


@pytest.mark.parametrize("fault", ["timeout", "500", "html", "truncated"])
def test_an_unknown_outcome_is_shown_as_such_and_settled_by_the_sync(
    login, tenant, tenant_admin, synced, sandbox, fault, django_capture_on_commit_callbacks
):
    sandbox.set_fault(ADD, fault, times=1)
    client = login(tenant_admin)
    data = open_form(client, tenant)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(create_url(tenant), data)
    creation = SubaccountCreation.objects.get(form_token=data["form_token"])
    assert response.status_code == 302 and response["Location"] == creation_url(tenant, creation)
    assert creation.status == "unknown" and sandbox.request_count(ADD) == 1
    assert len(callbacks) == 1 and SyncStatus.objects.get(tenant=tenant, provider="sms").queued_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "Outcome unknown — check" in page and "It was not sent again" in page
    listed = client.get(reverse("sms:index", kwargs={"tenant_slug": tenant.slug})).content.decode()
    assert "Creating the subaccount nowe.konto" in listed and "outcome unknown — check" in listed
    # Sending the same form again sends nothing.
    assert client.post(create_url(tenant), data).status_code == 302 and sandbox.request_count(ADD) == 1

    if fault in ("500", "html"):  # the sandbox failed before acting: the login is free, a new form creates it
        sync_subaccounts(tenant.pk)
        creation.refresh_from_db()
        assert creation.status == "unknown"
        assert client.post(create_url(tenant), open_form(client, tenant)).status_code == 200
        creation.refresh_from_db()
        assert creation.status == "refused" and "was free" in creation.error
        return
    if fault == "timeout":  # the sandbox acts once its delay is over
        deadline = time.monotonic() + 5
        while len(synced.client(in_request=False).index()) < 6 and time.monotonic() < deadline:
            time.sleep(0.1)
    sync_subaccounts(tenant.pk)
    creation.refresh_from_db()
    created = Subaccount.objects.get(tenant=tenant, login="nowe.konto")
    assert creation.status == "created" and creation.provider_id == created.provider_id
    settled = client.get(creation_url(tenant, creation)).content.decode()
    listed = client.get(reverse("sms:index", kwargs={"tenant_slug": tenant.slug})).content.decode()
    assert "exists" in settled and "Creating the subaccount" not in listed


def test_without_an_account_or_templates_the_page_says_what_to_do(login, tenant, tenant_admin, sms_account):
    client = login(tenant_admin)
    assert "has none yet" in client.get(create_url(tenant)).content.decode()
    sms_account.delete()
    page = client.get(create_url(tenant)).content.decode()
    assert "No SerwerSMS.pl account" in page
    assert client.post(create_url(tenant), {"login": "x"}).status_code == 400


def test_creating_needs_an_admin(login, tenant, operator, viewer, outsider, synced, sandbox):
    for user in (operator, viewer):
        assert login(user).get(create_url(tenant)).status_code == 403
        assert login(user).post(create_url(tenant), {"login": "x"}).status_code == 403
    assert login(outsider).get(create_url(tenant)).status_code == 404
    assert sandbox.request_count(ADD) == 0


def test_another_tenants_creation_is_not_found(login, tenant, other_tenant, tenant_admin):
    theirs = SubaccountCreation.objects.create(tenant=other_tenant, status="created", login="cudze")
    assert login(tenant_admin).get(creation_url(tenant, theirs)).status_code == 404


def test_unsent_forms_are_forgotten_after_a_day(login, tenant, tenant_admin, synced):
    old = SubaccountCreation.objects.create(tenant=tenant, issued_at=timezone.now() - timedelta(days=2))
    kept = SubaccountCreation.objects.create(
        tenant=tenant, status="unknown", issued_at=timezone.now() - timedelta(days=2)
    )
    login(tenant_admin).get(create_url(tenant))
    assert not SubaccountCreation.objects.filter(pk=old.pk).exists()
    assert SubaccountCreation.objects.filter(pk=kept.pk).exists()


def test_the_create_page_in_polish(login, tenant, tenant_admin, synced, settings):
    client = login(tenant_admin)
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    page = client.get(create_url(tenant)).content.decode()
    assert "Nowe subkonto" in page and "Subkonto szablonowe" in page


def test_an_unknown_outcome_reads_in_the_language_of_whoever_looks_later(
    login, tenant, tenant_admin, synced, sandbox, settings
):
    sandbox.set_fault(ADD, "500", times=1)
    client = login(tenant_admin)
    data = open_form(client, tenant)
    response = client.post(create_url(tenant), data)  # made in English
    assert response.status_code == 302

    english = client.get(response["Location"]).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pl"
    polish = client.get(response["Location"]).content.decode()

    assert "The provider&#x27;s server answered with an error" in english
    assert "server answered with an error" not in polish
    assert "Serwer dostawcy odpowiedział błędem" in polish
