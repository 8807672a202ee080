"""Every provider answer parser, fed random answers (hypothesis): each call gives its typed result or a
ProviderError, nothing else; and where the answer is not one of the provider's documented refusals, the
error is UnavailableError ("could not read the answer"). SPIKON's JSON answers are covered in
spikon/tests/test_client.py; here are the other two clients and SPIKON's XML.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
from datetime import datetime
from decimal import Decimal
from enum import Enum
from xml.sax.saxutils import escape, quoteattr

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from premium.client import PremiumClient
from provider_api.errors import ProviderError, UnavailableError
from provider_api.http import HttpTransport
from sms.client import SerwerSmsClient
from spikon.client import SpikonClient
from spikon.xml_format import XmlFormatError, parse_xml

HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BASE = "https://provider.test"
KEY = "Key-Never-In-Errors-4711"

ODD_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(
        ["", "-", "0", "1", "12,5", "3.46", "1e999", "NaN", "Infinity", "9" * 400, "2021-06-25 21:47:47",
         "2021-06-05T12:41:40.000000Z", "2024-13-45 25:61:00", "0000-00-00 00:00:00", "number=601123456",
         "ANSWERED", "prezentacjaA", "<script>alert(1)</script>"]
    )
)  # fmt: skip
KEYS = st.sampled_from(
    ["status", "message", "services", "errors", "messages", "premium", "tariff", "netto", "tax", "appdata",
     "id", "src", "dst", "start", "answer", "end", "duration", "billsec", "disposition", "billcost", "toDst",
     "cost", "balance", "description", "type", "created_at", "title", "status", "brutto", "number",
     "items", "username", "name", "phone", "email", "success", "error", "code"]
)  # fmt: skip
SHAPED = st.recursive(
    ODD_LEAVES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=24,
)


def assert_typed(value: object) -> None:
    """A parsed result: dataclasses or named tuples of plain, well-formed values (finite money, aware times)."""
    if isinstance(value, list | tuple):
        for item in value:
            assert_typed(item)
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            assert_typed(getattr(value, field.name))
    elif isinstance(value, Decimal):
        assert value.is_finite()
    elif isinstance(value, datetime):
        assert value.tzinfo is not None
    else:
        assert value is None or isinstance(value, str | int | bool | Enum), type(value)


def test_the_typed_check_can_fail():
    for untyped in ({"id": 1}, [Decimal("NaN")], datetime(2025, 1, 1), object()):
        with pytest.raises(AssertionError):
            assert_typed(untyped)


def check_call(call, *, documented_refusal: bool) -> None:
    try:
        result = call()
    except UnavailableError as error:
        assert KEY not in str(error)
    except ProviderError as error:
        assert documented_refusal, f"{type(error).__name__} for an answer that is no documented refusal"
        assert KEY not in str(error)
    else:
        assert_typed(result)


# --- Numery-Premium.PL ------------------------------------------------------------------------------

PREMIUM_CALLS = {
    "showNumbers": ("GET", "/api/prm/voice/showNumbers", lambda c: c.show_numbers()),
    "setRedirect": (
        "PUT",
        "/api/prm/voice/setRedirect/708123456",
        lambda c: c.set_redirect("708123456", "601123456"),
    ),
    "addNumber": ("POST", "/api/prm/voice/addNumber/6", lambda c: c.add_number(6)),
    "delete": ("DELETE", "/api/prm/voice/delete/708123456", lambda c: c.delete_number("708123456")),
    "billing": ("GET", "/api/prm/voice/billing", lambda c: c.billing(month=6, year=2025)),
    "balance": ("GET", "/api/account/balance", lambda c: c.balance()),
    "historyWallet": ("GET", "/api/account/balance/history", lambda c: c.history_wallet()),
    "invoices": ("GET", "/api/account/invoices", lambda c: c.invoices()),
}
# Answers as the document shows them, to be damaged.
PREMIUM_ANSWERS = {
    "showNumbers": {"status": 1, "services": [{"premium": "708123456", "tariff": 6, "netto": "3.46", "tax": 23, "appdata": "number=601123456"}]},
    "setRedirect": {"status": 1, "message": "Zmiany w przekierowaniach zapisane poprawnie!"},
    "addNumber": {"status": 1, "message": {"number": "708123457", "tariff": 6, "balance": 2000}},
    "delete": {},
    "billing": {"status": 1, "services": [{"id": 1, "src": "601123456", "dst": "708123456", "start": "2025-06-25 21:47:47", "answer": "2025-06-25 21:47:50", "end": "2025-06-25 22:07:02", "duration": 1155, "billsec": 1152, "disposition": "ANSWERED", "billcost": 1.92, "toDst": "601123456"}]},
    "balance": {"status": 1, "message": {"netto": 20, "tax": 23, "brutto": 24.6}},
    "historyWallet": {"status": 1, "message": [{"cost": 2000, "balance": 2000, "description": "Doładowanie", "type": 1, "created_at": "2021-06-05T12:41:40.000000Z"}]},
    "invoices": {"status": 1, "message": [{"id": 307, "title": "3/01/2021", "netto": "500", "status": 1, "created_at": "2021-06-05T12:41:40.000000Z"}]},
}  # fmt: skip


def transport(provider: str) -> HttpTransport:
    """No retries and no backoff: each example is one request, answered at once."""
    return HttpTransport(BASE, provider=provider, secrets=(KEY,), retries=0, backoff=0)


@pytest.fixture
def premium():
    return PremiumClient("a@b.pl", KEY, transport=transport("Numery-Premium.PL"))


def _premium_refusal(status: int, body: object, raw: str) -> bool:
    """The document's refusals: its table of HTTP error statuses (whatever the body), or `status: 0` in the
    envelope of a readable answer. A server error (5xx) is no refusal: the provider did not answer."""
    if 300 <= status < 500:
        return True
    return status < 300 and raw == "json" and isinstance(body, dict) and body.get("status") in (0, "0")


def damage(data: st.DataObject, value: object) -> object:
    """A valid answer with some members dropped and some values replaced by odd ones."""
    if isinstance(value, dict):
        return {key: damage(data, item) for key, item in value.items() if data.draw(st.integers(0, 9)) != 9}
    if isinstance(value, list):
        return [damage(data, item) for item in value]
    return data.draw(SHAPED) if data.draw(st.integers(0, 3)) == 3 else value


@pytest.mark.parametrize("name", PREMIUM_CALLS)
@HYPOTHESIS
@given(data=st.data())
def test_premium_answers_give_a_result_or_a_provider_error(premium, name, data):
    method, path, call = PREMIUM_CALLS[name]
    body = data.draw(SHAPED | st.just(PREMIUM_ANSWERS[name]).map(lambda answer: damage(data, answer)))
    status = data.draw(st.sampled_from([200, 200, 201, 202, 204, 401, 404, 422, 500, 502]))
    raw = data.draw(st.sampled_from(["json", "json", "cut", "html"]))
    text = json.dumps(body)
    content = {"json": text, "cut": text[: len(text) // 2], "html": "<html><body>502</body></html>"}[raw]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(method, f"{BASE}{path}", body=content, status=status, content_type="application/json")
        check_call(lambda: call(premium), documented_refusal=_premium_refusal(status, body, raw))


@HYPOTHESIS
@given(
    body=st.binary(max_size=200),
    content_type=st.sampled_from(["application/pdf", "application/json", "text/html", ""]),
)
def test_premium_invoice_download_gives_a_file_or_a_provider_error(premium, body, content_type):
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/api/account/invoice/307", body=body, content_type=content_type or None)
        with contextlib.suppress(ProviderError):
            assert_typed(premium.invoice_download(307, io.BytesIO()))


# --- SerwerSMS.pl -----------------------------------------------------------------------------------

SMS_CALLS = {
    "index": lambda c: c.index(),
    "view": lambda c: c.view(1194),
    "add": lambda c: c.add(subaccount_username="nowe_konto", subaccount_password="tajne", subaccount_id=1100),
    "limit": lambda c: c.limit(1194, message_type="eco", value=100),
    "delete": lambda c: c.delete(1194),
}
SMS_ANSWERS = {
    "index": {"items": [{"id": 1194, "username": "wojtek"}]},
    "view": {
        "id": 1194,
        "username": "wojtek",
        "name": "Wojciech",
        "phone": "+48730856000",
        "email": "w@x.pl",
    },
    "add": {"success": True, "id": 1400},
    "limit": {"success": True, "id": 1194},
    "delete": {"success": True},
}


@pytest.fixture
def serwersms():
    return SerwerSmsClient(token=KEY, transport=transport("SerwerSMS.pl"))


def _sms_refusal(name: str, status: int, body: object) -> bool:
    """The documented refusals: an `error` object (any HTTP status), or `success: false`."""
    if not isinstance(body, dict):
        return False
    return body.get("error") is not None or (
        name in ("add", "limit", "delete") and body.get("success") is False
    )


@pytest.mark.parametrize("name", SMS_CALLS)
@HYPOTHESIS
@given(data=st.data())
def test_serwersms_answers_give_a_result_or_a_provider_error(serwersms, name, data):
    body = data.draw(SHAPED | st.just(SMS_ANSWERS[name]).map(lambda answer: damage(data, answer)))
    status = data.draw(st.sampled_from([200, 200, 200, 400, 401, 500, 502]))
    cut = data.draw(st.booleans())
    text = json.dumps(body)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(
            f"{BASE}/subaccounts/{name}.json", body=text[: len(text) // 2] if cut else text, status=status
        )
        check_call(
            lambda: SMS_CALLS[name](serwersms),
            documented_refusal=not cut and _sms_refusal(name, status, body),
        )


# --- SPIKON's XML -----------------------------------------------------------------------------------

TAGS = st.sampled_from(
    ["account", "phone-accounts", "phone-account-1", "count", "id", "name", "number", "state", "error",
     "desc", "tts", "languages", "language", "sms", "ids", "status", "call-list", "call-list-id", "x"]
)  # fmt: skip
ATTRIBUTES = st.dictionaries(
    st.sampled_from(["type", "nil"]),
    st.sampled_from(["integer", "boolean", "array", "string", "true", "false", "x"]),
    max_size=2,
)


@st.composite
def xml_elements(draw, depth: int = 0) -> str:
    tag = draw(TAGS)
    attributes = "".join(f" {name}={quoteattr(value)}" for name, value in draw(ATTRIBUTES).items())
    if depth < 3 and draw(st.booleans()):
        children = "".join(draw(st.lists(xml_elements(depth + 1), max_size=3)))
    else:
        children = escape(draw(st.text(max_size=10) | st.sampled_from(["12", " OK ", "true", "-8", "1,5"])))
    return f"<{tag}{attributes}>{children}</{tag}>"


XML_DOCUMENTS = (
    xml_elements().map(lambda root: '<?xml version="1.0" encoding="UTF-8"?>\n' + root)
    | xml_elements()
    | st.text(max_size=40).map(lambda text: "<" + text)
    | st.sampled_from(
        ['<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "<a><b></a>", "<a>\x00</a>", "<?xml?><a/>"]
    )
)


@settings(HYPOTHESIS, max_examples=200)
@given(document=XML_DOCUMENTS)
def test_spikon_xml_parser_gives_data_or_a_format_error(document):
    try:
        parsed = parse_xml(document.encode())
    except XmlFormatError:
        return
    assert isinstance(parsed, dict) and len(parsed) == 1


SPIKON_XML_CALLS = {
    "phone_account/list": lambda c: c.phone_accounts(),
    "phone_book/list": lambda c: c.phone_books(),
    "balance/show": lambda c: c.balance(),
    "sms/send": lambda c: c.send_sms("601234567", "Test", "SMS"),
    "call_list/list": lambda c: c.call_history_reports(),
    "tts/language_list": lambda c: c.tts_languages(),
}


@pytest.mark.parametrize("path", SPIKON_XML_CALLS)
@HYPOTHESIS
@given(document=XML_DOCUMENTS)
def test_spikon_xml_answers_give_a_result_or_a_provider_error(path, document):
    client = SpikonClient(KEY, base_url=BASE, transport=transport("SPIKON"))
    with responses.RequestsMock() as mock:
        mock.post(f"{BASE}/api/{path}", body=document.encode(), content_type="application/xml")
        # A parsed <error> root is the provider's documented refusal; anything unreadable is UnavailableError.
        try:
            parsed = parse_xml(document.encode())
        except XmlFormatError:
            parsed = {}
        check_call(lambda: SPIKON_XML_CALLS[path](client), documented_refusal="error" in parsed)
