"""Unit tests of the Numery-Premium.PL client: the exact requests it sends and how it reads the answers."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from premium import client as client_module
from premium.client import (
    PROVIDER,
    Balance,
    BoughtNumber,
    Invoice,
    InvoiceFile,
    NumberNotOnAccount,
    PremiumClient,
    Prezentacja,
    WalletEntry,
)
from provider_api.errors import (
    AuthenticationError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    ProviderError,
    UnavailableError,
)
from provider_api.http import HttpTransport
from provider_api.parsing import WARSAW

BASE = "https://numery-premium.pl"
EMAIL = "ops@firma.pl"
API_KEY = "np-SECRET-key-4711"
CREDENTIALS = [("email", EMAIL), ("apikey", API_KEY)]
FORM = "application/x-www-form-urlencoded"

# The document's examples, as a real server would send them (no comments, no trailing comma).
SHOW_NUMBERS = {
    "status": 1,
    "services": [
        {
            "premium": "708600001",
            "netto": "3.46",
            "tax": "23",
            "tariff": "6",
            "redirect": {"appdata": "number=123456789"},
        },
        {
            "premium": "7087000001",
            "netto": "4.00",
            "tax": "23",
            "tariff": "7",
            "redirect": {"appdata": "number=601123456"},
        },
    ],
}
BILLING_ROW = {
    "id": 12328,
    "src": "123456789",
    "dst": "708708708",
    "start": "2021-06-25 21:47:47",
    "answer": "2021-06-25 21:48:02",
    "end": "2021-06-25 22:07:14",
    "duration": 1166,
    "billsec": 1152,
    "disposition": "ANSWERED",
    "billcost": 1.92,
    "toDst": "601123456",
}
WALLET_HISTORY = {
    "status": 1,
    "message": [
        {
            "cost": 2000,
            "balance": 0,
            "description": "Aktywacja usługi nagrywanie rozmów",
            "type": 0,
            "created_at": "2021-06-05T12:41:40.000000Z",
        },
        {
            "cost": 2000,
            "balance": 2000,
            "description": "Doładowanie konta",
            "type": 1,
            "created_at": "2021-06-01T12:34:37.000000Z",
        },
    ],
}
INVOICES = {
    "status": 1,
    "message": [
        {
            "id": 309,
            "title": "3/01/2021",
            "netto": "89",
            "status": 1,
            "created_at": "2021-01-01T23:44:12.000000Z",
        },
        {
            "id": 308,
            "title": "2/01/2021",
            "netto": "89",
            "status": 0,
            "created_at": "2020-12-31T23:44:12.000000Z",
        },
    ],
}


@pytest.fixture
def api():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def client() -> PremiumClient:
    transport = HttpTransport(BASE, provider=PROVIDER, secrets=(API_KEY,), backoff=0)
    return PremiumClient(EMAIL, API_KEY, transport=transport)


def sent(call) -> tuple[str, str, list[tuple[str, str]]]:
    """(method, URL without query, form fields in order) of a recorded request; checks the encoding."""
    request = call.request
    assert request.headers["Content-Type"] == FORM
    assert urlsplit(request.url).query == ""
    fields = parse_qsl(request.body, keep_blank_values=True, strict_parsing=True)
    return request.method, request.url, fields


def billing_body(rows: list[dict]) -> dict:
    return {"status": 1, "services": rows}


# --- The requests -------------------------------------------------------------------------------


def test_get_sends_credentials_as_a_form_body_not_as_a_query(api, client):
    api.get(f"{BASE}/api/prm/voice/showNumbers", json=SHOW_NUMBERS)

    client.show_numbers()

    request = api.calls[0].request
    assert request.method == "GET"
    assert request.url == f"{BASE}/api/prm/voice/showNumbers"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.body == "email=ops%40firma.pl&apikey=np-SECRET-key-4711"


def test_set_redirect_sends_put_with_every_option(api, client):
    api.put(
        f"{BASE}/api/prm/voice/setRedirect/708123456",
        json={"status": 1, "message": "Zmiany w przekierowaniach zapisane poprawnie!"},
        status=202,
    )

    message = client.set_redirect("708123456", "601123456", prezentacja=Prezentacja.CALLER, zapowiedz=True)

    assert message == "Zmiany w przekierowaniach zapisane poprawnie!"
    assert sent(api.calls[0]) == (
        "PUT",
        f"{BASE}/api/prm/voice/setRedirect/708123456",
        [
            *CREDENTIALS,
            ("redirect_to_number", "601123456"),
            ("prezentacja", "prezentacja"),
            ("zapowiedz", "1"),
        ],
    )


def test_set_redirect_leaves_omitted_options_to_the_provider_and_normalises_the_target(api, client):
    url = f"{BASE}/api/prm/voice/setRedirect/708123456"
    api.put(url, json={"status": 1, "message": "ok"}, status=202)
    api.put(url, json={"status": 1, "message": "ok"}, status=202)

    client.set_redirect("708123456", "+48 601 123 456")
    client.set_redirect("708123456", "0048601123456", prezentacja=Prezentacja.HIDDEN, zapowiedz=False)

    assert sent(api.calls[0])[2] == [*CREDENTIALS, ("redirect_to_number", "601123456")]
    assert sent(api.calls[1])[2] == [
        *CREDENTIALS,
        ("redirect_to_number", "601123456"),
        ("prezentacja", "prezentacjaA"),
        ("zapowiedz", "0"),
    ]


def test_set_redirect_refuses_a_number_abroad_without_sending(api, client):
    with pytest.raises(InvalidInputError) as caught:
        client.set_redirect("708123456", "+44 20 7946 0958")

    assert "office" in str(caught.value)
    assert len(api.calls) == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.set_redirect("708/../../account/balance", "601123456"),
        lambda c: c.delete_number("708123456?x=1"),
        lambda c: c.number_billing("+48708123456"),
        lambda c: c.invoice_download("309/../310", io.BytesIO()),
    ],
)
def test_path_parameters_must_be_digits_and_nothing_is_sent_otherwise(api, client, call):
    with pytest.raises(InvalidInputError):
        call(client)
    assert len(api.calls) == 0


def test_add_number_posts_the_tariff_in_the_path(api, client):
    api.post(
        f"{BASE}/api/prm/voice/addNumber/4",
        json={"status": 1, "message": {"number": "708412345", "tariff": 4, "WalletBalance": 12345}},
        status=201,
    )

    bought = client.add_number(4)

    assert bought == BoughtNumber(number="708412345", tariff=4, wallet_balance=Decimal("123.45"))
    assert sent(api.calls[0]) == ("POST", f"{BASE}/api/prm/voice/addNumber/4", CREDENTIALS)


def test_add_number_reads_the_documents_zero_balance(api, client):
    api.post(
        f"{BASE}/api/prm/voice/addNumber/5",
        json={"status": 1, "message": {"number": "708412345", "tariff": "5", "WalletBalance": 0}},
        status=201,
    )

    assert client.add_number(5).wallet_balance == Decimal("0.00")


def test_delete_number_sends_delete_and_accepts_204_without_body(api, client):
    api.delete(f"{BASE}/api/prm/voice/delete/708123456", status=204, body="")

    assert client.delete_number("708123456") is None
    assert sent(api.calls[0]) == ("DELETE", f"{BASE}/api/prm/voice/delete/708123456", CREDENTIALS)


def test_billing_of_all_numbers_in_the_current_month_sends_only_credentials(api, client):
    api.get(f"{BASE}/api/prm/voice/billing", json=billing_body([]))

    assert client.billing() == []
    assert sent(api.calls[0]) == ("GET", f"{BASE}/api/prm/voice/billing", CREDENTIALS)


def test_billing_of_one_number_in_a_chosen_month(api, client):
    api.get(f"{BASE}/api/prm/voice/billing/708708708", json=billing_body([BILLING_ROW]))

    calls = client.number_billing("708708708", month=1, year=2021)

    assert [call.id for call in calls] == [12328]

    assert sent(api.calls[0]) == (
        "GET",
        f"{BASE}/api/prm/voice/billing/708708708",
        [*CREDENTIALS, ("month", "01"), ("year", "2021")],
    )


def test_billing_of_one_number_in_the_current_month_sends_only_credentials(api, client):
    api.get(f"{BASE}/api/prm/voice/billing/708708708", json=billing_body([]))

    assert client.number_billing("708708708") == []
    assert sent(api.calls[0]) == ("GET", f"{BASE}/api/prm/voice/billing/708708708", CREDENTIALS)


@pytest.mark.parametrize(
    "call", [lambda c: c.billing(month=13, year=2021), lambda c: c.number_billing("708708708", month=0)]
)
def test_billing_refuses_a_month_outside_1_to_12_without_sending(api, client, call):
    with pytest.raises(InvalidInputError):
        call(client)
    assert len(api.calls) == 0


@pytest.mark.parametrize("status", [404, 200])
def test_billing_of_a_number_not_on_the_account_says_so_whether_404_or_status_0(api, client, status):
    body = {"status": 0, "message": "Not found number in your account"}
    api.get(f"{BASE}/api/prm/voice/billing/708000000", json=body, status=status)

    with pytest.raises(NumberNotOnAccount) as caught:
        client.number_billing("708000000")

    assert isinstance(caught.value, NotFoundError)
    assert caught.value.provider_message == "Not found number in your account"
    assert caught.value.http_status == status


@pytest.mark.parametrize(
    ("status", "message", "error"),
    [
        (401, "Unauthorized", AuthenticationError),
        (200, "Unauthorized", AuthenticationError),
        (403, "Forbidden", ForbiddenError),
        (405, "Zła metoda.", ProviderError),
        (422, "Nieprawidłowy miesiąc lub rok.", InvalidInputError),
        (200, "Coś poszło nie tak.", ProviderError),
        (503, "", UnavailableError),
    ],
)
def test_billing_of_one_number_other_errors_are_not_taken_for_not_on_the_account(
    api, client, status, message, error
):
    api.get(f"{BASE}/api/prm/voice/billing/708708708", json={"status": 0, "message": message}, status=status)

    with pytest.raises(ProviderError) as caught:
        client.number_billing("708708708", month=6, year=2021)

    assert type(caught.value) is error
    assert caught.value.provider_message == message


def test_billing_of_one_number_answered_with_something_unreadable_is_unavailable(api, client):
    api.get(f"{BASE}/api/prm/voice/billing/708708708", body="<html>Maintenance</html>", status=200)

    with pytest.raises(UnavailableError):
        client.number_billing("708708708")


@pytest.mark.parametrize(
    ("call", "path", "message"),
    [
        (lambda c: c.balance(), "/api/account/balance", {"netto": 20, "tax": 23, "brutto": 24.6}),
        (lambda c: c.history_wallet(), "/api/account/balance/history", []),
        (lambda c: c.invoices(), "/api/account/invoices", []),
    ],
)
def test_account_reads_are_gets_with_credentials_in_the_body(api, client, call, path, message):
    api.get(f"{BASE}{path}", json={"status": 1, "message": message})

    call(client)

    assert sent(api.calls[0]) == ("GET", f"{BASE}{path}", CREDENTIALS)


def test_invoice_download_sends_get_with_the_id(api, client):
    api.get(f"{BASE}/api/account/invoice/309", body=b"%PDF-1.4 ...", content_type="application/pdf")

    client.invoice_download(309, io.BytesIO())

    assert sent(api.calls[0]) == ("GET", f"{BASE}/api/account/invoice/309", CREDENTIALS)


# --- Reading the answers ----------------------------------------------------------------------


def test_show_numbers_reads_the_documents_example(api, client):
    api.get(f"{BASE}/api/prm/voice/showNumbers", json=SHOW_NUMBERS)

    first, second = client.show_numbers()

    assert first.premium == "708600001"
    assert first.tariff == 6
    assert first.netto == Decimal("3.46")
    assert first.tax == Decimal("23")
    assert first.brutto == Decimal("4.26")
    assert first.appdata == "number=123456789"
    assert first.redirect_to == "123456789"
    assert second.premium == "7087000001"  # ten digits in the document: kept as sent
    assert second.redirect_to == "601123456"


@pytest.mark.parametrize(
    ("redirect", "appdata", "target"),
    [
        (None, "", None),
        ({"appdata": ""}, "", None),
        ({"appdata": None}, "", None),
        ({"appdata": "number=601123456&opis=IVR"}, "number=601123456&opis=IVR", "601123456"),
        ({"appdata": "queue=5"}, "queue=5", None),
    ],
)
def test_show_numbers_reads_numbers_without_a_plain_redirect(api, client, redirect, appdata, target):
    item = {"premium": "708600001", "netto": 3.46, "tax": 23, "tariff": 6, "redirect": redirect}
    api.get(f"{BASE}/api/prm/voice/showNumbers", json={"status": 1, "services": [item]})

    (number,) = client.show_numbers()

    assert (number.appdata, number.redirect_to) == (appdata, target)
    assert number.netto == Decimal("3.46")


def test_billing_reads_the_documents_rows_as_warsaw_times_and_decimal_money(api, client):
    second = {**BILLING_ROW, "id": 12330, "billcost": 1.3, "billsec": 780, "duration": 802}
    api.get(f"{BASE}/api/prm/voice/billing", json=billing_body([BILLING_ROW, second]))

    first, other = client.billing()

    assert first.id == 12328
    assert (first.src, first.dst, first.to_dst) == ("123456789", "708708708", "601123456")
    assert first.start == datetime(2021, 6, 25, 21, 47, 47, tzinfo=WARSAW)
    assert first.start.utcoffset() == timedelta(hours=2)  # summer time
    assert first.answer == datetime(2021, 6, 25, 21, 48, 2, tzinfo=WARSAW)
    assert first.end == datetime(2021, 6, 25, 22, 7, 14, tzinfo=WARSAW)
    assert (first.duration, first.billsec) == (1166, 1152)
    assert first.answered
    assert first.billcost == Decimal("1.92")
    assert other.billcost == Decimal("1.3")


def test_billing_reads_money_sent_as_a_string_and_winter_time(api, client):
    row = {**BILLING_ROW, "billcost": "1.92", "start": "2021-01-10 08:00:00", "id": "12328"}
    api.get(f"{BASE}/api/prm/voice/billing", json=billing_body([row]))

    (call,) = client.billing()

    assert call.billcost == Decimal("1.92")
    assert call.id == 12328
    assert call.start.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize("answer", [None, "", "0000-00-00 00:00:00"])
def test_billing_reads_an_unanswered_call(api, client, answer):
    row = {**BILLING_ROW, "answer": answer, "billsec": 0, "disposition": "NO ANSWER", "billcost": 0}
    api.get(f"{BASE}/api/prm/voice/billing", json=billing_body([row]))

    (call,) = client.billing()

    assert call.answer is None
    assert not call.answered
    assert call.billcost == Decimal("0")


def test_billing_parses_100000_rows(api, client):
    """A month of a large account in one answer; how fast is the bench's (ingest), not a test's."""
    rows = [
        {
            **BILLING_ROW,
            "id": index,
            "start": f"2021-06-{1 + index % 30:02d} {index % 24:02d}:{index % 60:02d}:07",
        }
        for index in range(100_000)
    ]
    api.get(f"{BASE}/api/prm/voice/billing", body=json.dumps(billing_body(rows)))

    calls = client.billing()

    assert len(calls) == 100_000
    assert calls[-1].id == 99_999
    assert calls[-1].start == datetime(2021, 6, 10, 15, 39, 7, tzinfo=WARSAW)


def test_balance_reads_the_documents_example(api, client):
    api.get(
        f"{BASE}/api/account/balance", json={"status": 1, "message": {"netto": 20, "tax": 23, "brutto": 24.6}}
    )

    assert client.balance() == Balance(netto=Decimal("20"), tax=Decimal("23"), brutto=Decimal("24.6"))


def test_balance_reads_money_sent_as_strings(api, client):
    message = {"netto": "20.00", "tax": "23", "brutto": "24.60"}
    api.get(f"{BASE}/api/account/balance", json={"status": 1, "message": message})

    assert client.balance().brutto == Decimal("24.60")


def test_history_wallet_converts_grosze_to_zloty_and_reads_utc_times(api, client):
    api.get(f"{BASE}/api/account/balance/history", json=WALLET_HISTORY)

    fee, top_up = client.history_wallet()

    assert fee == WalletEntry(
        cost=Decimal("20.00"),
        balance=Decimal("0.00"),
        description="Aktywacja usługi nagrywanie rozmów",
        credit=False,
        created_at=datetime(2021, 6, 5, 12, 41, 40, tzinfo=UTC),
    )
    assert top_up.credit
    assert top_up.balance == Decimal("20.00")


def test_invoices_read_the_documents_example(api, client):
    api.get(f"{BASE}/api/account/invoices", json=INVOICES)

    paid, unpaid = client.invoices()

    assert paid == Invoice(
        id=309,
        title="3/01/2021",
        netto=Decimal("89"),
        status=1,
        created_at=datetime(2021, 1, 1, 23, 44, 12, tzinfo=UTC),
    )
    assert paid.paid
    assert not unpaid.paid


def test_invoice_download_streams_the_file_into_the_given_file(api, client):
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 1000 + b"\n%%EOF\n"
    api.get(
        f"{BASE}/api/account/invoice/309",
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="faktura-3-01-2021.pdf"'},
    )
    target = io.BytesIO()

    result = client.invoice_download(309, target)

    assert result == InvoiceFile(
        content_type="application/pdf", filename="faktura-3-01-2021.pdf", size=len(pdf)
    )
    assert target.getvalue() == pdf


@pytest.mark.parametrize(
    ("disposition", "filename"),
    [
        ("", None),
        ("attachment", None),
        ('attachment; filename="../../etc/faktura.pdf"', "faktura.pdf"),
        ("attachment; filename*=UTF-8''faktura%20%C5%82%C3%B3d%C5%BA.pdf", "faktura łódź.pdf"),
    ],
)
def test_invoice_download_keeps_only_a_plain_filename(api, client, disposition, filename):
    headers = {"Content-Disposition": disposition} if disposition else {}
    api.get(f"{BASE}/api/account/invoice/309", body=b"%PDF-", content_type="application/pdf", headers=headers)

    assert client.invoice_download("309", io.BytesIO()).filename == filename


def test_invoice_download_stops_at_a_file_larger_than_an_invoice(api, client, monkeypatch):
    monkeypatch.setattr(client_module, "MAX_INVOICE_BYTES", 100_000)
    api.get(f"{BASE}/api/account/invoice/309", body=b"x" * 300_000, content_type="application/pdf")

    with pytest.raises(UnavailableError, match="larger than an invoice"):
        client.invoice_download(309, io.BytesIO())


def test_invoice_download_of_someone_elses_invoice_is_forbidden(api, client):
    api.get(
        f"{BASE}/api/account/invoice/1",
        json={"status": 0, "message": "Brak dostępu do wybranego zasobu."},
        status=403,
    )

    with pytest.raises(ForbiddenError) as caught:
        client.invoice_download(1, io.BytesIO())

    assert caught.value.provider_message == "Brak dostępu do wybranego zasobu."


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"json": {"status": 0, "message": "Unauthorized"}}, AuthenticationError),
        ({"json": {"status": 1, "message": "ok"}}, UnavailableError),
        ({"body": "<html><body>Login</body></html>", "content_type": "text/html"}, UnavailableError),
    ],
)
def test_invoice_download_that_is_not_a_file_is_an_error(api, client, kwargs, error):
    api.get(f"{BASE}/api/account/invoice/309", **kwargs)
    target = io.BytesIO()

    with pytest.raises(error):
        client.invoice_download(309, target)

    assert target.getvalue() == b""


class _BreaksOff(io.RawIOBase):
    """A response body that sends some bytes, then loses the connection."""

    def __init__(self) -> None:
        self.left = 200_000

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.left <= 0:
            raise ConnectionResetError("connection reset by peer")
        size = min(len(buffer), self.left)
        buffer[:size] = b"x" * size
        self.left -= size
        return size


def test_invoice_download_that_breaks_off_midway_is_unavailable(api, client):
    api.get(
        f"{BASE}/api/account/invoice/309",
        body=io.BufferedReader(_BreaksOff()),
        content_type="application/pdf",
    )
    target = io.BytesIO()

    with pytest.raises(UnavailableError, match="broke off"):
        client.invoice_download(309, target)

    assert 0 < len(target.getvalue()) <= 200_000


# --- Errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message", "error", "name"),
    [
        (401, "Unauthorized", AuthenticationError, "UNAUTHORIZED"),
        (403, "Forbidden", ForbiddenError, "FORBIDDEN"),
        (404, "Not found number in your account", NotFoundError, "NOT FOUND"),
        (405, "Metoda niedozwolona.", ProviderError, "METHOD NOT ALLOWED"),
        (422, "Brak wgranej zapowiedzi.", InvalidInputError, "UNPROCESSABLE ENTITY"),
    ],
)
def test_documented_error_codes_keep_the_providers_words(api, client, status, message, error, name):
    api.put(
        f"{BASE}/api/prm/voice/setRedirect/708123456", json={"status": 0, "message": message}, status=status
    )

    with pytest.raises(ProviderError) as caught:
        client.set_redirect("708123456", "601123456", zapowiedz=True)

    exc = caught.value
    assert type(exc) is error
    assert exc.provider_message == message
    assert (exc.code, exc.name, exc.http_status, exc.provider) == (status, name, status, PROVIDER)
    assert message in str(exc)


def test_method_not_allowed_says_it_is_our_mistake(api, client):
    api.get(f"{BASE}/api/account/balance", json={"status": 0, "message": "Zła metoda."}, status=405)

    with pytest.raises(ProviderError) as caught:
        client.balance()

    assert "method" in caught.value.detail
    assert caught.value.provider_message == "Zła metoda."


@pytest.mark.parametrize(
    "message",
    [
        "Brak wystarczających środków na koncie do zakupu usługii. Doładuj konto.",
        "Taryfa numeru Premium: min 4, max 8.",
    ],
)
def test_add_number_refusals_are_invalid_input_with_the_providers_message(api, client, message):
    api.post(f"{BASE}/api/prm/voice/addNumber/9", json={"status": 0, "message": message}, status=422)

    with pytest.raises(InvalidInputError) as caught:
        client.add_number(9)

    assert caught.value.provider_message == message


def test_validation_details_are_kept(api, client):
    body = {"status": 0, "message": "The given data was invalid.", "errors": {"tariff": ["min 4, max 8"]}}
    api.post(f"{BASE}/api/prm/voice/addNumber/3", json=body, status=422)

    with pytest.raises(InvalidInputError) as caught:
        client.add_number(3)

    assert caught.value.detail == "tariff: min 4, max 8"


def test_delete_of_a_number_not_on_the_account_is_not_found(api, client):
    body = {"status": 0, "message": "Not found number in your account"}
    api.delete(f"{BASE}/api/prm/voice/delete/708000000", json=body, status=404)

    with pytest.raises(NotFoundError):
        client.delete_number("708000000")


def test_status_0_with_http_200_is_an_error(api, client):
    api.get(
        f"{BASE}/api/prm/voice/billing", json={"status": 0, "message": "Not found number in your account"}
    )

    with pytest.raises(ProviderError) as caught:
        client.billing()

    assert type(caught.value) is ProviderError
    assert caught.value.provider_message == "Not found number in your account"
    assert caught.value.http_status == 200


def test_unauthorized_with_http_200_is_an_authentication_error(api, client):
    api.get(f"{BASE}/api/prm/voice/showNumbers", json={"status": 0, "message": "Unauthorized"})

    with pytest.raises(AuthenticationError):
        client.show_numbers()


def test_a_server_error_on_a_purchase_is_sent_once_and_its_outcome_is_unknown(api, client):
    api.post(f"{BASE}/api/prm/voice/addNumber/5", json={"message": "Server Error"}, status=503)

    with pytest.raises(UnavailableError) as caught:
        client.add_number(5)

    assert caught.value.outcome_unknown
    assert caught.value.http_status == 503
    assert len(api.calls) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.set_redirect("708123456", "601123456"),
        lambda c: c.add_number(5),
        lambda c: c.delete_number("708123456"),
    ],
)
def test_acting_calls_are_never_retried_after_a_timeout(api, client, call):
    api.put(f"{BASE}/api/prm/voice/setRedirect/708123456", body=requests.ReadTimeout())
    api.post(f"{BASE}/api/prm/voice/addNumber/5", body=requests.ReadTimeout())
    api.delete(f"{BASE}/api/prm/voice/delete/708123456", body=requests.ReadTimeout())
    api.assert_all_requests_are_fired = False

    with pytest.raises(UnavailableError) as caught:
        call(client)

    assert caught.value.outcome_unknown
    assert len(api.calls) == 1


def test_reads_are_retried_on_a_bad_gateway_then_give_up(api, client):
    api.get(f"{BASE}/api/account/balance", body="<html>502 Bad Gateway</html>", status=502)

    with pytest.raises(UnavailableError):
        client.balance()

    assert len(api.calls) == 3


def test_a_read_succeeds_when_a_retry_does(api, client):
    url = f"{BASE}/api/account/balance"
    api.get(url, body="<html>502 Bad Gateway</html>", status=502)
    api.get(url, json={"status": 1, "message": {"netto": 1, "tax": 23, "brutto": 1.23}})

    assert client.balance().brutto == Decimal("1.23")
    assert len(api.calls) == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"body": "<!DOCTYPE html><html><body>Maintenance</body></html>", "content_type": "text/html"},
        {"body": '{"status": 1, "services": [{"premium": "7086'},
        {"body": ""},
        {"json": [1, 2]},
        {"json": {"services": []}},
        {"json": {"status": 2, "services": []}},
        {"json": {"status": 1, "services": {"premium": "708600001"}}},
        {"json": {"status": 1}},
        {"json": {"status": 1, "services": [{"premium": "708600001"}]}},
        {"json": {"status": 1, "services": ["708600001"]}},
        {"json": {"status": 1, "services": [{**SHOW_NUMBERS["services"][0], "netto": "trzy"}]}},
        {"json": {"status": 1, "services": [{**SHOW_NUMBERS["services"][0], "tariff": 6.5}]}},
        {"json": {"status": 1, "services": [{**SHOW_NUMBERS["services"][0], "redirect": "601123456"}]}},
    ],
)
def test_answers_that_are_not_what_the_document_says_are_unavailable(api, client, kwargs):
    api.get(f"{BASE}/api/prm/voice/showNumbers", **kwargs)

    with pytest.raises(UnavailableError) as caught:
        client.show_numbers()

    assert "showNumbers" in str(caught.value)


@pytest.mark.parametrize(
    "row",
    [
        {**BILLING_ROW, "start": "25.06.2021 21:47"},
        {**BILLING_ROW, "end": None},
        {**BILLING_ROW, "duration": "długo"},
        {**BILLING_ROW, "billcost": None},
        {key: value for key, value in BILLING_ROW.items() if key != "toDst"},
    ],
)
def test_billing_rows_that_are_not_what_the_document_says_are_unavailable(api, client, row):
    api.get(f"{BASE}/api/prm/voice/billing", json=billing_body([BILLING_ROW, row]))

    with pytest.raises(UnavailableError, match="billing"):
        client.billing()


@pytest.mark.parametrize(
    "item",
    [
        {**WALLET_HISTORY["message"][0], "type": 2},
        {**WALLET_HISTORY["message"][0], "created_at": "wczoraj"},
        {**WALLET_HISTORY["message"][0], "cost": "dwa tysiące"},
    ],
)
def test_wallet_entries_that_are_not_what_the_document_says_are_unavailable(api, client, item):
    api.get(f"{BASE}/api/account/balance/history", json={"status": 1, "message": [item]})

    with pytest.raises(UnavailableError, match="historyWallet"):
        client.history_wallet()


def test_a_purchase_whose_answer_cannot_be_read_has_an_unknown_outcome(api, client):
    api.post(f"{BASE}/api/prm/voice/addNumber/5", json={"status": 1, "message": {"tariff": 5}}, status=201)

    with pytest.raises(UnavailableError) as caught:
        client.add_number(5)

    assert caught.value.outcome_unknown
    assert "number" in str(caught.value)


# --- Secrets -----------------------------------------------------------------------------------


def test_the_api_key_never_appears_in_errors_or_the_repr(api, client):
    body = {"status": 0, "message": f"Invalid apikey {API_KEY}", "errors": {"apikey": [API_KEY]}}
    api.get(f"{BASE}/api/prm/voice/showNumbers", json=body, status=401)

    with pytest.raises(AuthenticationError) as caught:
        client.show_numbers()

    assert API_KEY not in str(caught.value)
    assert API_KEY not in caught.value.provider_message
    assert API_KEY not in caught.value.detail
    assert API_KEY not in repr(client)
    assert EMAIL not in repr(client)


def test_the_default_base_url_is_the_providers():
    plain = PremiumClient(EMAIL, API_KEY)

    assert f"base_url='{BASE}'" in repr(plain)
