"""SpikonClient against mocked HTTP: the exact requests, the typed results, every documented error, bad bodies."""

from __future__ import annotations

import contextlib
import io
import json
import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
from spikon.client import (
    CALL_HISTORY_MAX_DAYS,
    PHONE_BOOK_ENTRY_NAME_MAX_LENGTH,
    PHONE_BOOK_NAME_MAX_LENGTH,
    PHONE_NUMBER_MAX_LENGTH,
    SMS_MESSAGE_MAX_LENGTH,
    SMS_SENDERS,
    TTS_TEXT_MAX_LENGTH,
    Agent,
    AudioFile,
    CallDirection,
    CallHistoryReport,
    CallRecord,
    Campaign,
    Deletion,
    PhoneAccount,
    PhoneBook,
    PhoneBookEntry,
    SmsState,
    SmsStatus,
    SpikonClient,
    TtsAnnouncement,
    TtsLanguage,
    TtsPrice,
    TtsStatus,
    TtsVoice,
)

BASE = "https://panel.spikon.pl"
KEY = "Sp1k0n-secret-key-abcdef"
WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture
def client() -> SpikonClient:
    return SpikonClient(KEY, transport=HttpTransport(BASE, provider="SPIKON", secrets=[KEY], backoff=0))


@pytest.fixture
def mocked():
    with responses.RequestsMock() as mock:
        yield mock


def answer(mocked, path: str, body: object, status: int = 200) -> None:
    text = body if isinstance(body, str) else json.dumps(body)
    mocked.post(f"{BASE}/api/{path}", body=text, status=status, content_type="application/json")


def sent_form(request: requests.PreparedRequest) -> dict[str, str]:
    """The urlencoded body as a dict, checking that it is one (each key once)."""
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    body = request.body if isinstance(request.body, str) else request.body.decode()
    parsed = parse_qs(body, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in parsed.values())
    return {key: values[0] for key, values in parsed.items()}


def numbered(root: str, prefix: str, rows: list[dict]) -> dict:
    body: dict[str, object] = {"count": str(len(rows))}
    body.update({f"{prefix}-{index}": row for index, row in enumerate(rows, start=1)})
    return {root: body}


ACCOUNT_ROW = {
    "id": "1",
    "number": "583001100",
    "internal": "100",
    "login": "58300110",
    "description": "Recepcja",
    "state": "1",
    "recording": "1",
}
AGENT_ROW = {
    "id": "4",
    "name": "Janina Kowalska",
    "sip": "0000001",
    "ddi": "220000001",
    "in_campaigns": [3, 4],
    "out_campaigns": [4],
    "default_out_campaign": 3,
}
MONITOR_BODY = {
    "cc-monitor": {
        "basic-data": {
            "free-members": "1",
            "busy-members": 2,
            "calls-waiting": 1,
            "answered": 41,
            "unanswered": 3,
            "in-queue": 1,
            "average-waiting-time": "00:17",
            "max-waiting": 20,
            "average-call-time": "03:05",
            "measured-sla": "01:00",
            "sla": 93,
        },
        "campaign-members": {
            "cc-campaign-member-1": {
                "login": "1234567",
                "description": "Janina Kowalska",
                "state": "Rozmowa",
                "answered": "12",
                "last-call": "2024-05-06 10:11:12",
                "pause": "Nie",
                "skill": "2",
            }
        },
        "waiting-calls": {"cc-waiting-call-1": {"number": "601234567", "waiting-time": "00:12"}},
    }
}

# (id, call, path, parameters besides api_key/api_format, answer, typed result)
REQUEST_CASES = [
    (
        "balance",
        lambda c: c.balance(),
        "balance/show",
        {"sign": "1"},
        {"account": {"balance": "123.45"}},
        Decimal("123.45"),
    ),
    (
        "phone_accounts",
        lambda c: c.phone_accounts(),
        "phone_account/list",
        {},
        numbered("phone-accounts", "phone-account", [ACCOUNT_ROW]),
        [PhoneAccount(1, "583001100", "100", "58300110", "Recepcja", 1, True)],
    ),
    (
        "initiate_call",
        lambda c: c.initiate_call(3, "601234567"),
        "call/initiate",
        {"phone_account_id": "3", "destination_number": "601234567"},
        {"call": {"state": "initiated"}},
        "initiated",
    ),
    (
        "phone_books",
        lambda c: c.phone_books(),
        "phone_book/list",
        {},
        numbered("phone-books", "phone-book", [{"id": "0", "name": "Książka główna"}]),
        [PhoneBook(0, "Książka główna")],
    ),
    (
        "phone_book_entries",
        lambda c: c.phone_book_entries(5),
        "phone_book/show",
        {"phone_book_id": "5"},
        numbered(
            "phone-book-elements",
            "phone-book-element",
            [{"id": "9", "name": "Jan Kowalski", "number": "601234567"}],
        ),
        [PhoneBookEntry(9, "Jan Kowalski", "601234567")],
    ),
    (
        "add_phone_book",
        lambda c: c.add_phone_book("Klienci"),
        "phone_book/add",
        {"phone_book_name": "Klienci"},
        {"phone-books": {"phone_book": {"id": "6", "name": "Klienci"}}},
        PhoneBook(6, "Klienci"),
    ),
    (
        "delete_phone_book",
        lambda c: c.delete_phone_book(5),
        "phone_book/delete",
        {"phone_book_id": "5"},
        {"phone-books": {"phone_book": {"id": "5", "state": "deleted"}}},
        Deletion(5, "deleted"),
    ),
    (
        "add_phone_book_entry",
        lambda c: c.add_phone_book_entry(5, "Jan Kowalski", "601234567"),
        "phone_book_element/add",
        {
            "phone_book_id": "5",
            "phone_book_element_name": "Jan Kowalski",
            "phone_book_element_number": "601234567",
        },
        {
            "phone-book-elements": {
                "phone_book_element": {"id": "10", "name": "Jan Kowalski", "number": "601234567"}
            }
        },
        PhoneBookEntry(10, "Jan Kowalski", "601234567"),
    ),
    (
        "delete_phone_book_entry",
        lambda c: c.delete_phone_book_entry(10),
        "phone_book_element/delete",
        {"phone_book_element_id": "10"},
        {"phone-book-elements": {"phone_book_element": {"id": "10", "state": "deleted"}}},
        Deletion(10, "deleted"),
    ),
    (
        "order_call_history",
        lambda c: c.order_call_history(date(2024, 1, 1), date(2024, 3, 31)),
        "call_list/order",
        {"dir": "2", "date_start": "2024-01-01", "date_end": "2024-03-31", "with_records_only": "1"},
        {"call_list": {"call_list_id": "7"}},
        7,
    ),
    (
        "order_call_history_filtered",
        lambda c: c.order_call_history(
            date(2024, 1, 1),
            date(2024, 1, 2),
            direction=CallDirection.INCOMING,
            with_recordings_only=False,
            number="601234567",
        ),
        "call_list/order",
        {
            "dir": "0",
            "date_start": "2024-01-01",
            "date_end": "2024-01-02",
            "with_records_only": "0",
            "number": "601234567",
        },
        {"call_list": {"call_list_id": "8"}},
        8,
    ),
    (
        "call_history_reports",
        lambda c: c.call_history_reports(),
        "call_list/list",
        {},
        numbered("call-lists", "call-list", [{"id": "7", "generated": "0"}, {"id": "8", "generated": "1"}]),
        [CallHistoryReport(7, False), CallHistoryReport(8, True)],
    ),
    (
        "call_history",
        lambda c: c.call_history(8),
        "call_list/show",
        {"call_list_id": "8"},
        numbered(
            "call-lists",
            "call-list",
            [
                {
                    "date": "2024-01-15 08:30:00",
                    "src": "601234567",
                    "dst": "583001100",
                    "duration": "61",
                    "state": "Odebrane",
                    "file": "",
                }
            ],
        ),
        [
            CallRecord(
                datetime(2024, 1, 15, 8, 30, tzinfo=WARSAW),
                "601234567",
                "583001100",
                61,
                "Odebrane",
                None,
                None,
            )
        ],
    ),
    (
        "call_center_campaigns",
        lambda c: c.call_center_campaigns(),
        "cc_campaigns/list",
        {},
        numbered("cc-campaigns", "cc-campaign", [{"id": "1", "name": "Infolinia"}]),
        [Campaign(1, "Infolinia")],
    ),
    (
        "call_center_agents",
        lambda c: c.call_center_agents(),
        "cc_agent/list",
        {},
        numbered("cc-agents", "cc-agent", [AGENT_ROW]),
        [Agent(4, "Janina Kowalska", "0000001", "220000001", (3, 4), (4,), 3)],
    ),
    (
        "add_agent_to_incoming_campaign",
        lambda c: c.add_agent_to_incoming_campaign(3, 7),
        "cc_in_campaign/add_agent",
        {"agent_id": "3", "campaign_id": "7"},
        {"add_agent_status": "OK"},
        None,
    ),
    (
        "remove_agent_from_incoming_campaign",
        lambda c: c.remove_agent_from_incoming_campaign(3, 7),
        "cc_in_campaign/remove_agent",
        {"agent_id": "3", "campaign_id": "7"},
        {"remove_agent": {"status": "OK"}},
        None,
    ),
    (
        "add_agent_to_outgoing_campaign",
        lambda c: c.add_agent_to_outgoing_campaign(3, 7),
        "cc_out_campaign/add_agent",
        {"agent_id": "3", "campaign_id": "7"},
        {"add_agent_status": "OK"},
        None,
    ),
    (
        "remove_agent_from_outgoing_campaign",
        lambda c: c.remove_agent_from_outgoing_campaign(3, 7),
        "cc_out_campaign/remove_agent",
        {"agent_id": "3", "campaign_id": "7"},
        {"remove_agent": {"status": "OK"}},
        None,
    ),
    (
        "set_default_outgoing_campaign",
        lambda c: c.set_default_outgoing_campaign(3, 7),
        "cc_out_campaign/set_default",
        {"agent_id": "3", "campaign_id": "7"},
        {"out_campaign_set_default": {"status": "OK"}},
        None,
    ),
    (
        "campaign_monitor",
        lambda c: c.campaign_monitor(7).answered,
        "cc_monitor/show",
        {"cc_campaign_id": "7"},
        MONITOR_BODY,
        41,
    ),
    (
        "send_sms",
        lambda c: c.send_sms("601234567", "Dzień dobry", "INFO"),
        "sms/send",
        {"from": "INFO", "to": "601234567", "message": "Dzień dobry"},
        {"sms": {"state": "OK", "ids": [12]}},
        [12],
    ),
    (
        "sms_state",
        lambda c: c.sms_state(12),
        "sms/state",
        {"id": "12"},
        {"sms": {"state": 4}},
        SmsState(4, None),
    ),
    (
        "tts_languages",
        lambda c: c.tts_languages(),
        "tts/language_list",
        {},
        {"tts": {"count": "1", "languages": [{"language": "pl-PL", "description": "Polski"}]}},
        [TtsLanguage("pl-PL", "Polski")],
    ),
    (
        "tts_voices",
        lambda c: c.tts_voices("pl-PL"),
        "tts/voice_list",
        {"language": "pl-PL"},
        {"tts": {"count": "1", "voices": [{"name": "Ewa", "gender": "F"}]}},
        [TtsVoice("Ewa", "F")],
    ),
    (
        "generate_tts",
        lambda c: c.generate_tts("Ewa", "Powitanie", "Dzień dobry"),
        "tts/generate",
        {"voice": "Ewa", "name": "Powitanie", "text": "Dzień dobry"},
        {"tts": {"tts_id": "3"}},
        3,
    ),
    (
        "tts_announcements",
        lambda c: c.tts_announcements(),
        "tts/list",
        {},
        numbered("tts", "tts", [{"id": "3", "name": "Powitanie", "generated": "0"}]),
        [TtsAnnouncement(3, "Powitanie", False)],
    ),
    (
        "delete_tts",
        lambda c: c.delete_tts(3),
        "tts/delete",
        {"tts_id": "3"},
        {"tts": {"id": "3", "state": "deleted"}},
        Deletion(3, "deleted"),
    ),
    (
        "tts_price",
        lambda c: c.tts_price("Ewa", "Dzień dobry"),
        "tts/price",
        {"voice": "Ewa", "text": "Dzień dobry"},
        {"tts": {"cost_net": "1.50", "cost_gross": "1.85"}},
        TtsPrice(Decimal("1.50"), Decimal("1.85")),
    ),
    (
        "tts_status",
        lambda c: c.tts_status(3),
        "tts/status",
        {"tts_id": "3"},
        {"tts": {"id": "3", "generated": "1"}},
        TtsStatus(3, True),
    ),
]


@pytest.mark.parametrize(
    ("name", "call", "path", "params", "body", "expected"),
    REQUEST_CASES,
    ids=[case[0] for case in REQUEST_CASES],
)
def test_each_method_sends_exactly_the_documented_request(
    client, mocked, name, call, path, params, body, expected
):
    answer(mocked, path, body)
    assert call(client) == expected
    assert len(mocked.calls) == 1
    request = mocked.calls[0].request
    assert request.method == "POST"
    assert request.url == f"{BASE}/api/{path}"  # nothing in the query string
    assert sent_form(request) == {"api_key": KEY, "api_format": "0", **params}


def test_form_body_is_utf8_urlencoded(client, mocked):
    answer(mocked, "sms/send", {"sms": {"state": "OK", "ids": [1]}})
    client.send_sms("601234567", "Zażółć gęślą jaźń & co=1", "SMS")
    body = mocked.calls[0].request.body
    assert "Za%C5%BC%C3%B3%C5%82%C4%87" in body
    assert "%26+co%3D1" in body


def test_default_base_url_is_the_providers(mocked):
    answer(mocked, "balance/show", {"account": {"balance": "1,00"}})
    assert SpikonClient(KEY).balance() == Decimal("1.00")
    assert mocked.calls[0].request.url == "https://panel.spikon.pl/api/balance/show"


def test_base_url_with_a_path_prefix(mocked):
    mocked.post("http://127.0.0.1:8001/spikon/api/balance/show", json={"account": {"balance": "2,00"}})
    assert SpikonClient(KEY, base_url="http://127.0.0.1:8001/spikon/").balance() == Decimal("2.00")


def test_the_document_limits_are_exposed():
    assert (PHONE_BOOK_NAME_MAX_LENGTH, PHONE_BOOK_ENTRY_NAME_MAX_LENGTH, PHONE_NUMBER_MAX_LENGTH) == (
        25,
        120,
        25,
    )
    assert (SMS_MESSAGE_MAX_LENGTH, TTS_TEXT_MAX_LENGTH, CALL_HISTORY_MAX_DAYS) == (918, 3000, 100)
    assert SMS_SENDERS == (
        "SMS",
        "Informacja",
        "INFO",
        "KONKURS",
        "NOWOSC",
        "OFERTA",
        "PROMOCJA",
        "WIZYTA",
        "2way",
    )


# Values


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("123,45", Decimal("123.45")),
        ("123.45", Decimal("123.45")),
        ("-12,50", Decimal("-12.50")),
        ("-0.01", Decimal("-0.01")),
        ("1 234,56", Decimal("1234.56")),
        (7, Decimal(7)),
    ],
)
def test_balance_reads_comma_or_dot_and_negative(client, mocked, sent, expected):
    answer(mocked, "balance/show", {"account": {"balance": sent}})
    assert client.balance() == expected


@pytest.mark.parametrize("sent", ["12,3,4", "", None, {"value": "1"}, True])
def test_balance_that_is_not_a_number_is_unavailable(client, mocked, sent):
    answer(mocked, "balance/show", {"account": {"balance": sent}})
    with pytest.raises(UnavailableError, match="balance/show"):
        client.balance()


def test_numbered_collections_come_in_numeric_order(client, mocked):
    rows = {f"phone-book-{n}": {"id": str(n), "name": f"Książka {n}"} for n in range(1, 13)}
    keys = list(rows)
    random.Random(3).shuffle(keys)
    answer(mocked, "phone_book/list", {"phone-books": {"count": "12", **{key: rows[key] for key in keys}}})
    assert [book.id for book in client.phone_books()] == list(range(1, 13))  # 10 after 9, not after 1


def test_collections_also_arrive_as_arrays(client, mocked):
    answer(mocked, "phone_book/list", {"phone-books": [{"id": "0", "name": "Książka główna"}]})
    assert client.phone_books() == [PhoneBook(0, "Książka główna")]


def test_empty_collections(client, mocked):
    answer(mocked, "cc_campaigns/list", {"cc-campaigns": {"count": "0"}})
    answer(mocked, "cc_agent/list", {"cc-agents": ""})
    assert client.call_center_campaigns() == []
    assert client.call_center_agents() == []


def test_minus_means_none_and_absent_optional_fields(client, mocked):
    row = {**ACCOUNT_ROW, "number": "-", "internal": "-", "recording": "0", "state": "0"}
    agent = {key: value for key, value in AGENT_ROW.items() if key not in ("ddi", "out_campaigns")}
    agent["default_out_campaign"] = None
    answer(mocked, "phone_account/list", numbered("phone-accounts", "phone-account", [row]))
    answer(mocked, "cc_agent/list", numbered("cc-agents", "cc-agent", [agent]))
    assert client.phone_accounts() == [PhoneAccount(1, None, None, "58300110", "Recepcja", 0, False)]
    assert client.call_center_agents() == [Agent(4, "Janina Kowalska", "0000001", None, (3, 4), (), None)]


def test_call_history_rows(client, mocked):
    rows = [
        {"date": "2014-08-20 10:46:54", "src": "123456789", "dst": "12345678", "duration": "123", "state": "Odebrane",
         "file": "https://panel.spikon.pl/channels/lists/call/get_playback_file?id=123456"},
        {"date": "2024-01-15 08:30:00", "src": "601234567", "dst": "583001100", "duration": "02:03", "state": "Odebrane",
         "file": "20240115-083000-601234567-583001100.wav"},
        {"date": "2024-01-15 08:00:00", "src": "601234567", "dst": "583001100", "duration": "0", "state": "Nieodebrane",
         "file": ""},
    ]  # fmt: skip
    answer(mocked, "call_list/show", numbered("call-lists", "call-list", rows))
    summer, winter, missed = client.call_history(1)
    assert summer.started_at == datetime(2014, 8, 20, 10, 46, 54, tzinfo=WARSAW)
    assert summer.started_at.utcoffset() == timedelta(hours=2)
    assert winter.started_at.utcoffset() == timedelta(hours=1)
    assert summer.recording_url == "https://panel.spikon.pl/channels/lists/call/get_playback_file?id=123456"
    assert summer.recording_file_name is None
    assert (winter.recording_url, winter.recording_file_name) == (
        None,
        "20240115-083000-601234567-583001100.wav",
    )
    assert winter.duration_seconds == 123
    assert (missed.recording_url, missed.recording_file_name, missed.duration_seconds) == (None, None, 0)


def test_call_history_with_a_bad_date_is_unavailable(client, mocked):
    row = {"date": "20.08.2014", "src": "1", "dst": "2", "duration": "1", "state": "Odebrane", "file": ""}
    answer(mocked, "call_list/show", numbered("call-lists", "call-list", [row]))
    with pytest.raises(UnavailableError, match="call_list/show"):
        client.call_history(1)


def test_campaign_monitor_fields(client, mocked):
    answer(mocked, "cc_monitor/show", MONITOR_BODY)
    monitor = client.campaign_monitor(7)
    assert (monitor.free_agents, monitor.busy_agents, monitor.calls_waiting, monitor.in_queue) == (1, 2, 1, 1)
    assert monitor.average_waiting_time == timedelta(seconds=17)
    assert monitor.average_call_time == timedelta(minutes=3, seconds=5)
    assert monitor.measured_sla == timedelta(minutes=1)
    assert monitor.sla_percent == Decimal(93)
    (member,) = monitor.members
    assert (member.sip_login, member.answered, member.on_pause, member.skill) == ("1234567", 12, False, 2)
    assert member.last_call == "2024-05-06 10:11:12"
    assert monitor.waiting_calls == ({"number": "601234567", "waiting-time": "00:12"},)


def test_campaign_monitor_with_unknown_pause_value_is_unavailable(client, mocked):
    body = json.loads(json.dumps(MONITOR_BODY))
    body["cc-monitor"]["campaign-members"]["cc-campaign-member-1"]["pause"] = "Może"
    answer(mocked, "cc_monitor/show", body)
    with pytest.raises(UnavailableError, match="pause"):
        client.campaign_monitor(7)


def test_sms_ids_and_states(client, mocked):
    answer(mocked, "sms/send", {"sms": {"state": "OK", "ids": ["12", 13]}})
    answer(mocked, "sms/state", {"sms": {"state": "2", "error": "Numer zablokowany"}})
    answer(mocked, "sms/state", {"sms": {"state": 9}})
    assert client.send_sms("601234567,602345678", "Test", "SMS") == [12, 13]
    failed = client.sms_state(12)
    assert failed == SmsState(2, "Numer zablokowany")
    assert (failed.status, failed.finished) == (SmsStatus.ERROR, True)
    unknown = client.sms_state(12)
    assert (unknown.code, unknown.status, unknown.finished) == (9, None, False)


@pytest.mark.parametrize(
    ("code", "finished"), [(-1, True), (0, False), (1, False), (2, True), (3, True), (4, False), (5, True)]
)
def test_sms_states_that_end_polling(code, finished):
    assert SmsState(code, None).finished is finished


@pytest.mark.parametrize("sms", [{"state": "OK"}, {"state": "OK", "ids": []}, {"state": "OK", "ids": {}}])
def test_sms_send_without_ids_is_unavailable_and_may_have_been_sent(client, mocked, sms):
    answer(mocked, "sms/send", {"sms": sms})
    with pytest.raises(UnavailableError) as caught:
        client.send_sms("601234567", "Test", "SMS")
    assert caught.value.outcome_unknown is True


def test_tts_list_with_the_documents_own_keys(client, mocked):
    # 4.7.4's example keys are "tts " and "tts- 1": valid JSON, so a server may send them.
    answer(
        mocked,
        "tts/list",
        '{ "tts ": { "count": "2", "tts- 1": { "id": "1", "name": "Zapowiedź 1", "generated": "1" },'
        ' "tts- 2": { "id": "2", "name": "Zapowiedź 2", "generated": "0" } } }',
    )
    assert client.tts_announcements() == [
        TtsAnnouncement(1, "Zapowiedź 1", True),
        TtsAnnouncement(2, "Zapowiedź 2", False),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"tts": {"count": "2", "languages": [{"language": "en-US", "description": "Angielski"}, {"language": "pl-PL", "description": "Polski"}]}},
        {"tts": {"count": "2", "language-1": {"language": "en-US", "description": "Angielski"}, "language-2": {"language": "pl-PL", "description": "Polski"}}},
        {"tts": [{"language": "en-US", "description": "Angielski"}, {"language": "pl-PL", "description": "Polski"}]},
    ],
    ids=["array-under-languages", "numbered", "bare-array"],
)  # fmt: skip
def test_tts_languages_in_the_shapes_a_server_can_send(client, mocked, body):
    answer(mocked, "tts/language_list", body)
    assert client.tts_languages() == [TtsLanguage("en-US", "Angielski"), TtsLanguage("pl-PL", "Polski")]


def test_the_documents_invalid_language_json_is_unavailable_not_a_crash(client, mocked):
    # 4.7.1's example is not JSON at all (an array without a key inside an object); no server can send it.
    answer(
        mocked,
        "tts/language_list",
        '{ "tts": { "count": "28", [{ "language": "en-US", "description": "Angielski (Amerykański)" },'
        ' { "language": "pl-PL", "description": "Polski" }] } }',
    )
    with pytest.raises(UnavailableError, match="not valid JSON"):
        client.tts_languages()


def test_agent_action_without_status_is_unavailable(client, mocked):
    answer(mocked, "cc_in_campaign/add_agent", {"add_agent": {}})
    with pytest.raises(UnavailableError, match="status") as caught:
        client.add_agent_to_incoming_campaign(1, 2)
    assert caught.value.outcome_unknown is True


# Documented errors (section 5)

ERROR_CLASSES = [
    (-1, "Unknown method", ProviderError),
    (-2, "API key missing", AuthenticationError),
    (-3, "Unknown API key", AuthenticationError),
    (-4, "API turned off", AuthenticationError),
    (-5, "IP address not whitelisted", AuthenticationError),
    (-6, "Wrong value for parameter", InvalidInputError),
    (-7, "Parameter missing", InvalidInputError),
    (-8, "No elements found", NotFoundError),
    (-9, "Not ready", NotReadyError),
    (-10, "Already exist", AlreadyExistsError),
    (-11, "Forbidden", ForbiddenError),
    (-12, "Data in wrong format", InvalidInputError),
    (-1000, "General failure, please contact service!", UnavailableError),
]


@pytest.mark.parametrize(
    ("code", "name", "error_class"), ERROR_CLASSES, ids=[str(row[0]) for row in ERROR_CLASSES]
)
def test_documented_errors_map_to_the_hierarchy(client, mocked, code, name, error_class):
    answer(mocked, "call_list/show", {"error": {"id": str(code), "name": name}})
    with pytest.raises(error_class) as caught:
        client.call_history(3)
    error = caught.value
    assert type(error) is error_class
    assert (error.provider, error.code, error.name) == ("SPIKON", code, name)
    assert error.provider_message  # the document's explanation when the server gives no desc
    assert f"SPIKON {code} {name}" in str(error)
    assert KEY not in str(error)


def test_ip_not_whitelisted_reads_clearly(client, mocked):
    answer(mocked, "balance/show", {"error": {"id": "-5", "name": "IP address not whitelisted"}})
    with pytest.raises(AuthenticationError) as caught:
        client.balance()
    assert "IP address not whitelisted" in str(caught.value)
    assert "białej liście" in caught.value.provider_message


def test_wrong_parameter_names_the_parameter(client, mocked):
    answer(
        mocked,
        "phone_book/add",
        {"error": {"id": "-6", "name": "Wrong value for parameter", "desc": "phone_book_name"}},
    )
    with pytest.raises(InvalidInputError) as caught:
        client.add_phone_book("x" * 26)
    assert caught.value.provider_message == "phone_book_name"
    assert str(caught.value) == "SPIKON -6 Wrong value for parameter: phone_book_name"


def test_main_phonebook_cannot_be_deleted(client, mocked):
    answer(
        mocked,
        "phone_book/delete",
        {"error": {"id": "-11", "name": "Forbidden", "desc": "Cannot delete phonebook with id = 0"}},
    )
    with pytest.raises(ForbiddenError, match="Cannot delete phonebook with id = 0"):
        client.delete_phone_book(0)


def test_general_failure_of_an_acting_call_has_unknown_outcome(client, mocked):
    answer(mocked, "sms/send", {"error": {"id": "-1000", "name": "General failure, please contact service!"}})
    answer(
        mocked, "balance/show", {"error": {"id": "-1000", "name": "General failure, please contact service!"}}
    )
    with pytest.raises(UnavailableError) as sent:
        client.send_sms("601234567", "Test", "SMS")
    with pytest.raises(UnavailableError) as read:
        client.balance()
    assert (sent.value.outcome_unknown, read.value.outcome_unknown) == (True, False)


@pytest.mark.parametrize(
    ("body", "error_class", "code", "name", "message"),
    [
        ({"error": "-3"}, AuthenticationError, -3, "Unknown API key", None),
        ({"error": -9}, NotReadyError, -9, "Not ready", None),
        ({"error": "Already exist"}, AlreadyExistsError, -10, "Already exist", None),
        ({"error": {"code": -8, "message": "No elements found"}}, NotFoundError, -8, "No elements found", None),
        ({"error": -7, "desc": "to"}, InvalidInputError, -7, "Parameter missing", "to"),
        ({"error": {"error_code": "-6", "description": "message too long"}}, InvalidInputError, -6, "Wrong value for parameter", "message too long"),
        ({"error": {"id": "-99", "name": "Brand new error"}}, ProviderError, -99, "Brand new error", ""),
        ({"error": {}}, ProviderError, None, "", "the provider reported an error"),
        ({"error": ["odd"]}, ProviderError, None, "", "the provider reported an error"),
        ({"error": True}, ProviderError, None, "", "the provider reported an error"),
    ],
)  # fmt: skip
def test_error_shapes_are_read_defensively(client, mocked, body, error_class, code, name, message):
    answer(mocked, "sms/state", body)
    with pytest.raises(error_class) as caught:
        client.sms_state(1)
    error = caught.value
    assert type(error) is error_class
    assert (error.code, error.name) == (code, name)
    if message is not None:
        assert error.provider_message == message


def test_error_in_a_non_200_answer_is_still_the_documented_error(client, mocked):
    answer(mocked, "tts/status", {"error": {"id": "-3", "name": "Unknown API key"}}, status=403)
    with pytest.raises(AuthenticationError) as caught:
        client.tts_status(1)
    assert caught.value.http_status == 403


def test_sms_state_error_field_is_not_an_error_answer(client, mocked):
    # The `error` member of 4.6.2 sits inside "sms"; only a top-level `error` is an error answer.
    answer(mocked, "sms/state", {"sms": {"state": 3, "error": "Numer nieosiągalny"}})
    assert client.sms_state(1) == SmsState(3, "Numer nieosiągalny")


def test_key_echoed_by_the_provider_is_redacted(client, mocked):
    answer(
        mocked,
        "balance/show",
        {"error": {"id": "-3", "name": "Unknown API key", "desc": f"key {KEY} unknown"}},
    )
    with pytest.raises(AuthenticationError) as caught:
        client.balance()
    assert KEY not in str(caught.value)
    assert KEY not in caught.value.provider_message


def test_minus_eight_on_a_list_means_empty(client, mocked):
    for path in ("phone_account/list", "call_list/list", "cc_campaigns/list", "cc_agent/list", "tts/list"):
        answer(mocked, path, {"error": {"id": "-8", "name": "No elements found"}})
    assert client.phone_accounts() == []
    assert client.call_history_reports() == []
    assert client.call_center_campaigns() == []
    assert client.call_center_agents() == []
    assert client.tts_announcements() == []


def test_minus_eight_for_a_named_object_is_not_found(client, mocked):
    desc = "Could not find phonebook with id = '123'"
    answer(mocked, "phone_book/show", {"error": {"id": "-8", "name": "No elements found", "desc": desc}})
    with pytest.raises(NotFoundError, match="Could not find phonebook"):
        client.phone_book_entries(123)


# Bodies that are not what the document says


@pytest.mark.parametrize(
    ("status", "body", "match"),
    [
        (200, "<!DOCTYPE html><html><body>Zaloguj się</body></html>", "HTML"),
        (200, '{"account": {"balance": "12', "not valid JSON"),
        (200, "", "empty"),
        (200, "[1, 2]", "not a JSON object"),
        (200, '"OK"', "not a JSON object"),
        (200, "[" * 100_000, "not valid JSON"),
        (200, '{"something": "else"}', "missing 'account'"),
        (200, '{"account": "123,45"}', "expected an object"),
        (500, "", "HTTP 500"),
        (404, "<html><body>Not found</body></html>", "HTTP 404"),
        (201, "{}", "missing 'account'"),
    ],
)
def test_bad_bodies_are_unavailable(client, mocked, status, body, match):
    answer(mocked, "balance/show", body, status=status)
    with pytest.raises(UnavailableError, match=match) as caught:
        client.balance()
    assert caught.value.outcome_unknown is False  # a read changes nothing
    assert KEY not in str(caught.value)


def test_non_utf8_body_is_unavailable(client, mocked):
    mocked.post(f"{BASE}/api/balance/show", body=b'{"account": {"balance": "\xff"}}')
    with pytest.raises(UnavailableError, match="not valid JSON"):
        client.balance()


def test_missing_field_is_named(client, mocked):
    row = {key: value for key, value in ACCOUNT_ROW.items() if key != "login"}
    answer(mocked, "phone_account/list", numbered("phone-accounts", "phone-account", [row]))
    with pytest.raises(UnavailableError, match="missing 'login'"):
        client.phone_accounts()


@pytest.mark.parametrize("value", ["abc", "1.5", "", True, None, [1]])
def test_wrong_value_types_are_unavailable(client, mocked, value):
    answer(mocked, "phone_book/list", numbered("phone-books", "phone-book", [{"id": value, "name": "X"}]))
    with pytest.raises(UnavailableError, match="'id'"):
        client.phone_books()


def test_collection_items_that_are_not_objects_are_unavailable(client, mocked):
    answer(mocked, "phone_book/list", {"phone-books": {"count": "1", "phone-book-1": "Testowa"}})
    with pytest.raises(UnavailableError, match="phone_book/list"):
        client.phone_books()


def test_truncated_answer_to_an_acting_call_has_unknown_outcome(client, mocked):
    answer(mocked, "tts/generate", '{"tts": {"tts_')
    with pytest.raises(UnavailableError, match="not valid JSON") as caught:
        client.generate_tts("Ewa", "Powitanie", "Dzień dobry")
    assert caught.value.outcome_unknown is True


def test_server_error_on_an_acting_call_has_unknown_outcome(client, mocked):
    answer(mocked, "call/initiate", "Internal Server Error", status=500)
    with pytest.raises(UnavailableError, match="HTTP 500") as caught:
        client.initiate_call(1, "601234567")
    assert (caught.value.http_status, caught.value.outcome_unknown) == (500, True)


# Retries: reads retry, acting calls are sent once


def test_reads_are_retried_on_gateway_errors(client, mocked):
    answer(mocked, "phone_book/list", "Service Unavailable", status=503)
    answer(mocked, "phone_book/list", "Service Unavailable", status=503)
    answer(mocked, "phone_book/list", numbered("phone-books", "phone-book", [{"id": "0", "name": "Główna"}]))
    assert client.phone_books() == [PhoneBook(0, "Główna")]
    assert len(mocked.calls) == 3


ACTING_CALLS = [
    ("call/initiate", lambda c: c.initiate_call(1, "601234567")),
    ("sms/send", lambda c: c.send_sms("601234567", "Test", "SMS")),
    ("tts/generate", lambda c: c.generate_tts("Ewa", "Powitanie", "Dzień dobry")),
    ("phone_book/add", lambda c: c.add_phone_book("Nowa")),
    ("phone_book/delete", lambda c: c.delete_phone_book(1)),
    ("phone_book_element/add", lambda c: c.add_phone_book_entry(1, "Jan", "601234567")),
    ("phone_book_element/delete", lambda c: c.delete_phone_book_entry(1)),
    ("call_list/order", lambda c: c.order_call_history(date(2024, 1, 1), date(2024, 1, 2))),
    ("cc_in_campaign/add_agent", lambda c: c.add_agent_to_incoming_campaign(1, 2)),
    ("cc_in_campaign/remove_agent", lambda c: c.remove_agent_from_incoming_campaign(1, 2)),
    ("cc_out_campaign/add_agent", lambda c: c.add_agent_to_outgoing_campaign(1, 2)),
    ("cc_out_campaign/remove_agent", lambda c: c.remove_agent_from_outgoing_campaign(1, 2)),
    ("cc_out_campaign/set_default", lambda c: c.set_default_outgoing_campaign(1, 2)),
    ("tts/delete", lambda c: c.delete_tts(1)),
]


@pytest.mark.parametrize(("path", "call"), ACTING_CALLS, ids=[row[0] for row in ACTING_CALLS])
def test_acting_calls_are_sent_once(client, mocked, path, call):
    answer(mocked, path, "Service Unavailable", status=503)
    with pytest.raises(UnavailableError) as caught:
        call(client)
    assert len(mocked.calls) == 1
    assert (caught.value.http_status, caught.value.outcome_unknown) == (503, True)


@pytest.mark.parametrize(("path", "call"), ACTING_CALLS[:3], ids=[row[0] for row in ACTING_CALLS[:3]])
def test_acting_call_timing_out_is_sent_once_with_unknown_outcome(client, mocked, path, call):
    mocked.post(f"{BASE}/api/{path}", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(UnavailableError) as caught:
        call(client)
    assert len(mocked.calls) == 1
    assert caught.value.outcome_unknown is True


# Arguments: types only (the provider validates the values)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.initiate_call("1", "601234567"),
        lambda c: c.initiate_call(True, "601234567"),
        lambda c: c.initiate_call(1, 601234567),
        lambda c: c.order_call_history(datetime(2024, 1, 1), date(2024, 1, 2)),
        lambda c: c.order_call_history(date(2024, 1, 1), "2024-01-02"),
        lambda c: c.order_call_history(date(2024, 1, 1), date(2024, 1, 2), with_recordings_only=1),
        lambda c: c.send_sms(601234567, "Test", "SMS"),
        lambda c: c.download_tts(1, io.BytesIO(), wav_pcm_8k="1"),
    ],
)
def test_wrong_argument_types_raise_before_sending(client, mocked, call):
    with pytest.raises(TypeError):
        call(client)
    assert len(mocked.calls) == 0


def test_values_are_not_validated_by_the_client(client, mocked):
    # 26 characters: too long for the provider, which answers -6; the client sends it as it is.
    answer(
        mocked,
        "phone_book/add",
        {"error": {"id": "-6", "name": "Wrong value for parameter", "desc": "phone_book_name"}},
    )
    with pytest.raises(InvalidInputError):
        client.add_phone_book("x" * 26)
    assert sent_form(mocked.calls[0].request)["phone_book_name"] == "x" * 26


# Secrets


def test_key_is_not_in_repr():
    client = SpikonClient(KEY)
    assert KEY not in repr(client)
    assert repr(client) == "SpikonClient(base_url='https://panel.spikon.pl')"


def test_empty_key_is_refused():
    with pytest.raises(TypeError):
        SpikonClient("")


# 4.7.5 download and the 4.4.3 recording link

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + (b"\xff\xfb\x18\xc4" + bytes(140)) * 2000  # > 4 chunks


def test_download_tts_streams_mp3_with_the_key_in_a_header(client, mocked):
    mocked.get(f"{BASE}/api/tts/download", body=MP3, content_type="audio/mpeg")
    destination = io.BytesIO()
    assert client.download_tts(3, destination) == AudioFile("audio/mpeg", len(MP3))
    assert destination.getvalue() == MP3
    request = mocked.calls[0].request
    assert request.method == "GET"
    assert request.url == f"{BASE}/api/tts/download?tts_id=3&pcm_8k16bm=0"
    assert request.headers["Spikon-API-Key"] == KEY
    assert request.body is None
    assert KEY not in request.url


def test_download_tts_as_wav(client, mocked):
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(100)
    mocked.get(f"{BASE}/api/tts/download", body=wav, content_type="audio/wav")
    destination = io.BytesIO()
    assert client.download_tts(3, destination, wav_pcm_8k=True) == AudioFile("audio/wav", len(wav))
    assert parse_qs(urlsplit(mocked.calls[0].request.url).query) == {"tts_id": ["3"], "pcm_8k16bm": ["1"]}
    assert destination.getvalue() == wav


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28), "audio/wav"),  # whole: the 36 bytes RIFF says, and 8
        (MP3[: 10 + 144], "audio/mpeg"),  # the tag and one whole frame
        (b"\xff\xfb\x18\xc4" + bytes(140), "audio/mpeg"),
    ],
)
def test_download_without_a_media_type_is_sniffed(client, mocked, body, expected):
    mocked.get(f"{BASE}/api/tts/download", body=body, content_type="application/octet-stream")
    assert client.download_tts(3, io.BytesIO()).content_type == expected


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(MP3[:-100], id="mp3 cut inside a frame"),
        pytest.param(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(20), id="wav shorter than its RIFF size"),
    ],
)
def test_audio_cut_short_is_an_error_not_a_file(client, mocked, body):
    """A body cut short whose Content-Length matches (a broken proxy) is caught by the audio's own sizes."""
    mocked.get(f"{BASE}/api/tts/download", body=body, content_type="application/octet-stream")
    with pytest.raises(UnavailableError, match="cut short"):
        client.download_tts(3, io.BytesIO())


@pytest.mark.parametrize(
    ("status", "body", "error_class", "match"),
    [
        (200, b'{"error": {"id": "-9", "name": "Not ready"}}', NotReadyError, "Not ready"),
        (200, b'{"error": {"id": "-2", "name": "API key missing"}}', AuthenticationError, "API key missing"),
        (200, b'{"error": {"id": "-8", "name": "No elements found"}}', NotFoundError, "No elements found"),
        (404, b'{"error": {"id": "-8", "name": "No elements found"}}', NotFoundError, "No elements found"),
        (200, b'{"tts": {"id": "3"}}', UnavailableError, "sent no audio"),
        (200, b"<!DOCTYPE html><html>login</html>", UnavailableError, "HTML"),
        (200, b"", UnavailableError, "empty file"),
        (500, b"Internal Server Error", UnavailableError, "HTTP 500"),
    ],
)
def test_download_errors_write_nothing(client, mocked, status, body, error_class, match):
    mocked.get(f"{BASE}/api/tts/download", body=body, status=status, content_type="application/json")
    destination = io.BytesIO()
    with pytest.raises(error_class, match=match):
        client.download_tts(3, destination)
    assert destination.getvalue() == b""


def test_download_breaking_off_midway_is_unavailable():
    def short_body(environ, start_response):
        start_response("200 OK", [("Content-Type", "audio/mpeg"), ("Content-Length", "100000")])
        return [MP3[:1000]]  # the connection closes 99 000 bytes early

    with serve_in_thread(short_body) as base:
        client = SpikonClient(KEY, transport=HttpTransport(base, provider="SPIKON", secrets=[KEY], retries=0))
        with pytest.raises(UnavailableError, match="broke off"):
            client.download_tts(3, io.BytesIO())


def test_download_recording_from_the_report_link(client, mocked):
    url = f"{BASE}/channels/lists/call/get_playback_file?id=123456"
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(64)
    mocked.get(url, body=wav, content_type="audio/x-wav")
    destination = io.BytesIO()
    assert client.download_recording(url, destination) == AudioFile("audio/x-wav", len(wav))
    request = mocked.calls[0].request
    assert (request.method, request.url) == ("GET", url)
    assert request.headers["Spikon-API-Key"] == KEY
    assert destination.getvalue() == wav


def test_recording_behind_a_login_page_is_unavailable(client, mocked):
    url = f"{BASE}/channels/lists/call/get_playback_file?id=1"
    mocked.get(url, body=b"<!DOCTYPE html><html><form>Logowanie</form></html>", content_type="text/html")
    with pytest.raises(UnavailableError, match="HTML"):
        client.download_recording(url, io.BytesIO())


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/channels/lists/call/get_playback_file?id=1",
        "https://panel.spikon.pl.evil.example/get_playback_file?id=1",
        "http://panel.spikon.pl/channels/lists/call/get_playback_file?id=1",
        "20240115-083000-601234567-583001100.wav",
    ],
)
def test_recording_links_elsewhere_are_refused_without_sending_the_key(client, mocked, url):
    with pytest.raises(InvalidInputError, match="provider's address"):
        client.download_recording(url, io.BytesIO())
    assert len(mocked.calls) == 0


# Whatever the body, only the error hierarchy comes out

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)
ROOTS = [
    "account", "phone-accounts", "call", "phone-books", "phone-book-elements", "call-list", "call-lists",
    "cc-campaigns", "cc-agents", "cc-monitor", "sms", "tts", "tts ", "error", "add_agent_status", "remove_agent",
]  # fmt: skip
KEYS = [
    "id",
    "name",
    "number",
    "state",
    "count",
    "ids",
    "file",
    "date",
    "basic-data",
    "phone_book",
    "error",
    "desc",
]
ODD_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-2000, 2000)
    | st.floats()
    | st.sampled_from(["", "-", "a", "OK", "12,5", "1.5", "1e9", "NaN", "-Infinity", "9" * 5000, "2024-13-45 25:61:00", "Tak", "1:2:3:4"])
)  # fmt: skip
SHAPED = st.recursive(
    ODD_LEAVES,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(KEYS) | st.from_regex(r"[a-z]{1,5}-[0-9]{1,2}", fullmatch=True),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    case=st.sampled_from(REQUEST_CASES),
    body=JSON_VALUES | st.dictionaries(st.sampled_from(ROOTS), SHAPED, min_size=1, max_size=2),
    status=st.sampled_from([200, 200, 200, 400, 500, 502]),
)
def test_no_body_escapes_the_error_hierarchy(client, case, body, status):
    _name, call, path, _params, _answer, _expected = case
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(f"{BASE}/api/{path}", body=json.dumps(body), status=status, content_type="application/json")
        try:
            call(client)
        except ProviderError as error:
            assert KEY not in str(error)


def damage(data: st.DataObject, value: object) -> object:
    """A valid answer with some members dropped and some values replaced by odd ones."""
    if isinstance(value, dict):
        return {key: damage(data, item) for key, item in value.items() if data.draw(st.integers(0, 9)) != 9}
    if isinstance(value, list):
        return [damage(data, item) for item in value]
    return data.draw(ODD_LEAVES | SHAPED) if data.draw(st.integers(0, 3)) == 3 else value


@pytest.mark.parametrize("case", REQUEST_CASES, ids=[case[0] for case in REQUEST_CASES])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_answers_stay_in_the_error_hierarchy(client, case, data):
    _name, call, path, _params, body, _expected = case
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(f"{BASE}/api/{path}", json=damage(data, body))
        with contextlib.suppress(ProviderError):
            call(client)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=64) | st.text(max_size=64).map(str.encode))
def test_no_raw_bytes_escape_the_error_hierarchy(client, body):
    with responses.RequestsMock() as mock:
        mock.post(f"{BASE}/api/phone_book/list", body=body, content_type="application/json")
        mock.get(f"{BASE}/api/tts/download", body=body, content_type="application/octet-stream")
        for call in (lambda: client.phone_books(), lambda: client.download_tts(1, io.BytesIO())):
            with contextlib.suppress(ProviderError):
                call()
