"""The XML format (api_format=1): the document's own XML examples read into the same typed results as JSON."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import responses

from provider_api.errors import (
    AlreadyExistsError,
    InvalidInputError,
    NotReadyError,
    ProviderError,
    UnavailableError,
)
from provider_api.http import HttpTransport
from spikon.client import (
    Agent,
    CallHistoryReport,
    CallRecord,
    Campaign,
    CampaignMember,
    CampaignMonitor,
    Deletion,
    PhoneAccount,
    PhoneBook,
    PhoneBookEntry,
    SmsState,
    SpikonClient,
    TtsAnnouncement,
    TtsLanguage,
    TtsPrice,
    TtsStatus,
    TtsVoice,
)
from spikon.xml_format import XmlFormatError, parse_xml

BASE = "https://panel.spikon.pl"
KEY = "xml-test-key-0123456789"
WARSAW = ZoneInfo("Europe/Warsaw")

# The document's XML examples, copied as printed (sections 4.2.1 to 4.7.8; page breaks joined).
XML_BALANCE = '<?xml version="1.0" encoding="UTF-8"?> <account> <balance>123,45</balance> </account>'
XML_PHONE_ACCOUNTS = (
    '<?xml version="1.0" encoding="UTF-8"?> <phone-accounts> <count>1</count> <phone-account-1> <id>1</id> '
    "<number>123456789</number> <internal>-</internal> <login>12345678</login> <description>Brak</description> "
    "<state>1</state> <recording>0</recording> </phone-account-1> </phone-accounts>"
)
XML_CALL_INITIATE = '<?xml version="1.0" encoding="UTF-8"?> <call> <state>initiated</state> </call>'
XML_PHONE_BOOKS = (
    '<?xml version="1.0" encoding="UTF-8"?> <phone-books> <count>2</count> <phone-book-1> <id>0</id> '
    "<name>Książka główna</name> </phone-book-1> <phone-book-2> <id>1</id> <name>Testowa</name> </phone-book-2> "
    "</phone-books>"
)
XML_PHONE_BOOK_SHOW = (
    '<?xml version="1.0" encoding="UTF-8"?> <phone-book-elements> <count>1</count> <phone-book-element-1> '
    "<name>Jan Kowalski</name> <number>123456789</number> </phone-book-element-1> </phone-book-elements>"
)
XML_PHONE_BOOK_ADD = (
    '<?xml version="1.0" encoding="UTF-8"?> <phone-books> <phone-book> <id>1</id> <name>Testowa</name> '
    "</phone-book> </phone-books>"
)
XML_PHONE_BOOK_DELETE = (
    '<?xml version="1.0" encoding="UTF-8"?> <phone-books> <phone-book> <id>1</id> <state>deleted</state> '
    "</phone-book> </phone-books>"
)
XML_ENTRY_ADD = (
    '<?xml version="1.0" encoding="UTF-8"?> <phone-book-elements> <phone-book-element> <id>1</id> '
    "<name>Jan Kowalski</name> <number>123456789</number> </phone-book-element> </phone-book-elements>"
)
XML_ENTRY_DELETE = (
    '<?xml version="1.0" encoding="UTF-8"?> <phone-book-elements> <phone-book-element> <id>1</id> '
    "<state>deleted</state> </phone-book-element> </phone-book-elements>"
)
XML_CALL_LIST_ORDER = (
    '<?xml version="1.0" encoding="UTF-8"?> <call-list> <call-list-id>1</call-list-id> </call-list>'
)
XML_CALL_LIST_LIST = (
    '<?xml version="1.0" encoding="UTF-8"?> <call-lists> <count>2</count> <call-list-1> <id>2</id> '
    "<generated>0</generated> </call-list-1> <call-list-2> <id>2</id> <generated>1</generated> </call-list-2> "
    "</call-lists>"
)
XML_CALL_LIST_SHOW = (
    '<?xml version="1.0" encoding="UTF-8"?> <call-lists> <count>2</count> <call-list-1> '
    "<date>2014-08-20 10:46:54</date> <src>123456789</src> <dst>12345678</dst> <duration>123</duration> "
    "<state>Odebrane</state> <file>https://panel.spikon.pl/channels/lists/call/get_playback_file?id=123456</file> "
    "</call-list-1> <call-list-2> <date>2014-08-20 09:39:32</date> <src>87654321</src> <dst>987654321</dst>"
    "<duration>321</duration> <state>Odebrane</state> <file></file> </call-list-2> </call-lists>"
)
XML_CAMPAIGNS = (
    '<?xml version="1.0" encoding="UTF-8"?> <cc-campaigns> <count>2</count> <cc-campaign-1> <id>1</id> '
    "<name>Windykacja</name> </cc-campaign-1> <cc-campaign-2> <id>2</id> <name>Infolinia</name> "
    "</cc-campaign-2> </cc-campaigns>"
)
XML_AGENTS = (
    '<?xml version="1.0" encoding="UTF-8"?> <cc-agents> <count>9</count> <cc-agent-1> <id>1</id> '
    '<name>Jan Kowalski</name> <sip>0000000</sip> <ddi>220000000</ddi> <in-campaigns type="array"> '
    '<in-campaign type="integer">1</in-campaign> <in-campaign type="integer">2</in-campaign> </in-campaigns> '
    '<out-campaigns type="array"> <out-campaign type="integer">1</out-campaign> </out-campaigns> '
    '<default-out-campaign type="integer">1</default-out-campaign> </cc-agent-1>'
    " <cc-agent-2> <id>2</id> <name>Janina Kowalska</name> <sip>0000001</sip> <ddi>220000001</ddi> "
    '<in-campaigns type="array"> <in-campaign type="integer">3</in-campaign> '
    '<in-campaign type="integer">4</in-campaign> </in-campaigns> <out-campaigns type="array"> '
    '<out-campaign type="integer">4</out-campaign> </out-campaigns> '
    '<default-out-campaign type="integer">3</default-out-campaign> </cc-agent-2> </cc-agents> '
)
XML_ADD_AGENT = '<?xml version="1.0" encoding="UTF-8"?> <add-agent> <status>OK</status> </add-agent>'
XML_REMOVE_AGENT = '<?xml version="1.0" encoding="UTF-8"?> <remove-agent> <status>OK</status> </remove-agent>'
XML_SET_DEFAULT = (
    '<?xml version="1.0" encoding="UTF-8"?> <out-campaign-set-default> <status>OK</status> '
    "</out-campaign-set-default>"
)
XML_MONITOR = """<?xml version="1.0" encoding="UTF-8"?>
<cc-monitor>
  <basic-data>
    <free-members type="integer">2</free-members>
    <busy-members type="integer">0</busy-members>
    <calls-waiting type="integer">0</calls-waiting>
    <answered type="integer">0</answered>
    <unanswered type="integer">4</unanswered>
    <in-queue type="integer">0</in-queue>
    <average-waiting-time>00:00</average-waiting-time>
    <max-waiting type="integer">20</max-waiting>
    <average-call-time>00:00</average-call-time>
    <measured-sla>01:00</measured-sla>
    <sla type="integer">0</sla>
  </basic-data>
  <campaign-members>
    <cc-campaign-member-1>
      <login>1234567</login>
      <description>Janina Kowalska</description>
      <state>Wolny</state>
      <answered>0</answered>
      <last-call>Brak danych</last-call>
      <pause>Tak</pause>
      <skill>1</skill>
    </cc-campaign-member-1>
    <cc-campaign-member-2>
      <login>2345678</login>
      <description>Adam Nowacki</description>
      <state>Wolny</state>
      <answered>0</answered>
      <last-call>Brak danych</last-call>
      <pause>Nie</pause>
      <skill>1</skill>
    </cc-campaign-member-2>
  </campaign-members>
  <waiting-calls>
</waiting-calls>
</cc-monitor>
  """
XML_SMS_SEND = (
    '<?xml version="1.0" encoding="UTF-8"?> <sms> <state> OK </state> <ids type="array"> '
    '<id type="integer">13</id> </ids> </sms>'
)
XML_SMS_STATE = '<?xml version="1.0" encoding="UTF-8"?> <sms> <state type="integer">1</state> </sms>'
XML_LANGUAGES = (
    '<?xml version="1.0" encoding="UTF-8"?> <tts> <count>28</count> <languages type="array"> <language> '
    "<language>en-US</language> <description>Angielski (Amerykański)</description> </language> <language> "
    "<language>pl-PL</language> <description>Polski</description> </language> </languages> </tts>"
)
XML_VOICES = (
    '<?xml version="1.0" encoding="UTF-8"?> <tts> <count>4</count> <voices type="array"> <voice> '
    "<name>Ewa</name> <gender>F</gender> </voice> <voice> <name>Jacek</name> <gender>M</gender> </voice> "
    "</voices> </tts>"
)
XML_TTS_GENERATE = '<?xml version="1.0" encoding="UTF-8"?> <tts> <tts-id>1</tts-id> </tts>'
XML_TTS_LIST = (
    '<?xml version="1.0" encoding="UTF-8"?> <tts> <count>2</count> <tts-1> <id>1</id> <name>Zapowiedź 1</name> '
    "<generated>1</generated> </tts-1> <tts-2> <id>2</id> <name>Zapowiedź 2</name> <generated>0</generated> "
    "</tts-2> </tts>"
)
XML_TTS_DELETE = '<?xml version="1.0" encoding="UTF-8"?> <tts> <id>1</id> <state>deleted</state> </tts>'
XML_TTS_PRICE = '<?xml version="1.0" encoding="UTF-8"?> <tts> <cost-net>9.0</cost-net> <cost-gross>11.07</cost-gross> </tts>'
XML_TTS_STATUS = '<?xml version="1.0" encoding="UTF-8"?> <tts> <id>70</id> <generated>1</generated> </tts>'

# The document's JSON examples where they are valid JSON, for the same calls.
JSON_EXAMPLES = {
    "balance": '{"account": { "balance": "123,45" }}',
    "phone_accounts": '{ "phone-accounts": { "count": "1", "phone-account-1": { "id": "1", "number": "123456789", '
    '"internal": "-", "login": "12345678", "description": "Brak", "state": "1", "recording": "0" } } }',
    "initiate_call": '{"call": { "state": "initiated" }}',
    "phone_books": '{ "phone-books": { "count": "2", "phone-book-1": { "id": "0", "name": "Książka główna" }, '
    '"phone-book-2": { "id": "1", "name": "Testowa" } } }',
    "phone_book_entries": '{ "phone-book-elements": { "count": "1", "phone-book-element-1": { "name": '
    '"Jan Kowalski", "number": "123456789" } } }',
    "add_phone_book": '{ "phone-books": { "phone_book": { "id": "1", "name": "Testowa" } } }',
    "delete_phone_book": '{ "phone-books": { "phone_book": { "id": "1", "state": "deleted" } } }',
    "add_phone_book_entry": '{ "phone-book-elements": { "phone_book_element": { "id": "1", "name": '
    '"Jan Kowalski", "number": "123456789" } } }',
    "delete_phone_book_entry": '{ "phone-book-elements": { "phone_book_element": { "id": "1", '
    '"state": "deleted" } } }',
    "order_call_history": '{"call_list": { "call_list_id": "1" }}',
    "call_history": '{ "call-lists": { "count": "2", "call-list-1": { "date": "2014-08-20 10:46:54", '
    '"src": "123456789", "dst": "12345678", "duration": "123", "state": "Odebrane", "file": '
    '"https://panel.spikon.pl/channels/lists/call/get_playback_file?id=123456" }, "call-list-2": { "date": '
    '"2014-08-20 09:39:32", "src": "87654321", "dst": "987654321", "duration": "321", "state": "Odebrane", '
    '"file": "" } } }',
    "call_center_campaigns": '{ "cc-campaigns": { "count": "2", "cc-campaign-1": { "id": "1", "name": '
    '"Windykacja" }, "cc-campaign-2": { "id": "2", "name": "Infolinia" } } }',
    "call_center_agents": '{ "cc-agents": { "count": "2", "cc-agent-1": { "id": "1", "name": "Jan Kowalski", '
    '"sip": "0000000", "ddi": "220000000", "in_campaigns": [1,2], "out_campaigns": [1], '
    '"default_out_campaign": 1 }, "cc-agent-2": { "id": "2", "name": "Janina Kowalska", "sip": "0000001", '
    '"ddi": "220000001", "in_campaigns": [3,4], "out_campaigns": [4], "default_out_campaign": 3 } } }',
    "campaign_monitor": '{ "cc-monitor":{ "basic-data":{ "free-members":2, "busy-members":0, "calls-waiting":0, '
    '"answered":0, "unanswered":4, "in-queue":0, "average-waiting-time":"00:00", "max-waiting":20, '
    '"average-call-time":"00:00", "measured-sla":"01:00", "sla":0 }, "campaign-members":{ '
    '"cc-campaign-member-1":{ "login":"1234567", "description":"Janina Kowalska", "state":"Wolny", '
    '"answered":"0", "last-call":"Brak danych", "pause":"Tak", "skill":"1" }, "cc-campaign-member-2":{ '
    '"login":"2345678", "description":"Adam Nowacki", "state":"Wolny", "answered":"0", '
    '"last-call":"Brak danych", "pause":"Nie", "skill":"1" } }, "waiting-calls":{} } }',
    "sms_state": '{ "sms": { "state": 1 } }',
    "generate_tts": '{ "tts": { "tts_id": "1" } }',
    "tts_announcements": '{ "tts ": { "count": "2", "tts- 1": { "id": "1", "name": "Zapowiedź 1", "generated": '
    '"1" }, "tts- 2": { "id": "2", "name": "Zapowiedź 2", "generated": "0" } } }',
    "delete_tts": '{ "tts": { "id": "1", "state": "deleted" } }',
    "tts_price": '{ "tts": { "cost_net": "9.0", "cost_gross": "11.07" } }',
    "tts_status": '{ "tts": { "id": "70", "generated": "1" } }',
}

MONITOR = CampaignMonitor(
    free_agents=2,
    busy_agents=0,
    calls_waiting=0,
    answered=0,
    unanswered=4,
    in_queue=0,
    average_waiting_time=timedelta(0),
    max_waiting=20,
    average_call_time=timedelta(0),
    measured_sla=timedelta(minutes=1),
    sla_percent=Decimal(0),
    members=(
        CampaignMember("1234567", "Janina Kowalska", "Wolny", 0, None, True, 1),
        CampaignMember("2345678", "Adam Nowacki", "Wolny", 0, None, False, 1),
    ),
    waiting_calls=(),
)

# (name, call, path, XML example, typed result the document's examples mean)
CASES = [
    ("balance", lambda c: c.balance(), "balance/show", XML_BALANCE, Decimal("123.45")),
    (
        "phone_accounts",
        lambda c: c.phone_accounts(),
        "phone_account/list",
        XML_PHONE_ACCOUNTS,
        [PhoneAccount(1, "123456789", None, "12345678", "Brak", 1, False)],
    ),
    (
        "initiate_call",
        lambda c: c.initiate_call(1, "601234567"),
        "call/initiate",
        XML_CALL_INITIATE,
        "initiated",
    ),
    (
        "phone_books",
        lambda c: c.phone_books(),
        "phone_book/list",
        XML_PHONE_BOOKS,
        [PhoneBook(0, "Książka główna"), PhoneBook(1, "Testowa")],
    ),
    (
        "phone_book_entries",
        lambda c: c.phone_book_entries(1),
        "phone_book/show",
        XML_PHONE_BOOK_SHOW,
        [PhoneBookEntry(None, "Jan Kowalski", "123456789")],
    ),
    (
        "add_phone_book",
        lambda c: c.add_phone_book("Testowa"),
        "phone_book/add",
        XML_PHONE_BOOK_ADD,
        PhoneBook(1, "Testowa"),
    ),
    (
        "delete_phone_book",
        lambda c: c.delete_phone_book(1),
        "phone_book/delete",
        XML_PHONE_BOOK_DELETE,
        Deletion(1, "deleted"),
    ),
    (
        "add_phone_book_entry",
        lambda c: c.add_phone_book_entry(1, "Jan Kowalski", "123456789"),
        "phone_book_element/add",
        XML_ENTRY_ADD,
        PhoneBookEntry(1, "Jan Kowalski", "123456789"),
    ),
    (
        "delete_phone_book_entry",
        lambda c: c.delete_phone_book_entry(1),
        "phone_book_element/delete",
        XML_ENTRY_DELETE,
        Deletion(1, "deleted"),
    ),
    (
        "order_call_history",
        lambda c: c.order_call_history(datetime(2014, 8, 1).date(), datetime(2014, 8, 31).date()),
        "call_list/order",
        XML_CALL_LIST_ORDER,
        1,
    ),
    (
        "call_history",
        lambda c: c.call_history(1),
        "call_list/show",
        XML_CALL_LIST_SHOW,
        [
            CallRecord(
                datetime(2014, 8, 20, 10, 46, 54, tzinfo=WARSAW),
                "123456789",
                "12345678",
                123,
                "Odebrane",
                "https://panel.spikon.pl/channels/lists/call/get_playback_file?id=123456",
                None,
            ),
            CallRecord(
                datetime(2014, 8, 20, 9, 39, 32, tzinfo=WARSAW),
                "87654321",
                "987654321",
                321,
                "Odebrane",
                None,
                None,
            ),
        ],
    ),
    (
        "call_center_campaigns",
        lambda c: c.call_center_campaigns(),
        "cc_campaigns/list",
        XML_CAMPAIGNS,
        [Campaign(1, "Windykacja"), Campaign(2, "Infolinia")],
    ),
    (
        "call_center_agents",
        lambda c: c.call_center_agents(),
        "cc_agent/list",
        XML_AGENTS,
        [
            Agent(1, "Jan Kowalski", "0000000", "220000000", (1, 2), (1,), 1),
            Agent(2, "Janina Kowalska", "0000001", "220000001", (3, 4), (4,), 3),
        ],
    ),
    ("campaign_monitor", lambda c: c.campaign_monitor(1), "cc_monitor/show", XML_MONITOR, MONITOR),
    ("sms_state", lambda c: c.sms_state(12), "sms/state", XML_SMS_STATE, SmsState(1, None)),
    (
        "generate_tts",
        lambda c: c.generate_tts("Ewa", "Powitanie", "Dzień dobry"),
        "tts/generate",
        XML_TTS_GENERATE,
        1,
    ),
    (
        "tts_announcements",
        lambda c: c.tts_announcements(),
        "tts/list",
        XML_TTS_LIST,
        [TtsAnnouncement(1, "Zapowiedź 1", True), TtsAnnouncement(2, "Zapowiedź 2", False)],
    ),
    ("delete_tts", lambda c: c.delete_tts(1), "tts/delete", XML_TTS_DELETE, Deletion(1, "deleted")),
    (
        "tts_price",
        lambda c: c.tts_price("Ewa", "Dzień dobry"),
        "tts/price",
        XML_TTS_PRICE,
        TtsPrice(Decimal("9.0"), Decimal("11.07")),
    ),
    ("tts_status", lambda c: c.tts_status(70), "tts/status", XML_TTS_STATUS, TtsStatus(70, True)),
]


@pytest.fixture
def client() -> SpikonClient:
    return SpikonClient(KEY, transport=HttpTransport(BASE, provider="SPIKON", secrets=[KEY], backoff=0))


@pytest.fixture
def mocked():
    with responses.RequestsMock() as mock:
        yield mock


def answer(
    mocked: responses.RequestsMock, path: str, body: str, content_type: str = "application/xml"
) -> None:
    mocked.post(f"{BASE}/api/{path}", body=body.encode(), content_type=content_type)


@pytest.mark.parametrize(("name", "call", "path", "xml", "expected"), CASES, ids=[case[0] for case in CASES])
def test_document_xml_example_reads_as_documented(client, mocked, name, call, path, xml, expected):
    answer(mocked, path, xml)
    assert call(client) == expected


@pytest.mark.parametrize(
    ("name", "call", "path", "xml", "expected"),
    [case for case in CASES if case[0] in JSON_EXAMPLES],
    ids=[case[0] for case in CASES if case[0] in JSON_EXAMPLES],
)
def test_document_xml_and_json_examples_give_the_same_result(client, mocked, name, call, path, xml, expected):
    answer(mocked, path, xml)
    answer(mocked, path, JSON_EXAMPLES[name], "application/json")
    from_xml = call(client)
    from_json = call(client)
    assert from_xml == from_json


def test_call_list_list_xml_example(client, mocked):
    # The document's XML example repeats id 2 where its JSON has 1 and 2: read what it says.
    answer(mocked, "call_list/list", XML_CALL_LIST_LIST)
    assert client.call_history_reports() == [CallHistoryReport(2, False), CallHistoryReport(2, True)]


def test_sms_send_xml_example(client, mocked):
    answer(mocked, "sms/send", XML_SMS_SEND)
    assert client.send_sms("601234567", "Test", "SMS") == [13]


def test_language_and_voice_xml_examples(client, mocked):
    answer(mocked, "tts/language_list", XML_LANGUAGES)
    answer(mocked, "tts/voice_list", XML_VOICES)
    assert client.tts_languages() == [
        TtsLanguage("en-US", "Angielski (Amerykański)"),
        TtsLanguage("pl-PL", "Polski"),
    ]
    assert client.tts_voices("pl-PL") == [TtsVoice("Ewa", "F"), TtsVoice("Jacek", "M")]


@pytest.mark.parametrize("xml", [XML_ADD_AGENT, XML_REMOVE_AGENT, XML_SET_DEFAULT])
def test_agent_action_xml_examples_are_success(client, mocked, xml):
    answer(mocked, "cc_in_campaign/add_agent", xml)
    assert client.add_agent_to_incoming_campaign(1, 2) is None
    assert len(mocked.calls) == 1


def test_agent_action_with_status_other_than_ok_raises(client, mocked):
    answer(
        mocked,
        "cc_out_campaign/set_default",
        "<out-campaign-set-default><status>FAILED</status></out-campaign-set-default>",
    )
    with pytest.raises(ProviderError, match="FAILED") as caught:
        client.set_default_outgoing_campaign(1, 2)
    assert type(caught.value) is ProviderError


# parse_xml itself


def test_parse_xml_types_arrays_and_empty_elements():
    parsed = parse_xml(XML_AGENTS.encode())
    agent = parsed["cc-agents"]["cc-agent-1"]
    assert agent["in-campaigns"] == [1, 2]
    assert agent["default-out-campaign"] == 1
    assert agent["sip"] == "0000000"  # untyped: stays text, leading zeros kept
    assert parse_xml(XML_MONITOR.encode())["cc-monitor"]["waiting-calls"] == ""
    assert parse_xml(XML_SMS_SEND.encode()) == {"sms": {"state": "OK", "ids": [13]}}


def test_parse_xml_nil_boolean_and_repeated_elements():
    parsed = parse_xml(
        b'<r><a nil="true"/><b type="boolean">true</b><c type="boolean">0</c><i>1</i><i>2</i><e type="array"/></r>'
    )
    assert parsed == {"r": {"a": None, "b": True, "c": False, "i": ["1", "2"], "e": []}}


def test_parse_xml_error_root():
    assert parse_xml(b"<error><id>-10</id><name>Already exist</name></error>") == {
        "error": {"id": "-10", "name": "Already exist"}
    }


@pytest.mark.parametrize(
    "body",
    [
        b'<r><i type="integer">x</i></r>',
        b'<r><b type="boolean">maybe</b></r>',
        b"<r><unclosed></r>",
        b"",
    ],
)
def test_parse_xml_rejects_malformed_documents(body):
    with pytest.raises(XmlFormatError):
        parse_xml(body)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<account><balance>&lol4;</balance></account>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE account [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<account><balance>&secret;</balance></account>"""
UTF16_DOCTYPE = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'.encode(
    "utf-16"
)


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, UTF16_DOCTYPE, b"<!DOCTYPE a><a/>"])
def test_parse_xml_refuses_any_doctype(body):
    with pytest.raises(XmlFormatError, match="DOCTYPE"):
        parse_xml(body)


def test_client_turns_entity_attack_into_unavailable(client, mocked):
    answer(mocked, "balance/show", BILLION_LAUGHS.decode())
    with pytest.raises(UnavailableError, match="DOCTYPE"):
        client.balance()


def test_xml_error_root_maps_like_json(client, mocked):
    answer(
        mocked,
        "phone_book/add",
        '<?xml version="1.0" encoding="UTF-8"?><error><id>-10</id><name>Already exist</name>'
        "<desc>Phonebook with name = 'Testowa' already exists</desc></error>",
    )
    with pytest.raises(AlreadyExistsError) as caught:
        client.add_phone_book("Testowa")
    assert caught.value.code == -10
    assert caught.value.name == "Already exist"
    assert caught.value.provider_message == "Phonebook with name = 'Testowa' already exists"


def test_xml_error_with_integer_code(client, mocked):
    answer(
        mocked,
        "tts/price",
        '<error><code type="integer">-7</code><name>Parameter missing</name><desc>text</desc></error>',
    )
    with pytest.raises(InvalidInputError) as caught:
        client.tts_price("Ewa", "")
    assert (caught.value.code, caught.value.provider_message) == (-7, "text")


def test_xml_download_error_is_read(client, mocked):
    mocked.get(
        f"{BASE}/api/tts/download",
        body=b"<error><id>-9</id><name>Not ready</name></error>",
        content_type="application/xml",
    )
    destination = io.BytesIO()
    with pytest.raises(NotReadyError, match="Not ready"):
        client.download_tts(1, destination)
    assert destination.getvalue() == b""
