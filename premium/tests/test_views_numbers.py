"""The numbers pages: list, inline and bulk redirects, buying and deleting, for every role."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from premium import sync as premium_sync
from premium.models import PremiumNumber
from premium.views.numbers import NUMBERS_PER_PAGE, PURCHASE_TOKENS
from providers.formatting import phone

SET_REDIRECT = "/api/prm/voice/setRedirect/"


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"premium:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


@pytest.fixture
def synced(premium_account, tenant):
    premium_sync.sync_numbers(premium_account)
    premium_sync.sync_balance(premium_account)
    return PremiumNumber.objects.filter(tenant=tenant).order_by("number")


def redirect_form(
    number: PremiumNumber, target: str, presentation: str = "prezentacjaA", announcement: bool = False
):
    data = {f"n{number.pk}-target": target, f"n{number.pk}-presentation": presentation}
    if announcement:
        data[f"n{number.pk}-announcement"] = "on"
    return data


# --- The list ------------------------------------------------------------------------------------


def test_index_lists_every_number_with_prices_redirect_and_settings(login, tenant, viewer, synced):
    response = login(viewer).get(url("index", tenant))

    assert response.status_code == 200
    for number in synced:
        assert phone(number.number) in response.text
    first = synced.first()
    assert f"{first.price_net}".replace(".", ",") in response.text  # Polish: 3,46 zł
    assert f"{first.price_gross}".replace(".", ",") in response.text
    assert "Przekierowanie na" in response.text  # Polish by default
    # A viewer reads: no edit, buy or delete controls.
    assert url("number-redirect", tenant, number_id=first.pk) not in response.text
    assert url("number-buy", tenant) not in response.text


def test_operator_sees_edit_but_not_buy_or_delete_and_admin_sees_all(
    login, tenant, operator, tenant_admin, synced
):
    first = synced.first()
    page = login(operator).get(url("numbers", tenant)).text
    assert url("number-redirect", tenant, number_id=first.pk) in page
    assert url("number-delete", tenant, number_id=first.pk) not in page
    page = login(tenant_admin).get(url("numbers", tenant)).text
    assert url("number-delete", tenant, number_id=first.pk) in page and url("number-buy", tenant) in page


def test_the_list_costs_the_same_queries_for_5_or_60_numbers(
    login, tenant, operator, django_assert_max_num_queries
):
    def make(count: int, start: int) -> None:
        PremiumNumber.objects.bulk_create(
            PremiumNumber(
                tenant=tenant,
                number=f"70{start + i:07d}",
                tariff=5,
                price_net=Decimal("2.96"),
                vat_percent=23,
            )
            for i in range(count)
        )

    client = login(operator)
    make(5, 0)
    with django_assert_max_num_queries(12) as few:
        client.get(url("numbers", tenant))
    make(55, 100)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("numbers", tenant))
    assert response.text.count('<tr id="number-') == NUMBERS_PER_PAGE
    last = response.context["numbers"][-1].number
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("numbers", tenant), {"after": last})
    assert response.text.count('<tr id="number-') == 60 - NUMBERS_PER_PAGE


def test_the_list_walks_the_numbers_in_pages_in_order(login, tenant, viewer):
    """A page of 1,000 numbers took half a second to render: the list shows NUMBERS_PER_PAGE at a time."""
    PremiumNumber.objects.bulk_create(
        PremiumNumber(tenant=tenant, number=f"70{i:07d}", tariff=5) for i in range(NUMBERS_PER_PAGE + 7)
    )
    client = login(viewer)
    first = client.get(url("numbers", tenant), HTTP_ACCEPT_LANGUAGE="en")
    shown = [n.number for n in first.context["numbers"]]
    assert shown == sorted(shown) and len(shown) == NUMBERS_PER_PAGE
    assert f'href="?after={shown[-1]}"' in first.text and "First numbers" not in first.text

    second = client.get(url("numbers", tenant), {"after": shown[-1]}, HTTP_ACCEPT_LANGUAGE="en")
    rest = [n.number for n in second.context["numbers"]]
    assert len(rest) == 7 and rest[0] > shown[-1] and rest == sorted(rest)
    assert "First numbers" in second.text and "Next numbers" not in second.text

    strange = client.get(url("numbers", tenant), {"after": "<script>"})
    assert strange.status_code == 200 and "<script>" not in strange.text


def test_without_an_account_the_list_says_so(login, tenant, viewer, tenant_admin):
    page = login(viewer).get(url("numbers", tenant), HTTP_ACCEPT_LANGUAGE="en").text
    assert "An admin can set it up on the Account page." in page
    page = login(tenant_admin).get(url("numbers", tenant), HTTP_ACCEPT_LANGUAGE="en").text
    assert f'<a href="{url("account", tenant)}">Set it up</a>' in page


def test_provider_data_is_escaped(login, tenant, operator):
    PremiumNumber.objects.create(
        tenant=tenant, number="708123456", tariff=8, redirect_setting="sip=<img src=x onerror=alert(1)>"
    )
    page = login(operator).get(url("numbers", tenant)).text
    assert "<img src=x" not in page and "&lt;img src=x" in page


# --- Redirect, inline ----------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["+48 601 123 456", "0048601123456", "601-123-456", "48 601 123 456"])
def test_operator_sets_a_redirect_typed_any_common_way(login, tenant, operator, synced, sandbox, typed):
    number = synced.last()

    response = login(operator).post(
        url("number-redirect", tenant, number_id=number.pk), redirect_form(number, typed)
    )

    assert response.status_code == 302
    assert sandbox.number(number.number).appdata == "number=601123456"
    number.refresh_from_db()
    assert (number.redirect_to, number.presentation, number.announcement) == (
        "601123456",
        "prezentacjaA",
        False,
    )


def test_inline_redirect_with_htmx_returns_the_updated_row_and_audits_before_and_after(
    login, tenant, operator, synced, sandbox
):
    number = (
        synced.get(redirect_to="601123456") if synced.filter(redirect_to="601123456").exists() else synced[0]
    )
    before = number.redirect_to or None
    client = login(operator)

    form = client.get(url("number-redirect", tenant, number_id=number.pk), HTTP_HX_REQUEST="true")
    assert form.status_code == 200 and "<form" in form.text and "<html" not in form.text

    response = client.post(
        url("number-redirect", tenant, number_id=number.pk),
        redirect_form(number, "512 000 111", presentation="prezentacja"),
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert f'<tr id="number-{number.pk}"' in response.text and phone("512000111") in response.text
    assert sandbox.number(number.number).prezentacja == "prezentacja"
    event = AuditEvent.objects.get(action="premium.redirect.set", outcome="success")
    assert event.changes["redirect"] == [before, "512000111"]
    assert event.changes["presentation"][1] == "prezentacja"
    assert event.username == operator.username


@pytest.mark.parametrize("typed", ["12345", "+44 20 7946 0958", "60112345a", ""])
def test_a_bad_target_is_refused_before_anything_is_sent(login, tenant, operator, synced, sandbox, typed):
    number = synced.first()

    response = login(operator).post(
        url("number-redirect", tenant, number_id=number.pk),
        redirect_form(number, typed),
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text
    assert sandbox.request_count(SET_REDIRECT + number.number) == 0



def test_the_redirect_page_of_its_own_posts_itself_and_the_row_swaps_in_place(login, tenant, operator, synced):
    """On its own page the form has no table row to swap: with HTMX loaded it would send nothing."""
    number = synced.first()
    client = login(operator)

    page = client.get(url("number-redirect", tenant, number_id=number.pk))
    row = client.get(url("number-redirect", tenant, number_id=number.pk), HTTP_HX_REQUEST="true")

    assert "<html" in page.text and 'hx-target="closest tr"' not in page.text
    assert 'hx-target="closest tr"' in row.text

def test_the_providers_404_is_shown_inline_and_nothing_changes(login, tenant, operator, premium_account):
    gone = PremiumNumber.objects.create(tenant=tenant, number="708999999", tariff=8, redirect_to="601000000")

    response = login(operator).post(
        url("number-redirect", tenant, number_id=gone.pk),
        redirect_form(gone, "601123456"),
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 422
    assert "Not found number in your account" in response.text
    gone.refresh_from_db()
    assert gone.redirect_to == "601000000"
    assert AuditEvent.objects.get(action="premium.redirect.set").outcome == "failure"


def test_the_providers_422_for_a_missing_announcement_is_shown_inline(
    login, tenant, operator, synced, sandbox
):
    number = next(n for n in synced if not sandbox.number(n.number).announcement)

    response = login(operator).post(
        url("number-redirect", tenant, number_id=number.pk),
        redirect_form(number, "601123456", announcement=True),
    )

    assert response.status_code == 422
    assert "Brak wgranej zapowiedzi" in response.text
    number.refresh_from_db()
    assert number.announcement is None


def test_redirect_roles_methods_and_other_tenants(
    login, tenant, other_tenant, viewer, operator, outsider, synced
):
    number = synced.first()
    target = url("number-redirect", tenant, number_id=number.pk)
    assert login(viewer).post(target, redirect_form(number, "601123456")).status_code == 403
    assert login(operator).put(target).status_code == 405
    foreign = PremiumNumber.objects.create(tenant=other_tenant, number="708111111", tariff=4)
    # Another tenant's number under this tenant's address: not found (IDOR).
    assert login(operator).get(url("number-redirect", tenant, number_id=foreign.pk)).status_code == 404
    assert login(operator).get(url("number-row", tenant, number_id=foreign.pk)).status_code == 404
    assert login(outsider).get(target).status_code == 404


def test_cancel_puts_the_row_back(login, tenant, operator, synced):
    number = synced.first()
    client = login(operator)
    row = client.get(url("number-row", tenant, number_id=number.pk), HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and row.text.strip().startswith(f'<tr id="number-{number.pk}"')
    plain = client.get(url("number-row", tenant, number_id=number.pk))
    assert plain.status_code == 302 and plain["Location"].endswith(f"#number-{number.pk}")


# --- Redirect, bulk ------------------------------------------------------------------------------


def test_bulk_redirect_reports_per_number(login, tenant, operator, synced, sandbox):
    chosen = list(synced[:2])
    gone = PremiumNumber.objects.create(tenant=tenant, number="708999999", tariff=8)

    response = login(operator).post(
        url("numbers-bulk-redirect", tenant),
        {"numbers": [n.pk for n in [*chosen, gone]], "target": "+48 791 000 222"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    for number in chosen:
        assert sandbox.number(number.number).appdata == "number=791000222"
        number.refresh_from_db()
        assert number.redirect_to == "791000222"
    assert "premium-result-failed" in response.text and "Not found number in your account" in response.text
    assert response.text.count("premium-result-ok") == 2
    assert AuditEvent.objects.filter(action="premium.redirect.set", outcome="success").count() == 2


def test_bulk_redirect_without_js_redirects_with_a_message_per_failure(login, tenant, operator, synced):
    gone = PremiumNumber.objects.create(tenant=tenant, number="708999999", tariff=8)
    client = login(operator)

    response = client.post(
        url("numbers-bulk-redirect", tenant), {"numbers": [synced.first().pk, gone.pk], "target": "601123456"}
    )

    assert response.status_code == 302
    page = client.get(response["Location"]).text
    assert phone(synced.first().number) in page and phone("708999999") in page and "Not found number" in page


def test_bulk_redirect_refuses_bad_input_and_other_tenants_numbers(
    login, tenant, other_tenant, operator, synced, sandbox
):
    foreign = PremiumNumber.objects.create(tenant=other_tenant, number="708111111", tariff=4)
    client = login(operator)
    for data in (
        {"numbers": [synced.first().pk], "target": "123"},
        {"numbers": [], "target": "601123456"},
        {"numbers": [foreign.pk], "target": "601123456"},
    ):
        assert client.post(url("numbers-bulk-redirect", tenant), data).status_code == 400
    assert sum(sandbox.request_count(SET_REDIRECT + n.number) for n in synced) == 0
    assert client.get(url("numbers-bulk-redirect", tenant)).status_code == 405


# --- Buying --------------------------------------------------------------------------------------


def buy(client, tenant, tariff: int):
    confirm = client.get(url("number-buy", tenant), {"tariff": tariff})
    assert confirm.status_code == 200
    token = client.session[PURCHASE_TOKENS][-1]
    assert token in confirm.text
    return client.post(url("number-buy", tenant), {"tariff": tariff, "confirmation": token}), token


def test_buying_shows_prices_and_the_wallet_then_buys_once(
    login, tenant, tenant_admin, synced, sandbox, premium_account
):
    premium_sync.sync_wallet(premium_account)
    client = login(tenant_admin)
    choose = client.get(url("number-buy", tenant))
    assert choose.status_code == 200
    premium_account.refresh_from_db()
    assert f"{premium_account.balance_net}".replace(".", ",") in choose.text
    assert "50,00" in choose.text  # the last purchase's price, from the wallet history
    before = set(synced.values_list("pk", flat=True))

    response, token = buy(client, tenant, 5)

    assert response.status_code == 302
    (bought,) = PremiumNumber.objects.filter(tenant=tenant).exclude(pk__in=before)
    assert sandbox.number(bought.number) is not None and bought.tariff == 5
    assert bought.price_net is not None  # the tariff's price, known from the account's other numbers
    assert AuditEvent.objects.get(action="premium.number.buy").object_label == bought.number
    premium_account.refresh_from_db()
    assert premium_account.balance_net == Decimal(sandbox.wallet_grosze()) / 100

    again = client.post(url("number-buy", tenant), {"tariff": 5, "confirmation": token})
    assert again.status_code == 302
    assert sandbox.request_count("/api/prm/voice/addNumber/5") == 1


def test_not_enough_money_is_a_clear_message(login, tenant, tenant_admin, synced, sandbox):
    sandbox.number_price_grosze = 10**9
    count = synced.count()

    response, _token = buy(login(tenant_admin), tenant, 4)

    assert response.status_code == 422
    assert "Brak wystarczających środków" in response.text
    assert "portfel" in response.text.lower()
    assert synced.count() == count


def test_a_refused_purchase_reads_in_the_language_of_whoever_looks_later(
    login, tenant, tenant_admin, synced, sandbox
):
    sandbox.number_price_grosze = 10**9
    client = login(tenant_admin)
    response, token = buy(client, tenant, 4)  # a Polish session
    assert response.status_code == 422

    again = client.post(
        url("number-buy", tenant), {"tariff": 4, "confirmation": token}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    log = client.get(reverse("audit-log", kwargs={"tenant_slug": tenant.slug}), HTTP_ACCEPT_LANGUAGE="en")

    refused = "Numery-Premium.PL rejected the data"
    assert "This purchase was already sent and refused: " + refused in again.text
    assert refused in log.text and "Numery-Premium.PL odrzucił" not in log.text
    assert "Brak wystarczających środków" in log.text  # the provider's own words stay as it sent them


def test_an_unknown_outcome_says_check_and_offers_no_resend(login, tenant, tenant_admin, synced, sandbox):
    sandbox.set_fault("/api/prm/voice/addNumber/6", "500")

    response, _token = buy(login(tenant_admin), tenant, 6)

    assert response.status_code == 422
    assert "sprawdź" in response.text.lower()
    assert 'name="confirmation"' not in response.text
    assert sandbox.request_count("/api/prm/voice/addNumber/6") == 1
    assert AuditEvent.objects.get(action="premium.number.buy").outcome == "failure"


def test_buying_needs_an_admin_a_valid_tariff_and_a_confirmation(
    login, tenant, operator, tenant_admin, synced, sandbox
):
    assert login(operator).get(url("number-buy", tenant)).status_code == 403
    client = login(tenant_admin)
    assert "4 do 8" in client.get(url("number-buy", tenant), {"tariff": 9}).text
    assert client.post(url("number-buy", tenant), {"tariff": 9, "confirmation": "x"}).status_code == 400
    assert client.post(url("number-buy", tenant), {"tariff": 5, "confirmation": "forged"}).status_code == 302
    assert sandbox.request_count("/api/prm/voice/addNumber/5") == 0


# --- Deleting ------------------------------------------------------------------------------------


def test_deleting_needs_the_typed_number_and_writes_an_audit_event(
    login, tenant, tenant_admin, synced, sandbox
):
    number = synced.first()
    client = login(tenant_admin)
    page = client.get(url("number-delete", tenant, number_id=number.pk))
    assert f'data-confirm-word="{number.number}"' in page.text

    wrong = client.post(url("number-delete", tenant, number_id=number.pk), {"confirm_number": "708000000"})
    assert wrong.status_code == 400 and sandbox.number(number.number) is not None

    response = client.post(
        url("number-delete", tenant, number_id=number.pk), {"confirm_number": number.number}
    )

    assert response.status_code == 302
    assert sandbox.number(number.number) is None
    assert not PremiumNumber.objects.filter(pk=number.pk).exists()
    event = AuditEvent.objects.get(action="premium.number.delete")
    assert event.changes["number"] == [number.number, None] and event.outcome == "success"


def test_a_provider_refusal_to_delete_keeps_the_number(login, tenant, tenant_admin, premium_account):
    gone = PremiumNumber.objects.create(tenant=tenant, number="708999999", tariff=8)

    response = login(tenant_admin).post(
        url("number-delete", tenant, number_id=gone.pk), {"confirm_number": "708999999"}
    )

    assert response.status_code == 422 and "Not found number" in response.text
    assert PremiumNumber.objects.filter(pk=gone.pk).exists()


def test_deleting_roles_and_other_tenants(login, tenant, other_tenant, operator, tenant_admin, synced):
    number = synced.first()
    assert login(operator).post(url("number-delete", tenant, number_id=number.pk), {}).status_code == 403
    foreign = PremiumNumber.objects.create(tenant=other_tenant, number="708111111", tariff=4)
    assert login(tenant_admin).get(url("number-delete", tenant, number_id=foreign.pk)).status_code == 404
    assert login(tenant_admin).put(url("number-delete", tenant, number_id=number.pk)).status_code == 405
