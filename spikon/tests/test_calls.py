"""Click-to-call: once per form, never retried, an unknown outcome said as such."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from providers.once import new_action_key
from spikon import sync
from spikon.models import ClickToCall, PhoneAccount

pytestmark = pytest.mark.django_db
INITIATE = "/api/call/initiate"


def url(tenant) -> str:
    return reverse("spikon:click-to-call", kwargs={"tenant_slug": tenant.slug})


@pytest.fixture
def phone(spikon_account) -> PhoneAccount:
    sync.sync_account(spikon_account.tenant_id)
    return PhoneAccount.objects.get(tenant=spikon_account.tenant, provider_id=1)


def form(phone: PhoneAccount, destination: str = "601 234-567", key: str | None = None) -> dict[str, object]:
    return {"form_key": key or new_action_key(), "phone_account": phone.pk, "destination": destination}


def test_operator_starts_a_call_and_sees_the_result(phone, sandbox, login, operator):
    client = login(operator)

    response = client.post(url(phone.tenant), form(phone), follow=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert sandbox.request_count(INITIATE) == 1
    call = ClickToCall.objects.get(tenant=phone.tenant)
    assert (call.status, call.destination, call.phone_account_id) == ("initiated", "601234567", 1)
    assert "Połączenie zainicjowane" in page and "601234567" in page
    event = AuditEvent.objects.get(tenant=phone.tenant, action="spikon.call.initiate")
    assert event.outcome == "success" and event.changes == {"destination": [None, "601234567"]}


def test_a_double_submit_calls_once(phone, sandbox, login, operator):
    client = login(operator)
    data = form(phone)

    client.post(url(phone.tenant), data)
    second = client.post(url(phone.tenant), data, follow=True)

    assert sandbox.request_count(INITIATE) == 1
    assert ClickToCall.objects.count() == 1
    assert "już zlecone" in second.content.decode()


def test_a_timeout_is_an_unknown_outcome_and_is_not_retried(phone, sandbox, login, operator, fast_timeouts):
    sandbox.set_fault(INITIATE, "timeout", times=1)

    response = login(operator).post(url(phone.tenant), form(phone), follow=True)

    assert sandbox.request_count(INITIATE) == 1
    call = ClickToCall.objects.get()
    assert call.status == ClickToCall.Status.UNKNOWN
    assert "Wynik nieznany" in response.content.decode()
    assert AuditEvent.objects.get(action="spikon.call.initiate").outcome == "failure"


def test_a_refusal_shows_the_providers_words(phone, sandbox, login, operator):
    with sandbox._lock:
        del sandbox._accounts[1]  # the phone account vanished at the provider since the last sync

    response = login(operator).post(url(phone.tenant), form(phone), follow=True)

    page = response.content.decode()
    assert ClickToCall.objects.get().status == ClickToCall.Status.REFUSED
    assert "-8" in page and "Could not find phone account" in page


def test_a_refusal_reads_in_the_language_of_whoever_looks_later(phone, sandbox, login, operator):
    with sandbox._lock:
        del sandbox._accounts[1]
    client = login(operator)
    client.post(url(phone.tenant), form(phone), HTTP_ACCEPT_LANGUAGE="pl")  # made in Polish

    english = client.get(url(phone.tenant), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "SPIKON found nothing" in english and "Could not find phone account" in english


@pytest.mark.parametrize(
    ("destination", "error"),
    [("", "To pole jest wymagane"), ("60123abc", "cyfry"), ("1" * 26, "najwyżej 25 znaków"), ("+", "cyfry")],
)
def test_bad_destinations_get_a_clear_error(phone, sandbox, login, operator, destination, error):
    response = login(operator).post(url(phone.tenant), form(phone, destination))
    assert response.status_code == 400 and error in response.content.decode()
    assert sandbox.request_count(INITIATE) == 0


def test_a_phone_account_of_another_tenant_cannot_be_used(phone, other_tenant, sandbox, login, operator):
    foreign = PhoneAccount.objects.create(tenant=other_tenant, provider_id=77, number="222222222")

    response = login(operator).post(url(phone.tenant), form(foreign))

    assert response.status_code == 400 and "Wybierz poprawną wartość" in response.content.decode()
    assert sandbox.request_count(INITIATE) == 0


def test_a_damaged_form_key_is_refused(phone, sandbox, login, operator):
    response = login(operator).post(url(phone.tenant), form(phone, key="<bad key>"))
    assert response.status_code == 400 and sandbox.request_count(INITIATE) == 0


def test_the_form_is_prefilled_from_a_phonebook_entry_and_a_phone_account(phone, login, operator):
    page = login(operator).get(
        url(phone.tenant), {"number": "601234567", "name": "Jan <b>", "account": phone.pk}
    )
    html = page.content.decode()
    assert 'value="601234567"' in html and "Jan &lt;b&gt;" in html
    assert f'<option value="{phone.pk}" selected>' in html


def test_without_an_account_nothing_is_called(tenant, login, operator):
    phone = PhoneAccount.objects.create(tenant=tenant, provider_id=1, number="583001100")
    response = login(operator).post(url(tenant), form(phone))
    assert response.status_code == 400 and "nie ma jeszcze klucza API" in response.content.decode()
    assert not ClickToCall.objects.exists()


def test_click_to_call_needs_an_operator_and_hides_other_tenants(phone, login, viewer, outsider):
    assert login(viewer).get(url(phone.tenant)).status_code == 403
    assert login(viewer).post(url(phone.tenant), form(phone)).status_code == 403
    assert login(outsider).get(url(phone.tenant)).status_code == 404


def test_click_to_call_takes_get_and_post_only(phone, login, operator):
    assert login(operator).put(url(phone.tenant)).status_code == 405
