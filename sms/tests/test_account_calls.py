"""The client's account calls (pool, payments, invoice, delivery statistics, notices): exact requests, how
answers and errors are read, and the same calls against the sandbox over real HTTP."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
import responses

from provider_api.errors import InvalidInputError, NotFoundError, UnavailableError
from provider_api.http import HttpTransport
from sms.client import DeliveryStat, MessagePool, Notice, Payment, SerwerSmsClient
from sms.sandbox import DEMO_TOKEN

BASE = "https://api2.serwersms.pl"
TOKEN = "tok-9f8e7d6c5b4a"


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def client() -> SerwerSmsClient:
    return SerwerSmsClient(token=TOKEN, transport=HttpTransport(BASE, provider="SerwerSMS.pl", backoff=0))


def body(rsps, index: int = 0) -> dict:
    return json.loads(rsps.calls[index].request.body)


@pytest.mark.parametrize(
    ("call", "path", "params"),
    [
        (lambda c: c.pool(), "account/limits", {}),
        (lambda c: c.notices(), "account/messages", {}),
        (lambda c: c.payments(), "payments/index", {}),
        (lambda c: c.payment(5240), "payments/view", {"id": 5240}),
        (
            lambda c: c.delivery_stats(message_type="eco", begin=date(2026, 11, 1), end=date(2026, 11, 30)),
            "stats/index",
            {"type": "eco", "begin": "2026-11-01", "end": "2026-11-30"},
        ),
    ],
)
def test_each_account_call_posts_json_to_its_path_with_the_token(rsps, client, call, path, params):
    answer = {"id": "5240", "state": "paid"} if path == "payments/view" else {"items": []}
    rsps.post(f"{BASE}/{path}.json", json=answer)
    call(client)
    request = rsps.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert body(rsps) == {**params, "system": "client_python"}


def test_the_pool_reads_counts_words_and_strings(rsps, client):
    rsps.post(
        f"{BASE}/account/limits.json",
        json={
            "items": [
                {"type": "eco", "chars_limit": "918/6", "value": "1200"},
                {"type": "full", "chars_limit": "918/6", "value": 7},
                {"type": "lookup", "chars_limit": "nd", "value": "no_limit"},
                {"type": "voice", "value": "not_available"},
            ]
        },
    )
    assert client.pool() == [
        MessagePool("eco", 1200, False, "918/6"),
        MessagePool("full", 7, False, "918/6"),
        MessagePool("lookup", None, True, "nd"),
        MessagePool("voice", None, False, ""),
    ]


def test_payments_read_amounts_dates_and_state(rsps, client):
    rsps.post(
        f"{BASE}/payments/index.json",
        json={
            "items": [
                {
                    "id": "1",
                    "number": "FV 1",
                    "state": "paid",
                    "paid": "2026-09-03",
                    "total": "246.00",
                    "payment_to": "2026-09-10",
                },
                {
                    "id": 2,
                    "number": "PRO 2",
                    "state": "not_paid",
                    "paid": "",
                    "total": 12.5,
                    "payment_to": "bad",
                },
            ]
        },
    )
    assert client.payments() == [
        Payment(1, "FV 1", True, date(2026, 9, 3), Decimal("246.00"), date(2026, 9, 10)),
        Payment(2, "PRO 2", False, None, Decimal("12.5"), None),
    ]


@pytest.mark.parametrize(
    "answer",
    [
        {"items": [{"id": "1", "state": "maybe"}]},
        {"items": [{"id": "1", "state": "paid", "total": "abc"}]},
        {"items": "none"},
        {"items": [{"state": "paid"}]},
    ],
)
def test_an_unreadable_payment_list_is_said_plainly(rsps, client, answer):
    rsps.post(f"{BASE}/payments/index.json", json=answer)
    with pytest.raises(UnavailableError) as caught:
        client.payments()
    assert caught.value.outcome_unknown is False


def test_an_error_object_with_http_200_is_an_error(rsps, client):
    rsps.post(
        f"{BASE}/payments/view.json",
        json={"error": {"code": 1004, "type": "InvalidID", "message": "Nieprawidłowy identyfikator"}},
    )
    with pytest.raises(NotFoundError) as caught:
        client.payment(9)
    assert caught.value.code == 1004


def test_the_invoice_is_pdf_bytes_and_an_error_answer_is_raised(rsps, client):
    rsps.post(f"{BASE}/payments/invoice.json", body=b"%PDF-1.4 bytes", content_type="application/pdf")
    assert client.invoice(5) == b"%PDF-1.4 bytes"
    rsps.replace(
        responses.POST,
        f"{BASE}/payments/invoice.json",
        json={"error": {"code": 1004, "type": "InvalidID", "message": "Brak faktury"}},
    )
    with pytest.raises(NotFoundError):
        client.invoice(5)
    rsps.replace(responses.POST, f"{BASE}/payments/invoice.json", body=b"<html>oops</html>")
    with pytest.raises(UnavailableError):
        client.invoice(5)


def test_stats_read_counts_and_refuse_an_unknown_type(rsps, client):
    rsps.post(
        f"{BASE}/stats/index.json",
        json={
            "items": [
                {
                    "id": "8",
                    "name": "Pakiet",
                    "type": "eco",
                    "delivered": "10",
                    "pending": 1,
                    "undelivered": "2",
                    "begin": "2026-11-01",
                    "end": "2026-11-30",
                }
            ]
        },
    )
    assert client.delivery_stats() == [
        DeliveryStat(8, "Pakiet", "eco", 10, 1, 2, 0, date(2026, 11, 1), date(2026, 11, 30))
    ]
    with pytest.raises(InvalidInputError):
        client.delivery_stats(message_type="fax")
    assert len(rsps.calls) == 1


def test_notices(rsps, client):
    rsps.post(f"{BASE}/account/messages.json", json={"items": [{"new": True, "message": "Przerwa"}]})
    assert client.notices() == [Notice(True, "Przerwa")]


# --- against the sandbox over real HTTP ---------------------------------------------------------------


@pytest.fixture
def live(sandbox, sandbox_url) -> SerwerSmsClient:
    return SerwerSmsClient(token=DEMO_TOKEN, transport=HttpTransport(sandbox_url, provider="SerwerSMS.pl"))


def test_the_sandbox_answers_every_account_call(live, sandbox):
    pool = {entry.type: entry for entry in live.pool()}
    assert pool["eco"].remaining == 1200 and pool["lookup"].unlimited
    sandbox.set_pool("eco", 3)
    assert {entry.type: entry.remaining for entry in live.pool()}["eco"] == 3
    payments = live.payments()
    assert [payment.number for payment in payments] == ["FV 112/2026", "FV 131/2026", "PRO 12/2026"]
    assert live.payment(5240).paid is False
    assert live.invoice(5101).startswith(b"%PDF-")
    with pytest.raises(NotFoundError):
        live.invoice(1)
    assert [stat.delivered for stat in live.delivery_stats()] == [1450, 512]
    assert [stat.type for stat in live.delivery_stats(message_type="full")] == ["full"]
    assert live.notices()[0].new is True


def test_the_demo_can_lower_the_pool(live, sandbox, sandbox_url):
    import requests

    answer = requests.post(
        f"{sandbox_url}/demo/pool.json",
        json={"type": "eco", "value": 40},
        headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
        timeout=5,
    )
    assert answer.json() == {"success": True}
    assert {entry.type: entry.remaining for entry in live.pool()}["eco"] == 40
