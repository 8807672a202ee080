"""The Numery-Premium.PL sandbox and the client together, over real HTTP on loopback."""

from __future__ import annotations

import io
import re
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests

from premium.client import PROVIDER, NumberNotOnAccount, PremiumClient, Prezentacja
from premium.sandbox import (
    BILLING_ANSWERS_KEPT,
    DEMO_API_KEY,
    DEMO_EMAIL,
    DISPOSITIONS,
    HOSTILE_PAYLOADS,
    TARIFF_NETTO,
    PremiumSandbox,
    demo_app,
    invoice_pdf,
)
from provider_api.errors import (
    AuthenticationError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
    UnavailableReason,
)
from provider_api.http import HttpTransport
from provider_api.wsgi_server import serve_in_thread

NOW = datetime(2025, 6, 15, 10, 0, tzinfo=UTC)  # the sandbox's clock in these tests: June 2025


def make_client(url: str, *, api_key: str = DEMO_API_KEY, read_timeout: float = 10.0) -> PremiumClient:
    transport = HttpTransport(
        url, provider=PROVIDER, secrets=(api_key,), backoff=0, timeout=(2.0, read_timeout)
    )
    return PremiumClient(DEMO_EMAIL, api_key, transport=transport)


@pytest.fixture
def sandbox() -> PremiumSandbox:
    sandbox = PremiumSandbox(DEMO_EMAIL, DEMO_API_KEY)
    sandbox.clock = lambda: NOW
    sandbox.seed_demo()
    return sandbox


@pytest.fixture
def url(sandbox):
    with serve_in_thread(sandbox) as base_url:
        yield base_url


@pytest.fixture
def client(url) -> PremiumClient:
    return make_client(url)


CREDENTIALS = {"email": DEMO_EMAIL, "apikey": DEMO_API_KEY}


# --- Demo data ---------------------------------------------------------------------------------


def test_demo_numbers_have_tariffs_prices_and_redirects(client, sandbox):
    numbers = client.show_numbers()

    assert len(numbers) == 8
    assert {n.tariff for n in numbers} == {4, 5, 6, 7, 8}
    for number in numbers:
        assert re.fullmatch(rf"70{number.tariff}[0-9]{{6}}", number.premium)
        assert number.netto == Decimal(TARIFF_NETTO[number.tariff])
        assert number.brutto == (number.netto * Decimal("1.23")).quantize(Decimal("0.01"))
    redirected = [n for n in numbers if n.redirect_to]
    assert 3 <= len(redirected) < 8
    flags = [sandbox.number(n.premium) for n in numbers]
    assert sum(f.zapowiedz for f in flags) == 1
    assert any(f.prezentacja == "prezentacja" for f in flags)


def test_demo_is_deterministic():
    first, second = (PremiumSandbox(DEMO_EMAIL, DEMO_API_KEY) for _ in range(2))
    for sandbox in (first, second):
        sandbox.clock = lambda: NOW
        sandbox.seed_demo()

    with serve_in_thread(first) as one, serve_in_thread(second) as other:
        assert make_client(one).show_numbers() == make_client(other).show_numbers()
        assert make_client(one).billing(month=5, year=2025) == make_client(other).billing(month=5, year=2025)


def test_demo_has_three_months_of_billing_with_a_few_hundred_calls_each(client):
    counts = {month: len(client.billing(month=month, year=2025)) for month in (3, 4, 5, 6)}

    assert counts == {3: 0, 4: 300, 5: 300, 6: 300}


def test_the_demo_holds_this_months_calls_made_so_far_and_none_in_the_future():
    demo = demo_app()  # the real clock: the demo tenant's sandbox
    demo.calls_per_month = 3000

    with serve_in_thread(demo) as url:
        this_month = make_client(url).billing()
    now = datetime.now(UTC)

    assert all(call.start <= now for call in this_month)
    assert len(this_month) < demo.calls_per_month  # the rest of the month's calls are still to come


def test_demo_wallet_balance_matches_its_history(client, sandbox):
    balance = client.balance()
    history = client.history_wallet()

    assert balance.netto == Decimal(sandbox.wallet_grosze()) / 100 == history[0].balance
    assert balance.tax == Decimal("23")
    assert balance.brutto == (balance.netto * Decimal("1.23")).quantize(Decimal("0.01"))
    assert {entry.credit for entry in history} == {True, False}
    assert [e.created_at for e in history] == sorted((e.created_at for e in history), reverse=True)
    assert all(e.created_at.tzinfo is UTC for e in history)


def test_demo_invoices_download_as_real_pdfs(client):
    invoices = client.invoices()

    assert len(invoices) == 3
    assert [i.paid for i in invoices] == [False, True, True]
    for invoice in invoices:
        target = io.BytesIO()
        result = client.invoice_download(invoice.id, target)
        pdf = target.getvalue()
        assert result.content_type == "application/pdf"
        assert result.size == len(pdf)
        assert result.filename == "faktura-" + invoice.title.replace("/", "-") + ".pdf"
        assert_valid_pdf(pdf)
        assert f"Faktura VAT nr {invoice.title}".encode() in pdf


def assert_valid_pdf(pdf: bytes) -> None:
    """Header, trailer and a cross-reference table whose every offset points at its object."""
    assert pdf.startswith(b"%PDF-1.4\n")
    assert pdf.endswith(b"%%EOF\n")
    xref_at = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", pdf).group(1))
    assert pdf[xref_at:].startswith(b"xref\n0 6\n0000000000 65535 f \n")
    entries = re.findall(rb"(\d{10}) 00000 n \n", pdf[xref_at:])
    assert len(entries) == 5
    for number, offset in enumerate(entries, start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj\n" % number)
    assert b"trailer\n<< /Size 6 /Root 1 0 R >>" in pdf
    length = int(re.search(rb"/Length (\d+) >>\nstream\n", pdf).group(1))
    stream_at = pdf.index(b"stream\n") + len(b"stream\n")
    assert pdf[stream_at + length :].startswith(b"\nendstream")


def test_invoice_pdf_escapes_its_text():
    pdf = invoice_pdf("1/(06)/2025 \\ ł", Decimal("40"), "2025-06-30", "a@b.pl")

    assert_valid_pdf(pdf)
    assert b"(Faktura VAT nr 1/\\(06\\)/2025 \\\\ l)" in pdf


# --- Redirects ---------------------------------------------------------------------------------


def test_set_redirect_changes_the_redirect_and_its_options(client, sandbox):
    premium = client.show_numbers()[0].premium

    message = client.set_redirect(premium, "+48 600 100 200", prezentacja=Prezentacja.CALLER)

    assert message == "Zmiany w przekierowaniach zapisane poprawnie!"
    changed = next(n for n in client.show_numbers() if n.premium == premium)
    assert (changed.appdata, changed.redirect_to) == ("number=600100200", "600100200")
    held = sandbox.number(premium)
    assert (held.prezentacja, held.zapowiedz) == ("prezentacja", False)


def test_set_redirect_without_options_restores_the_providers_defaults(client, sandbox):
    premium = next(n.premium for n in client.show_numbers() if sandbox.number(n.premium).zapowiedz)

    client.set_redirect(premium, "601123456")

    held = sandbox.number(premium)
    assert (held.prezentacja, held.zapowiedz) == ("prezentacjaA", False)


def test_announcement_without_an_upload_is_refused_with_422(client, sandbox):
    premium = next(n.premium for n in client.show_numbers() if not sandbox.number(n.premium).announcement)
    before = sandbox.number(premium)

    with pytest.raises(InvalidInputError) as caught:
        client.set_redirect(premium, "601999888", zapowiedz=True)

    assert caught.value.http_status == 422
    assert "zapowiedzi" in caught.value.provider_message
    assert sandbox.number(premium) == before

    sandbox.upload_announcement(premium)
    client.set_redirect(premium, "601999888", zapowiedz=True)
    assert sandbox.number(premium).zapowiedz


def test_set_redirect_of_a_number_not_on_the_account_is_not_found(client):
    with pytest.raises(NotFoundError) as caught:
        client.set_redirect("708000000", "601123456")

    assert caught.value.provider_message == "Not found number in your account"


# --- Buying and deleting -----------------------------------------------------------------------


def test_add_number_buys_from_the_wallet(client, sandbox):
    before = sandbox.wallet_grosze()

    bought = client.add_number(7)

    assert bought.tariff == 7
    assert bought.number.startswith("707")
    assert sandbox.wallet_grosze() == before - sandbox.number_price_grosze
    assert bought.wallet_balance == Decimal(sandbox.wallet_grosze()) / 100
    assert sandbox.request_count("/api/prm/voice/addNumber/7") == 1
    new = next(n for n in client.show_numbers() if n.premium == bought.number)
    assert (new.tariff, new.redirect_to) == (7, None)
    latest = client.history_wallet()[0]
    assert bought.number in latest.description
    assert not latest.credit
    assert latest.cost == Decimal(sandbox.number_price_grosze) / 100
    assert latest.balance == bought.wallet_balance


def test_add_number_without_enough_money_is_refused(client, sandbox):
    sandbox.number_price_grosze = sandbox.wallet_grosze() + 1
    numbers = client.show_numbers()

    with pytest.raises(InvalidInputError) as caught:
        client.add_number(5)

    assert caught.value.provider_message == (
        "Brak wystarczających środków na koncie do zakupu usługii. Doładuj konto."
    )
    assert client.show_numbers() == numbers

    sandbox.top_up(1)
    assert client.add_number(5).wallet_balance == Decimal("0.00")


@pytest.mark.parametrize("tariff", [3, 9, 0])
def test_add_number_outside_tariffs_4_to_8_is_refused(client, sandbox, tariff):
    before = sandbox.wallet_grosze()

    with pytest.raises(InvalidInputError):
        client.add_number(tariff)

    assert sandbox.wallet_grosze() == before


def test_delete_removes_the_number_and_a_second_delete_is_not_found(client):
    premium = client.show_numbers()[-1].premium

    assert client.delete_number(premium) is None

    assert premium not in {n.premium for n in client.show_numbers()}
    with pytest.raises(NotFoundError):
        client.delete_number(premium)


def test_delete_answers_204_without_a_body(url):
    numbers = requests.get(f"{url}/api/prm/voice/showNumbers", data=CREDENTIALS, timeout=5).json()["services"]

    answer = requests.delete(
        f"{url}/api/prm/voice/delete/{numbers[0]['premium']}", data=CREDENTIALS, timeout=5
    )

    assert answer.status_code == 204
    assert answer.content == b""


# --- Billing -----------------------------------------------------------------------------------


def test_billing_defaults_to_the_current_month_and_spreads_calls(client, sandbox):
    sandbox.calls_per_month = 2000

    calls = client.billing()

    assert len(calls) == 2000
    assert {(c.start.year, c.start.month) for c in calls} == {(2025, 6)}
    assert len({c.start.day for c in calls}) == 30
    assert {c.dst for c in calls} == {n.premium for n in client.show_numbers()}
    assert len({c.id for c in calls}) == 2000
    assert [c.start for c in calls] == sorted(c.start for c in calls)
    states = Counter(c.disposition for c in calls)
    assert set(states) == set(DISPOSITIONS)
    assert states["ANSWERED"] > len(calls) / 2
    for call in calls:
        if call.answered:
            assert call.start < call.answer < call.end
            assert call.billcost == (Decimal(call.billsec * 10 + 30) // 60) / 100
        else:
            assert (call.answer, call.billsec, call.billcost) == (None, 0, 0)
        assert call.duration == (call.end - call.start).total_seconds()


def test_billing_is_the_same_on_every_fetch(client):
    assert client.billing(month=5, year=2025) == client.billing(month=5, year=2025)
    assert client.billing() == client.billing(month=6, year=2025)


def test_billing_answers_are_kept_but_follow_the_account(client, sandbox):
    may = client.billing(month=5, year=2025)
    deleted = may[0].dst
    client.delete_number(deleted)

    assert deleted not in {c.dst for c in client.billing(month=5, year=2025)}
    sandbox.calls_per_month = 10
    assert len(client.billing(month=5, year=2025)) == 10
    for month in range(1, 7):
        client.billing(month=month, year=2025)
    assert len(sandbox._billing_answers) == BILLING_ANSWERS_KEPT


def test_billing_of_one_number_is_that_numbers_share_of_the_account(client):
    everything = client.billing(month=5, year=2025)
    premium = everything[0].dst

    mine = client.number_billing(premium, month=5, year=2025)

    assert mine == [c for c in everything if c.dst == premium]
    assert 0 < len(mine) < len(everything)


def test_months_differ_and_have_their_own_ids(client):
    may, april = client.billing(month=5, year=2025), client.billing(month=4, year=2025)

    assert not {c.id for c in may} & {c.id for c in april}
    assert {c.start.month for c in april} == {4}


def test_billing_has_no_calls_before_the_account_or_in_the_future(client):
    assert client.billing(month=12, year=2024) == []
    assert client.billing(month=7, year=2025) == []


def test_a_number_bought_this_month_shares_this_months_calls_only(client, sandbox):
    bought = client.add_number(4).number

    assert any(c.dst == bought for c in client.billing())
    assert client.number_billing(bought, month=5, year=2025) == []
    assert len(client.billing()) == sandbox.calls_per_month


def test_billing_of_a_number_not_on_the_account_is_not_on_the_account(client):
    with pytest.raises(NumberNotOnAccount) as caught:
        client.number_billing("708000000")

    assert caught.value.http_status == 404
    assert caught.value.provider_message == "Not found number in your account"


def test_billing_of_a_deleted_number_is_no_longer_on_the_account(client):
    premium = client.show_numbers()[0].premium
    client.delete_number(premium)

    with pytest.raises(NumberNotOnAccount):
        client.number_billing(premium, month=5, year=2025)


def test_billing_in_volume(client, sandbox):
    sandbox.calls_per_month = 100_000

    began = time.perf_counter()
    calls = client.billing(month=5, year=2025)
    elapsed = time.perf_counter() - began

    assert len(calls) == 100_000
    assert len({c.id for c in calls}) == 100_000
    assert elapsed < 30, f"100,000 billing rows took {elapsed:.1f} s"


# --- Wallet and invoices -----------------------------------------------------------------------


def test_history_wallet_shows_the_last_50_operations(client, sandbox):
    for amount in range(1, 61):
        sandbox.top_up(amount)

    history = client.history_wallet()

    assert len(history) == 50
    assert history[0].cost == Decimal("0.60")
    assert history[0].credit
    assert history[0].balance == client.balance().netto


def test_invoice_of_another_account_is_forbidden(client):
    with pytest.raises(ForbiddenError):
        client.invoice_download(1, io.BytesIO())


# --- Authentication, methods, encoding ---------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "api_key"), [(DEMO_EMAIL, "wrong-key-000"), ("other@firma.pl", DEMO_API_KEY)]
)
def test_wrong_credentials_are_refused(url, email, api_key):
    transport = HttpTransport(url, provider=PROVIDER, secrets=(api_key,), backoff=0)
    stranger = PremiumClient(email, api_key, transport=transport)

    with pytest.raises(AuthenticationError) as caught:
        stranger.balance()

    assert caught.value.provider_message == "Unauthorized"


def test_the_sandbox_reads_credentials_from_the_form_body_only(url):
    in_query = requests.get(f"{url}/api/account/balance", params=CREDENTIALS, timeout=5)
    in_body = requests.get(f"{url}/api/account/balance", data=CREDENTIALS, timeout=5)

    assert in_query.status_code == 401
    assert in_body.status_code == 200
    assert in_body.json()["status"] == 1


def test_a_wrong_method_is_405_before_authentication(url):
    answer = requests.get(f"{url}/api/prm/voice/setRedirect/708123456", timeout=5)

    assert answer.status_code == 405
    assert answer.headers["Allow"] == "PUT"
    assert answer.json()["status"] == 0


def test_an_unknown_path_is_404(url):
    answer = requests.get(f"{url}/api/prm/voice/nothing", data=CREDENTIALS, timeout=5)

    assert answer.status_code == 404
    assert answer.json() == {"status": 0, "message": "Not Found"}


@pytest.mark.parametrize("strip_prefix", [True, False])
def test_the_sandbox_works_under_a_path_prefix(sandbox, strip_prefix):
    def dispatcher(environ, start_response):
        path = environ["PATH_INFO"]
        if strip_prefix and path.startswith("/premium"):
            environ["SCRIPT_NAME"], environ["PATH_INFO"] = "/premium", path[len("/premium") :]
        return sandbox(environ, start_response)

    with serve_in_thread(dispatcher) as url:
        numbers = make_client(f"{url}/premium").show_numbers()

    assert len(numbers) == 8
    assert sandbox.request_count("/api/prm/voice/showNumbers") == 1


# --- Faults and latency ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("500", UnavailableError),
        ("html", UnavailableError),
        ("truncated", UnavailableError),
        ("auth", AuthenticationError),
    ],
)
def test_each_fault_becomes_the_right_client_error(client, sandbox, kind, error):
    sandbox.set_fault("/api/prm/voice/showNumbers", kind, times=3)

    with pytest.raises(error):
        client.show_numbers()


def test_a_timeout_fault_is_unavailable_with_an_unknown_outcome(url, sandbox):
    sandbox.fault_timeout_seconds = 1.0
    sandbox.set_fault("/api/prm/voice/addNumber/5", "timeout")
    impatient = make_client(url, read_timeout=0.3)

    with pytest.raises(UnavailableError) as caught:
        impatient.add_number(5)

    assert caught.value.outcome_unknown
    assert sandbox.request_count("/api/prm/voice/addNumber/5") == 1


def test_a_failing_purchase_is_sent_once(client, sandbox):
    sandbox.set_fault("/api/prm/voice/addNumber/5", "500")
    before = sandbox.wallet_grosze()

    with pytest.raises(UnavailableError) as caught:
        client.add_number(5)

    assert caught.value.outcome_unknown
    assert sandbox.request_count("/api/prm/voice/addNumber/5") == 1
    assert sandbox.wallet_grosze() == before


def test_a_truncated_answer_to_a_purchase_leaves_the_outcome_unknown(client, sandbox):
    sandbox.set_fault("/api/prm/voice/addNumber/6", "truncated", times=1)
    count = len(client.show_numbers())

    with pytest.raises(UnavailableError) as caught:
        client.add_number(6)

    assert caught.value.outcome_unknown
    assert len(client.show_numbers()) == count + 1  # the provider did buy it


def test_reads_retry_a_bad_gateway_and_faults_end_after_their_times(client, sandbox):
    sandbox.set_fault("/api/account/balance", "html", times=1)

    assert client.balance().netto > 0
    assert sandbox.request_count("/api/account/balance") == 2


def test_a_lasting_fault_exhausts_the_retries_until_cleared(client, sandbox):
    sandbox.set_fault("/api/account/invoices", "html")

    with pytest.raises(UnavailableError):
        client.invoices()
    assert sandbox.request_count("/api/account/invoices") == 3

    sandbox.clear_faults()
    assert len(client.invoices()) == 3


@pytest.mark.parametrize("known", [True, False], ids=["the file", "an error answer"])
def test_an_invoice_download_that_breaks_off_is_unreadable(client, sandbox, known):
    invoice_id = client.invoices()[0].id if known else 999999
    sandbox.set_fault(f"/api/account/invoice/{invoice_id}", "broken_off")

    with pytest.raises(UnavailableError) as caught:
        client.invoice_download(invoice_id, io.BytesIO())

    assert (caught.value.reason, caught.value.outcome_unknown) == (UnavailableReason.UNREADABLE, False)


def test_unknown_fault_kinds_are_refused(sandbox):
    with pytest.raises(ValueError, match="unknown fault"):
        sandbox.set_fault("/api/account/balance", "slow")


def test_latency_is_added_to_every_answer(client, sandbox):
    sandbox.latency_seconds = 0.2

    began = time.perf_counter()
    client.balance()

    assert time.perf_counter() - began >= 0.2


# --- Hostile demo data -------------------------------------------------------------------------


def test_hostile_demo_carries_html_payloads_through_the_client(url, sandbox):
    sandbox.seed_demo(hostile=True)
    client = make_client(url)
    script, img = HOSTILE_PAYLOADS

    descriptions = " ".join(e.description for e in client.history_wallet())
    assert script in descriptions
    assert img in descriptions
    assert any(script in i.title for i in client.invoices())
    assert any(img in n.appdata for n in client.show_numbers())
    with pytest.raises(NotFoundError) as caught:
        client.delete_number("708000000")
    assert script in caught.value.provider_message


def test_the_sandbox_repr_hides_the_api_key(sandbox):
    assert DEMO_API_KEY not in repr(sandbox)
