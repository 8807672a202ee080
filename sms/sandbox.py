"""A stateful simulator of the SerwerSMS.pl HTTPS API v2 subaccounts chapter, as a plain WSGI app.

It follows the provider's document (serwersms-api-v2-subaccounts.txt) and NOTES.md, not our client:
`POST /subaccounts/<action>.json`, JSON or form body, a Bearer token or `username` + `password`.
Where the document is silent the sandbox chooses, and says so here:
- Errors are `{"error": {"code", "type", "message"}}` sent with `error_status` (default 200, the hardest
  case NOTES.md allows; set 401 or 400 to see the other way).
- A missing parameter is 2000 "MissingParameter", a malformed one 2001 "InvalidParameter", a login that is
  taken (compared without regard to case) 2002 "LoginTaken".
- `view` and `add` with an unknown id answer 1004 InvalidID; `limit` and `delete` answer `{"success": false}`.
- A new subaccount copies the template's settings and permissions, not its limits.
- The account calls (NOTES.md, from the official clients) answer every field as a string, as the provider's
  own API page shows them: `account/limits`, `payments/index|view|invoice` (the invoice a small real PDF),
  `stats/index`, `account/messages`. An unknown payment id answers 1004 InvalidID.
- `POST /demo/pool.json` with `type` and `value` is the sandbox's own (not the provider's): it sets what is
  left of one message type, so that the demo can push the pool below an alert rule's threshold and back.
"""

from __future__ import annotations

import copy
import json
import random
import re
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from provider_api.sandbox_faults import BAD_GATEWAY_PAGE, MAINTENANCE_PAGE, FaultInjection, break_off

DEMO_TOKEN = "demo-serwersms-token-7f3a9c"  # noqa: S105 - the sandbox's published demo credential
DEMO_USERNAME = "webapi_demo"
DEMO_PASSWORD = "demo-haslo-2024"  # noqa: S105 - the sandbox's published demo credential
DEMO_TEMPLATE_ID = 1100

LIMIT_TYPES = ("eco", "full", "voice", "mms", "hlr")
_LOGIN = re.compile(r"[A-Za-z0-9_@.\-]{3,20}")
_ROUTE = re.compile(r"/(subaccounts|account|payments|stats|demo)/([a-z]+)\.json$")
_GROUPS = ("/subaccounts/", "/account/", "/payments/", "/stats/", "/demo/")

_SCRIPT = "<script>alert(1)</script>"
_IMG = "<img src=x onerror=alert(1)>"
_SVG = '"><svg onload=alert(1)>'  # breaks out of an attribute
_TEMPLATE = "{{7*7}}"
_SCRIPT_URL = "javascript:alert(1)"

StartResponse = Callable[..., Any]


class _Reply(Exception):
    """Ends a request early with a provider answer (an error object or `success: false`)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


class SerwerSmsSandbox(FaultInjection):
    """The subaccounts API of one SerwerSMS.pl customer; accepts one API token and one API user."""

    def __init__(
        self,
        token: str,
        username: str,
        password: str,
        *,
        seed: int = 70,
    ) -> None:
        super().__init__()
        self._token = token
        self._username = username
        self._password = password
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._accounts: dict[int, dict[str, Any]] = {}
        self._next_id = 1400
        self.error_status = 200
        self._pool: dict[str, str] = {}
        self._payments: dict[int, dict[str, str]] = {}
        self._stats: list[dict[str, str]] = []
        self._notices: list[dict[str, Any]] = []

    def __repr__(self) -> str:
        return f"SerwerSmsSandbox(subaccounts={len(self._accounts)})"

    # --- set-up and inspection, for the demo and tests -------------------------------------------------

    def seed_demo(self, hostile: bool = False) -> None:
        """Replace the state with five subaccounts; "szablon" (DEMO_TEMPLATE_ID) is the template."""
        rows = [
            (DEMO_TEMPLATE_ID, "szablon", "Szablon uprawnień", "", "", True),
            (1194, "wojtek", "Wojciech Kowalski", "+48730856000", "wojtek@example.pl", False),
            (1207, "biuro.krakow", "Biuro Kraków", "+48126001234", "krakow@example.pl", False),
            (1215, "m.wisniewska", "Małgorzata Wiśniewska", "+48601123456", "m.wisniewska@example.pl", False),
            (1233, "sklep-gdansk", "Sklep Gdańsk – Długi Targ", "+48583005000", "gdansk@example.pl", False),
        ]
        if hostile:
            rows[1] = (
                1194,
                f"wojtek{_SCRIPT}",
                f"Wojciech {_SCRIPT}",
                "+48730856000",
                f"w@x.pl{_IMG}",
                False,
            )
            rows[2] = (1207, "biuro.krakow", f"Biuro {_IMG}", "+48126001234", "krakow@example.pl", False)
            rows[3] = (1215, "m.wisniewska", f"<b>Małgorzata</b> {_SCRIPT}", "", "", False)
            rows[4] = (
                1233,
                f"sklep{_TEMPLATE}",
                f"Sklep {_SVG}",
                _SCRIPT_URL,
                f"{_SCRIPT_URL}//@x.pl",
                False,
            )
        with self._lock:
            self._accounts = {}
            for account_id, login, name, phone, email, template in rows:
                self._accounts[account_id] = {
                    "id": account_id,
                    "username": login,
                    "password": f"Haslo-{account_id}",
                    "name": name,
                    "phone": phone,
                    "email": email,
                    "settings": {
                        "delivery_reports_url": f"https://example.pl/raporty/{login}" if template else "",
                        "eco_replies": template,
                        "senders": ["INFO", "Firma"] if template else ["INFO"],
                    },
                    "limits": {"eco": 1000, "full": 500} if not template else {},
                }
            self._next_id = 1400
            self._pool = {
                "eco": "1200",
                "full": "480",
                "voice": "not_available",
                "mms": "25",
                "lookup": "no_limit",
                "hlr": "0",
            }
            self._payments = {
                int(payment["id"]): payment
                for payment in (
                    _payment(5101, "FV 112/2026", "paid", "2026-09-03", "246.00", "2026-09-10"),
                    _payment(5188, "FV 131/2026", "paid", "2026-10-02", "615.00", "2026-10-09"),
                    _payment(5240, "PRO 12/2026", "not_paid", "", "1230.00", "2026-11-30"),
                )
            }
            self._stats = [
                _stat(801, "Pakiet ECO – listopad", "eco", 1450, 12, 31, 4, "2026-11-01", "2026-11-30"),
                _stat(802, "Pakiet FULL – listopad", "full", 512, 3, 9, 0, "2026-11-01", "2026-11-30"),
            ]
            self._notices = [
                {"new": True, "message": "Przerwa techniczna 12 grudnia w godz. 2:00–3:00."},
                {"new": False, "message": "Nowy cennik wiadomości MMS od 1 stycznia."},
            ]

    def set_pool(self, message_type: str, value: int | str) -> None:
        """Set what is left of one message type (a count, or "no_limit" / "not_available")."""
        with self._lock:
            self._pool[message_type] = str(value)

    def subaccount(self, subaccount_id: int) -> dict[str, Any] | None:
        """A copy of what the sandbox stores for a subaccount (settings and limits), without its password."""
        with self._lock:
            account = self._accounts.get(subaccount_id)
            if account is None:
                return None
            return {k: copy.deepcopy(v) for k, v in account.items() if k != "password"}

    def limits(self, subaccount_id: int) -> dict[str, int]:
        """The limits set on a subaccount, by message type ({} for an unknown id)."""
        account = self.subaccount(subaccount_id)
        return account["limits"] if account else {}

    def password_matches(self, subaccount_id: int, password: str) -> bool:
        """Whether a subaccount was created with this password (tests prove it reached the provider)."""
        with self._lock:
            account = self._accounts.get(subaccount_id)
            return account is not None and account["password"] == password

    def fault_key(self, path: str) -> str:
        """Faults and counts name a path with or without the mount prefix."""
        return _normalise(path)

    # --- WSGI ------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = _normalise(environ.get("PATH_INFO", ""))
        fault = self.arrive(path)  # after a "timeout" it answers as usual: the call did take effect
        if fault == "500":
            return _send(start_response, 500, b"Internal Server Error", "text/plain")
        elif fault == "html":
            return _send(start_response, 502, BAD_GATEWAY_PAGE, "text/html")
        elif fault == "maintenance":
            return _send(start_response, 200, MAINTENANCE_PAGE, "text/html; charset=utf-8")
        elif fault == "auth":
            return _json(start_response, self.error_status, _invalid_user())
        status, body = self._answer(environ, path)
        if isinstance(body, bytes):  # an invoice
            raw, content_type = body, "application/pdf"
        else:
            raw, content_type = (
                json.dumps(body, ensure_ascii=False).encode(),
                "application/json; charset=utf-8",
            )
        if fault == "truncated":
            raw = raw[: max(1, len(raw) // 2)]
        sent = _send(start_response, status, raw, content_type)
        return break_off(sent) if fault == "broken_off" else sent

    def _answer(self, environ: dict[str, Any], path: str) -> tuple[int, dict[str, Any] | bytes]:
        try:
            params = _read_params(environ)
            if params is None:
                raise self._error(1006, "InvalidData", "Nieprawidłowe dane wejściowe")
            self._authenticate(environ, params)
            route = _ROUTE.search(path)
            handler = {
                ("subaccounts", "index"): self._index,
                ("subaccounts", "view"): self._view,
                ("subaccounts", "add"): self._add,
                ("subaccounts", "limit"): self._limit,
                ("subaccounts", "delete"): self._delete,
                ("account", "limits"): self._account_limits,
                ("account", "messages"): self._account_messages,
                ("payments", "index"): self._payments_index,
                ("payments", "view"): self._payments_view,
                ("payments", "invoice"): self._payments_invoice,
                ("stats", "index"): self._stats_index,
                ("demo", "pool"): self._demo_pool,
            }.get(route.groups() if route else ("", ""))
            if handler is None or environ.get("REQUEST_METHOD") != "POST":
                raise self._error(1000, "InvalidAction", "Nieprawidłowa akcja")
            with self._lock:
                return 200, handler(params)
        except _Reply as reply:
            return reply.status, reply.body

    def _authenticate(self, environ: dict[str, Any], params: dict[str, Any]) -> None:
        header = environ.get("HTTP_AUTHORIZATION", "")
        if header.startswith("Bearer ") and header[len("Bearer ") :] == self._token:
            return
        if params.get("username") == self._username and params.get("password") == self._password:
            return
        raise _Reply(self.error_status, _invalid_user())

    def _error(self, code: int, kind: str, message: str) -> _Reply:
        return _Reply(self.error_status, {"error": {"code": code, "type": kind, "message": message}})

    # Handlers run under the lock.

    def _index(self, params: dict[str, Any]) -> dict[str, Any]:
        items = [{"id": a["id"], "username": a["username"]} for a in self._accounts.values()]
        return {"items": items}

    def _view(self, params: dict[str, Any]) -> dict[str, Any]:
        account = self._accounts.get(self._int(params, "id"))
        if account is None:
            raise self._error(1004, "InvalidID", "Nieprawidłowy identyfikator subkonta")
        return {key: account[key] for key in ("id", "username", "name", "phone", "email")}

    def _add(self, params: dict[str, Any]) -> dict[str, Any]:
        login = self._str(params, "subaccount_username")
        password = self._str(params, "subaccount_password")
        template_id = self._int(params, "subaccount_id")
        if not _LOGIN.fullmatch(login):
            raise self._error(
                2001, "InvalidParameter", "Login subkonta: 3-20 znaków (a-z, A-Z, 0-9, _ @ . -)"
            )
        if not 3 <= len(password) <= 20:
            raise self._error(2001, "InvalidParameter", "Hasło subkonta: 3-20 znaków")
        template = self._accounts.get(template_id)
        if template is None:
            raise self._error(1004, "InvalidID", "Nieprawidłowy identyfikator subkonta szablonowego")
        if any(a["username"].lower() == login.lower() for a in self._accounts.values()):
            raise self._error(2002, "LoginTaken", "Podany login jest już zajęty")
        new_id = self._next_id
        self._next_id += self._random.randint(1, 9)
        self._accounts[new_id] = {
            "id": new_id,
            "username": login,
            "password": password,
            "name": self._optional(params, "name"),
            "phone": self._optional(params, "phone"),
            "email": self._optional(params, "email"),
            "settings": copy.deepcopy(template["settings"]),
            "limits": {},
        }
        return {"success": True, "id": new_id}

    def _limit(self, params: dict[str, Any]) -> dict[str, Any]:
        subaccount_id = self._int(params, "id")
        message_type = self._str(params, "type")
        value = self._int(params, "value")
        if message_type not in LIMIT_TYPES:
            raise self._error(2001, "InvalidParameter", "Typ wiadomości: eco, full, voice, mms lub hlr")
        account = self._accounts.get(subaccount_id)
        if account is None:
            return {"success": False}
        account["limits"][message_type] = value
        return {"success": True, "id": subaccount_id}

    def _delete(self, params: dict[str, Any]) -> dict[str, Any]:
        if self._accounts.pop(self._int(params, "id"), None) is None:
            return {"success": False}
        return {"success": True}

    def _account_limits(self, params: dict[str, Any]) -> dict[str, Any]:
        items = [
            {"type": kind, "chars_limit": "918/6" if kind in ("eco", "full") else "nd", "value": value}
            for kind, value in self._pool.items()
        ]
        answer: dict[str, Any] = {"items": items}
        if params.get("show_type"):
            answer["account"] = {"type": "prepaid"}
        return answer

    def _account_messages(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"items": copy.deepcopy(self._notices)}

    def _payments_index(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"items": [dict(payment) for payment in self._payments.values()]}

    def _payment(self, params: dict[str, Any]) -> dict[str, str]:
        payment = self._payments.get(self._int(params, "id"))
        if payment is None:
            raise self._error(1004, "InvalidID", "Nieprawidłowy identyfikator płatności")
        return payment

    def _payments_view(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self._payment(params))

    def _payments_invoice(self, params: dict[str, Any]) -> bytes:
        return invoice_pdf(self._payment(params)["number"])

    def _stats_index(self, params: dict[str, Any]) -> dict[str, Any]:
        kind = params.get("type")
        if kind is not None and kind not in ("eco", "full", "voice", "mms"):
            raise self._error(2001, "InvalidParameter", "Nieprawidłowy parametr: type")
        return {"items": [dict(stat) for stat in self._stats if kind is None or stat["type"] == kind]}

    def _demo_pool(self, params: dict[str, Any]) -> dict[str, Any]:
        """Not the provider's: lets the demo lower or raise what is left of one type, e.g. to see an alert."""
        kind = self._str(params, "type")
        self._pool[kind] = str(self._int(params, "value"))
        return {"success": True}

    def _str(self, params: dict[str, Any], key: str) -> str:
        value = params.get(key)
        if value is None or value == "":
            raise self._error(2000, "MissingParameter", f"Brak parametru: {key}")
        if not isinstance(value, str):
            raise self._error(2001, "InvalidParameter", f"Nieprawidłowy parametr: {key}")
        return value

    def _int(self, params: dict[str, Any], key: str) -> int:
        value = params.get(key)
        if value is None or value == "":
            raise self._error(2000, "MissingParameter", f"Brak parametru: {key}")
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return int(value)
        raise self._error(2001, "InvalidParameter", f"Nieprawidłowy parametr: {key}")

    def _optional(self, params: dict[str, Any], key: str) -> str:
        value = params.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self._error(2001, "InvalidParameter", f"Nieprawidłowy parametr: {key}")
        return value


def _normalise(path: str) -> str:
    """The path from the API group on ("/subaccounts/…", "/payments/…"), the same with a mount prefix or without."""
    found = [index for index in (path.find(group) for group in _GROUPS) if index >= 0]
    return path[min(found) :] if found else path


def _payment(payment_id: int, number: str, state: str, paid: str, total: str, due: str) -> dict[str, str]:
    return {
        "id": str(payment_id),
        "number": number,
        "state": state,
        "paid": paid,
        "total": total,
        "payment_to": due,
        "url": f"https://panel.serwersms.pl/platnosci/{payment_id}",
    }


def _stat(stat_id, name, kind, delivered, pending, undelivered, unsent, begin, end) -> dict[str, str]:
    return {
        "id": str(stat_id),
        "name": name,
        "type": kind,
        "delivered": str(delivered),
        "pending": str(pending),
        "undelivered": str(undelivered),
        "unsent": str(unsent),
        "begin": begin,
        "end": end,
        "text": "",
    }


def invoice_pdf(number: str) -> bytes:
    """A small, valid one-page PDF naming the invoice (ASCII only, as the built-in font needs)."""
    text = number.encode("ascii", "replace").replace(b"(", b"").replace(b")", b"")
    stream = b"BT /F1 18 Tf 72 720 Td (Faktura " + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number_, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += str(number_).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 " + str(len(objects) + 1).encode() + b"\n0000000000 65535 f \n"
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += b"trailer\n<< /Size " + str(len(objects) + 1).encode() + b" /Root 1 0 R >>\n"
    out += b"startxref\n" + str(xref).encode() + b"\n%%EOF\n"
    return out


def _invalid_user() -> dict[str, Any]:
    return {"error": {"code": 1001, "type": "InvalidUser", "message": "Nieprawidłowy użytkownik lub hasło"}}


def _read_params(environ: dict[str, Any]) -> dict[str, Any] | None:
    """The POST parameters from a JSON body (as the official clients send) or a form; None if unreadable."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    if "json" in environ.get("CONTENT_TYPE", ""):
        try:
            params = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None
        return params if isinstance(params, dict) else None
    try:
        form = parse_qs(raw.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        return None
    return {key: values[-1] for key, values in form.items()}


def _json(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    raw = json.dumps(body, ensure_ascii=False).encode()
    return _send(start_response, status, raw, "application/json; charset=utf-8")


def _send(start_response: StartResponse, status: int, raw: bytes, content_type: str) -> list[bytes]:
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", content_type), ("Content-Length", str(len(raw)))],
    )
    return [raw]


def demo_app() -> SerwerSmsSandbox:
    """The sandbox the demo tenant uses (mounted under /sms by config.sandboxes): demo credentials and data."""
    sandbox = SerwerSmsSandbox(DEMO_TOKEN, DEMO_USERNAME, DEMO_PASSWORD)
    sandbox.seed_demo()
    return sandbox
