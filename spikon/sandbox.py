"""A stateful simulator of the SPIKON API 1.3 (providers/spikon-api-1.3.txt) as a plain WSGI app.

It follows the document, section by section, for the demo and for tests that need a live HTTP peer.
State lives in memory behind one lock; randomness is seeded, so runs repeat.

Where the document is silent or contradicts itself, this sandbox decides:
- Errors (section 5) answer HTTP 200 with `{"error": {"id": "-6", "name": "Wrong value for parameter",
  "desc": "..."}}` (`<error>` in XML); `desc` names the parameter for -6/-7 and carries the document's own
  wording for -8/-11 ("Could not find phonebook with id = '123'", "Cannot delete phonebook with id = 0").
- Every answer is also available as XML with `api_format=1`, written the way the document's XML examples
  are (hyphenated tags, `type="integer"`, `type="array"`).
- phone_book/show gives each entry's `id` (4.3.6 says the id comes from that call; the example omits it).
- tts/language_list answers `{"tts": {"count": "N", "languages": [...]}}`: the document's JSON example is not
  valid JSON, so this is the shape of its XML example. tts/list keeps the document's own keys `"tts "` and
  `"tts- 1"` (valid JSON), so that clients meet them.
- Empty collections answer `count: "0"`; -8 is kept for objects that do not exist.
- Asynchronous work advances per poll, not per second: a call-history report is generated after
  `report_polls` calls of call_list/list, an announcement after `tts_polls` calls of tts/status, and an SMS
  moves one state per sms/state call (0 new -> 1 processing -> 4 sent -> 5 delivered; see
  `set_sms_outcome` for 2 error / 3 undelivered; -1 no funds when the balance cannot pay for it).
- Reports are gone (-8) a month (30 days) after generation; `now` is a settable clock for tests.
- Call recordings: 4.4.3 gives a link `.../channels/lists/call/get_playback_file?id=N` (or only a file
  name when the account delivers recordings by FTP). The sandbox serves that path itself, under whatever
  prefix it is mounted at, as a WAV file; the document says nothing of authentication there, so none is
  asked.
- Audio: WAVE PCM 8 kHz 16-bit mono files are a real short tone. MP3 files are an ID3v2.4 tag followed by
  valid MPEG-1 Layer III frames (32 kHz, 32 kbit/s, mono) that carry silence: a tone would need an encoder.
- Prices the document does not give: SMS 0.09 PLN per part (160 characters, 153 per part when longer),
  a call 0.12 PLN per started minute, an announcement 1.50 PLN net per started 500 characters (which makes
  the 4.7.7 example: 3000 characters, 9.00 net, 11.07 gross).
"""

from __future__ import annotations

import hmac
import io
import json
import math
import random
import re
import struct
import threading
import wave
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from provider_api.sandbox_faults import BAD_GATEWAY_PAGE, MAINTENANCE_PAGE, FaultInjection, break_off

WARSAW = ZoneInfo("Europe/Warsaw")

DEMO_API_KEY = "BXlmr2sN5phLwYftAaJP2yWgmcIXtest"  # the example key of the document's section 3.2

RECORDING_PATH = "/channels/lists/call/get_playback_file"
REPORT_LIFETIME = timedelta(days=30)
REPORT_MAX_DAYS = 100
PHONE_BOOK_NAME_MAX = 25
ENTRY_NAME_MAX = 120
NUMBER_MAX = 25
SMS_MESSAGE_MAX = 918
SMS_SENDERS = ("SMS", "Informacja", "INFO", "KONKURS", "NOWOSC", "OFERTA", "PROMOCJA", "WIZYTA", "2way")
TTS_TEXT_MAX = 3000
SMS_PART_PRICE = Decimal("0.09")
CALL_MINUTE_PRICE = Decimal("0.12")
TTS_PRICE_PER_500 = Decimal("1.50")
VAT = Decimal("1.23")

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_SVG = '"><svg onload=alert(1)>'  # breaks out of an attribute
HOSTILE_TEMPLATE = "{{7*7}}"  # a template expression
HOSTILE_SCRIPT_URL = "javascript:alert(1)"

_ERROR_NAMES = {
    -1: "Unknown method",
    -2: "API key missing",
    -3: "Unknown API key",
    -4: "API turned off",
    -5: "IP address not whitelisted",
    -6: "Wrong value for parameter",
    -7: "Parameter missing",
    -8: "No elements found",
    -9: "Not ready",
    -10: "Already exist",
    -11: "Forbidden",
    -12: "Data in wrong format",
    -1000: "General failure, please contact service!",
}

LANGUAGES = (
    ("pl-PL", "Polski"),
    ("en-US", "Angielski (Amerykański)"),
    ("en-GB", "Angielski (Brytyjski)"),
    ("de-DE", "Niemiecki"),
    ("fr-FR", "Francuski"),
    ("es-ES", "Hiszpański"),
    ("it-IT", "Włoski"),
    ("uk-UA", "Ukraiński"),
)
VOICES = {
    "pl-PL": (("Ewa", "F"), ("Jacek", "M"), ("Maja", "F"), ("Jan", "M")),
    "en-US": (("Joanna", "F"), ("Matthew", "M")),
    "en-GB": (("Amy", "F"), ("Brian", "M")),
    "de-DE": (("Marlene", "F"), ("Hans", "M")),
    "fr-FR": (("Celine", "F"), ("Mathieu", "M")),
    "es-ES": (("Conchita", "F"), ("Enrique", "M")),
    "it-IT": (("Carla", "F"), ("Giorgio", "M")),
    "uk-UA": (("Oksana", "F"),),
}
_ALL_VOICES = {name for voices in VOICES.values() for name, _gender in voices}

_FIRST_NAMES = ("Anna", "Piotr", "Katarzyna", "Tomasz", "Magdalena", "Krzysztof", "Agnieszka", "Paweł")
_SURNAMES = ("Nowak", "Kowalski", "Wiśniewska", "Wójcik", "Kamińska", "Lewandowski", "Zielińska", "Szymański")
_COMPANIES = (
    "Hurtownia Bałtyk",
    "Transport Kaszuby",
    "Drukarnia Oliwa",
    "Serwis Gdynia",
    "Biuro Rachunkowe Sopot",
)


class _Fail(Exception):
    """A documented error (section 5) to answer instead of the result."""

    def __init__(self, code: int, desc: str = "") -> None:
        super().__init__(code, desc)
        self.code = code
        self.desc = desc


@dataclass(frozen=True, slots=True)
class _Reply:
    data: dict[str, object]
    xml: dict[str, object] | None = None  # where the document's XML differs in shape from its JSON


@dataclass(frozen=True, slots=True)
class _Audio:
    content_type: str
    body: bytes
    filename: str


@dataclass(frozen=True, slots=True)
class _Plain:
    """An HTTP answer outside the API (a recording that does not exist)."""

    status: str
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class _Request:
    params: dict[str, str]
    api_key_header: str | None
    remote_addr: str
    link_base: str  # scheme, host and mount prefix, for the recording links of 4.4.3


@dataclass(slots=True)
class _PhoneAccount:
    id: int
    number: str
    internal: str
    login: str
    description: str
    state: int
    recording: bool


@dataclass(slots=True)
class _Call:
    id: int
    started_at: datetime
    direction: int  # 0 incoming, 1 outgoing (4.4.1 `dir`)
    src: str
    dst: str
    duration: int
    state: str
    recording_id: int | None = None
    ftp_file: str | None = None


@dataclass(slots=True)
class _Report:
    id: int
    ordered_at: datetime
    direction: int
    date_start: date
    date_end: date
    records_only: bool
    number: str | None
    polls: int = 0
    generated_at: datetime | None = None
    rows: list[_Call] = field(default_factory=list)


@dataclass(slots=True)
class _Agent:
    id: int
    name: str
    sip: str
    ddi: str
    incoming: list[int]
    outgoing: list[int]
    default_outgoing: int | None
    answered: int = 0
    last_call: datetime | None = None


@dataclass(slots=True)
class _Sms:
    id: int
    to: str
    sender: str
    message: str
    state: int
    outcome: int


@dataclass(slots=True)
class _Tts:
    id: int
    name: str
    voice: str
    text: str
    polls: int = 0
    generated: bool = False


class SpikonSandbox(FaultInjection):
    """The SPIKON API as a WSGI callable. Mount it anywhere: it routes on the part of PATH_INFO from
    "/api/" on, so a prefix may or may not have been moved into SCRIPT_NAME."""

    def __init__(
        self,
        api_key: str = DEMO_API_KEY,
        *,
        report_polls: int = 2,
        tts_polls: int = 2,
        now: Callable[[], datetime] | None = None,
        seed: int = 7,
    ) -> None:
        """`api_key` is the one key accepted. `report_polls`/`tts_polls`: how many polls of call_list/list or
        tts/status it takes for a report or an announcement to be generated (0: at once). `now`: the clock
        (aware datetimes); reassign `sandbox.now` to age reports. Also settable afterwards: `latency_seconds`,
        `fault_timeout_seconds`, `api_enabled` (False: -4), `ip_whitelist` (non-empty: others get -5),
        `balance`."""
        super().__init__()
        self._api_key = api_key
        self.report_polls = report_polls
        self.tts_polls = tts_polls
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(WARSAW))
        self.api_enabled = True  # False: every call answers -4 API turned off
        self.ip_whitelist: set[str] = set()  # empty: every address may call (3.3)
        self._seed = seed
        self._lock = threading.Lock()
        self._routes: dict[str, tuple[str, str, Callable[[_Request], object]]] = {
            "/api/balance/show": ("POST", "key", self._balance_show),
            "/api/phone_account/list": ("POST", "key", self._phone_account_list),
            "/api/call/initiate": ("POST", "key", self._call_initiate),
            "/api/phone_book/list": ("POST", "key", self._phone_book_list),
            "/api/phone_book/show": ("POST", "key", self._phone_book_show),
            "/api/phone_book/add": ("POST", "key", self._phone_book_add),
            "/api/phone_book/delete": ("POST", "key", self._phone_book_delete),
            "/api/phone_book_element/add": ("POST", "key", self._phone_book_element_add),
            "/api/phone_book_element/delete": ("POST", "key", self._phone_book_element_delete),
            "/api/call_list/order": ("POST", "key", self._call_list_order),
            "/api/call_list/list": ("POST", "key", self._call_list_list),
            "/api/call_list/show": ("POST", "key", self._call_list_show),
            "/api/cc_campaigns/list": ("POST", "key", self._cc_campaigns_list),
            "/api/cc_agent/list": ("POST", "key", self._cc_agent_list),
            "/api/cc_in_campaign/add_agent": ("POST", "key", self._cc_in_add),
            "/api/cc_in_campaign/remove_agent": ("POST", "key", self._cc_in_remove),
            "/api/cc_out_campaign/add_agent": ("POST", "key", self._cc_out_add),
            "/api/cc_out_campaign/remove_agent": ("POST", "key", self._cc_out_remove),
            "/api/cc_out_campaign/set_default": ("POST", "key", self._cc_out_set_default),
            "/api/cc_monitor/show": ("POST", "key", self._cc_monitor_show),
            "/api/sms/send": ("POST", "key", self._sms_send),
            "/api/sms/state": ("POST", "key", self._sms_state),
            "/api/tts/language_list": ("POST", "key", self._tts_language_list),
            "/api/tts/voice_list": ("POST", "key", self._tts_voice_list),
            "/api/tts/generate": ("POST", "key", self._tts_generate),
            "/api/tts/list": ("POST", "key", self._tts_list),
            "/api/tts/download": ("GET", "header", self._tts_download),
            "/api/tts/delete": ("POST", "key", self._tts_delete),
            "/api/tts/price": ("POST", "key", self._tts_price),
            "/api/tts/status": ("POST", "key", self._tts_status),
            RECORDING_PATH: ("GET", "none", self._recording),
        }
        self._reset()

    def __repr__(self) -> str:
        return "SpikonSandbox()"

    # Test and demo controls

    def seed_demo(self, hostile: bool = False) -> None:
        """Replace the state with a realistic account; `hostile` puts HTML/script payloads into names."""
        with self._lock:
            self._reset()
            self._fill_demo(hostile)

    def set_sms_outcome(self, number: str, state: int) -> None:
        """Where messages to `number` end: 5 delivered (default), 4 sent, 3 undelivered or 2 error."""
        if state not in (2, 3, 4, 5):
            raise ValueError("an SMS ends in 2, 3, 4 or 5")
        with self._lock:
            self._sms_outcomes[number] = state

    @property
    def balance(self) -> Decimal:
        with self._lock:
            return self._balance

    @balance.setter
    def balance(self, value: Decimal) -> None:
        with self._lock:
            self._balance = Decimal(value)

    # WSGI

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path_info = environ.get("PATH_INFO") or "/"
        route, prefix = _split_route(path_info)
        fault = self.arrive(route)
        if fault == "500":
            return _send(
                start_response,
                "500 Internal Server Error",
                "text/plain; charset=utf-8",
                b"Internal Server Error",
            )
        if fault == "html":
            return _send(start_response, "502 Bad Gateway", "text/html; charset=utf-8", BAD_GATEWAY_PAGE)
        if fault == "maintenance":
            return _send(start_response, "200 OK", "text/html; charset=utf-8", MAINTENANCE_PAGE)
        request = _Request(
            params=_read_params(environ),
            api_key_header=environ.get("HTTP_SPIKON_API_KEY"),
            remote_addr=environ.get("REMOTE_ADDR", ""),
            link_base=_link_base(environ, prefix),
        )
        xml = request.params.get("api_format") == "1"
        result = _error_data(-3) if fault == "auth" else self._handle(route, environ, request)
        if isinstance(result, _Plain):
            status, content_type, body = result.status, result.content_type, result.body
        elif isinstance(result, _Audio):
            status, content_type, body = "200 OK", result.content_type, result.body
        else:
            status = "200 OK"
            content_type, body = _render(result, xml=xml)
        if fault == "truncated":
            body = body[: len(body) // 2]
        sent = _send(start_response, status, content_type, body)
        return break_off(sent) if fault == "broken_off" else sent

    def _handle(self, route: str, environ: dict, request: _Request) -> object:
        known = self._routes.get(route)
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if known is None or known[0] != method:
            return _error_data(-1, f"{method} {route}")
        _method, auth, handler = known
        try:
            if request.params.get("api_format", "0") not in ("0", "1") and auth != "none":
                raise _Fail(-6, "Parameter 'api_format' must be 0 (JSON) or 1 (XML)")
            with self._lock:
                if auth == "key":
                    self._authenticate(request.params.get("api_key"), request.remote_addr)
                elif auth == "header":
                    self._authenticate(request.api_key_header, request.remote_addr)
                return handler(request)
        except _Fail as fail:
            return _error_data(fail.code, fail.desc)

    def _authenticate(self, key: str | None, remote_addr: str) -> None:
        if not key:
            raise _Fail(-2)
        if not hmac.compare_digest(key.encode(), self._api_key.encode()):
            raise _Fail(-3)
        if not self.api_enabled:
            raise _Fail(-4)
        if self.ip_whitelist and remote_addr not in self.ip_whitelist:
            raise _Fail(-5, f"Request from {remote_addr} refused")

    # State

    def _reset(self) -> None:
        self._rng = random.Random(self._seed)
        self._ids: Counter[str] = Counter()
        self._balance = Decimal("100.00")
        self._accounts: dict[int, _PhoneAccount] = {}
        self._books: dict[int, str] = {0: "Książka główna"}
        self._entries: dict[int, tuple[int, str, str]] = {}  # id -> (book id, name, number)
        self._calls: list[_Call] = []
        self._reports: dict[int, _Report] = {}
        self._campaigns: dict[int, str] = {}
        self._agents: dict[int, _Agent] = {}
        self._monitor_counts: dict[int, list[int]] = {}  # campaign -> [answered, unanswered]
        self._sms: dict[int, _Sms] = {}
        self._sms_outcomes: dict[str, int] = {}
        self._tts: dict[int, _Tts] = {}

    def _next_id(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def _fill_demo(self, hostile: bool) -> None:
        rng = self._rng
        now = self.now()
        self._balance = Decimal("287.45")
        descriptions = ["Recepcja", "Biuro – Anna Wiśniewska", "Magazyn", "Sala konferencyjna"]
        if hostile:
            descriptions[1], descriptions[2] = HOSTILE_SCRIPT, HOSTILE_IMG
            descriptions[3] = f"Sala {HOSTILE_SVG}"
        for index, description in enumerate(descriptions):
            account_id = self._next_id("account")
            self._accounts[account_id] = _PhoneAccount(
                id=account_id,
                number=f"58300110{index}",
                internal="-" if index == 3 else f"10{index}",
                login=f"5830011{index}",
                description=description,
                state=0 if index == 2 else 1,
                recording=index != 2,
            )
        books = {0: self._books[0], 1: "Klienci VIP", 2: HOSTILE_SCRIPT if hostile else "Dostawcy"}
        self._ids["book"] = 2
        self._books = books
        for book_id, count in ((0, 8), (1, 5), (2, 4)):
            for position in range(count):
                name = (
                    _COMPANIES[position % len(_COMPANIES)]
                    if book_id == 2
                    else f"{_FIRST_NAMES[(position + book_id) % 8]} {_SURNAMES[(position * 3 + book_id) % 8]}"
                )
                if hostile and position == 0:
                    name = f"{name} {HOSTILE_IMG if book_id else HOSTILE_SCRIPT}"
                elif hostile and position == 1:
                    name = f"{name} {(HOSTILE_SVG, HOSTILE_TEMPLATE, HOSTILE_SCRIPT_URL)[book_id]}"
                self._entries[self._next_id("entry")] = (book_id, name, _mobile(rng))
        self._fill_calls(now, rng)
        if hostile:
            for call, state in zip(
                self._calls[-3:], (HOSTILE_SVG, HOSTILE_SCRIPT, HOSTILE_TEMPLATE), strict=False
            ):
                call.state = state
        self._campaigns = {
            1: f"Infolinia {HOSTILE_TEMPLATE}" if hostile else "Infolinia",
            2: HOSTILE_IMG if hostile else "Windykacja",
        }
        self._ids["campaign"] = 2
        agents = (
            ("Janina Kowalska", [1], [1], 1),
            (HOSTILE_SCRIPT if hostile else "Adam Nowacki", [1, 2], [2], 2),
            (f"Marta {HOSTILE_SVG}" if hostile else "Marta Zielińska", [1], [], None),
            ("Paweł Wójcik", [2], [1, 2], 1),
            (f"Ewa {HOSTILE_TEMPLATE} {HOSTILE_SCRIPT_URL}" if hostile else "Ewa Lewandowska", [], [2], 2),
        )
        for index, (name, incoming, outgoing, default) in enumerate(agents):
            agent_id = self._next_id("agent")
            self._agents[agent_id] = _Agent(
                id=agent_id,
                name=name,
                sip=f"583002{index:01d}",
                ddi=f"58300120{index}",
                incoming=list(incoming),
                outgoing=list(outgoing),
                default_outgoing=default,
                answered=rng.randint(5, 60),
                last_call=now - timedelta(minutes=rng.randint(3, 600)),
            )
        for name, voice, text in (
            (
                f"Powitanie {HOSTILE_SVG} {HOSTILE_TEMPLATE}" if hostile else "Powitanie",
                "Ewa",
                "Dzień dobry, dodzwoniłeś się do firmy Bałtyk. Prosimy o chwilę cierpliwości.",
            ),
            (
                HOSTILE_SCRIPT if hostile else "Poza godzinami pracy",
                "Jacek",
                "Biuro jest czynne od poniedziałku do piątku w godzinach od ósmej do szesnastej.",
            ),
        ):
            tts_id = self._next_id("tts")
            self._tts[tts_id] = _Tts(id=tts_id, name=name, voice=voice, text=text, generated=True)

    def _fill_calls(self, now: datetime, rng: random.Random) -> None:
        """About 300 calls over the last three months, most answered ones recorded."""
        accounts = list(self._accounts.values())
        moments = []
        for _ in range(320):
            # Office hours, 7:00 to 19:00 Warsaw time, on one of the last 92 days, never in the future.
            day = (now - timedelta(days=rng.randint(0, 91))).astimezone(WARSAW).date()
            moment = datetime.combine(day, dt_time(7), WARSAW) + timedelta(seconds=rng.randint(0, 12 * 3600))
            moments.append(min(moment, now - timedelta(minutes=rng.randint(1, 600))))
        for started_at in sorted(moments):
            account = rng.choice(accounts)
            direction = rng.randint(0, 1)
            other = _mobile(rng) if rng.random() < 0.7 else f"58{rng.randint(1000000, 9999999)}"
            roll = rng.random()
            state = "Odebrane" if roll < 0.75 else ("Nieodebrane" if roll < 0.93 else "Zajęte")
            self._add_call(
                started_at.replace(microsecond=0),
                direction,
                src=other if direction == 0 else account.number,
                dst=account.number if direction == 0 else other,
                duration=rng.randint(12, 900) if state == "Odebrane" else 0,
                state=state,
                recorded=account.recording and state == "Odebrane",
                ftp=rng.random() < 0.05,
            )

    def _add_call(
        self,
        started_at: datetime,
        direction: int,
        *,
        src: str,
        dst: str,
        duration: int,
        state: str,
        recorded: bool,
        ftp: bool = False,
    ) -> None:
        call = _Call(
            id=self._next_id("call"),
            started_at=started_at,
            direction=direction,
            src=src,
            dst=dst,
            duration=duration,
            state=state,
        )
        if recorded and ftp:
            call.ftp_file = f"{started_at.astimezone(WARSAW):%Y%m%d-%H%M%S}-{src}-{dst}.wav"
        elif recorded:
            call.recording_id = 100000 + call.id
        self._calls.append(call)

    # 4.2 Konto

    def _balance_show(self, request: _Request) -> object:
        sign = request.params.get("sign", "0")
        if sign not in ("0", "1"):
            raise _Fail(-6, "Parameter 'sign' must be 0 or 1")
        text = str(self._balance.quantize(Decimal("0.01")))
        return {"account": {"balance": text if sign == "1" else text.replace(".", ",")}}

    def _phone_account_list(self, request: _Request) -> object:
        rows = [
            {
                "id": str(account.id),
                "number": account.number,
                "internal": account.internal,
                "login": account.login,
                "description": account.description,
                "state": str(account.state),
                "recording": "1" if account.recording else "0",
            }
            for account in self._accounts.values()
        ]
        return _numbered("phone-accounts", "phone-account-", rows)

    def _call_initiate(self, request: _Request) -> object:
        account_id = _int_param(request, "phone_account_id")
        destination = _number_param(request, "destination_number")
        account = self._accounts.get(account_id)
        if account is None:
            raise _Fail(-8, f"Could not find phone account with id = '{account_id}'")
        duration = self._rng.randint(20, 400)
        self._add_call(
            self.now().replace(microsecond=0),
            1,
            src=account.number,
            dst=destination,
            duration=duration,
            state="Odebrane",
            recorded=account.recording,
        )
        self._balance -= CALL_MINUTE_PRICE * math.ceil(duration / 60)
        return {"call": {"state": "initiated"}}

    # 4.3 Książki telefoniczne

    def _phone_book_list(self, request: _Request) -> object:
        rows = [{"id": str(book_id), "name": name} for book_id, name in sorted(self._books.items())]
        return _numbered("phone-books", "phone-book-", rows)

    def _phone_book_show(self, request: _Request) -> object:
        book_id = self._book_param(request)
        rows = [
            {"id": str(entry_id), "name": name, "number": number}
            for entry_id, (entry_book, name, number) in self._entries.items()
            if entry_book == book_id
        ]
        return _numbered("phone-book-elements", "phone-book-element-", rows)

    def _phone_book_add(self, request: _Request) -> object:
        name = _required(request, "phone_book_name").strip()
        if not name or len(name) > PHONE_BOOK_NAME_MAX:
            raise _Fail(-6, f"Parameter 'phone_book_name' must have 1 to {PHONE_BOOK_NAME_MAX} characters")
        if name in self._books.values():
            raise _Fail(-10, f"Phonebook with name = '{name}' already exists")
        book_id = self._next_id("book")
        self._books[book_id] = name
        return {"phone-books": {"phone_book": {"id": str(book_id), "name": name}}}

    def _phone_book_delete(self, request: _Request) -> object:
        book_id = _int_param(request, "phone_book_id")
        if book_id == 0:
            raise _Fail(-11, "Cannot delete phonebook with id = 0")
        if book_id not in self._books:
            raise _Fail(-8, f"Could not find phonebook with id = '{book_id}'")
        del self._books[book_id]
        self._entries = {key: entry for key, entry in self._entries.items() if entry[0] != book_id}
        return {"phone-books": {"phone_book": {"id": str(book_id), "state": "deleted"}}}

    def _phone_book_element_add(self, request: _Request) -> object:
        book_id = self._book_param(request)
        name = _required(request, "phone_book_element_name").strip()
        if not name or len(name) > ENTRY_NAME_MAX:
            raise _Fail(-6, f"Parameter 'phone_book_element_name' must have 1 to {ENTRY_NAME_MAX} characters")
        number = _number_param(request, "phone_book_element_number")
        entry_id = self._next_id("entry")
        self._entries[entry_id] = (book_id, name, number)
        return {
            "phone-book-elements": {
                "phone_book_element": {"id": str(entry_id), "name": name, "number": number}
            }
        }

    def _phone_book_element_delete(self, request: _Request) -> object:
        entry_id = _int_param(request, "phone_book_element_id")
        if entry_id not in self._entries:
            raise _Fail(-8, f"Could not find phonebook element with id = '{entry_id}'")
        del self._entries[entry_id]
        return {"phone-book-elements": {"phone_book_element": {"id": str(entry_id), "state": "deleted"}}}

    def _book_param(self, request: _Request) -> int:
        book_id = _int_param(request, "phone_book_id")
        if book_id not in self._books:
            raise _Fail(-8, f"Could not find phonebook with id = '{book_id}'")
        return book_id

    # 4.4 Historia połączeń

    def _call_list_order(self, request: _Request) -> object:
        direction = _int_param(request, "dir")
        if direction not in (0, 1, 2):
            raise _Fail(-6, "Parameter 'dir' must be 0, 1 or 2")
        start = _date_param(request, "date_start")
        end = _date_param(request, "date_end")
        if end < start:
            raise _Fail(-6, "Parameter 'date_end' is before 'date_start'")
        if (end - start).days + 1 > REPORT_MAX_DAYS:
            raise _Fail(-6, f"The date range is longer than {REPORT_MAX_DAYS} days")
        records_only = request.params.get("with_records_only", "1")
        if records_only not in ("0", "1"):
            raise _Fail(-6, "Parameter 'with_records_only' must be 0 or 1")
        number = request.params.get("number") or None
        if number is not None and len(number) > NUMBER_MAX:
            raise _Fail(-6, f"Parameter 'number' is longer than {NUMBER_MAX} characters")
        self._purge_reports()
        report = _Report(
            id=self._next_id("report"),
            ordered_at=self.now(),
            direction=direction,
            date_start=start,
            date_end=end,
            records_only=records_only == "1",
            number=number,
        )
        self._reports[report.id] = report
        if self.report_polls <= 0:
            self._generate(report)
        return {"call_list": {"call_list_id": str(report.id)}}

    def _call_list_list(self, request: _Request) -> object:
        self._purge_reports()
        for report in self._reports.values():
            if report.generated_at is None:
                report.polls += 1
                if report.polls >= self.report_polls:
                    self._generate(report)
        rows = [
            {"id": str(report.id), "generated": "0" if report.generated_at is None else "1"}
            for report in self._reports.values()
        ]
        return _numbered("call-lists", "call-list-", rows)

    def _call_list_show(self, request: _Request) -> object:
        self._purge_reports()
        report_id = _int_param(request, "call_list_id")
        report = self._reports.get(report_id)
        if report is None:
            raise _Fail(-8, f"Could not find call list with id = '{report_id}'")
        if report.generated_at is None:
            raise _Fail(-9)
        rows = [
            {
                "date": f"{call.started_at.astimezone(WARSAW):%Y-%m-%d %H:%M:%S}",
                "src": call.src,
                "dst": call.dst,
                "duration": str(call.duration),
                "state": call.state,
                "file": (
                    f"{request.link_base}{RECORDING_PATH}?id={call.recording_id}"
                    if call.recording_id is not None
                    else call.ftp_file or ""
                ),
            }
            for call in report.rows
        ]
        return _numbered("call-lists", "call-list-", rows)

    def _generate(self, report: _Report) -> None:
        report.generated_at = self.now()
        report.rows = sorted(
            (
                call
                for call in self._calls
                if report.date_start <= call.started_at.astimezone(WARSAW).date() <= report.date_end
                and report.direction in (2, call.direction)
                and (not report.records_only or call.recording_id is not None or call.ftp_file is not None)
                and (report.number is None or report.number in (call.src + " " + call.dst))
            ),
            key=lambda call: call.started_at,
            reverse=True,
        )

    def _purge_reports(self) -> None:
        """4.4.1: reports can be fetched for at most a month after generation."""
        now = self.now()
        self._reports = {
            report_id: report
            for report_id, report in self._reports.items()
            if now - (report.generated_at or report.ordered_at) <= REPORT_LIFETIME
        }

    def _recording(self, request: _Request) -> object:
        text = request.params.get("id", "")
        recording_id = int(text) if text.isdigit() else None
        call = next((call for call in self._calls if call.recording_id == recording_id), None)
        if call is None:
            return _Plain("404 Not Found", "text/plain; charset=utf-8", b"Not Found")
        frequency = 300 + (call.id % 7) * 60
        return _Audio("audio/wav", _wav_tone(seconds=1.5, frequency=frequency), f"{call.recording_id}.wav")

    # 4.5 Call Center

    def _cc_campaigns_list(self, request: _Request) -> object:
        rows = [
            {"id": str(campaign_id), "name": name} for campaign_id, name in sorted(self._campaigns.items())
        ]
        return _numbered("cc-campaigns", "cc-campaign-", rows)

    def _cc_agent_list(self, request: _Request) -> object:
        rows = [
            {
                "id": str(agent.id),
                "name": agent.name,
                "sip": agent.sip,
                "ddi": agent.ddi,
                "in_campaigns": list(agent.incoming),
                "out_campaigns": list(agent.outgoing),
                "default_out_campaign": agent.default_outgoing,
            }
            for agent in self._agents.values()
        ]
        return _numbered("cc-agents", "cc-agent-", rows)

    def _agent_and_campaign(self, request: _Request) -> tuple[_Agent, int]:
        agent_id = _int_param(request, "agent_id")
        campaign_id = _int_param(request, "campaign_id")
        agent = self._agents.get(agent_id)
        if agent is None:
            raise _Fail(-8, f"Could not find agent with id = '{agent_id}'")
        if campaign_id not in self._campaigns:
            raise _Fail(-8, f"Could not find campaign with id = '{campaign_id}'")
        return agent, campaign_id

    def _add_agent(self, request: _Request, outgoing: bool) -> object:
        agent, campaign_id = self._agent_and_campaign(request)
        members = agent.outgoing if outgoing else agent.incoming
        if campaign_id in members:
            raise _Fail(-10, f"Agent {agent.id} is already in campaign {campaign_id}")
        members.append(campaign_id)
        return _Reply({"add_agent_status": "OK"}, xml={"add-agent": {"status": "OK"}})

    def _remove_agent(self, request: _Request, outgoing: bool) -> object:
        agent, campaign_id = self._agent_and_campaign(request)
        members = agent.outgoing if outgoing else agent.incoming
        if campaign_id not in members:
            raise _Fail(-8, f"Agent {agent.id} is not in campaign {campaign_id}")
        members.remove(campaign_id)
        return {"remove_agent": {"status": "OK"}}

    def _cc_in_add(self, request: _Request) -> object:
        return self._add_agent(request, outgoing=False)

    def _cc_in_remove(self, request: _Request) -> object:
        return self._remove_agent(request, outgoing=False)

    def _cc_out_add(self, request: _Request) -> object:
        return self._add_agent(request, outgoing=True)

    def _cc_out_remove(self, request: _Request) -> object:
        return self._remove_agent(request, outgoing=True)

    def _cc_out_set_default(self, request: _Request) -> object:
        # The 4.5.2 example has a default outside the agent's outgoing campaigns, so none is required.
        agent, campaign_id = self._agent_and_campaign(request)
        agent.default_outgoing = campaign_id
        return {"out_campaign_set_default": {"status": "OK"}}

    def _cc_monitor_show(self, request: _Request) -> object:
        """The figures move on every call, as a live queue would."""
        campaign_id = _int_param(request, "cc_campaign_id")
        if campaign_id not in self._campaigns:
            raise _Fail(-8, f"Could not find campaign with id = '{campaign_id}'")
        rng = self._rng
        now = self.now()
        counts = self._monitor_counts.setdefault(campaign_id, [rng.randint(20, 80), rng.randint(0, 8)])
        counts[0] += rng.randint(0, 3)
        counts[1] += rng.choice((0, 0, 0, 1))
        members: dict[str, object] = {}
        free = busy = 0
        for position, agent in enumerate(
            (agent for agent in self._agents.values() if campaign_id in agent.incoming), start=1
        ):
            paused = rng.random() < 0.2
            talking = not paused and rng.random() < 0.4
            if talking:
                agent.answered += 1
                agent.last_call = now
                busy += 1
            elif not paused:
                free += 1
            members[f"cc-campaign-member-{position}"] = {
                "login": agent.sip,
                "description": agent.name,
                "state": "Rozmowa" if talking else "Wolny",
                "answered": str(agent.answered),
                "last-call": (
                    f"{agent.last_call.astimezone(WARSAW):%Y-%m-%d %H:%M:%S}"
                    if agent.last_call
                    else "Brak danych"
                ),
                "pause": "Tak" if paused else "Nie",
                "skill": "1",
            }
        waiting = rng.randint(0, 3)
        waiting_calls = {
            f"cc-waiting-call-{position}": {
                "number": _mobile(rng),
                "waiting-time": f"00:{rng.randint(2, 59):02d}",
            }
            for position in range(1, waiting + 1)
        }
        answered, unanswered = counts
        return {
            "cc-monitor": {
                "basic-data": {
                    "free-members": free,
                    "busy-members": busy,
                    "calls-waiting": waiting,
                    "answered": answered,
                    "unanswered": unanswered,
                    "in-queue": waiting,
                    "average-waiting-time": f"00:{rng.randint(5, 40):02d}",
                    "max-waiting": 20,
                    "average-call-time": f"{rng.randint(2, 6):02d}:{rng.randint(0, 59):02d}",
                    "measured-sla": "01:00",
                    "sla": round(100 * answered / (answered + unanswered)) if answered + unanswered else 0,
                },
                "campaign-members": members,
                "waiting-calls": waiting_calls,
            }
        }

    # 4.6 Wiadomości SMS

    def _sms_send(self, request: _Request) -> object:
        sender = _required(request, "from")
        if sender not in SMS_SENDERS:
            raise _Fail(-6, f"Parameter 'from' must be one of: {', '.join(SMS_SENDERS)}")
        numbers = [number.strip() for number in _required(request, "to").split(",")]
        if not all(re.fullmatch(r"[0-9]{9}", number) for number in numbers):
            raise _Fail(-6, "Parameter 'to' must be a Polish number of 9 digits")
        message = _required(request, "message")
        if not message or len(message) > SMS_MESSAGE_MAX:
            raise _Fail(-6, f"Parameter 'message' must have 1 to {SMS_MESSAGE_MAX} characters")
        cost = SMS_PART_PRICE * (1 if len(message) <= 160 else math.ceil(len(message) / 153))
        ids = []
        for number in numbers:
            funded = self._balance >= cost
            if funded:
                self._balance -= cost
            sms = _Sms(
                id=self._next_id("sms"),
                to=number,
                sender=sender,
                message=message,
                state=0 if funded else -1,
                outcome=self._sms_outcomes.get(number, 5),
            )
            self._sms[sms.id] = sms
            ids.append(sms.id)
        return {"sms": {"state": "OK", "ids": ids}}

    def _sms_state(self, request: _Request) -> object:
        sms_id = _int_param(request, "id")
        sms = self._sms.get(sms_id)
        if sms is None:
            raise _Fail(-8, f"Could not find sms with id = '{sms_id}'")
        if sms.state == 0:
            sms.state = 1
        elif sms.state == 1:
            sms.state = 2 if sms.outcome == 2 else 4
        elif sms.state == 4 and sms.outcome in (3, 5):
            sms.state = sms.outcome
        answer: dict[str, object] = {"state": sms.state}
        if sms.state == 2:
            answer["error"] = "Wiadomość odrzucona przez operatora"
        return {"sms": answer}

    # 4.7 Syntezator Mowy

    def _tts_language_list(self, request: _Request) -> object:
        languages = [{"language": code, "description": description} for code, description in LANGUAGES]
        return {"tts": {"count": str(len(languages)), "languages": languages}}

    def _tts_voice_list(self, request: _Request) -> object:
        language = _required(request, "language")
        if language not in VOICES:
            raise _Fail(-6, f"Parameter 'language' has an unknown value '{language}'")
        voices = [{"name": name, "gender": gender} for name, gender in VOICES[language]]
        return {"tts": {"count": str(len(voices)), "voices": voices}}

    def _tts_generate(self, request: _Request) -> object:
        voice, text = self._voice_and_text(request)
        name = _required(request, "name").strip()
        if not name:
            raise _Fail(-6, "Parameter 'name' is empty")
        _net, gross = _tts_price(text)
        self._balance -= gross
        tts = _Tts(id=self._next_id("tts"), name=name, voice=voice, text=text)
        if self.tts_polls <= 0:
            tts.generated = True
        self._tts[tts.id] = tts
        return {"tts": {"tts_id": str(tts.id)}}

    def _tts_list(self, request: _Request) -> object:
        rows = [
            {"id": str(tts.id), "name": tts.name, "generated": "1" if tts.generated else "0"}
            for tts in self._tts.values()
        ]
        return _numbered("tts ", "tts- ", rows)  # the document's own keys, stray spaces included

    def _tts_download(self, request: _Request) -> object:
        tts = self._tts_param(request)
        pcm = request.params.get("pcm_8k16bm", "0")
        if pcm not in ("0", "1"):
            raise _Fail(-6, "Parameter 'pcm_8k16bm' must be 0 or 1")
        if not tts.generated:
            raise _Fail(-9)
        seconds = min(8.0, max(1.0, len(tts.text) / 15))
        if pcm == "1":
            return _Audio("audio/wav", _wav_tone(seconds=seconds, frequency=440), f"tts-{tts.id}.wav")
        return _Audio("audio/mpeg", _mp3_silence(seconds=seconds, title=tts.name), f"tts-{tts.id}.mp3")

    def _tts_delete(self, request: _Request) -> object:
        tts = self._tts_param(request)
        del self._tts[tts.id]
        return {"tts": {"id": str(tts.id), "state": "deleted"}}

    def _tts_price(self, request: _Request) -> object:
        _voice, text = self._voice_and_text(request)
        net, gross = _tts_price(text)
        return {"tts": {"cost_net": str(net), "cost_gross": str(gross)}}

    def _tts_status(self, request: _Request) -> object:
        tts = self._tts_param(request)
        if not tts.generated:
            tts.polls += 1
            tts.generated = tts.polls >= self.tts_polls
        return {"tts": {"id": str(tts.id), "generated": "1" if tts.generated else "0"}}

    def _tts_param(self, request: _Request) -> _Tts:
        tts_id = _int_param(request, "tts_id")
        tts = self._tts.get(tts_id)
        if tts is None:
            raise _Fail(-8, f"Could not find tts with id = '{tts_id}'")
        return tts

    def _voice_and_text(self, request: _Request) -> tuple[str, str]:
        voice = _required(request, "voice")
        if voice not in _ALL_VOICES:
            raise _Fail(-6, f"Parameter 'voice' has an unknown value '{voice}'")
        text = _required(request, "text")
        if not text.strip() or len(text) > TTS_TEXT_MAX:
            raise _Fail(-6, f"Parameter 'text' must have 1 to {TTS_TEXT_MAX} characters")
        return voice, text


# Requests


def _split_route(path_info: str) -> tuple[str, str]:
    """("/api/sms/send", "/spikon") from "/spikon/api/sms/send": the route and any prefix before it."""
    for marker in ("/api/", RECORDING_PATH):
        index = path_info.find(marker)
        if index >= 0:
            return path_info[index:].rstrip("/"), path_info[:index]
    return path_info, ""


def _link_base(environ: dict, prefix: str) -> str:
    host = (
        environ.get("HTTP_HOST")
        or f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '80')}"
    )
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}{environ.get('SCRIPT_NAME', '')}{prefix}"


def _read_params(environ: dict) -> dict[str, str]:
    """Query string and urlencoded form body together, the body winning (as the provider's framework does)."""
    params = {
        key: values[0]
        for key, values in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()
    }
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        body = environ["wsgi.input"].read(length).decode("utf-8", "replace")
        params.update({key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()})
    return params


def _required(request: _Request, name: str) -> str:
    value = request.params.get(name)
    if value is None:
        raise _Fail(-7, name)
    return value


def _int_param(request: _Request, name: str) -> int:
    value = _required(request, name).strip()
    if not re.fullmatch(r"[0-9]{1,9}", value):
        raise _Fail(-6, f"Parameter '{name}' must be a number")
    return int(value)


def _number_param(request: _Request, name: str) -> str:
    value = _required(request, name).strip()
    if not re.fullmatch(r"\+?[0-9]+", value) or len(value) > NUMBER_MAX:
        raise _Fail(-6, f"Parameter '{name}' must be a phone number of at most {NUMBER_MAX} characters")
    return value


def _date_param(request: _Request, name: str) -> date:
    value = _required(request, name).strip()
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise _Fail(-12, f"Parameter '{name}' must be a date YYYY-MM-DD") from None


# Answers


def _numbered(root: str, prefix: str, rows: list[dict[str, object]]) -> dict[str, object]:
    """The document's collections: a `count` string and keys "<prefix>1", "<prefix>2", ..."""
    body: dict[str, object] = {"count": str(len(rows))}
    for position, row in enumerate(rows, start=1):
        body[f"{prefix}{position}"] = row
    return {root: body}


def _error_data(code: int, desc: str = "") -> dict[str, object]:
    error: dict[str, object] = {"id": str(code), "name": _ERROR_NAMES[code]}
    if desc:
        error["desc"] = desc
    return {"error": error}


def _render(result: object, *, xml: bool) -> tuple[str, bytes]:
    reply = result if isinstance(result, _Reply) else _Reply(result)  # type: ignore[arg-type]
    if xml:
        return "application/xml; charset=utf-8", _xml_document(reply.xml or reply.data)
    return "application/json; charset=utf-8", json.dumps(reply.data, ensure_ascii=False).encode()


def _xml_document(data: dict[str, object]) -> bytes:
    ((root_key, value),) = data.items()
    text = ET.tostring(_xml_element(root_key, value), encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{text}'.encode()


def _xml_element(key: str, value: object) -> ET.Element:
    """Rails' to_xml, as in the document's XML examples."""
    tag = re.sub(r"\s+", "", key).replace("_", "-")
    element = ET.Element(tag)
    if isinstance(value, dict):
        for child_key, child in value.items():
            element.append(_xml_element(child_key, child))
    elif isinstance(value, list):
        element.set("type", "array")
        for item in value:
            element.append(_xml_element(tag.removesuffix("s"), item))
    elif isinstance(value, bool):
        element.set("type", "boolean")
        element.text = "true" if value else "false"
    elif isinstance(value, int):
        element.set("type", "integer")
        element.text = str(value)
    elif value is None:
        element.set("nil", "true")
    else:
        element.text = str(value)
    return element


def _send(start_response: Callable, status: str, content_type: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


# Money and audio


def _tts_price(text: str) -> tuple[Decimal, Decimal]:
    net = TTS_PRICE_PER_500 * max(1, math.ceil(len(text) / 500))
    return net.quantize(Decimal("0.01")), (net * VAT).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _mobile(rng: random.Random) -> str:
    return f"{rng.choice('5678')}{rng.randint(10000000, 99999999)}"


def _wav_tone(*, seconds: float, frequency: int) -> bytes:
    """WAVE PCM, 8000 Hz, 16 bits, mono (4.7.5 `pcm_8k16bm`), a sine tone fading in and out."""
    rate = 8000
    count = int(rate * seconds)
    fade = rate // 20
    frames = bytearray()
    for n in range(count):
        envelope = min(1.0, n / fade, (count - n) / fade)
        frames += struct.pack("<h", int(12000 * envelope * math.sin(2 * math.pi * frequency * n / rate)))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


# MPEG-1 Layer III, 32 kbit/s, 32 kHz, mono, no CRC: 144 bytes a frame, 1152 samples (36 ms).
# All-zero side information and main data make a valid frame that decodes to silence.
_MP3_FRAME = bytes((0xFF, 0xFB, 0x18, 0xC4)) + bytes(140)


def _mp3_silence(*, seconds: float, title: str) -> bytes:
    frames = _MP3_FRAME * max(1, round(seconds / 0.036))
    text = b"\x03" + title.encode()  # ID3v2.4 text frame, UTF-8
    tag_body = b"TIT2" + _syncsafe(len(text)) + b"\x00\x00" + text
    return b"ID3\x04\x00\x00" + _syncsafe(len(tag_body)) + tag_body + frames


def _syncsafe(size: int) -> bytes:
    return bytes(((size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F))


def demo_app() -> SpikonSandbox:
    """The seeded sandbox that `config.sandboxes` serves under /spikon for the demo tenant."""
    sandbox = SpikonSandbox(DEMO_API_KEY)
    sandbox.seed_demo()
    return sandbox
