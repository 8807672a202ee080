"""Client of the Numery-Premium.PL API 70x: premium numbers, redirects, billing, wallet and invoices.

Specification: providers/numery-premium-70x-api.txt ("Dokumentacja 70x API"); providers/NOTES.md settles
what it leaves open. Every call sends `email` and `apikey` with its parameters as an
application/x-www-form-urlencoded body, GET included, as the document's Guzzle `form_params` examples do.
The provider answers `{"status": 1, ...}` or `{"status": 0, "message": "..."}`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.message import Message
from enum import StrEnum
from typing import Any, BinaryIO, NamedTuple, TypeVar

import requests

from provider_api.errors import (
    AuthenticationError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    ProviderError,
    UnavailableError,
    UnavailableReason,
)
from provider_api.http import HttpTransport
from provider_api.parsing import (
    WARSAW,
    ParseError,
    load_json,
    looks_like_html,
    normalise_polish_number,
    optional,
    parse_decimal,
    parse_local_datetime,
    parse_utc_datetime,
)
from provider_api.redaction import redact

PROVIDER = "Numery-Premium.PL"
DEFAULT_BASE_URL = "https://numery-premium.pl"
MAX_INVOICE_BYTES = 20 * 1024 * 1024  # an invoice PDF is tens of kilobytes; more is not an invoice
DOWNLOAD_CHUNK_BYTES = 64 * 1024
_GROSZE = -2  # decimal exponent: historyWallet and addNumber count the wallet in grosze (2000 = 20.00 zł)

# The document's table "Błędne kody odpowiedzi": HTTP status -> our error and the document's status name.
_HTTP_ERRORS: dict[int, tuple[type[ProviderError], str]] = {
    401: (AuthenticationError, "UNAUTHORIZED"),
    403: (ForbiddenError, "FORBIDDEN"),
    404: (NotFoundError, "NOT FOUND"),
    405: (ProviderError, "METHOD NOT ALLOWED"),
    422: (InvalidInputError, "UNPROCESSABLE ENTITY"),
}
# Shapes a broken answer can take while we read it; each becomes UnavailableError, never escapes.
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, ArithmeticError)

T = TypeVar("T")


NOT_ON_ACCOUNT = "Not found number in your account"  # the document's billing refusal, word for word


class NumberNotOnAccount(NotFoundError):
    """The premium number asked about is not on this partner account (billing/{number})."""


class Prezentacja(StrEnum):
    """Which number the redirect target sees (setRedirect `prezentacja`)."""

    HIDDEN = "prezentacjaA"  # a restricted number or +48228966667: the provider's default
    CALLER = "prezentacja"  # the caller's own number, where the account's services allow it


@dataclass(frozen=True, slots=True)
class PremiumNumber:
    """A premium number on the account and where its calls go (showNumbers `services[]`)."""

    premium: str
    tariff: int
    netto: Decimal  # net price in zł, as the provider lists it for the tariff
    tax: Decimal  # VAT rate in percent, e.g. 23
    appdata: str  # the provider's raw redirect setting, e.g. "number=601123456"; "" when none
    redirect_to: str | None  # the number parsed out of `appdata`

    @property
    def brutto(self) -> Decimal:
        return (self.netto * (100 + self.tax) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True, slots=True)
class BoughtNumber:
    """A number just bought (addNumber `message`)."""

    number: str
    tariff: int
    wallet_balance: Decimal  # zł left in the wallet after the purchase


class Call(NamedTuple):
    """One call to a premium number (billing `services[]`); times are Europe/Warsaw.

    Immutable like the other results, but a NamedTuple: a month's billing holds 100,000 of them, and one
    is made in a third of the time of a frozen dataclass (whose every field is set through a call).
    """

    id: int
    src: str  # the caller's number
    dst: str  # the premium number called
    start: datetime  # when the call started ringing at `to_dst`
    answer: datetime | None  # None when nobody answered
    end: datetime
    duration: int  # seconds, ringing included
    billsec: int  # seconds of conversation
    disposition: str  # "ANSWERED", or another state such as "NO ANSWER", "BUSY", "FAILED"
    billcost: Decimal  # zł: the cost of the redirect, deducted from the earnings
    to_dst: str  # the redirect target at the time of the call

    @property
    def answered(self) -> bool:
        return self.disposition == "ANSWERED"


@dataclass(frozen=True, slots=True)
class Balance:
    """The wallet's balance in zł (balance `message`)."""

    netto: Decimal
    tax: Decimal  # VAT rate in percent
    brutto: Decimal


@dataclass(frozen=True, slots=True)
class WalletEntry:
    """One wallet operation: a top-up, a purchase, a service fee (historyWallet `message[]`).

    The provider sends `cost` and `balance` in grosze (2000 for 20.00 zł, matching the 20 zł
    net of its balance example); both are converted to zł here.
    """

    cost: Decimal  # zł
    balance: Decimal  # zł in the wallet after the operation
    description: str
    credit: bool  # True: money came in (type 1, "uznanie"); False: money went out (type 0, "obciążenie")
    created_at: datetime  # UTC


@dataclass(frozen=True, slots=True)
class Invoice:
    """An invoice of the account (invoices `message[]`)."""

    id: int  # what invoice_download() needs
    title: str  # the invoice number, e.g. "3/01/2021"
    netto: Decimal  # zł
    status: int  # 1: paid
    created_at: datetime  # UTC

    @property
    def paid(self) -> bool:
        return self.status == 1


@dataclass(frozen=True, slots=True)
class InvoiceFile:
    """What invoice_download() wrote into the caller's file."""

    content_type: str  # e.g. "application/pdf"
    filename: str | None  # from Content-Disposition, without any directory part
    size: int  # bytes written


class PremiumClient:
    """The Numery-Premium.PL API 70x for one partner account (email + API key)."""

    def __init__(
        self,
        email: str,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        transport: HttpTransport | None = None,
    ) -> None:
        self._email = email
        self._api_key = api_key
        self._transport = transport or HttpTransport(base_url, provider=PROVIDER, secrets=(api_key,))

    def __repr__(self) -> str:
        return f"PremiumClient(base_url={self._transport.base_url!r})"

    # --- Numbers -------------------------------------------------------------------------------

    def show_numbers(self) -> list[PremiumNumber]:
        """The account's premium numbers with their tariffs and redirects.

        Doc: Funkcja showNumbers (GET /api/prm/voice/showNumbers).
        """
        body = self._send("GET", "/api/prm/voice/showNumbers", "showNumbers", retry=True)
        return self._read_list(body, "services", _premium_number, "showNumbers")

    def set_redirect(
        self,
        number: str,
        redirect_to_number: str,
        *,
        prezentacja: Prezentacja | None = None,
        zapowiedz: bool | None = None,
    ) -> str:
        """Send the calls of `number` to `redirect_to_number`; returns the provider's confirmation.

        Doc: Funkcja setRedirect (PUT /api/prm/voice/setRedirect/{number}). Omitted options take the
        provider's defaults (prezentacjaA, no announcement). `zapowiedz=True` needs an announcement
        uploaded in the provider's panel first, or the provider answers 422. Only Polish numbers:
        a target abroad can be set only by the provider's office.
        """
        try:
            target = normalise_polish_number(redirect_to_number)
        except ParseError as exc:
            raise InvalidInputError(
                str(exc), provider=PROVIDER, detail="a number abroad can be set only by the provider's office"
            ) from None
        params = {"redirect_to_number": target}
        if prezentacja is not None:
            params["prezentacja"] = Prezentacja(prezentacja).value
        if zapowiedz is not None:
            params["zapowiedz"] = "1" if zapowiedz else "0"
        path = f"/api/prm/voice/setRedirect/{_digits(number, 'premium number')}"
        body = self._send("PUT", path, "setRedirect", retry=False, params=params)
        return _provider_text(body.get("message"))

    def add_number(self, tariff: int) -> BoughtNumber:
        """Buy a new premium number in `tariff` (4 to 8), paid from the wallet.

        Doc: Funkcja addNumber (POST /api/prm/voice/addNumber/{tariff}). Costs money: sent once.
        """
        body = self._send("POST", f"/api/prm/voice/addNumber/{int(tariff)}", "addNumber", retry=False)
        return self._read_object(body, _bought_number, "addNumber", acting=True)

    def delete_number(self, number: str) -> None:
        """Remove `number` from the account.

        Doc: Funkcja delete (DELETE /api/prm/voice/delete/{number}); success is 204 with no body.
        """
        path = f"/api/prm/voice/delete/{_digits(number, 'premium number')}"
        self._send("DELETE", path, "delete", retry=False, no_content=True)

    def billing(self, *, month: int | None = None, year: int | None = None) -> list[Call]:
        """Calls of every number in a month (the provider's default: the current month).

        Doc: Funkcja billing (GET /api/prm/voice/billing).
        """
        body = self._send("GET", "/api/prm/voice/billing", "billing", retry=True, params=_month(month, year))
        return self._read_list(body, "services", _call, "billing")

    def number_billing(self, number: str, *, month: int | None = None, year: int | None = None) -> list[Call]:
        """Calls of one premium number in a month (the provider's default: the current month).

        Doc: Funkcja billing with {number} (GET /api/prm/voice/billing/{number}). A number that is not
        on the account raises NumberNotOnAccount, whether the provider answers 404 or, as its example
        shows, `{"status": 0, "message": "Not found number in your account"}`.
        """
        path = f"/api/prm/voice/billing/{_digits(number, 'premium number')}"
        try:
            body = self._send("GET", path, "billing", retry=True, params=_month(month, year))
        except NotFoundError as error:
            raise NumberNotOnAccount(
                error.provider_message,
                provider=PROVIDER,
                code=error.code,
                name=error.name,
                detail=error.detail,
                http_status=error.http_status,
            ) from None
        except ProviderError as error:
            if type(error) is ProviderError and error.provider_message.strip() == NOT_ON_ACCOUNT:
                raise NumberNotOnAccount(
                    error.provider_message, provider=PROVIDER, http_status=error.http_status
                ) from None
            raise
        return self._read_list(body, "services", _call, "billing")

    # --- Account -------------------------------------------------------------------------------

    def balance(self) -> Balance:
        """The wallet's current balance.

        Doc: Funkcja balance (GET /api/account/balance).
        """
        body = self._send("GET", "/api/account/balance", "balance", retry=True)
        return self._read_object(body, _balance, "balance", acting=False)

    def history_wallet(self) -> list[WalletEntry]:
        """The wallet's last 50 operations (top-ups, purchases, fees), newest first.

        Doc: Funkcja historyWallet (GET /api/account/balance/history).
        """
        body = self._send("GET", "/api/account/balance/history", "historyWallet", retry=True)
        return self._read_list(body, "message", _wallet_entry, "historyWallet")

    def invoices(self) -> list[Invoice]:
        """The account's last 30 invoices.

        Doc: Funkcja invoices (GET /api/account/invoices).
        """
        body = self._send("GET", "/api/account/invoices", "invoices", retry=True)
        return self._read_list(body, "message", _invoice, "invoices")

    def invoice_download(self, invoice_id: int | str, into: BinaryIO) -> InvoiceFile:
        """Stream the invoice's file (a PDF) into `into`, chunk by chunk.

        Doc: Funkcja invoiceDownload (GET /api/account/invoice/{id}). On an error part of the file may
        have been written already: discard `into`.
        """
        path = f"/api/account/invoice/{_digits(str(invoice_id), 'invoice id')}"
        response = self._transport.request("GET", path, retry=True, data=self._form(None), stream=True)
        with response:
            content_type = response.headers.get("Content-Type", "")
            media_type = content_type.split(";", 1)[0].strip().lower()
            try:
                if response.status_code != 200 or media_type == "application/json":
                    # Errors, and a "status": 0 sent with 200, come as the JSON envelope.
                    self._envelope(response, "invoiceDownload", acting=False, no_content=False)
                    raise self._unreadable(
                        "invoiceDownload", "a JSON answer instead of the invoice's file", False
                    )
                if media_type == "text/html":
                    raise self._unreadable(
                        "invoiceDownload",
                        "an HTML page instead of the invoice's file",
                        False,
                        reason=UnavailableReason.HTML_PAGE,
                    )
                size = 0
                for chunk in response.iter_content(DOWNLOAD_CHUNK_BYTES):
                    size += len(chunk)
                    if size > MAX_INVOICE_BYTES:
                        raise self._unreadable("invoiceDownload", "the file is larger than an invoice", False)
                    into.write(chunk)
            except requests.RequestException:
                # The answer, the file or an error, broke off while it was read.
                raise UnavailableError(
                    "the download broke off", provider=PROVIDER, reason=UnavailableReason.UNREADABLE
                ) from None
        return InvoiceFile(
            content_type=media_type or "application/octet-stream",
            filename=_attachment_filename(response.headers.get("Content-Disposition", "")),
            size=size,
        )

    # --- Transport and envelope ----------------------------------------------------------------

    def _form(self, params: Mapping[str, str] | None) -> dict[str, str]:
        return {"email": self._email, "apikey": self._api_key, **(params or {})}

    def _send(
        self,
        method: str,
        path: str,
        function: str,
        *,
        retry: bool,
        params: Mapping[str, str] | None = None,
        no_content: bool = False,
    ) -> dict[str, Any]:
        response = self._transport.request(method, path, retry=retry, data=self._form(params))
        return self._envelope(response, function, acting=not retry, no_content=no_content)

    def _envelope(
        self, response: requests.Response, function: str, *, acting: bool, no_content: bool
    ) -> dict[str, Any]:
        """The success envelope of `response`, or the error the document maps its status code to."""
        status_code = response.status_code
        if status_code >= 300:
            raise self._http_error(response, acting=acting)
        if status_code == 204 and no_content:
            return {}
        try:
            body = load_json(response.content, parse_float=Decimal)
        except ValueError:
            if looks_like_html(response.content):
                raise self._unreadable(
                    function, "an HTML page", acting, reason=UnavailableReason.HTML_PAGE
                ) from None
            raise self._unreadable(function, "not JSON", acting) from None
        if not isinstance(body, dict):
            raise self._unreadable(function, "not a JSON object", acting)
        status = body.get("status")
        if status in (1, "1"):
            return body
        if status in (0, "0"):
            message, detail = self._words(body)
            # The document's example refusal for every function is "Unauthorized", its 401's words:
            # it carries that code whatever the HTTP status, so that it is explained as a 401.
            if message == "Unauthorized":
                raise AuthenticationError(
                    message, provider=PROVIDER, code=401, detail=detail, http_status=status_code
                )
            raise ProviderError(message, provider=PROVIDER, detail=detail, http_status=status_code)
        raise self._unreadable(function, "no status 0 or 1", acting)

    def _http_error(self, response: requests.Response, *, acting: bool) -> ProviderError:
        status_code = response.status_code
        try:
            body = load_json(response.content)
        except ValueError:
            body = None
        message, detail = self._words(body) if isinstance(body, dict) else ("", "")
        if status_code >= 500:
            # The provider's server failed; an acting call may have done part of its work before failing.
            html = looks_like_html(response.content)
            return UnavailableError(
                message,
                provider=PROVIDER,
                code=status_code,
                name=response.reason or "",
                detail=detail,
                http_status=status_code,
                reason=UnavailableReason.HTML_PAGE if html else UnavailableReason.ERROR_STATUS,
                outcome_unknown=acting,
            )
        cls, name = _HTTP_ERRORS.get(status_code, (ProviderError, response.reason or ""))
        if status_code == 405:
            detail = detail or "this client used an HTTP method the provider does not accept"
        return cls(
            message, provider=PROVIDER, code=status_code, name=name, detail=detail, http_status=status_code
        )

    def _words(self, body: Mapping[str, Any]) -> tuple[str, str]:
        """The provider's message and, if it lists them (422: "szczegóły w messages"), the details."""
        message = _provider_text(body.get("message"))
        details = body.get("errors", body.get("messages"))
        detail = _provider_text(details) if details else ""
        secrets = (self._api_key,)
        return redact(message, secrets), redact(detail, secrets)

    def _read_list(
        self, body: Mapping[str, Any], key: str, parse: Callable[[Any], T], function: str
    ) -> list[T]:
        items = body.get(key)
        if not isinstance(items, list):
            raise self._unreadable(function, f"`{key}` is not a list", False)
        try:
            return [parse(item) for item in items]
        except _SHAPE_ERRORS as exc:
            raise self._unreadable(function, _shape_problem(exc), False) from None

    def _read_object(
        self, body: Mapping[str, Any], parse: Callable[[Any], T], function: str, *, acting: bool
    ) -> T:
        try:
            return parse(body["message"])
        except _SHAPE_ERRORS as exc:
            raise self._unreadable(function, _shape_problem(exc), acting) from None

    def _unreadable(
        self,
        function: str,
        what: str,
        acting: bool,
        *,
        reason: UnavailableReason = UnavailableReason.UNREADABLE,
    ) -> UnavailableError:
        return UnavailableError(
            redact(f"unreadable answer to {function}: {what}", (self._api_key,)),
            provider=PROVIDER,
            reason=reason,
            outcome_unknown=acting,
        )


# --- Reading the payloads ----------------------------------------------------------------------


def _shape_problem(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc}"
    if isinstance(exc, ParseError):
        return str(exc)
    return "unexpected shape"


def _premium_number(item: Mapping[str, Any]) -> PremiumNumber:
    redirect = item.get("redirect")
    appdata = "" if redirect is None else _text(redirect.get("appdata") or "")
    return PremiumNumber(
        premium=_text(item["premium"]),
        tariff=_int(item["tariff"]),
        netto=parse_decimal(item["netto"]),
        tax=parse_decimal(item["tax"]),
        appdata=appdata,
        redirect_to=_appdata_number(appdata),
    )


def _appdata_number(appdata: str) -> str | None:
    """ "number=601123456" -> "601123456"; None when the redirect names no number."""
    for part in appdata.split("&"):
        key, _, value = part.partition("=")
        if key.strip() == "number":
            return value.strip() or None
    return None


def _bought_number(message: Mapping[str, Any]) -> BoughtNumber:
    return BoughtNumber(
        number=_text(message["number"]),
        tariff=_int(message["tariff"]),
        wallet_balance=parse_decimal(message["WalletBalance"]).scaleb(_GROSZE),
    )


def _call(row: Mapping[str, Any]) -> Call:
    return Call(
        id=_int(row["id"]),
        src=_text(row["src"]),
        dst=_text(row["dst"]),
        start=_local_time(row["start"]),
        answer=_answer_time(row.get("answer")),
        end=_local_time(row["end"]),
        duration=_int(row["duration"]),
        billsec=_int(row["billsec"]),
        disposition=_text(row["disposition"]),
        billcost=parse_decimal(row["billcost"]),
        to_dst=_text(row["toDst"]),
    )


def _balance(message: Mapping[str, Any]) -> Balance:
    return Balance(
        netto=parse_decimal(message["netto"]),
        tax=parse_decimal(message["tax"]),
        brutto=parse_decimal(message["brutto"]),
    )


def _wallet_entry(item: Mapping[str, Any]) -> WalletEntry:
    kind = _int(item["type"])
    if kind not in (0, 1):
        raise ParseError(f"wallet operation type {kind} is neither 0 nor 1")
    return WalletEntry(
        cost=parse_decimal(item["cost"]).scaleb(_GROSZE),
        balance=parse_decimal(item["balance"]).scaleb(_GROSZE),
        description=_text(item["description"]),
        credit=kind == 1,
        created_at=parse_utc_datetime(item["created_at"]),
    )


def _invoice(item: Mapping[str, Any]) -> Invoice:
    return Invoice(
        id=_int(item["id"]),
        title=_text(item["title"]),
        netto=parse_decimal(item["netto"]),
        status=_int(item["status"]),
        created_at=parse_utc_datetime(item["created_at"]),
    )


def _int(value: Any) -> int:
    """An integer the provider sends as 12328 or "12328"."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ParseError(f"not a whole number: {value!r}")


def _text(value: Any) -> str:
    """A string field; numbers such as "src" may come as JSON numbers."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ParseError(f"not text: {value!r}")


def _provider_text(value: Any) -> str:
    """The provider's words as one line, whatever shape they come in."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {_provider_text(item)}" for key, item in value.items())
    if isinstance(value, list):
        return "; ".join(_provider_text(item) for item in value)
    return str(value)


def _local_time(value: Any) -> datetime:
    """A billing time "2021-06-25 21:47:47" (Europe/Warsaw) as an aware datetime.

    fromisoformat is several times faster than the strptime of parse_local_datetime, which counts
    for 300,000 times in 100,000 billing rows; the length and separator check keep it to the documented
    form. The zone is attached by combine: replace(tzinfo=...) takes five times as long.
    """
    if isinstance(value, str) and len(value) == 19 and value[10] == " ":
        try:
            local = datetime.fromisoformat(value)
            return datetime.combine(local.date(), local.time(), WARSAW)
        except ValueError:
            pass
    return parse_local_datetime(value)


def _answer_time(value: Any) -> datetime | None:
    # An unanswered call has no answer time: null, "" or the zero date of a CDR database.
    if optional(value) is None or value == "0000-00-00 00:00:00":
        return None
    return _local_time(value)


def _month(month: int | None, year: int | None) -> dict[str, str]:
    """The billing's optional month and year, as the document writes them ("01" for January)."""
    params: dict[str, str] = {}
    if month is not None:
        if not 1 <= month <= 12:
            raise InvalidInputError(f"month must be 1 to 12, not {month}", provider=PROVIDER)
        params["month"] = f"{month:02d}"
    if year is not None:
        params["year"] = str(int(year))
    return params


def _digits(value: str, what: str) -> str:
    """A number or id for the URL path: digits only, so that it cannot change the path."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        raise InvalidInputError(f"a {what} is digits only, without +48, 00 or spaces", provider=PROVIDER)
    return text


def _attachment_filename(content_disposition: str) -> str | None:
    if not content_disposition:
        return None
    header = Message()
    header["Content-Disposition"] = content_disposition
    name = header.get_filename()
    if not name:
        return None
    # Keep only the last path component: the name may end up in a storage path.
    return name.replace("\\", "/").rsplit("/", 1)[-1] or None
