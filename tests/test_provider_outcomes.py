"""Each transport outcome against the sandboxes' faults, for one read and one acting call per provider.

What the client raises (which outcome, whether the call may have acted) and what the operator reads in
Polish and English. A read never "may have done it"; an acting call that was sent and not answered
readably always leaves the outcome unknown, and is sent once.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from django.utils import translation

from accounts.provider_errors import BY_CODE, BY_REASON, NOTHING_CHANGED, OUTCOME_UNKNOWN, explain
from premium.client import PROVIDER as PREMIUM
from premium.client import PremiumClient
from premium.sandbox import DEMO_API_KEY as PREMIUM_KEY
from premium.sandbox import DEMO_EMAIL, PremiumSandbox
from provider_api.errors import AuthenticationError, UnavailableError, UnavailableReason
from provider_api.http import HttpTransport
from provider_api.wsgi_server import Mount, serve_in_thread
from sms.client import PROVIDER as SERWERSMS
from sms.client import SerwerSmsClient
from sms.sandbox import DEMO_PASSWORD, DEMO_TEMPLATE_ID, DEMO_TOKEN, DEMO_USERNAME, SerwerSmsSandbox
from spikon.client import PROVIDER as SPIKON
from spikon.client import SpikonClient
from spikon.sandbox import DEMO_API_KEY as SPIKON_KEY
from spikon.sandbox import SpikonSandbox

TIMEOUT = (1.0, 0.3)  # (connect, read) seconds
SANDBOX_HANG_SECONDS = 0.6  # a "timeout" fault answers (and acts) only after this

# Each sandbox fault, and "refused" (nobody listens on the port), with the outcome the client must name.
OUTCOMES = {
    "refused": UnavailableReason.NO_CONNECTION,
    "timeout": UnavailableReason.TIMEOUT,
    "500": UnavailableReason.ERROR_STATUS,
    "html": UnavailableReason.HTML_PAGE,
    "maintenance": UnavailableReason.HTML_PAGE,
    "truncated": UnavailableReason.UNREADABLE,
    "broken_off": UnavailableReason.UNREADABLE,
}


def transport(url: str, provider: str, secret: str) -> HttpTransport:
    return HttpTransport(url, provider=provider, secrets=(secret,), timeout=TIMEOUT, backoff=0)


def premium(url: str) -> PremiumClient:
    return PremiumClient(DEMO_EMAIL, PREMIUM_KEY, transport=transport(url, PREMIUM, PREMIUM_KEY))


def spikon(url: str) -> SpikonClient:
    return SpikonClient(SPIKON_KEY, transport=transport(url, SPIKON, SPIKON_KEY))


def serwersms(url: str) -> SerwerSmsClient:
    return SerwerSmsClient(token=DEMO_TOKEN, transport=transport(url, SERWERSMS, DEMO_TOKEN))


def new_premium_sandbox() -> PremiumSandbox:
    sandbox = PremiumSandbox(DEMO_EMAIL, PREMIUM_KEY)
    sandbox.seed_demo()
    return sandbox


def new_spikon_sandbox() -> SpikonSandbox:
    sandbox = SpikonSandbox(SPIKON_KEY)
    sandbox.seed_demo()
    return sandbox


def new_serwersms_sandbox() -> SerwerSmsSandbox:
    sandbox = SerwerSmsSandbox(DEMO_TOKEN, DEMO_USERNAME, DEMO_PASSWORD)
    sandbox.seed_demo()
    return sandbox


@dataclass(frozen=True)
class ProviderCall:
    name: str
    new_sandbox: Callable
    path: str
    call: Callable[[str], object]  # base URL -> the call's result
    acts: bool

    def __str__(self) -> str:
        return self.name


CALLS = [
    ProviderCall(
        "premium balance", new_premium_sandbox, "/api/account/balance", lambda u: premium(u).balance(), False
    ),
    ProviderCall(
        "premium addNumber",
        new_premium_sandbox,
        "/api/prm/voice/addNumber/5",
        lambda u: premium(u).add_number(5),
        True,
    ),
    ProviderCall(
        "spikon balance", new_spikon_sandbox, "/api/balance/show", lambda u: spikon(u).balance(), False
    ),
    ProviderCall(
        "spikon phone_book/add",
        new_spikon_sandbox,
        "/api/phone_book/add",
        lambda u: spikon(u).add_phone_book("Dostawcy"),
        True,
    ),
    ProviderCall(
        "serwersms index",
        new_serwersms_sandbox,
        "/subaccounts/index.json",
        lambda u: serwersms(u).index(),
        False,
    ),
    ProviderCall(
        "serwersms add",
        new_serwersms_sandbox,
        "/subaccounts/add.json",
        lambda u: serwersms(u).add(
            subaccount_username="nowy_login", subaccount_password="Tajne-123", subaccount_id=DEMO_TEMPLATE_ID
        ),
        True,
    ),
]


@pytest.fixture(scope="module")
def server():
    mount = Mount()
    with serve_in_thread(mount) as url:
        yield url, mount


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def render(error: UnavailableError, language: str) -> str:
    with translation.override(language):
        return explain(error)


def in_language(sentence, language: str) -> str:
    with translation.override(language):
        return str(sentence)


@pytest.mark.parametrize("fault", OUTCOMES)
@pytest.mark.parametrize("call", CALLS, ids=str)
def test_each_outcome_is_named_and_only_an_act_that_was_sent_is_unknown(call, fault, server):
    url, mount = server
    mount.app = sandbox = call.new_sandbox()
    if fault == "refused":
        url = closed_port_url()
    else:
        sandbox.fault_timeout_seconds = SANDBOX_HANG_SECONDS
        sandbox.set_fault(call.path, fault)

    with pytest.raises(UnavailableError) as caught:
        call.call(url)

    error = caught.value
    unknown = call.acts and fault != "refused"
    assert (error.reason, error.outcome_unknown) == (OUTCOMES[fault], unknown)
    if call.acts:
        assert sandbox.request_count(call.path) == (0 if fault == "refused" else 1), "an act is sent once"
    consequence = OUTCOME_UNKNOWN if unknown else NOTHING_CHANGED
    for language in ("pl", "en"):
        text = render(error, language)
        sentence = f"{in_language(BY_REASON[OUTCOMES[fault]], language)} {in_language(consequence, language)}"
        assert text.startswith(sentence), text
        assert error.provider in text


@pytest.mark.parametrize(
    ("call", "key"),
    [(CALLS[0], (PREMIUM, 401)), (CALLS[2], (SPIKON, -3)), (CALLS[4], (SERWERSMS, 1001))],
    ids=str,
)
def test_a_refused_login_is_explained_by_the_providers_own_code(call, key, server):
    url, mount = server
    mount.app = sandbox = call.new_sandbox()
    sandbox.set_fault(call.path, "auth")

    with pytest.raises(AuthenticationError) as caught:
        call.call(url)

    assert (caught.value.provider, caught.value.code) == key
    assert render(caught.value, "pl").startswith(in_language(BY_CODE[key], "pl"))


@pytest.mark.parametrize(
    ("setting", "code", "english"),
    [
        ("api_enabled", -4, "The API is turned off in SPIKON's panel. Turn it on"),
        ("ip_whitelist", -5, "Add this server's outgoing IP address to the whitelist in SPIKON's panel"),
    ],
)
def test_spikon_api_off_and_an_address_not_whitelisted_say_what_to_do_in_spikons_panel(
    setting, code, english, server
):
    url, mount = server
    mount.app = sandbox = new_spikon_sandbox()
    setattr(sandbox, setting, False if setting == "api_enabled" else {"192.0.2.1"})

    with pytest.raises(AuthenticationError) as caught:
        spikon(url).balance()

    assert (caught.value.provider, caught.value.code) == (SPIKON, code)
    text = render(caught.value, "en")
    assert english in text and "login details" not in text
    assert f"SPIKON {code}" in text


# --- Which calls act: the transport's `retry=False`, for every method of every client -------------------

FAKE_URL = "http://127.0.0.1:9"
# Every public method of each client: whether it acts, and a call of it.
CLIENT_METHODS = {
    PremiumClient: {
        "show_numbers": (False, lambda c: c.show_numbers()),
        "set_redirect": (True, lambda c: c.set_redirect("708123456", "601123456")),
        "add_number": (True, lambda c: c.add_number(5)),
        "delete_number": (True, lambda c: c.delete_number("708123456")),
        "billing": (False, lambda c: c.billing()),
        "number_billing": (False, lambda c: c.number_billing("708123456")),
        "balance": (False, lambda c: c.balance()),
        "history_wallet": (False, lambda c: c.history_wallet()),
        "invoices": (False, lambda c: c.invoices()),
        "invoice_download": (False, lambda c: c.invoice_download(1, io.BytesIO())),
    },
    SpikonClient: {
        "balance": (False, lambda c: c.balance()),
        "phone_accounts": (False, lambda c: c.phone_accounts()),
        "initiate_call": (True, lambda c: c.initiate_call(1, "601123456")),
        "phone_books": (False, lambda c: c.phone_books()),
        "phone_book_entries": (False, lambda c: c.phone_book_entries(1)),
        "add_phone_book": (True, lambda c: c.add_phone_book("Klienci")),
        "delete_phone_book": (True, lambda c: c.delete_phone_book(1)),
        "add_phone_book_entry": (True, lambda c: c.add_phone_book_entry(1, "Jan", "601123456")),
        "delete_phone_book_entry": (True, lambda c: c.delete_phone_book_entry(1)),
        "order_call_history": (True, lambda c: c.order_call_history(date(2024, 6, 1), date(2024, 6, 2))),
        "call_history_reports": (False, lambda c: c.call_history_reports()),
        "call_history": (False, lambda c: c.call_history(1)),
        "download_recording": (False, lambda c: c.download_recording(f"{FAKE_URL}/r?id=1", io.BytesIO())),
        "call_center_campaigns": (False, lambda c: c.call_center_campaigns()),
        "call_center_agents": (False, lambda c: c.call_center_agents()),
        "add_agent_to_incoming_campaign": (True, lambda c: c.add_agent_to_incoming_campaign(1, 2)),
        "remove_agent_from_incoming_campaign": (True, lambda c: c.remove_agent_from_incoming_campaign(1, 2)),
        "add_agent_to_outgoing_campaign": (True, lambda c: c.add_agent_to_outgoing_campaign(1, 2)),
        "remove_agent_from_outgoing_campaign": (True, lambda c: c.remove_agent_from_outgoing_campaign(1, 2)),
        "set_default_outgoing_campaign": (True, lambda c: c.set_default_outgoing_campaign(1, 2)),
        "campaign_monitor": (False, lambda c: c.campaign_monitor(1)),
        "send_sms": (True, lambda c: c.send_sms("601123456", "Dzień dobry", "SMS")),
        "sms_state": (False, lambda c: c.sms_state(1)),
        "tts_languages": (False, lambda c: c.tts_languages()),
        "tts_voices": (False, lambda c: c.tts_voices("pl-PL")),
        "generate_tts": (True, lambda c: c.generate_tts("Ewa", "Powitanie", "Dzień dobry")),
        "tts_announcements": (False, lambda c: c.tts_announcements()),
        "download_tts": (False, lambda c: c.download_tts(1, io.BytesIO())),
        "delete_tts": (True, lambda c: c.delete_tts(1)),
        "tts_price": (False, lambda c: c.tts_price("Ewa", "Dzień dobry")),
        "tts_status": (False, lambda c: c.tts_status(1)),
    },
    SerwerSmsClient: {
        "index": (False, lambda c: c.index()),
        "view": (False, lambda c: c.view(1)),
        "add": (
            True,
            lambda c: c.add(
                subaccount_username="nowy_login", subaccount_password="Tajne-123", subaccount_id=1
            ),
        ),
        "limit": (True, lambda c: c.limit(1, message_type="eco", value=5)),
        "delete": (True, lambda c: c.delete(1)),
        "pool": (False, lambda c: c.pool()),
        "payments": (False, lambda c: c.payments()),
        "payment": (False, lambda c: c.payment(1)),
        "invoice": (False, lambda c: c.invoice(1)),
        "delivery_stats": (False, lambda c: c.delivery_stats()),
        "notices": (False, lambda c: c.notices()),
    },
}


class RecordingTransport:
    """Stands in for HttpTransport: notes whether the call may be retried, then fails as a timeout would."""

    base_url = FAKE_URL

    def __init__(self) -> None:
        self.retries: list[bool] = []

    def request(self, method: str, path: str, *, retry: bool, **options) -> None:
        self.retries.append(retry)
        raise UnavailableError(
            "no answer in time", reason=UnavailableReason.TIMEOUT, outcome_unknown=not retry
        )


def _new_client(cls, transport: RecordingTransport):
    if cls is PremiumClient:
        return PremiumClient(DEMO_EMAIL, PREMIUM_KEY, transport=transport)
    if cls is SpikonClient:
        return SpikonClient(SPIKON_KEY, transport=transport)
    return SerwerSmsClient(token=DEMO_TOKEN, transport=transport)


@pytest.mark.parametrize("cls", CLIENT_METHODS, ids=lambda cls: cls.__name__)
def test_every_client_method_is_classified_as_a_read_or_a_call_that_acts(cls):
    public = {name for name in vars(cls) if not name.startswith("_") and callable(getattr(cls, name))}
    assert public == set(CLIENT_METHODS[cls])


@pytest.mark.parametrize(
    ("cls", "name"), [(cls, name) for cls, methods in CLIENT_METHODS.items() for name in methods], ids=str
)
def test_only_the_calls_that_act_are_sent_without_retry(cls, name):
    acts, call = CLIENT_METHODS[cls][name]
    transport = RecordingTransport()

    with pytest.raises(UnavailableError):
        call(_new_client(cls, transport))

    assert transport.retries == [not acts]
