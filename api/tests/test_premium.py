"""Numery-Premium.PL endpoints against the sandbox over HTTP."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent, Role
from api.tests.conftest import provider_calls
from premium import services
from premium.models import Call, Invoice, PremiumNumber
from provider_api.errors import InvalidInputError

pytestmark = pytest.mark.django_db


def first_number(tenant) -> PremiumNumber:
    return PremiumNumber.objects.filter(tenant=tenant).order_by("number").first()


def test_numbers_list_pages_by_cursor(api_as, providers, tenant):
    api = api_as(Role.VIEWER)
    first = api.get("/premium/numbers", limit=5)
    assert first.status_code == 200, first.content
    page = first.json()
    assert len(page["items"]) == 5 and page["next_cursor"]
    rest = api.get("/premium/numbers", limit=5, cursor=page["next_cursor"]).json()
    seen = [row["number"] for row in page["items"] + rest["items"]]
    assert seen == sorted(PremiumNumber.objects.filter(tenant=tenant).values_list("number", flat=True))
    assert rest["next_cursor"] is None


def test_a_bad_cursor_is_refused_naming_it(api_as, providers):
    response = api_as(Role.VIEWER).get("/premium/numbers", cursor="!!not-ours!!")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "cursor"


def test_one_number(api_as, providers, tenant):
    number = first_number(tenant)
    response = api_as(Role.VIEWER).get(f"/premium/numbers/{number.number}")
    assert response.status_code == 200
    assert response.json()["number"] == number.number
    assert response.json()["tariff"] == number.tariff


def test_another_tenants_number_is_not_found(api_as, providers, tenant):
    number = first_number(tenant)
    response = api_as("outsider").get(f"/premium/numbers/{number.number}")
    assert response.status_code == 404
    assert response.json()["type"].endswith("not-found")


def test_set_redirect_calls_the_provider_and_names_the_token_in_the_audit_log(api_as, providers, tenant):
    number = first_number(tenant)
    mark = providers.mark()
    response = api_as(Role.OPERATOR).put(
        f"/premium/numbers/{number.number}/redirect", {"target": "+48 601 123 456", "announcement": False}
    )
    assert response.status_code == 200, response.content
    assert response.json()["redirect_to"] == "601123456"
    assert len(provider_calls(providers, mark, "premium", "setRedirect")) == 1
    event = AuditEvent.objects.get(tenant=tenant, action="premium.redirect.set")
    assert "API token" in event.username and "ola-operator" in event.username


def test_set_redirect_needs_an_operator(api_as, providers, tenant):
    number = first_number(tenant)
    response = api_as(Role.VIEWER).put(f"/premium/numbers/{number.number}/redirect", {"target": "601123456"})
    assert response.status_code == 403
    assert response.json()["status"] == 403


def test_a_bad_target_is_refused_naming_the_field_in_the_requests_language(api_as, providers, tenant):
    number = first_number(tenant)
    mark = providers.mark()
    response = api_as(Role.OPERATOR, language="pl").put(
        f"/premium/numbers/{number.number}/redirect", {"target": "12"}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["field"] == "target"
    assert "Podaj polski numer" in problem["errors"][0]["detail"]
    assert provider_calls(providers, mark, "premium", "setRedirect") == []


def test_a_missing_field_is_named(api_as, providers, tenant):
    number = first_number(tenant)
    response = api_as(Role.OPERATOR).put(f"/premium/numbers/{number.number}/redirect", {})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "target", "in": "body", "detail": "This field is required."}
    ]


def test_bulk_redirect_gives_each_number_its_result(api_as, providers, tenant):
    numbers = list(
        PremiumNumber.objects.filter(tenant=tenant).order_by("number").values_list("number", flat=True)[:3]
    )
    mark = providers.mark()
    response = api_as(Role.OPERATOR).post(
        "/premium/numbers/redirect", {"numbers": numbers, "target": "601123456"}
    )
    assert response.status_code == 200, response.content
    assert [row["number"] for row in response.json()["results"]] == numbers
    assert {row["outcome"] for row in response.json()["results"]} == {"done"}
    assert len(provider_calls(providers, mark, "premium", "setRedirect")) == 3


def test_bulk_redirect_sends_the_requests_choice_where_the_setting_is_unknown(api_as, providers, tenant):
    number = first_number(tenant)
    PremiumNumber.objects.filter(pk=number.pk).update(presentation="", announcement=None)
    mark = providers.mark()
    body = {
        "numbers": [number.number],
        "target": "601123456",
        "unknown_presentation": "prezentacja",
        "unknown_announcement": False,
    }
    result = api_as(Role.OPERATOR).post("/premium/numbers/redirect", body).json()["results"][0]
    assert (result["outcome"], result["presentation"], result["announcement"]) == (
        "done",
        "prezentacja",
        False,
    )
    [sent] = provider_calls(providers, mark, "premium", "setRedirect")
    assert sent.params["prezentacja"] == "prezentacja"


def test_bulk_redirect_names_a_bad_target(api_as, providers, tenant):
    number = first_number(tenant)
    response = api_as(Role.OPERATOR).post(
        "/premium/numbers/redirect", {"numbers": [number.number], "target": "1"}
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "target"


def test_bulk_redirect_refuses_another_tenants_number(api_as, providers, tenant):
    number = first_number(tenant)
    response = api_as("outsider").post(
        "/premium/numbers/redirect", {"numbers": [number.number], "target": "601123456"}
    )
    assert response.status_code == 404


def test_buying_twice_with_one_key_buys_once(api_as, providers, tenant):
    api = api_as(Role.ADMIN)
    mark = providers.mark()
    first = api.post("/premium/numbers", {"tariff": 5}, key="buy-1")
    again = api.post("/premium/numbers", {"tariff": 5}, key="buy-1")
    assert first.status_code == 201, first.content
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert len(provider_calls(providers, mark, "premium", "addNumber")) == 1


def test_a_key_reused_with_another_body_is_refused(api_as, providers):
    api = api_as(Role.ADMIN)
    mark = providers.mark()
    assert api.post("/premium/numbers", {"tariff": 5}, key="buy-2").status_code == 201
    refused = api.post("/premium/numbers", {"tariff": 6}, key="buy-2")
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("idempotency-key-reused")
    assert len(provider_calls(providers, mark, "premium", "addNumber")) == 1


def test_buying_needs_an_idempotency_key(api_as, providers):
    mark = providers.mark()
    response = api_as(Role.ADMIN).post("/premium/numbers", {"tariff": 5})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert provider_calls(providers, mark, "premium", "addNumber") == []


def test_buying_needs_an_admin_and_a_tariff(api_as, providers):
    assert api_as(Role.OPERATOR).post("/premium/numbers", {"tariff": 5}, key="k").status_code == 403
    refused = api_as(Role.ADMIN).post("/premium/numbers", {"tariff": 3}, key="k")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "tariff"


def test_billing_calls_page_by_cursor_with_filters(api_as, providers, tenant):
    api = api_as(Role.VIEWER)
    answered = Call.objects.filter(tenant=tenant, disposition="ANSWERED")
    first = api.get("/premium/billing/calls", disposition="ANSWERED", limit=3).json()
    assert len(first["items"]) == min(3, answered.count())
    assert {row["disposition"] for row in first["items"]} == {"ANSWERED"}
    seen = list(first["items"])
    cursor = first["next_cursor"]
    while cursor:
        page = api.get("/premium/billing/calls", disposition="ANSWERED", limit=50, cursor=cursor).json()
        seen += page["items"]
        cursor = page["next_cursor"]
    assert len(seen) == answered.count() > 3


def test_billing_filters_are_checked_as_on_the_page(api_as, providers):
    response = api_as(Role.VIEWER).get("/premium/billing/calls", month=13)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "month",
        "in": "query",
        "detail": response.json()["errors"][0]["detail"],
    }


def test_billing_csv_streams_the_filtered_month(api_as, providers, tenant):
    response = api_as(Role.VIEWER).get("/premium/billing/calls.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1 + Call.objects.filter(tenant=tenant).count()


def test_wallet(api_as, providers, tenant):
    body = api_as(Role.VIEWER).get("/premium/wallet", limit=2).json()
    assert body["balance_net"] is not None
    assert len(body["entries"]) == 2 and body["next_cursor"]


def test_invoices_and_a_pdf(api_as, providers, tenant):
    api = api_as(Role.VIEWER)
    invoices = api.get("/premium/invoices").json()
    assert len(invoices) == Invoice.objects.filter(tenant=tenant).count() > 0
    pdf = api.get(f"/premium/invoices/{invoices[0]['id']}/pdf")
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert api_as("outsider").get(f"/premium/invoices/{invoices[0]['id']}/pdf").status_code == 404


def test_provider_words_in_a_problem_never_carry_a_secret(monkeypatch, api_as, providers, tenant):
    key = providers.credentials.premium_api_key

    def echoing(*args, **kwargs):
        raise InvalidInputError(f"klucz {key} odrzucony", provider="Numery-Premium.PL", code=422)

    monkeypatch.setattr(services, "set_redirect", echoing)
    number = first_number(tenant)
    response = api_as(Role.OPERATOR).put(
        f"/premium/numbers/{number.number}/redirect", {"target": "601123456"}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["provider"] == {
        "name": "Numery-Premium.PL",
        "code": "422",
        "message": problem["provider"]["message"],
    }
    assert "odrzucony" in problem["provider"]["message"] and "odrzucony" in problem["detail"]
    assert key[6:12] not in response.content.decode()
