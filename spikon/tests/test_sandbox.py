"""SpikonClient against the live SpikonSandbox over real HTTP: every method, the stateful flows, errors, faults."""

from __future__ import annotations

import io
import threading
import time
import wave
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import requests

from provider_api.errors import (
    AlreadyExistsError,
    AuthenticationError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    NotReadyError,
    ProviderError,
    UnavailableError,
)
from provider_api.http import HttpTransport
from provider_api.wsgi_server import serve_in_thread
from spikon.client import CallDirection, Deletion, PhoneBook, SmsState, SpikonClient, TtsPrice
from spikon.sandbox import DEMO_API_KEY, HOSTILE_IMG, HOSTILE_SCRIPT, SpikonSandbox, demo_app
from spikon.xml_format import parse_xml

WARSAW = ZoneInfo("Europe/Warsaw")
NOW = datetime(2024, 6, 14, 15, 30, tzinfo=WARSAW)
TODAY = NOW.date()


def make_client(
    url: str, *, key: str = DEMO_API_KEY, read_timeout: float = 5.0, session=None
) -> SpikonClient:
    transport = HttpTransport(
        url, provider="SPIKON", secrets=[key], timeout=(2.0, read_timeout), backoff=0, session=session
    )
    return SpikonClient(key, transport=transport)


@pytest.fixture
def sandbox() -> SpikonSandbox:
    box = SpikonSandbox(DEMO_API_KEY, now=lambda: NOW)
    box.seed_demo()
    return box


@pytest.fixture
def url(sandbox) -> Iterator[str]:
    with serve_in_thread(sandbox) as base:
        yield base


@pytest.fixture
def client(url) -> SpikonClient:
    return make_client(url)


def raw(url: str, path: str, *, api_key: str | None = DEMO_API_KEY, **params: str) -> requests.Response:
    data = dict(params)
    if api_key is not None:
        data["api_key"] = api_key
    return requests.post(f"{url}/api/{path}", data=data, timeout=5)


def error_of(response: requests.Response) -> dict:
    assert response.status_code == 200
    return response.json()["error"]


# Demo data


def test_demo_seed(client):
    assert client.balance() == Decimal("287.45")
    accounts = client.phone_accounts()
    assert len(accounts) == 4
    assert [account.internal_number for account in accounts].count(None) == 1
    books = client.phone_books()
    assert [book.id for book in books] == [0, 1, 2]
    assert all(client.phone_book_entries(book.id) for book in books)
    assert len(client.call_center_campaigns()) == 2
    assert len(client.call_center_agents()) == 5
    assert [tts.generated for tts in client.tts_announcements()] == [True, True]


def test_demo_calls_cover_three_months_with_recordings(client):
    report = client.order_call_history(TODAY - timedelta(days=99), TODAY, with_recordings_only=False)
    client.call_history_reports()
    client.call_history_reports()
    rows = client.call_history(report)
    assert 250 <= len(rows) <= 350
    assert all(TODAY - timedelta(days=92) <= row.started_at.date() <= TODAY for row in rows)
    assert all(row.started_at <= NOW for row in rows)
    assert sum(row.recording_url is not None for row in rows) > 100
    assert any(row.recording_file_name for row in rows)  # FTP delivery: a file name only
    assert {row.state for row in rows} == {"Odebrane", "Nieodebrane", "Zajęte"}
    assert [row.started_at for row in rows] == sorted((row.started_at for row in rows), reverse=True)


def test_demo_is_deterministic():
    def history(box: SpikonSandbox) -> list:
        with serve_in_thread(box) as base:
            client = make_client(base)
            report = client.order_call_history(TODAY - timedelta(days=30), TODAY)
            client.call_history_reports()
            client.call_history_reports()
            return [(row.started_at, row.source, row.destination) for row in client.call_history(report)]

    first, second = (SpikonSandbox(now=lambda: NOW) for _ in range(2))
    first.seed_demo()
    second.seed_demo()
    assert history(first) == history(second)


def test_hostile_seed_returns_payloads_verbatim():
    box = SpikonSandbox(now=lambda: NOW)
    box.seed_demo(hostile=True)
    with serve_in_thread(box) as base:
        client = make_client(base)
        texts = [account.description for account in client.phone_accounts()]
        texts += [book.name for book in client.phone_books()]
        texts += [entry.name for entry in client.phone_book_entries(1)]
        texts += [campaign.name for campaign in client.call_center_campaigns()]
        texts += [agent.name for agent in client.call_center_agents()]
        texts += [tts.name for tts in client.tts_announcements()]
        texts += [member.description for member in client.campaign_monitor(1).members]
    joined = "\n".join(texts)
    assert joined.count(HOSTILE_SCRIPT) >= 4
    assert joined.count(HOSTILE_IMG) >= 3


def test_demo_app_is_seeded_with_the_demo_key():
    with serve_in_thread(demo_app()) as base:
        assert len(make_client(base).phone_accounts()) == 4


# 4.2 Konto


def test_balance_sign_parameter(url, sandbox, client):
    assert raw(url, "balance/show").json() == {"account": {"balance": "287,45"}}
    assert raw(url, "balance/show", sign="1").json() == {"account": {"balance": "287.45"}}
    assert error_of(raw(url, "balance/show", sign="2"))["id"] == "-6"
    sandbox.balance = Decimal("-12.5")
    assert client.balance() == Decimal("-12.50")


def test_initiate_call_rings_and_costs(client, sandbox):
    assert client.initiate_call(1, "601234567") == "initiated"
    assert sandbox.balance < Decimal("287.45")
    report = client.order_call_history(TODAY, TODAY, number="601234567", direction=CallDirection.OUTGOING)
    client.call_history_reports()
    client.call_history_reports()
    (row,) = client.call_history(report)
    assert (row.source, row.destination, row.started_at) == ("583001100", "601234567", NOW)
    assert row.recording_url is not None


def test_initiate_call_errors(url, client):
    with pytest.raises(NotFoundError, match="phone account"):
        client.initiate_call(99, "601234567")
    with pytest.raises(InvalidInputError, match="destination_number"):
        client.initiate_call(1, "6" * 26)
    missing = error_of(raw(url, "call/initiate", phone_account_id="1"))
    assert missing == {"id": "-7", "name": "Parameter missing", "desc": "destination_number"}


# 4.3 Książki telefoniczne


def test_phonebook_flow(client):
    book = client.add_phone_book("Nowa książka")
    assert book.name == "Nowa książka"
    assert book in client.phone_books()
    assert client.phone_book_entries(book.id) == []
    entry = client.add_phone_book_entry(book.id, "Jan Kowalski", "+48601234567")
    assert (entry.name, entry.number) == ("Jan Kowalski", "+48601234567")
    assert client.phone_book_entries(book.id) == [entry]
    assert client.delete_phone_book_entry(entry.id) == Deletion(entry.id, "deleted")
    assert client.phone_book_entries(book.id) == []
    with pytest.raises(NotFoundError, match="Could not find phonebook element with id"):
        client.delete_phone_book_entry(entry.id)
    assert client.delete_phone_book(book.id) == Deletion(book.id, "deleted")
    assert book not in client.phone_books()
    with pytest.raises(NotFoundError, match=f"Could not find phonebook with id = '{book.id}'"):
        client.phone_book_entries(book.id)
    with pytest.raises(NotFoundError):
        client.delete_phone_book(book.id)


def test_phonebook_names(client):
    assert client.add_phone_book("x" * 25) == PhoneBook(3, "x" * 25)
    with pytest.raises(InvalidInputError, match="phone_book_name") as too_long:
        client.add_phone_book("y" * 26)
    assert too_long.value.code == -6
    with pytest.raises(AlreadyExistsError) as duplicate:
        client.add_phone_book("Klienci VIP")
    assert (duplicate.value.code, duplicate.value.name) == (-10, "Already exist")


def test_main_phonebook_cannot_be_deleted(client):
    with pytest.raises(ForbiddenError) as caught:
        client.delete_phone_book(0)
    assert (caught.value.code, caught.value.provider_message) == (-11, "Cannot delete phonebook with id = 0")
    assert PhoneBook(0, "Książka główna") in client.phone_books()


def test_entry_limits(client):
    assert client.add_phone_book_entry(1, "n" * 120, "1" * 25).name == "n" * 120
    with pytest.raises(InvalidInputError, match="phone_book_element_name"):
        client.add_phone_book_entry(1, "n" * 121, "601234567")
    with pytest.raises(InvalidInputError, match="phone_book_element_number"):
        client.add_phone_book_entry(1, "Jan", "1" * 26)
    with pytest.raises(NotFoundError):
        client.add_phone_book_entry(77, "Jan", "601234567")


# 4.4 Historia połączeń


def test_report_is_generated_after_polls_and_not_ready_before(client):
    report = client.order_call_history(TODAY - timedelta(days=30), TODAY)
    with pytest.raises(NotReadyError) as caught:
        client.call_history(report)
    assert (caught.value.code, caught.value.name) == (-9, "Not ready")
    assert next(r for r in client.call_history_reports() if r.id == report).generated is False
    assert next(r for r in client.call_history_reports() if r.id == report).generated is True
    rows = client.call_history(report)
    assert rows
    assert all(row.recording_url or row.recording_file_name for row in rows)  # with_records_only=1
    assert all(row.started_at.tzinfo is not None for row in rows)


def test_report_filters(client):
    def fetch(**kwargs) -> list:
        report = client.order_call_history(TODAY - timedelta(days=60), TODAY, **kwargs)
        client.call_history_reports()
        client.call_history_reports()
        return client.call_history(report)

    everything = fetch(with_recordings_only=False)
    incoming = fetch(with_recordings_only=False, direction=CallDirection.INCOMING)
    outgoing = fetch(with_recordings_only=False, direction=CallDirection.OUTGOING)
    assert len(incoming) + len(outgoing) == len(everything)
    assert all(row.destination.startswith("5830011") for row in incoming)
    assert all(row.source.startswith("5830011") for row in outgoing)
    number = incoming[0].source
    assert all(
        number in (row.source, row.destination) for row in fetch(with_recordings_only=False, number=number)
    )
    assert any(row.duration_seconds == 0 for row in everything)


def test_report_range_limit(url, client):
    assert client.order_call_history(TODAY - timedelta(days=99), TODAY)  # 100 days, both included
    with pytest.raises(InvalidInputError, match="100 days"):
        client.order_call_history(TODAY - timedelta(days=100), TODAY)
    with pytest.raises(InvalidInputError, match="date_end"):
        client.order_call_history(TODAY, TODAY - timedelta(days=1))
    wrong = error_of(raw(url, "call_list/order", dir="2", date_start="14.06.2024", date_end="2024-06-14"))
    assert (wrong["id"], wrong["name"]) == ("-12", "Data in wrong format")
    assert "date_start" in wrong["desc"]


def test_reports_are_gone_after_a_month(client, sandbox):
    report = client.order_call_history(TODAY - timedelta(days=7), TODAY)
    client.call_history_reports()
    client.call_history_reports()
    assert client.call_history(report)
    sandbox.now = lambda: NOW + timedelta(days=29)
    assert client.call_history(report)
    sandbox.now = lambda: NOW + timedelta(days=31)
    with pytest.raises(NotFoundError, match="call list"):
        client.call_history(report)
    assert client.call_history_reports() == []


def test_report_polls_are_configurable():
    box = SpikonSandbox(report_polls=0, tts_polls=0, now=lambda: NOW)
    box.seed_demo()
    with serve_in_thread(box) as base:
        client = make_client(base)
        assert client.call_history(client.order_call_history(TODAY - timedelta(days=3), TODAY)) is not None
        tts_id = client.generate_tts("Ewa", "Od razu", "Dzień dobry")
        assert client.download_tts(tts_id, io.BytesIO()).size > 0


def test_recording_is_served_under_the_link_it_gives(client):
    report = client.order_call_history(TODAY - timedelta(days=30), TODAY)
    client.call_history_reports()
    client.call_history_reports()
    row = next(row for row in client.call_history(report) if row.recording_url)
    destination = io.BytesIO()
    audio = client.download_recording(row.recording_url, destination)
    assert audio.content_type == "audio/wav"
    assert audio.size == len(destination.getvalue())
    with wave.open(io.BytesIO(destination.getvalue())) as recording:
        assert (recording.getframerate(), recording.getnchannels(), recording.getsampwidth()) == (8000, 1, 2)


def test_unknown_recording_is_404(url, client):
    response = requests.get(f"{url}/channels/lists/call/get_playback_file?id=1", timeout=5)
    assert response.status_code == 404
    with pytest.raises(UnavailableError, match="HTTP 404"):
        client.download_recording(f"{url}/channels/lists/call/get_playback_file?id=1", io.BytesIO())


def strip_prefix(app: Callable, prefix: str) -> Callable:
    """What config.sandboxes does in front of the sandbox: move the prefix into SCRIPT_NAME."""

    def dispatch(environ: dict, start_response: Callable):
        environ["SCRIPT_NAME"] = prefix
        environ["PATH_INFO"] = environ["PATH_INFO"].removeprefix(prefix)
        return app(environ, start_response)

    return dispatch


@pytest.mark.parametrize("stripped", [True, False], ids=["prefix-in-script-name", "prefix-left-in-path"])
def test_mounted_under_a_prefix(sandbox, stripped):
    app = strip_prefix(sandbox, "/spikon") if stripped else sandbox
    with serve_in_thread(app) as base:
        client = make_client(f"{base}/spikon")
        assert client.balance() == Decimal("287.45")
        report = client.order_call_history(TODAY - timedelta(days=30), TODAY)
        client.call_history_reports()
        client.call_history_reports()
        row = next(row for row in client.call_history(report) if row.recording_url)
        assert row.recording_url.startswith(f"{base}/spikon/channels/lists/call/get_playback_file?id=")
        assert client.download_recording(row.recording_url, io.BytesIO()).content_type == "audio/wav"
    assert sandbox.request_count("/api/balance/show") == 1


# 4.5 Call Center


def test_agents_in_and_out_of_campaigns(client):
    def agent(agent_id: int):
        return next(agent for agent in client.call_center_agents() if agent.id == agent_id)

    assert agent(3).incoming_campaign_ids == (1,)
    client.add_agent_to_incoming_campaign(3, 2)
    assert agent(3).incoming_campaign_ids == (1, 2)
    with pytest.raises(AlreadyExistsError):
        client.add_agent_to_incoming_campaign(3, 2)
    client.remove_agent_from_incoming_campaign(3, 1)
    assert agent(3).incoming_campaign_ids == (2,)
    with pytest.raises(NotFoundError):
        client.remove_agent_from_incoming_campaign(3, 1)
    client.add_agent_to_outgoing_campaign(3, 1)
    client.add_agent_to_outgoing_campaign(3, 2)
    client.set_default_outgoing_campaign(3, 2)
    assert (agent(3).outgoing_campaign_ids, agent(3).default_outgoing_campaign_id) == ((1, 2), 2)
    client.remove_agent_from_outgoing_campaign(3, 1)
    assert agent(3).outgoing_campaign_ids == (2,)
    with pytest.raises(NotFoundError, match="agent"):
        client.add_agent_to_incoming_campaign(42, 1)
    with pytest.raises(NotFoundError, match="campaign"):
        client.set_default_outgoing_campaign(3, 42)


def test_monitor_changes_between_calls(client):
    first = client.campaign_monitor(1)
    members = {agent.sip_login for agent in client.call_center_agents() if 1 in agent.incoming_campaign_ids}
    assert {member.sip_login for member in first.members} == members
    later = [client.campaign_monitor(1) for _ in range(5)]
    assert any(monitor != first for monitor in later)
    assert all(b.answered >= a.answered for a, b in zip([first, *later], later, strict=False))
    assert all(m.free_agents + m.busy_agents <= len(m.members) for m in later)
    with pytest.raises(NotFoundError):
        client.campaign_monitor(9)


# 4.6 Wiadomości SMS


def test_sms_is_delivered_one_state_per_poll(client, sandbox):
    (sms_id,) = client.send_sms("601234567", "Dzień dobry", "SMS")
    assert sandbox.balance == Decimal("287.36")
    states = [client.sms_state(sms_id).code for _ in range(4)]
    assert states == [1, 4, 5, 5]


@pytest.mark.parametrize(("outcome", "states"), [(3, [1, 4, 3, 3]), (2, [1, 2, 2]), (4, [1, 4, 4])])
def test_sms_outcomes(client, sandbox, outcome, states):
    sandbox.set_sms_outcome("600000000", outcome)
    (sms_id,) = client.send_sms("600000000", "Test", "2way")
    seen = [client.sms_state(sms_id) for _ in states]
    assert [state.code for state in seen] == states
    if outcome == 2:
        assert seen[-1].error
        assert seen[-1].finished


def test_sms_without_funds(client, sandbox):
    sandbox.balance = Decimal("0.10")
    first, second = client.send_sms("601234567,602345678", "Test", "INFO")
    assert client.sms_state(first).code == 1
    assert client.sms_state(second) == SmsState(-1, None)
    assert client.sms_state(second).code == -1
    assert sandbox.balance == Decimal("0.01")


def test_sms_long_message_costs_more_parts(client, sandbox):
    client.send_sms("601234567", "x" * 918, "OFERTA")
    assert sandbox.balance == Decimal("287.45") - 6 * Decimal("0.09")


def test_sms_validation(client):
    with pytest.raises(InvalidInputError, match="'from'"):
        client.send_sms("601234567", "Test", "FIRMA")
    with pytest.raises(InvalidInputError, match="'to'"):
        client.send_sms("+48601234567", "Test", "SMS")
    with pytest.raises(InvalidInputError, match="'message'"):
        client.send_sms("601234567", "x" * 919, "SMS")
    with pytest.raises(NotFoundError):
        client.sms_state(999)


# 4.7 Syntezator Mowy


def test_tts_catalogue_and_price(client):
    assert ("pl-PL", "Polski") in [
        (language.code, language.description) for language in client.tts_languages()
    ]
    assert [voice.name for voice in client.tts_voices("pl-PL")] == ["Ewa", "Jacek", "Maja", "Jan"]
    with pytest.raises(InvalidInputError, match="language"):
        client.tts_voices("xx-XX")
    assert client.tts_price("Ewa", "x" * 3000) == TtsPrice(Decimal("9.00"), Decimal("11.07"))
    with pytest.raises(InvalidInputError, match="'text'"):
        client.tts_price("Ewa", "x" * 3001)
    with pytest.raises(InvalidInputError, match="'voice'"):
        client.tts_price("Nobody", "Tekst")


def test_tts_generation_flow(client, sandbox):
    tts_id = client.generate_tts("Ewa", "Zapowiedź nocna", "Zapraszamy jutro od ósmej.")
    assert sandbox.balance == Decimal("287.45") - Decimal("1.85")
    with pytest.raises(NotReadyError):
        client.download_tts(tts_id, io.BytesIO())
    assert client.tts_status(tts_id).generated is False
    assert [tts.generated for tts in client.tts_announcements() if tts.id == tts_id] == [False]
    assert client.tts_status(tts_id).generated is True
    mp3 = io.BytesIO()
    assert client.download_tts(tts_id, mp3).content_type == "audio/mpeg"
    assert mp3.getvalue().startswith(b"ID3\x04")
    assert b"\xff\xfb\x18\xc4" in mp3.getvalue()
    wav = io.BytesIO()
    assert client.download_tts(tts_id, wav, wav_pcm_8k=True).content_type == "audio/wav"
    with wave.open(io.BytesIO(wav.getvalue())) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        assert audio.getnframes() >= 8000
    assert client.delete_tts(tts_id) == Deletion(tts_id, "deleted")
    with pytest.raises(NotFoundError):
        client.download_tts(tts_id, io.BytesIO())
    with pytest.raises(NotFoundError):
        client.tts_status(tts_id)


def test_tts_list_uses_the_documents_keys_over_http(url):
    body = raw(url, "tts/list").json()
    assert list(body) == ["tts "]
    assert "tts- 1" in body["tts "]


def test_download_wants_the_key_in_the_header(url):
    as_parameter = requests.get(
        f"{url}/api/tts/download", params={"tts_id": "1", "api_key": DEMO_API_KEY}, timeout=5
    )
    assert as_parameter.json()["error"]["id"] == "-2"
    wrong = requests.get(f"{url}/api/tts/download?tts_id=1", headers={"Spikon-API-Key": "nope"}, timeout=5)
    assert wrong.json()["error"]["id"] == "-3"
    posted = requests.post(
        f"{url}/api/tts/download", data={"tts_id": "1", "api_key": DEMO_API_KEY}, timeout=5
    )
    assert posted.json()["error"]["id"] == "-1"


# Authentication and unknown methods (3.2, 3.3, section 5)


def test_wrong_key(url):
    with pytest.raises(AuthenticationError) as caught:
        make_client(url, key="not-the-key-123").balance()
    assert (caught.value.code, caught.value.name) == (-3, "Unknown API key")
    assert error_of(raw(url, "balance/show", api_key=None))["id"] == "-2"


def test_api_turned_off(client, sandbox):
    sandbox.api_enabled = False
    with pytest.raises(AuthenticationError, match="API turned off"):
        client.balance()


def test_ip_whitelist(client, sandbox):
    sandbox.ip_whitelist = {"93.184.216.119"}
    with pytest.raises(AuthenticationError) as caught:
        client.phone_books()
    assert "IP address not whitelisted" in str(caught.value)
    sandbox.ip_whitelist = {"127.0.0.1"}
    assert client.phone_books()


def test_unknown_method(url):
    assert error_of(raw(url, "phone_book/rename")) == {
        "id": "-1",
        "name": "Unknown method",
        "desc": "POST /api/phone_book/rename",
    }


def test_xml_error_answer(url):
    response = raw(url, "phone_book/delete", phone_book_id="0", api_format="1")
    assert response.headers["Content-Type"].startswith("application/xml")
    assert parse_xml(response.content) == {
        "error": {"id": "-11", "name": "Forbidden", "desc": "Cannot delete phonebook with id = 0"}
    }


# XML (api_format=1): the same client results as JSON


class XmlSession(requests.Session):
    """Asks for XML on every form call, so that the client reads the sandbox's XML."""

    def request(self, method, url, *args, data=None, **kwargs):
        if data:
            data = {**data, "api_format": "1"}
        return super().request(method, url, *args, data=data, **kwargs)


def test_xml_answers_give_the_same_results_as_json(url):
    as_json = make_client(url)
    as_xml = make_client(url, session=XmlSession())
    reads: list[Callable[[SpikonClient], object]] = [
        lambda c: c.balance(),
        lambda c: c.phone_accounts(),
        lambda c: c.phone_books(),
        lambda c: c.phone_book_entries(0),
        lambda c: c.call_center_campaigns(),
        lambda c: c.call_center_agents(),
        lambda c: c.tts_languages(),
        lambda c: c.tts_voices("pl-PL"),
        lambda c: c.tts_announcements(),
        lambda c: c.tts_price("Ewa", "Dzień dobry"),
        lambda c: c.tts_status(1),
    ]
    for read in reads:
        assert read(as_xml) == read(as_json)
    report = as_xml.order_call_history(TODAY - timedelta(days=10), TODAY)
    as_xml.call_history_reports()
    assert as_xml.call_history_reports() == as_json.call_history_reports()
    assert as_xml.call_history(report) == as_json.call_history(report)
    assert len(as_xml.campaign_monitor(1).members) == len(as_json.campaign_monitor(1).members)
    book = as_xml.add_phone_book("Z XML")
    entry = as_xml.add_phone_book_entry(book.id, "Anna", "601234567")
    assert as_json.phone_book_entries(book.id) == [entry]
    as_xml.add_agent_to_incoming_campaign(5, 1)
    as_xml.remove_agent_from_incoming_campaign(5, 1)
    as_xml.set_default_outgoing_campaign(5, 1)
    (sms_id,) = as_xml.send_sms("601234567", "Test", "SMS")
    assert as_xml.sms_state(sms_id) == SmsState(1, None)
    assert as_xml.delete_phone_book_entry(entry.id) == Deletion(entry.id, "deleted")
    with pytest.raises(ForbiddenError):
        as_xml.delete_phone_book(0)


# Faults


def test_fault_500(client, sandbox):
    sandbox.set_fault("/api/balance/show", "500")
    with pytest.raises(UnavailableError, match="HTTP 500") as caught:
        client.balance()
    assert caught.value.http_status == 500
    assert sandbox.request_count("/api/balance/show") == 1  # 500 is not a gateway error: no retry


def test_fault_html_on_a_read_is_retried(client, sandbox):
    sandbox.set_fault("/api/phone_book/list", "html")
    with pytest.raises(UnavailableError, match=r"HTTP 502.*HTML") as caught:
        client.phone_books()
    assert caught.value.http_status == 502
    assert sandbox.request_count("/api/phone_book/list") == 3
    sandbox.set_fault("/api/phone_book/list", "html", times=1)
    assert client.phone_books()
    assert sandbox.request_count("/api/phone_book/list") == 5


def test_fault_html_on_sms_send_is_sent_once(client, sandbox):
    sandbox.set_fault("/api/sms/send", "html")
    with pytest.raises(UnavailableError) as caught:
        client.send_sms("601234567", "Test", "SMS")
    assert caught.value.outcome_unknown is True
    assert sandbox.request_count("/api/sms/send") == 1


def test_fault_truncated_on_sms_send_leaves_the_outcome_unknown(client, sandbox):
    sandbox.set_fault("/api/sms/send", "truncated", times=1)
    with pytest.raises(UnavailableError, match="not valid JSON") as caught:
        client.send_sms("601234567", "Test", "SMS")
    assert caught.value.outcome_unknown is True
    assert sandbox.request_count("/api/sms/send") == 1
    assert client.sms_state(1).code == 1  # the message was in fact accepted
    assert client.send_sms("601234567", "Test", "SMS") == [2]


def test_fault_timeout(url, sandbox):
    sandbox.fault_timeout_seconds = 1.0
    impatient = make_client(url, read_timeout=0.3)
    sandbox.set_fault("/api/tts/generate", "timeout")
    with pytest.raises(UnavailableError, match="no answer in time") as caught:
        impatient.generate_tts("Ewa", "Powitanie", "Dzień dobry")
    assert caught.value.outcome_unknown is True
    assert sandbox.request_count("/api/tts/generate") == 1
    sandbox.set_fault("/api/tts/list", "timeout", times=1)
    assert len(impatient.tts_announcements()) >= 2  # the read is retried once the fault is spent
    assert sandbox.request_count("/api/tts/list") == 2


def test_fault_auth(client, sandbox):
    sandbox.set_fault("/api/cc_agent/list", "auth", times=2)
    for _ in range(2):
        with pytest.raises(AuthenticationError) as caught:
            client.call_center_agents()
        assert caught.value.code == -3
    assert len(client.call_center_agents()) == 5


def test_clear_faults_and_unknown_kind(client, sandbox):
    sandbox.set_fault("/api/balance/show", "500")
    sandbox.clear_faults()
    assert client.balance() == Decimal("287.45")
    with pytest.raises(ValueError, match="unknown fault kind"):
        sandbox.set_fault("/api/balance/show", "slow")


def test_latency(client, sandbox):
    sandbox.latency_seconds = 0.1
    started = time.monotonic()
    client.balance()
    assert time.monotonic() - started >= 0.1


def test_request_count_proves_a_single_send(client, sandbox):
    client.send_sms("601234567", "Test", "SMS")
    assert sandbox.request_count("/api/sms/send") == 1
    assert sandbox.request_count("/api/sms/state") == 0


def test_concurrent_sends_get_distinct_ids(url, sandbox):
    ids: list[int] = []
    lock = threading.Lock()

    def send() -> None:
        sent = make_client(url).send_sms("601234567", "Test", "SMS")
        with lock:
            ids.extend(sent)

    threads = [threading.Thread(target=send) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ids) == list(range(1, 13))
    assert sandbox.request_count("/api/sms/send") == 12
    assert sandbox.balance == Decimal("287.45") - 12 * Decimal("0.09")


def test_secrets_stay_out_of_reprs_and_errors(url, sandbox):
    assert DEMO_API_KEY not in repr(sandbox)
    with pytest.raises(ProviderError) as caught:
        make_client(url).delete_phone_book(0)
    assert DEMO_API_KEY not in str(caught.value)
