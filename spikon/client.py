"""Client of the SPIKON cloud PBX API 1.3 (document: providers/spikon-api-1.3.txt, NOTES.md).

Every call is `POST /api/<group>/<action>` with form parameters, the API key among them, answered in JSON
(`api_format=0`). The one exception is the announcement download: GET with the key in the `Spikon-API-Key`
header. Answers are read defensively because the document's examples disagree with each other: keys are
compared without stray spaces and with `_` and `-` alike (`phone_book` and `phone-book`, `"tts "`),
collections may be numbered keys (`"phone-account-1"`) or arrays, and an XML answer is read into the same
shapes as JSON. Anything else becomes an `UnavailableError`, never a KeyError or a crash.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import IntEnum
from typing import Any, BinaryIO, TypeVar

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
    UnavailableReason,
)
from provider_api.http import HttpTransport
from provider_api.parsing import looks_like_html, optional, parse_decimal, parse_local_datetime
from provider_api.redaction import redact

from .xml_format import XmlFormatError, parse_xml

PROVIDER = "SPIKON"
DEFAULT_BASE_URL = "https://panel.spikon.pl"
API_KEY_HEADER = "Spikon-API-Key"

# Limits the document states; the provider enforces them, the forms use them to help the operator.
PHONE_BOOK_NAME_MAX_LENGTH = 25  # 4.3.3
PHONE_BOOK_ENTRY_NAME_MAX_LENGTH = 120  # 4.3.5
PHONE_NUMBER_MAX_LENGTH = 25  # 4.2.3, 4.3.5, 4.4.1
SMS_MESSAGE_MAX_LENGTH = 918  # 4.6.1: six standard messages
SMS_SENDERS = ("SMS", "Informacja", "INFO", "KONKURS", "NOWOSC", "OFERTA", "PROMOCJA", "WIZYTA", "2way")
SMS_TWO_WAY_SENDER = "2way"  # 4.6.1: lets the recipient answer
TTS_TEXT_MAX_LENGTH = 3000  # 4.7.3, 4.7.7
CALL_HISTORY_MAX_DAYS = 100  # 4.4.1: days from date_start to date_end, both included
CALL_HISTORY_REPORT_LIFETIME = timedelta(days=30)  # 4.4.1: "at most a month after generation"

_DOWNLOAD_CHUNK = 64 * 1024
_ERROR_BODY_LIMIT = 64 * 1024


class CallDirection(IntEnum):
    """`dir` of 4.4.1."""

    INCOMING = 0
    OUTGOING = 1
    BOTH = 2


class SmsStatus(IntEnum):
    """`state` of 4.6.2."""

    NO_FUNDS = -1
    NEW = 0
    PROCESSING = 1
    ERROR = 2
    UNDELIVERED = 3
    SENT = 4
    DELIVERED = 5


_FINAL_SMS_STATUSES = frozenset(
    {SmsStatus.NO_FUNDS, SmsStatus.ERROR, SmsStatus.UNDELIVERED, SmsStatus.DELIVERED}
)


@dataclass(frozen=True, slots=True)
class PhoneAccount:
    """4.2.2. `registration_state` is the provider's `state` (1: registered)."""

    id: int
    number: str | None
    internal_number: str | None
    sip_login: str
    description: str
    registration_state: int
    recording: bool


@dataclass(frozen=True, slots=True)
class PhoneBook:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class PhoneBookEntry:
    """4.3.2/4.3.5. `id` is None when the server leaves it out (the 4.3.2 example has none)."""

    id: int | None
    name: str
    number: str


@dataclass(frozen=True, slots=True)
class Deletion:
    """The answer of the delete calls: the id and the provider's `state` ("deleted")."""

    id: int
    state: str


@dataclass(frozen=True, slots=True)
class CallHistoryReport:
    id: int
    generated: bool


@dataclass(frozen=True, slots=True)
class CallRecord:
    """4.4.3. A recording is a URL to fetch or, with FTP delivery, only a file name; both None: none."""

    started_at: datetime
    source: str
    destination: str
    duration_seconds: int
    state: str
    recording_url: str | None
    recording_file_name: str | None


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Agent:
    """4.5.2: `sip` is the SIP login, `ddi` the public number."""

    id: int
    name: str
    sip_login: str
    public_number: str | None
    incoming_campaign_ids: tuple[int, ...]
    outgoing_campaign_ids: tuple[int, ...]
    default_outgoing_campaign_id: int | None


@dataclass(frozen=True, slots=True)
class CampaignMember:
    sip_login: str
    description: str
    state: str
    answered: int
    last_call: str | None
    on_pause: bool
    skill: int


@dataclass(frozen=True, slots=True)
class CampaignMonitor:
    """4.5.8. `waiting_calls` keeps the provider's fields as text: the document never shows one."""

    free_agents: int
    busy_agents: int
    calls_waiting: int
    answered: int
    unanswered: int
    in_queue: int
    average_waiting_time: timedelta
    max_waiting: int
    average_call_time: timedelta
    measured_sla: timedelta
    sla_percent: Decimal
    members: tuple[CampaignMember, ...]
    waiting_calls: tuple[dict[str, str], ...]


@dataclass(frozen=True, slots=True)
class SmsState:
    """4.6.2. `code` stays an int so that a state the document does not list still reads."""

    code: int
    error: str | None

    @property
    def status(self) -> SmsStatus | None:
        try:
            return SmsStatus(self.code)
        except ValueError:
            return None

    @property
    def finished(self) -> bool:
        """No later state will come (4 "sent" may still become delivered or undelivered)."""
        return self.status in _FINAL_SMS_STATUSES


@dataclass(frozen=True, slots=True)
class TtsLanguage:
    code: str
    description: str


@dataclass(frozen=True, slots=True)
class TtsVoice:
    name: str
    gender: str  # "F" or "M"


@dataclass(frozen=True, slots=True)
class TtsAnnouncement:
    id: int
    name: str
    generated: bool


@dataclass(frozen=True, slots=True)
class TtsStatus:
    id: int
    generated: bool


@dataclass(frozen=True, slots=True)
class TtsPrice:
    net: Decimal
    gross: Decimal


@dataclass(frozen=True, slots=True)
class AudioFile:
    """What a download wrote: the media type ("audio/mpeg", "audio/wav") and the number of bytes."""

    content_type: str
    size: int


# Section 5: code -> (name, error class, the document's explanation in Polish).
_ERRORS: dict[int, tuple[str, type[ProviderError], str]] = {
    -1: ("Unknown method", ProviderError, "Nieznana metoda API."),
    -2: ("API key missing", AuthenticationError, "Klucz API nie został przesłany z parametrami żądania."),
    -3: ("Unknown API key", AuthenticationError, "Nieznany klucz API; sprawdź klucz w panelu SPIKON."),
    -4: ("API turned off", AuthenticationError, "API jest wyłączone; można je włączyć w panelu SPIKON."),
    -5: (
        "IP address not whitelisted",
        AuthenticationError,
        "Adres IP żądającego nie znajduje się na białej liście API w panelu SPIKON.",
    ),
    -6: ("Wrong value for parameter", InvalidInputError, "Błędna wartość parametru."),
    -7: ("Parameter missing", InvalidInputError, "Brakujący parametr."),
    -8: ("No elements found", NotFoundError, "Nie znaleziono elementów."),
    -9: ("Not ready", NotReadyError, "Wynik żądania nie jest gotowy do pobrania, proszę spróbować później."),
    -10: ("Already exist", AlreadyExistsError, "Dodawany element już istnieje."),
    -11: ("Forbidden", ForbiddenError, "Żądanie jest niemożliwe do wykonania; brak dostępu."),
    -12: ("Data in wrong format", InvalidInputError, "Błędny format danych wejściowych."),
    -1000: (
        "General failure, please contact service!",
        UnavailableError,
        "Błąd ogólny; prosimy o kontakt z serwisem SPIKON.",
    ),
}
_CODE_BY_NAME = {name.lower(): code for code, (name, _cls, _words) in _ERRORS.items()}
NO_ELEMENTS_FOUND = -8

T = TypeVar("T")


class SpikonClient:
    """One SPIKON account, reached with its API key (3.2)."""

    def __init__(
        self, api_key: str, *, base_url: str = DEFAULT_BASE_URL, transport: HttpTransport | None = None
    ) -> None:
        if not isinstance(api_key, str) or not api_key:
            raise TypeError("api_key must be a non-empty string")
        self._api_key = api_key
        self._transport = transport or HttpTransport(base_url, provider=PROVIDER, secrets=(api_key,))

    def __repr__(self) -> str:
        return f"SpikonClient(base_url={self._transport.base_url!r})"

    # 4.2 Konto

    def balance(self) -> Decimal:
        """Doc: 4.2.1 Stan środków. Asks for the dot (`sign=1`) and reads either; may be negative."""
        return self._call(
            "balance/show",
            {"sign": "1"},
            lambda data: parse_decimal(_scalar(_member(data, "account"), "balance")),
            retry=True,
        )

    def phone_accounts(self) -> list[PhoneAccount]:
        """Doc: 4.2.2 Lista kont telefonicznych."""
        return self._list("phone_account/list", {}, "phone-accounts", _phone_account)

    def initiate_call(self, phone_account_id: int, destination_number: str) -> str:
        """Doc: 4.2.3 Inicjowanie połączenia. Rings the phone account first, then the number.

        Returns the provider's `state` ("initiated"). Sent once: a retry would ring twice.
        """
        params = {
            "phone_account_id": _id(phone_account_id, "phone_account_id"),
            "destination_number": _string(destination_number, "destination_number"),
        }
        return self._call(
            "call/initiate", params, lambda data: _scalar(_member(data, "call"), "state"), retry=False
        )

    # 4.3 Książki telefoniczne

    def phone_books(self) -> list[PhoneBook]:
        """Doc: 4.3.1 Lista typów książek telefonicznych (book 0 is the main book)."""
        return self._list("phone_book/list", {}, "phone-books", _phone_book)

    def phone_book_entries(self, phone_book_id: int) -> list[PhoneBookEntry]:
        """Doc: 4.3.2 Podgląd książki telefonicznej. NotFoundError: no such book (or, maybe, an empty one)."""
        params = {"phone_book_id": _id(phone_book_id, "phone_book_id")}
        return self._call(
            "phone_book/show",
            params,
            lambda data: [_entry(item) for item in _collection(_member(data, "phone-book-elements"))],
            retry=True,
        )

    def add_phone_book(self, name: str) -> PhoneBook:
        """Doc: 4.3.3 Dodawanie książki telefonicznej. The name must be unique (AlreadyExistsError)."""
        params = {"phone_book_name": _string(name, "name")}
        return self._call(
            "phone_book/add",
            params,
            lambda data: _phone_book(_member(_member(data, "phone-books"), "phone-book")),
            retry=False,
        )

    def delete_phone_book(self, phone_book_id: int) -> Deletion:
        """Doc: 4.3.4 Kasowanie książki telefonicznej. Book 0 cannot be deleted (ForbiddenError)."""
        params = {"phone_book_id": _id(phone_book_id, "phone_book_id")}
        return self._call(
            "phone_book/delete",
            params,
            lambda data: _deletion(_member(_member(data, "phone-books"), "phone-book")),
            retry=False,
        )

    def add_phone_book_entry(self, phone_book_id: int, name: str, number: str) -> PhoneBookEntry:
        """Doc: 4.3.5 Dodawanie wpisu do książki telefonicznej."""
        params = {
            "phone_book_id": _id(phone_book_id, "phone_book_id"),
            "phone_book_element_name": _string(name, "name"),
            "phone_book_element_number": _string(number, "number"),
        }
        return self._call(
            "phone_book_element/add",
            params,
            lambda data: _entry(_member(_member(data, "phone-book-elements"), "phone-book-element")),
            retry=False,
        )

    def delete_phone_book_entry(self, entry_id: int) -> Deletion:
        """Doc: 4.3.6 Kasowanie wpisu z książki telefonicznej."""
        params = {"phone_book_element_id": _id(entry_id, "entry_id")}
        return self._call(
            "phone_book_element/delete",
            params,
            lambda data: _deletion(_member(_member(data, "phone-book-elements"), "phone-book-element")),
            retry=False,
        )

    # 4.4 Historia połączeń

    def order_call_history(
        self,
        date_start: date,
        date_end: date,
        *,
        direction: CallDirection = CallDirection.BOTH,
        with_recordings_only: bool = True,
        number: str | None = None,
    ) -> int:
        """Doc: 4.4.1 Żądanie wygenerowania historii połączeń. Returns the report id to poll.

        The range may span at most CALL_HISTORY_MAX_DAYS; the provider checks it.
        """
        for value, label in ((date_start, "date_start"), (date_end, "date_end")):
            if not isinstance(value, date) or isinstance(value, datetime):
                raise TypeError(f"{label} must be a date")
        if not isinstance(with_recordings_only, bool):
            raise TypeError("with_recordings_only must be a bool")
        params = {
            "dir": str(int(CallDirection(direction))),
            "date_start": date_start.isoformat(),
            "date_end": date_end.isoformat(),
            "with_records_only": "1" if with_recordings_only else "0",
        }
        if number is not None:
            params["number"] = _string(number, "number")
        return self._call(
            "call_list/order",
            params,
            lambda data: _int(_member(data, "call-list"), "call-list-id"),
            retry=False,
        )

    def call_history_reports(self) -> list[CallHistoryReport]:
        """Doc: 4.4.2 Lista żądań generacji historii połączeń. Reports live a month after generation."""
        return self._list("call_list/list", {}, "call-lists", _report)

    def call_history(self, report_id: int) -> list[CallRecord]:
        """Doc: 4.4.3 Pobranie wygenerowanej historii połączeń.

        NotReadyError (-9) until the report is generated; NotFoundError once it has expired.
        """
        params = {"call_list_id": _id(report_id, "report_id")}
        return self._call(
            "call_list/show",
            params,
            lambda data: [_call_record(item) for item in _collection(_member(data, "call-lists"))],
            retry=True,
        )

    def download_recording(self, url: str, destination: BinaryIO) -> AudioFile:
        """Doc: 4.4.3, field `file`: fetch a call recording from the link the report gives.

        The key goes along in the `Spikon-API-Key` header (as for 4.7.5), so only links on the
        provider's own address are fetched. A file name alone (FTP delivery) is not downloadable.
        If the download fails midway, `destination` holds a partial file: discard it.
        """
        base = self._transport.base_url + "/"
        if not isinstance(url, str) or not url.startswith(base):
            raise InvalidInputError(
                "the recording link does not point at the provider's address", provider=PROVIDER
            )
        return self._download(url[len(base) :], {}, destination)

    # 4.5 Call Center

    def call_center_campaigns(self) -> list[Campaign]:
        """Doc: 4.5.1 Lista kampanii Call Center."""
        return self._list("cc_campaigns/list", {}, "cc-campaigns", _campaign)

    def call_center_agents(self) -> list[Agent]:
        """Doc: 4.5.2 Lista konsultantów Call Center."""
        return self._list("cc_agent/list", {}, "cc-agents", _agent)

    def add_agent_to_incoming_campaign(self, agent_id: int, campaign_id: int) -> None:
        """Doc: 4.5.3 Dodawanie konsultanta do kampanii Call Center (poł. przychodzące)."""
        self._agent_action("cc_in_campaign/add_agent", agent_id, campaign_id)

    def remove_agent_from_incoming_campaign(self, agent_id: int, campaign_id: int) -> None:
        """Doc: 4.5.4 Kasowanie konsultanta z kampanii Call Center (poł. przychodzące)."""
        self._agent_action("cc_in_campaign/remove_agent", agent_id, campaign_id)

    def add_agent_to_outgoing_campaign(self, agent_id: int, campaign_id: int) -> None:
        """Doc: 4.5.5 Dodawanie konsultanta do kampanii Call Center (poł. wychodzące)."""
        self._agent_action("cc_out_campaign/add_agent", agent_id, campaign_id)

    def remove_agent_from_outgoing_campaign(self, agent_id: int, campaign_id: int) -> None:
        """Doc: 4.5.6 Kasowanie konsultanta z kampanii Call Center (poł. wychodzące)."""
        self._agent_action("cc_out_campaign/remove_agent", agent_id, campaign_id)

    def set_default_outgoing_campaign(self, agent_id: int, campaign_id: int) -> None:
        """Doc: 4.5.7 Ustawianie domyślnej kampanii Call Center (poł. wychodzące)."""
        self._agent_action("cc_out_campaign/set_default", agent_id, campaign_id)

    def campaign_monitor(self, campaign_id: int) -> CampaignMonitor:
        """Doc: 4.5.8 Podgląd monitoringu kampanii Call Center."""
        params = {"cc_campaign_id": _id(campaign_id, "campaign_id")}
        return self._call(
            "cc_monitor/show", params, lambda data: _monitor(_member(data, "cc-monitor")), retry=True
        )

    # 4.6 Wiadomości SMS

    def send_sms(self, to: str, message: str, sender: str) -> list[int]:
        """Doc: 4.6.1 Wysyłanie wiadomości. Returns the message ids to poll with `sms_state`.

        `to` is a 9-digit Polish number, `sender` one of SMS_SENDERS. Sent once: a retry would send twice.
        """
        params = {
            "from": _string(sender, "sender"),
            "to": _string(to, "to"),
            "message": _string(message, "message"),
        }
        return self._call("sms/send", params, _sms_ids, retry=False)

    def sms_state(self, sms_id: int) -> SmsState:
        """Doc: 4.6.2 Sprawdzanie statusu wysyłki."""
        params = {"id": _id(sms_id, "sms_id")}
        return self._call("sms/state", params, lambda data: _sms_state(_member(data, "sms")), retry=True)

    # 4.7 Syntezator Mowy

    def tts_languages(self) -> list[TtsLanguage]:
        """Doc: 4.7.1 Pobieranie listy języków."""
        return self._list("tts/language_list", {}, "tts", _language)

    def tts_voices(self, language: str) -> list[TtsVoice]:
        """Doc: 4.7.2 Pobieranie listy głosów, for a language code such as "pl-PL"."""
        return self._list("tts/voice_list", {"language": _string(language, "language")}, "tts", _voice)

    def generate_tts(self, voice: str, name: str, text: str) -> int:
        """Doc: 4.7.3 Generowanie zapowiedzi. Costs money: sent once. Returns the announcement id."""
        params = {
            "voice": _string(voice, "voice"),
            "name": _string(name, "name"),
            "text": _string(text, "text"),
        }
        return self._call(
            "tts/generate", params, lambda data: _int(_member(data, "tts"), "tts-id"), retry=False
        )

    def tts_announcements(self) -> list[TtsAnnouncement]:
        """Doc: 4.7.4 Pobieranie listy zapowiedzi."""
        return self._list("tts/list", {}, "tts", _announcement)

    def download_tts(self, tts_id: int, destination: BinaryIO, *, wav_pcm_8k: bool = False) -> AudioFile:
        """Doc: 4.7.5 Pobieranie pliku z zapowiedzią. GET, key in the `Spikon-API-Key` header.

        Streams MP3, or with `wav_pcm_8k` WAVE PCM 8 kHz 16-bit mono, into `destination` in chunks.
        If the download fails midway, `destination` holds a partial file: discard it.
        """
        if not isinstance(wav_pcm_8k, bool):
            raise TypeError("wav_pcm_8k must be a bool")
        params = {"tts_id": _id(tts_id, "tts_id"), "pcm_8k16bm": "1" if wav_pcm_8k else "0"}
        return self._download("api/tts/download", params, destination)

    def delete_tts(self, tts_id: int) -> Deletion:
        """Doc: 4.7.6 Kasowanie zapowiedzi."""
        params = {"tts_id": _id(tts_id, "tts_id")}
        return self._call("tts/delete", params, lambda data: _deletion(_member(data, "tts")), retry=False)

    def tts_price(self, voice: str, text: str) -> TtsPrice:
        """Doc: 4.7.7 Sprawdzanie ceny zapowiedzi (PLN net and gross)."""
        params = {"voice": _string(voice, "voice"), "text": _string(text, "text")}
        return self._call("tts/price", params, lambda data: _price(_member(data, "tts")), retry=True)

    def tts_status(self, tts_id: int) -> TtsStatus:
        """Doc: 4.7.8 Sprawdzanie statusu generowania zapowiedzi."""
        params = {"tts_id": _id(tts_id, "tts_id")}
        return self._call(
            "tts/status",
            params,
            lambda data: _tts_status(_member(data, "tts")),
            retry=True,
        )

    # Plumbing

    def _agent_action(self, path: str, agent_id: int, campaign_id: int) -> None:
        params = {"agent_id": _id(agent_id, "agent_id"), "campaign_id": _id(campaign_id, "campaign_id")}
        status = self._call(path, params, _action_status, retry=False)
        if status.strip().upper() != "OK":
            raise ProviderError(
                self._redact(f"the provider answered status {status!r}"), provider=PROVIDER, name="status"
            )

    def _list(self, path: str, params: dict[str, str], root: str, item: Callable[[Any], T]) -> list[T]:
        """A collection without an object id: -8 "No elements found" is how the API may say "empty"."""
        try:
            return self._call(
                path,
                params,
                lambda data: [item(entry) for entry in _collection(_member(data, root))],
                retry=True,
            )
        except NotFoundError as exc:
            if exc.code == NO_ELEMENTS_FOUND:
                return []
            raise

    def _call(
        self, path: str, params: dict[str, str], parse: Callable[[dict[str, Any]], T], *, retry: bool
    ) -> T:
        """POST /api/<path>; `retry=False` for calls that act, which are then sent exactly once."""
        form = {"api_key": self._api_key, "api_format": "0", **params}
        response = self._transport.request("POST", f"api/{path}", retry=retry, data=form)
        where = f"/api/{path}"
        data = self._answer(where, response.status_code, response.content, acts=not retry)
        try:
            return parse(data)
        except (ValueError, KeyError, TypeError) as exc:
            raise UnavailableError(
                self._redact(f"unexpected answer to {where}: {exc}"),
                provider=PROVIDER,
                reason=UnavailableReason.UNREADABLE,
                outcome_unknown=not retry,
            ) from None

    def _answer(self, where: str, status: int, body: bytes, *, acts: bool) -> dict[str, Any]:
        """The decoded answer, or the error it carries (any top-level `error` member, NOTES.md)."""
        try:
            data = _decode(body)
        except _Unreadable as exc:
            if not 200 <= status < 300:
                # A web page tells more (maintenance) than its error status.
                html = exc.reason == UnavailableReason.HTML_PAGE
                raise UnavailableError(
                    f"HTTP {status} from {where}: {exc}",
                    provider=PROVIDER,
                    http_status=status,
                    reason=UnavailableReason.HTML_PAGE if html else UnavailableReason.ERROR_STATUS,
                    outcome_unknown=acts and status >= 500,
                ) from None
            raise UnavailableError(
                f"unreadable answer to {where}: {exc}",
                provider=PROVIDER,
                http_status=status,
                reason=exc.reason,
                outcome_unknown=acts,
            ) from None
        if "error" in data:
            raise self._error(data, status, acts=acts)
        if not 200 <= status < 300:
            raise UnavailableError(
                f"HTTP {status} from {where}",
                provider=PROVIDER,
                http_status=status,
                reason=UnavailableReason.ERROR_STATUS,
                outcome_unknown=acts,
            )
        return data

    def _error(self, data: dict[str, Any], status: int, *, acts: bool) -> ProviderError:
        """Section 5. The error's shape is undocumented: read code, name and desc from wherever they are."""
        error = data["error"]
        fields: dict[str, Any] = error if isinstance(error, dict) else {}
        siblings = {key: value for key, value in data.items() if key != "error"}
        code = _first_code(fields, siblings)
        name = _first_text(fields, ("name", "error-name", "message", "msg", "text")) or _first_text(
            siblings, ("name", "message")
        )
        if isinstance(error, str | int) and not isinstance(error, bool):
            scalar = str(error).strip()
            if code is None and re.fullmatch(r"-?\d+", scalar):
                code = int(scalar)
            elif not name and not re.fullmatch(r"-?\d+", scalar):
                name = scalar
        desc = _first_text(fields, ("desc", "description", "details", "detail")) or _first_text(
            siblings, ("desc", "description")
        )
        if code is None and name:
            code = _CODE_BY_NAME.get(name.strip().lower())
        known = _ERRORS.get(code) if code is not None else None
        if known and not name:
            name = known[0]
        words = desc or (known[2] if known else "") or ("" if name else "the provider reported an error")
        error_class = known[1] if known else ProviderError
        kwargs: dict[str, Any] = {
            "provider": PROVIDER,
            "code": code,
            "name": self._redact(name),
            "http_status": status,
        }
        if error_class is UnavailableError:
            return UnavailableError(
                self._redact(words), reason=UnavailableReason.ERROR_STATUS, outcome_unknown=acts, **kwargs
            )
        return error_class(self._redact(words), **kwargs)

    def _download(self, path: str, params: dict[str, str], destination: BinaryIO) -> AudioFile:
        response = self._transport.request(
            "GET",
            path,
            retry=True,
            params=params or None,
            headers={API_KEY_HEADER: self._api_key},
            stream=True,
        )
        where = "/" + path.split("?")[0]
        with response:
            content_type = response.headers.get("Content-Type", "")
            try:
                chunks = response.iter_content(chunk_size=_DOWNLOAD_CHUNK)
                first = next(chunks, b"")
                if response.status_code != 200 or first.lstrip()[:1] in (b"{", b"<"):
                    # An error or a page instead of audio (MP3 starts with "ID3" or a frame, WAV with "RIFF").
                    body = first + _read_limited(chunks, _ERROR_BODY_LIMIT)
                    self._answer(where, response.status_code, body, acts=False)
                    raise _unreadable_audio(f"{where} sent no audio")
                if not first:
                    raise _unreadable_audio(f"{where} sent an empty file")
                whole = _WholeAudio()
                for chunk in itertools.chain((first,), chunks):
                    destination.write(chunk)
                    whole.feed(chunk)
            except requests.RequestException:
                raise _unreadable_audio(f"the download from {where} broke off") from None
        if not whole.complete:
            raise _unreadable_audio(f"{where} sent an audio file cut short")
        size = whole.size
        media_type = content_type.split(";")[0].strip().lower()
        if not media_type or media_type == "application/octet-stream":
            media_type = _sniff_audio(first)
        return AudioFile(content_type=media_type, size=size)

    def _redact(self, text: str) -> str:
        return redact(text, (self._api_key,))


def _unreadable_audio(message: str) -> UnavailableError:
    return UnavailableError(message, provider=PROVIDER, reason=UnavailableReason.UNREADABLE)


class _Unreadable(Exception):
    """The body is neither a JSON object nor an XML document."""

    def __init__(self, message: str, reason: UnavailableReason = UnavailableReason.UNREADABLE) -> None:
        super().__init__(message)
        self.reason = reason


class _Shape(ValueError):
    """The answer lacks what the document says it carries."""


def _decode(body: bytes) -> dict[str, Any]:
    """By the body, not the Content-Type header, which servers like this one often get wrong."""
    if looks_like_html(body):
        raise _Unreadable("an HTML page instead of an API answer", UnavailableReason.HTML_PAGE)
    text = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        raise _Unreadable("an empty body")
    if text.startswith(b"<"):
        try:
            data: object = parse_xml(text)
        except XmlFormatError as exc:
            raise _Unreadable(str(exc)) from None
    else:
        try:
            data = json.loads(text.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise _Unreadable("not valid JSON (cut off or malformed)") from None
    if not isinstance(data, dict):
        raise _Unreadable("not a JSON object")
    return _canonical(data)


def _canonical(value: Any) -> Any:
    """Keys without whitespace and with `-` for `_`: the document writes "tts ", "tts- 1", phone_book."""
    if isinstance(value, dict):
        return {
            re.sub(r"\s+", "", str(key)).replace("_", "-"): _canonical(item) for key, item in value.items()
        }
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def _read_limited(chunks: Iterator[bytes], limit: int) -> bytes:
    body = b""
    for chunk in chunks:
        body += chunk
        if len(body) >= limit:
            break
    return body


# MPEG audio frame headers: kbit/s by bitrate index 1-14, for (MPEG-1?, layer); MPEG-2/2.5 layers II and III
# share one table. Sample rates by the header's version bits (3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5).
_MPEG_BITRATES = {
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MPEG_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mpeg_frame_length(header: bytes) -> int | None:
    """The length of the MPEG audio frame starting with `header` (4 bytes), or None if it is not one we can size."""
    if header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version, layer_bits = (header[1] >> 3) & 3, (header[1] >> 1) & 3
    bitrate_index, rate_index, padding = header[2] >> 4, (header[2] >> 2) & 3, (header[2] >> 1) & 1
    if version == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    layer, mpeg1 = 4 - layer_bits, version == 3
    bitrate = _MPEG_BITRATES[(mpeg1, layer if mpeg1 or layer == 1 else 2)][bitrate_index - 1] * 1000
    rate = _MPEG_SAMPLE_RATES[version][rate_index]
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    if layer == 3 and not mpeg1:
        return 72 * bitrate // rate + padding
    return 144 * bitrate // rate + padding


class _WholeAudio:
    """Whether a streamed audio file arrived whole, checked as it streams.

    A WAV file says its size in its RIFF header; an MP3 file must end where its last frame ends (after an
    ID3v2 tag, before an optional ID3v1 one). A body cut short with a Content-Length that matches it (a
    broken proxy or server) passes HTTP's own check, not this one. Audio of another kind, or an MP3 this
    cannot walk (free bitrate, junk between frames), is taken as it comes.
    """

    def __init__(self) -> None:
        self.size = 0
        self._wav_size: int | None = None
        self._walking = True  # MP3: still following the frames
        self._pending = b""  # bytes not yet walked
        self._walked = 0  # where `_pending` starts in the file
        self._skip = 0  # bytes of the current tag or frame still to come

    def feed(self, chunk: bytes) -> None:
        at_start = self.size == 0
        self.size += len(chunk)
        if at_start and not (chunk.startswith(b"ID3") or _mpeg_frame_length(chunk[:4].ljust(4, b"\0"))):
            self._walking = False
            if chunk.startswith(b"RIFF") and len(chunk) >= 8:
                self._wav_size = int.from_bytes(chunk[4:8], "little") + 8
            return
        if self._walking:
            self._walk(chunk)

    def _walk(self, chunk: bytes) -> None:
        data = self._pending + chunk
        position = 0
        while True:
            if self._skip:
                step = min(self._skip, len(data) - position)
                position += step
                self._skip -= step
                if self._skip:
                    break
            head = data[position : position + 10]
            if self._walked + position == 0 and head.startswith(b"ID3"):
                if len(head) < 10:
                    break
                size = int.from_bytes(bytes(byte & 0x7F for byte in head[6:10]), "big")  # "syncsafe"
                self._skip = 10 + size + (10 if head[5] & 0x10 else 0)
                continue
            if head.startswith(b"TAG"):
                self._skip = 128  # an ID3v1 tag at the end
                continue
            if len(head) < 4:
                break
            length = _mpeg_frame_length(head[:4])
            if length is None:
                self._walking = False
                break
            self._skip = length
        self._walked += position
        self._pending = data[position:]

    @property
    def complete(self) -> bool:
        if self._wav_size is not None:
            return self.size >= self._wav_size
        return not self._walking or (self._skip == 0 and not self._pending)


def _sniff_audio(first: bytes) -> str:
    if first.startswith(b"RIFF") and first[8:12] == b"WAVE":
        return "audio/wav"
    if first.startswith(b"ID3") or (len(first) > 1 and first[0] == 0xFF and first[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return "application/octet-stream"


# Reading the answers


def _member(data: Any, key: str) -> Any:
    if not isinstance(data, dict):
        raise _Shape(f"expected an object holding {key!r}, got {type(data).__name__}")
    if key not in data:
        raise _Shape(f"missing {key!r}")
    return data[key]


def _scalar(item: Any, key: str) -> str:
    value = _member(item, key)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Shape(f"{key!r} is not a single value")
    return str(value)


def _optional_scalar(item: Any, key: str) -> str | None:
    """Missing, null, "" and "-" all mean "none" (4.2.2: "minus oznacza brak")."""
    if isinstance(item, dict) and item.get(key) is None:
        return None
    value = optional(_scalar(item, key))
    return None if value is None else str(value)


def _to_int(value: Any, key: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise _Shape(f"{key!r} is not a whole number")


def _int(item: Any, key: str) -> int:
    return _to_int(_member(item, key), key)


def _optional_int(item: Any, key: str) -> int | None:
    value = _optional_scalar(item, key)
    return None if value is None else _to_int(value, key)


def _flag(item: Any, key: str) -> bool:
    value = _member(item, key)
    if value in (True, 1, "1", "true"):
        return True
    if value in (False, 0, "0", "false"):
        return False
    raise _Shape(f"{key!r} is not 0 or 1")


def _int_tuple(item: Any, key: str) -> tuple[int, ...]:
    """4.5.2: `[1, 2]` in JSON, `<in-campaigns type="array">` in XML; absent or empty: none."""
    if not isinstance(item, dict) or item.get(key) is None:
        return ()
    return tuple(_to_int(value, key) for value in _collection(item[key]))


def _duration(item: Any, key: str) -> timedelta:
    """4.5.8 writes times as "MM:SS" (also read: "HH:MM:SS" and plain seconds)."""
    text = _scalar(item, key).strip()
    parts = text.split(":")
    if not 1 <= len(parts) <= 3 or not all(part.isdigit() for part in parts):
        raise _Shape(f"{key!r} is not a duration")
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return timedelta(seconds=seconds)


_NUMBERED = re.compile(r"(\d+)$")


def _collection(container: Any) -> list[Any]:
    """Numbered keys in numeric order ("x-10" after "x-9"), or the first array; `count` is ignored."""
    if container is None or container == "":
        return []
    if isinstance(container, list):
        return container
    if not isinstance(container, dict):
        raise _Shape("expected a collection")
    numbered = sorted(
        (
            (int(match.group(1)), value)
            for key, value in container.items()
            if (match := _NUMBERED.search(key))
        ),
        key=lambda pair: pair[0],
    )
    if numbered:
        return [value for _number, value in numbered]
    for value in container.values():
        if isinstance(value, list):
            return value
    return []


def _first_code(*sources: dict[str, Any]) -> int | None:
    for source in sources:
        for key in ("code", "id", "error-code", "error-id"):
            value = source.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
                return int(value)
    return None


def _first_text(source: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = source.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _phone_account(item: Any) -> PhoneAccount:
    return PhoneAccount(
        id=_int(item, "id"),
        number=_optional_scalar(item, "number"),
        internal_number=_optional_scalar(item, "internal"),
        sip_login=_scalar(item, "login"),
        description=_scalar(item, "description"),
        registration_state=_int(item, "state"),
        recording=_flag(item, "recording"),
    )


def _phone_book(item: Any) -> PhoneBook:
    return PhoneBook(id=_int(item, "id"), name=_scalar(item, "name"))


def _entry(item: Any) -> PhoneBookEntry:
    return PhoneBookEntry(
        id=_optional_int(item, "id"), name=_scalar(item, "name"), number=_scalar(item, "number")
    )


def _deletion(item: Any) -> Deletion:
    return Deletion(id=_int(item, "id"), state=_scalar(item, "state"))


def _report(item: Any) -> CallHistoryReport:
    return CallHistoryReport(id=_int(item, "id"), generated=_flag(item, "generated"))


def _call_record(item: Any) -> CallRecord:
    recording = _optional_scalar(item, "file")
    is_link = recording is not None and recording.lower().startswith(("https://", "http://"))
    return CallRecord(
        started_at=parse_local_datetime(_scalar(item, "date")),
        source=_scalar(item, "src"),
        destination=_scalar(item, "dst"),
        duration_seconds=int(_duration(item, "duration").total_seconds()),
        state=_scalar(item, "state"),
        recording_url=recording if is_link else None,
        recording_file_name=None if is_link else recording,
    )


def _campaign(item: Any) -> Campaign:
    return Campaign(id=_int(item, "id"), name=_scalar(item, "name"))


def _agent(item: Any) -> Agent:
    return Agent(
        id=_int(item, "id"),
        name=_scalar(item, "name"),
        sip_login=_scalar(item, "sip"),
        public_number=_optional_scalar(item, "ddi"),
        incoming_campaign_ids=_int_tuple(item, "in-campaigns"),
        outgoing_campaign_ids=_int_tuple(item, "out-campaigns"),
        default_outgoing_campaign_id=_optional_int(item, "default-out-campaign"),
    )


def _member_row(item: Any) -> CampaignMember:
    pause = _scalar(item, "pause").strip().lower()
    if pause not in ("tak", "nie", "1", "0"):
        raise _Shape("'pause' is neither Tak nor Nie")
    last_call = _optional_scalar(item, "last-call")
    return CampaignMember(
        sip_login=_scalar(item, "login"),
        description=_scalar(item, "description"),
        state=_scalar(item, "state"),
        answered=_int(item, "answered"),
        last_call=None if last_call == "Brak danych" else last_call,  # "no data"
        on_pause=pause in ("tak", "1"),
        skill=_int(item, "skill"),
    )


def _waiting_call(item: Any) -> dict[str, str]:
    if not isinstance(item, dict):
        raise _Shape("a waiting call is not an object")
    return {key: "" if value is None else str(value) for key, value in item.items()}


def _monitor(monitor: Any) -> CampaignMonitor:
    basic = _member(monitor, "basic-data")
    members = monitor.get("campaign-members")
    waiting = monitor.get("waiting-calls")
    return CampaignMonitor(
        free_agents=_int(basic, "free-members"),
        busy_agents=_int(basic, "busy-members"),
        calls_waiting=_int(basic, "calls-waiting"),
        answered=_int(basic, "answered"),
        unanswered=_int(basic, "unanswered"),
        in_queue=_int(basic, "in-queue"),
        average_waiting_time=_duration(basic, "average-waiting-time"),
        max_waiting=_int(basic, "max-waiting"),
        average_call_time=_duration(basic, "average-call-time"),
        measured_sla=_duration(basic, "measured-sla"),
        sla_percent=parse_decimal(_scalar(basic, "sla")),
        members=tuple(_member_row(item) for item in _collection(members)),
        waiting_calls=tuple(_waiting_call(item) for item in _collection(waiting)),
    )


def _action_status(data: Any) -> str:
    """4.5.3-4.5.7 answer `{"add_agent_status": "OK"}` or `{"remove_agent": {"status": "OK"}}`."""
    if not isinstance(data, dict):
        raise _Shape("expected an object")
    for key, value in data.items():
        if isinstance(value, dict) and "status" in value:
            return _scalar(value, "status")
        if key.endswith("status") and isinstance(value, str):
            return value
    raise _Shape("missing 'status'")


def _sms_ids(data: Any) -> list[int]:
    sms = _member(data, "sms")
    ids = _member(sms, "ids")
    result = [_to_int(value, "ids") for value in ([ids] if isinstance(ids, int | str) else _collection(ids))]
    if not result:
        raise _Shape("no message ids")
    return result


def _sms_state(sms: Any) -> SmsState:
    """`error` may explain state 2; it is optional."""
    code = _int(sms, "state")
    error = sms.get("error")
    text = str(error).strip() if isinstance(error, str | int) and not isinstance(error, bool) else ""
    return SmsState(code=code, error=text or None)


def _tts_status(item: Any) -> TtsStatus:
    return TtsStatus(id=_int(item, "id"), generated=_flag(item, "generated"))


def _language(item: Any) -> TtsLanguage:
    return TtsLanguage(code=_scalar(item, "language"), description=_scalar(item, "description"))


def _voice(item: Any) -> TtsVoice:
    return TtsVoice(name=_scalar(item, "name"), gender=_scalar(item, "gender"))


def _announcement(item: Any) -> TtsAnnouncement:
    return TtsAnnouncement(
        id=_int(item, "id"), name=_scalar(item, "name"), generated=_flag(item, "generated")
    )


def _price(item: Any) -> TtsPrice:
    return TtsPrice(
        net=parse_decimal(_scalar(item, "cost-net")), gross=parse_decimal(_scalar(item, "cost-gross"))
    )


def _id(value: int, label: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{label} must be an int")
    return str(value)


def _string(value: str, label: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{label} must be a str")
    return value


__all__ = [
    "CALL_HISTORY_MAX_DAYS",
    "CALL_HISTORY_REPORT_LIFETIME",
    "DEFAULT_BASE_URL",
    "PHONE_BOOK_ENTRY_NAME_MAX_LENGTH",
    "PHONE_BOOK_NAME_MAX_LENGTH",
    "PHONE_NUMBER_MAX_LENGTH",
    "SMS_MESSAGE_MAX_LENGTH",
    "SMS_SENDERS",
    "TTS_TEXT_MAX_LENGTH",
    "Agent",
    "AudioFile",
    "CallDirection",
    "CallHistoryReport",
    "CallRecord",
    "Campaign",
    "CampaignMember",
    "CampaignMonitor",
    "Deletion",
    "PhoneAccount",
    "PhoneBook",
    "PhoneBookEntry",
    "SmsState",
    "SmsStatus",
    "SpikonClient",
    "TtsAnnouncement",
    "TtsLanguage",
    "TtsPrice",
    "TtsStatus",
    "TtsVoice",
]
