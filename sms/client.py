"""Client of the SerwerSMS.pl HTTPS API v2: the chapter "Zarządzanie subkontami" (subaccounts), and the
read-only account calls of the provider's official clients (the message pool, payments and invoices, delivery
statistics, notices).

Doc: /work/shared/providers/serwersms-api-v2-subaccounts.txt, with the facts NOTES.md adds: every call is
`POST <base>/<group>/<action>.json` with a JSON body carrying `system=client_python` (as the provider's
official clients send), authenticated either by an API token (`Authorization: Bearer`) or by an API user's
`username` + `password` in the body. Errors come as `{"error": {"code", "type", "message"}}`, possibly with
HTTP 200, so the body is checked whatever the status.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

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
from provider_api.parsing import ParseError, load_json, looks_like_html, optional, parse_decimal
from provider_api.redaction import redact

PROVIDER = "SerwerSMS.pl"
BASE_URL = "https://api2.serwersms.pl"
SYSTEM = "client_python"

# The document's list of allowed marks is garbled ("oraz znaki: , _ @."); the issue settled on exactly
# letters, digits and _ @ . - for subaccount logins.
LOGIN_PATTERN = re.compile(r"[A-Za-z0-9_@.\-]{3,20}")
PASSWORD_MIN_LENGTH = 3
PASSWORD_MAX_LENGTH = 20
LIMIT_TYPES = ("eco", "full", "voice", "mms", "hlr")

_ERROR_BY_CODE: dict[int, type[ProviderError]] = {
    1000: ProviderError,  # InvalidAction: our request names an action the API does not have
    1001: AuthenticationError,  # InvalidUser
    1002: ForbiddenError,  # the user has no API permission
    1003: AuthenticationError,  # InvalidIP: the caller's address is not allowed
    1004: NotFoundError,  # InvalidID
    1005: ForbiddenError,  # no permission for this action
    1006: InvalidInputError,  # InvalidData
    1007: ForbiddenError,  # the account is not active
    2000: InvalidInputError,
    2001: InvalidInputError,
    2002: InvalidInputError,
}
# Used only when an error object names its type but carries no readable code.
_ERROR_BY_TYPE: dict[str, type[ProviderError]] = {
    "InvalidAction": ProviderError,
    "InvalidUser": AuthenticationError,
    "InvalidIP": AuthenticationError,
    "InvalidID": NotFoundError,
    "InvalidData": InvalidInputError,
}


@dataclass(frozen=True, slots=True)
class Subaccount:
    """One row of the subaccount list."""

    id: int
    username: str


@dataclass(frozen=True, slots=True)
class SubaccountDetails:
    """A subaccount's details; name, phone and email are "" when the provider has none."""

    id: int
    username: str
    name: str
    phone: str
    email: str


@dataclass(frozen=True, slots=True)
class MessagePool:
    """What is left of one message type (account/limits): `remaining` messages, or none counted when the
    type is `unlimited` ("no_limit") or not on the account ("not_available", remaining None)."""

    type: str
    remaining: int | None
    unlimited: bool
    chars_limit: str


@dataclass(frozen=True, slots=True)
class Payment:
    """One payment (pro forma or invoice) of payments/index and payments/view."""

    id: int
    number: str
    paid: bool
    paid_on: date | None
    total: Decimal | None
    due_on: date | None


@dataclass(frozen=True, slots=True)
class DeliveryStat:
    """Delivery counts of one package of messages (stats/index)."""

    id: int
    name: str
    type: str
    delivered: int
    pending: int
    undelivered: int
    unsent: int
    begin: date | None
    end: date | None


@dataclass(frozen=True, slots=True)
class Notice:
    """A notice from the provider to the account (account/messages)."""

    new: bool
    message: str


STAT_TYPES = ("eco", "full", "voice", "mms")


class SerwerSmsClient:
    """The subaccounts API of SerwerSMS.pl, authenticated by an API token or by an API user."""

    def __init__(
        self,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str = BASE_URL,
        transport: HttpTransport | None = None,
    ) -> None:
        if token and (username or password):
            raise ValueError("give either an API token or an API username and password, not both")
        if not token and not (username and password):
            raise ValueError("give an API token, or an API username together with its password")
        self._token = token or None
        self._username = None if token else username
        self._password = None if token else password
        self._transport = transport or HttpTransport(
            base_url, provider=PROVIDER, secrets=tuple(s for s in (token, password) if s)
        )

    def __repr__(self) -> str:
        method = "token" if self._token else f"user {self._username!r}"
        return f"SerwerSmsClient(base_url={self._transport.base_url!r}, auth={method})"

    def index(self) -> list[Subaccount]:
        """List the subaccounts. Doc: "Listowanie subkont" (subaccounts/index)."""
        payload = self._call("index", {}, retry=True)
        items = payload.get("items")
        if not isinstance(items, list):
            raise _unreadable("the subaccount list has no 'items' array", acts=False)
        subaccounts = []
        for item in items:
            if not isinstance(item, dict):
                raise _unreadable("a subaccount in the list is not an object", acts=False)
            subaccounts.append(
                Subaccount(id=_id(item.get("id"), acts=False), username=_text(item.get("username")))
            )
        return subaccounts

    def view(self, subaccount_id: int) -> SubaccountDetails:
        """One subaccount's details. Doc: "Wyświetlenie szczegółów subkonta" (subaccounts/view)."""
        payload = self._call("view", {"id": subaccount_id}, retry=True)
        return SubaccountDetails(
            id=_id(payload.get("id"), acts=False),
            username=_text(payload.get("username")),
            name=_text(payload.get("name"), required=False),
            phone=_text(payload.get("phone"), required=False),
            email=_text(payload.get("email"), required=False),
        )

    def add(
        self,
        *,
        subaccount_username: str,
        subaccount_password: str,
        subaccount_id: int,
        name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
    ) -> int:
        """Create a subaccount from a template; returns the new subaccount's id. Doc: "Tworzenie subkont".

        `subaccount_id` is the template subaccount (made beforehand in the provider's client panel) whose
        access and view permissions and settings are copied. Sent once: a retry could create it twice.
        The password goes into this one request body and is kept nowhere else.
        """
        if not LOGIN_PATTERN.fullmatch(subaccount_username):
            raise InvalidInputError(
                provider=PROVIDER,
                detail="the login must be 3–20 characters: letters a-z A-Z, digits and _ @ . -",
            )
        if not PASSWORD_MIN_LENGTH <= len(subaccount_password) <= PASSWORD_MAX_LENGTH:
            raise InvalidInputError(
                provider=PROVIDER,
                detail=f"the password must be {PASSWORD_MIN_LENGTH}–{PASSWORD_MAX_LENGTH} characters",
            )
        params: dict[str, Any] = {
            "subaccount_username": subaccount_username,
            "subaccount_password": subaccount_password,
            "subaccount_id": subaccount_id,
        }
        optional = {"name": name, "phone": phone, "email": email}
        params.update({key: value for key, value in optional.items() if value is not None})
        # A provider message may repeat the chosen password: it is masked like the account's secrets.
        payload = self._call("add", params, retry=False, extra_secrets=(subaccount_password,))
        if _success(payload) is False:
            raise ProviderError(
                provider=PROVIDER,
                detail="the subaccount was not created (the provider answered success: false)",
            )
        return _id(payload.get("id"), acts=True)

    def limit(self, subaccount_id: int, *, message_type: str, value: int) -> None:
        """Set how many messages of one type the subaccount may send. Doc: "Ustawianie limitów wiadomości
        dla subkonta" (subaccounts/limit). Sent once, as it changes the account.
        """
        if message_type not in LIMIT_TYPES:
            raise InvalidInputError(
                provider=PROVIDER, detail=f"the message type must be one of {', '.join(LIMIT_TYPES)}"
            )
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidInputError(
                provider=PROVIDER, detail="the limit must be a whole number of messages, 0 or more"
            )
        payload = self._call(
            "limit", {"id": subaccount_id, "type": message_type, "value": value}, retry=False
        )
        if _success(payload) is False:
            raise _no_such_subaccount(subaccount_id)

    def delete(self, subaccount_id: int) -> None:
        """Delete a subaccount. Doc: "Usuwanie subkonta" (subaccounts/delete). Sent once."""
        payload = self._call("delete", {"id": subaccount_id}, retry=False)
        if _success(payload) is False:
            raise _no_such_subaccount(subaccount_id)

    # --- account calls (reads) ------------------------------------------------------------------------

    def pool(self) -> list[MessagePool]:
        """How many messages of each type the account can still send: SerwerSMS's "balance".
        Doc: "Sprawdzanie stanu konta" (account/limits)."""
        items = _items(self._call("limits", {}, retry=True, group="account"), "message pool")
        return [
            MessagePool(
                type=_text(item.get("type")),
                remaining=_count_or_none(item.get("value")),
                unlimited=item.get("value") == "no_limit",
                chars_limit=_text(item.get("chars_limit"), required=False),
            )
            for item in items
        ]

    def payments(self) -> list[Payment]:
        """The account's payments, with their invoices' numbers. Doc: payments/index."""
        items = _items(self._call("index", {}, retry=True, group="payments"), "payment list")
        return [_payment(item) for item in items]

    def payment(self, payment_id: int) -> Payment:
        """One payment. Doc: payments/view."""
        return _payment(self._call("view", {"id": payment_id}, retry=True, group="payments"))

    def invoice(self, payment_id: int) -> bytes:
        """A payment's invoice as PDF. Doc: payments/invoice; an error still comes as a JSON object."""
        response = self._send("payments", "invoice", {"id": payment_id}, retry=True)
        if response.status_code == 200 and response.content.startswith(b"%PDF-"):
            return response.content
        self._check(response, acts=False)  # raises the provider's error, or says the answer is unreadable
        raise _unreadable("the invoice is not a PDF document", acts=False, http_status=response.status_code)

    def delivery_stats(
        self, *, message_type: str | None = None, begin: date | None = None, end: date | None = None
    ) -> list[DeliveryStat]:
        """Delivery counts per package of messages. Doc: stats/index (optional type, begin, end)."""
        if message_type is not None and message_type not in STAT_TYPES:
            raise InvalidInputError(detail=f"the message type must be one of {', '.join(STAT_TYPES)}")
        params: dict[str, Any] = {}
        if message_type is not None:
            params["type"] = message_type
        if begin is not None:
            params["begin"] = begin.isoformat()
        if end is not None:
            params["end"] = end.isoformat()
        items = _items(self._call("index", params, retry=True, group="stats"), "statistics")
        return [
            DeliveryStat(
                id=_id(item.get("id"), acts=False),
                name=_text(item.get("name"), required=False),
                type=_text(item.get("type"), required=False),
                delivered=_count(item.get("delivered")),
                pending=_count(item.get("pending")),
                undelivered=_count(item.get("undelivered")),
                unsent=_count(item.get("unsent")),
                begin=_date(item.get("begin")),
                end=_date(item.get("end")),
            )
            for item in items
        ]

    def notices(self) -> list[Notice]:
        """Notices from the provider to the account. Doc: account/messages."""
        items = _items(self._call("messages", {}, retry=True, group="account"), "notice list")
        return [Notice(new=item.get("new") is True, message=_text(item.get("message"))) for item in items]

    def _send(self, group: str, action: str, params: dict[str, Any], *, retry: bool):
        body = {**params, "system": SYSTEM}
        headers = {}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        else:
            body["username"] = self._username
            body["password"] = self._password
        return self._transport.request(
            "POST", f"{group}/{action}.json", retry=retry, json=body, headers=headers
        )

    def _call(
        self,
        action: str,
        params: dict[str, Any],
        *,
        retry: bool,
        extra_secrets: tuple[str, ...] = (),
        group: str = "subaccounts",
    ) -> dict[str, Any]:
        response = self._send(group, action, params, retry=retry)
        return self._check(response, acts=not retry, extra_secrets=extra_secrets)

    def _check(self, response, *, acts: bool, extra_secrets: tuple[str, ...] = ()) -> dict[str, Any]:
        """The answer's JSON object, or the provider's error (whatever the HTTP status) raised."""
        status = response.status_code
        try:
            payload = load_json(response.content)
        except ValueError:
            payload = None
        # The provider may report an error with any status, HTTP 200 included.
        if isinstance(payload, dict) and payload.get("error") is not None:
            secrets = (*self._transport.secrets, *extra_secrets)
            raise _provider_error(payload["error"], status, lambda text: redact(text, secrets), acts=acts)
        html = looks_like_html(response.content)
        if not 200 <= status < 300:
            raise UnavailableError(
                f"unexpected HTTP {status}",
                provider=PROVIDER,
                http_status=status,
                reason=UnavailableReason.HTML_PAGE if html else UnavailableReason.ERROR_STATUS,
                outcome_unknown=acts and status >= 500,
            )
        if not isinstance(payload, dict):
            # The provider answered, so an acting call may have taken effect.
            raise UnavailableError(
                "the answer is not the documented JSON object",
                provider=PROVIDER,
                http_status=status,
                reason=UnavailableReason.HTML_PAGE if html else UnavailableReason.UNREADABLE,
                outcome_unknown=acts,
            )
        return payload


def _provider_error(
    error: object, status: int, redacted: Callable[[str], str], *, acts: bool
) -> ProviderError:
    """The provider's error object as our error, its texts passed through `redacted` (they may repeat a
    credential or a chosen password)."""
    if isinstance(error, str):
        return ProviderError(redacted(error), provider=PROVIDER, http_status=status)
    if not isinstance(error, dict):
        return _unreadable("the error object has an unexpected shape", acts=acts, http_status=status)
    code = _error_code(error.get("code"))
    if isinstance(code, str):
        code = redacted(code)
    name = redacted(error["type"]) if isinstance(error.get("type"), str) else ""
    message = redacted(error["message"]) if isinstance(error.get("message"), str) else ""
    if isinstance(code, int) and code in _ERROR_BY_CODE:
        cls = _ERROR_BY_CODE[code]
    else:
        cls = _ERROR_BY_TYPE.get(name, ProviderError)
    return cls(message, provider=PROVIDER, code=code, name=name, http_status=status)


def _error_code(value: object) -> int | str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        return int(text) if text.isascii() and text.isdigit() else text
    return None


def _success(payload: dict[str, Any]) -> bool:
    success = payload.get("success")
    if not isinstance(success, bool):
        raise _unreadable("the answer has no true/false 'success'", acts=True)  # only acting calls answer it
    return success


def _no_such_subaccount(subaccount_id: int) -> NotFoundError:
    return NotFoundError(
        provider=PROVIDER,
        detail=f"no subaccount with id {subaccount_id} (the provider answered success: false)",
    )


def _id(value: object, *, acts: bool) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise _unreadable("an id is missing or not a number", acts=acts)


def _text(value: object, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and not required:
        return str(value)  # a phone number may come as a JSON number
    raise _unreadable("a text field is missing or not text", acts=False)  # only reads answer text fields


def _unreadable(message: str, *, acts: bool, http_status: int | None = None) -> UnavailableError:
    """An answer not in the documented form: an acting call may have taken effect, a read changed nothing."""
    return UnavailableError(
        message,
        provider=PROVIDER,
        http_status=http_status,
        reason=UnavailableReason.UNREADABLE,
        outcome_unknown=acts,
    )


def _items(payload: dict[str, Any], what: str) -> list[dict[str, Any]]:
    items = payload.get("items")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise _unreadable(f"the {what} has no 'items' array of objects", acts=False)
    return items


def _payment(item: dict[str, Any]) -> Payment:
    state = item.get("state")
    if state not in ("paid", "not_paid"):
        raise _unreadable("a payment's state is neither paid nor not_paid", acts=False)
    try:
        total = parse_decimal(item["total"]) if optional(item.get("total")) is not None else None
    except ParseError:
        raise _unreadable("a payment's total is not an amount", acts=False) from None
    return Payment(
        id=_id(item.get("id"), acts=False),
        number=_text(item.get("number"), required=False),
        paid=state == "paid",
        paid_on=_date(item.get("paid")),
        total=total,
        due_on=_date(item.get("payment_to")),
    )


def _count(value: object) -> int:
    """A count sent as a number or as digits; missing counts as 0."""
    if value is None or value == "":
        return 0
    found = _count_or_none(value)
    if found is None:
        raise _unreadable("a count is not a whole number", acts=False)
    return found


def _count_or_none(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


def _date(value: object) -> date | None:
    """ "2024-05-31" or "2024-05-31 12:00:00" as a date; anything else as no date."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
