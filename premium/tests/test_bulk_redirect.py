"""The bulk redirect keeps each number's known presentation and announcement; for numbers whose settings
are unknown the operator chooses what to send (by default what the provider assumes), and the result says
what was set per number. After the first "not answering", the remaining numbers are not tried."""

from __future__ import annotations

import pytest
from django.urls import reverse

from premium import sync as premium_sync
from premium.client import Prezentacja
from premium.models import PremiumNumber

pytestmark = pytest.mark.django_db

SET_REDIRECT = "/api/prm/voice/setRedirect/"


def url(name: str, tenant) -> str:
    return reverse(f"premium:{name}", kwargs={"tenant_slug": tenant.slug})


@pytest.fixture
def numbers(premium_account, tenant):
    premium_sync.sync_numbers(premium_account)
    first, second, third = PremiumNumber.objects.filter(tenant=tenant).order_by("number")[:3]
    PremiumNumber.objects.filter(pk=first.pk).update(presentation="prezentacja", announcement=True)
    PremiumNumber.objects.filter(pk__in=[second.pk, third.pk]).update(presentation="", announcement=None)
    return [PremiumNumber.objects.get(pk=n.pk) for n in (first, second, third)]


def test_unknown_settings_get_what_the_operator_chose_and_known_ones_stay(
    login, tenant, operator, numbers, sandbox
):
    known, unknown, _third = numbers
    for number in (known, unknown):
        sandbox.upload_announcement(number.number)
    page = login(operator).get(url("numbers", tenant)).text
    assert 'name="unknown_presentation"' in page and 'name="unknown_announcement"' in page

    response = login(operator).post(
        url("numbers-bulk-redirect", tenant),
        {
            "numbers": [known.pk, unknown.pk],
            "target": "601 123 456",
            "unknown_presentation": "prezentacja",
            "unknown_announcement": "on",
        },
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    for number in (known, unknown):
        at_provider = sandbox.number(number.number)
        assert (at_provider.appdata, at_provider.prezentacja, at_provider.zapowiedz) == (
            "number=601123456",
            "prezentacja",
            True,
        )
    unknown.refresh_from_db()
    assert (unknown.presentation, unknown.announcement) == ("prezentacja", True)
    result = response.text
    assert f'id="bulk-result-{unknown.number}"' in result
    assert "numer dzwoniącego" in result and "z zapowiedzią" in result  # what was set, per number


def test_by_default_unknown_settings_get_the_providers_own_defaults(
    login, tenant, operator, numbers, sandbox, premium_account
):
    _known, unknown, _third = numbers
    # At the provider it plays an announcement to the caller's number (set in the panel, say).
    sandbox.upload_announcement(unknown.number)
    premium_account.client(in_request=False).set_redirect(
        unknown.number, "601000999", prezentacja=Prezentacja.CALLER, zapowiedz=True
    )

    login(operator).post(
        url("numbers-bulk-redirect", tenant), {"numbers": [unknown.pk], "target": "601123456"}
    )

    at_provider = sandbox.number(unknown.number)
    assert (at_provider.appdata, at_provider.prezentacja, at_provider.zapowiedz) == (
        "number=601123456",
        "prezentacjaA",
        False,
    )


def test_after_the_first_not_answering_the_rest_are_not_tried(login, tenant, operator, numbers, sandbox):
    first, second, third = numbers
    sandbox.set_fault(SET_REDIRECT + first.number, "html")

    response = login(operator).post(
        url("numbers-bulk-redirect", tenant),
        {"numbers": [n.pk for n in numbers], "target": "601123456"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert sandbox.request_count(SET_REDIRECT + first.number) == 1
    assert sandbox.request_count(SET_REDIRECT + second.number) == 0
    assert sandbox.request_count(SET_REDIRECT + third.number) == 0
    assert response.text.count("nie próbowano") == 2
