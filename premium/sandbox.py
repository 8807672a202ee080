"""A stateful simulator of the Numery-Premium.PL API 70x, as a plain WSGI app (stdlib only).

It follows providers/numery-premium-70x-api.txt, not our client: parameters are read from the
application/x-www-form-urlencoded body (the document's Guzzle `form_params`), GET included; routing and
the method come before authentication (404/405 first, then 401), as in the provider's framework.
The demo start command and the live-HTTP tests talk to it; it keeps everything in memory.
"""

from __future__ import annotations

import calendar
import hmac
import json
import random
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from heapq import merge
from typing import Any, NamedTuple
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from provider_api.sandbox_faults import BAD_GATEWAY_PAGE, MAINTENANCE_PAGE, FaultInjection, break_off

DEMO_EMAIL = "demo@firma-demo.pl"
DEMO_API_KEY = "np70x-demo-8c41f0b27d9e4a53"

WARSAW = ZoneInfo("Europe/Warsaw")
VAT_PERCENT = 23
# Net price of each tariff in zł, as showNumbers lists it (the document shows tariff 6 at 3.46, 7 at 4.00).
TARIFF_NETTO = {4: "2.46", 5: "2.96", 6: "3.46", 7: "4.00", 8: "4.92"}
REDIRECT_GROSZE_PER_MINUTE = 10  # the document's billcost: 1152 s -> 1.92 zł, 780 s -> 1.3 zł
# Asterisk CDR states (the billing rows are CDRs); the document's example shows ANSWERED.
DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED")
DISPOSITION_WEIGHTS = (80, 12, 5, 3)
BILLING_ANSWERS_KEPT = (
    4  # months (or numbers' months) whose billing answers are kept, ~25 MB per 100,000 calls
)
HOSTILE_PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
# An attribute break-out, a template expression and a script URL, in other texts of the hostile demo.
MORE_HOSTILE_PAYLOADS = ('"><svg onload=alert(1)>', "{{7*7}}", "javascript:alert(1)")

_NOT_FOUND_NUMBER = "Not found number in your account"
_NO_FUNDS = "Brak wystarczających środków na koncie do zakupu usługii. Doładuj konto."
_REDIRECT_SAVED = "Zmiany w przekierowaniach zapisane poprawnie!"
_MOBILE_PREFIXES = ("50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88")
_NINE_DIGITS = re.compile(r"[0-9]{9}")


class _Answer(NamedTuple):
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class SandboxNumber:
    """A premium number on the simulated account, with what showNumbers does not show."""

    premium: str
    tariff: int
    serial: int  # order of purchase; part of the billing row ids
    since: tuple[int, int]  # (year, month) bought: billing has its calls from that month on
    billing_to_dst: str  # the redirect target its generated calls were forwarded to
    appdata: str = ""
    prezentacja: str = "prezentacjaA"
    zapowiedz: bool = False
    announcement: bool = False  # an announcement uploaded in the provider's panel


# (path pattern, method, handler name); compiled once.
_ROUTES = (
    (re.compile(r"/api/prm/voice/showNumbers"), "GET", "_answer_show_numbers"),
    (re.compile(r"/api/prm/voice/setRedirect/(?P<number>[^/]+)"), "PUT", "_answer_set_redirect"),
    (re.compile(r"/api/prm/voice/addNumber/(?P<tariff>[^/]+)"), "POST", "_answer_add_number"),
    (re.compile(r"/api/prm/voice/delete/(?P<number>[^/]+)"), "DELETE", "_answer_delete"),
    (re.compile(r"/api/prm/voice/billing(?:/(?P<number>[^/]+))?"), "GET", "_answer_billing"),
    (re.compile(r"/api/account/balance"), "GET", "_answer_balance"),
    (re.compile(r"/api/account/balance/history"), "GET", "_answer_history_wallet"),
    (re.compile(r"/api/account/invoices"), "GET", "_answer_invoices"),
    (re.compile(r"/api/account/invoice/(?P<invoice_id>[^/]+)"), "GET", "_answer_invoice_download"),
)


class PremiumSandbox(FaultInjection):
    """The Numery-Premium.PL API 70x for one partner account, in memory; a WSGI callable."""

    def __init__(self, email: str, api_key: str, *, seed: int = 70) -> None:
        super().__init__()
        self._email = email
        self._api_key = api_key
        self._seed = seed
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._numbers: dict[str, SandboxNumber] = {}
        self._serial = 0
        self._wallet_grosze = 0
        self._history: list[dict[str, Any]] = []  # newest first
        self._invoices: list[dict[str, Any]] = []  # newest first
        self._hostile = False
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # tests may fix the time
        self.number_price_grosze = 5000  # what addNumber takes from the wallet
        self.calls_per_month = 300  # billing rows per month, over all the account's numbers
        # The demo's current month holds only the calls made so far (tests keep whole months to count on).
        self.calls_until_now = False
        # The last billing answers made: a month of 100,000 calls takes a second to make and encode,
        # which the benchmarks would otherwise count as the import's time.
        self._billing_answers: dict[tuple, _Answer] = {}

    def __repr__(self) -> str:
        return f"PremiumSandbox(email={self._email!r}, numbers={len(self._numbers)})"

    # --- Set-up for the demo and tests ---------------------------------------------------------

    def seed_demo(self, hostile: bool = False) -> None:
        """Replace the account with demo data: 8 numbers, a wallet with history, 3 invoices.

        Billing has `calls_per_month` calls in each of the current and the two previous months.
        With `hostile`, texts the provider returns carry HTML/script payloads.
        """
        with self._lock:
            self._rng = random.Random(self._seed)
            self._numbers.clear()
            self._serial = 0
            self._wallet_grosze = 0
            self._history.clear()
            self._invoices.clear()
            self._hostile = hostile
            now = self.clock().astimezone(UTC)
            local = now.astimezone(WARSAW)
            first = _shift_month(local.year, local.month, -2)
            opened = datetime(*first, 1, 9, 12, 5, tzinfo=UTC)
            script, img = HOSTILE_PAYLOADS
            svg, template, script_url = MORE_HOSTILE_PAYLOADS

            self._credit(50000, "Doładowanie konta" + (f" {script}" if hostile else ""), opened)
            self._debit(
                4000,
                "Aktywacja usługi API 70x" + (f" {svg}" if hostile else ""),
                opened + timedelta(minutes=3),
            )
            for index, tariff in enumerate((4, 5, 6, 6, 7, 8, 8, 5)):
                bought = opened + timedelta(minutes=10 + index)
                number = self._new_number(tariff, first)
                self._debit(
                    self.number_price_grosze, f"Zakup numeru {number.premium} (taryfa {tariff})", bought
                )
            self._credit(20000, "Doładowanie konta", opened + timedelta(days=20))
            self._debit(
                2000,
                "Aktywacja usługi nagrywanie rozmów" + (f" {img}" if hostile else ""),
                opened + timedelta(days=21),
            )
            for month_delta in (1, 2):
                year, month = _shift_month(*first, month_delta)
                fee = f"Abonament API 70x {month:02d}/{year}" + (
                    f" {template} {script_url}" if hostile else ""
                )
                self._debit(4000, fee, datetime(year, month, 1, 2, tzinfo=UTC))

            numbers = list(self._numbers.values())
            redirects = ("601123456", "512345678", "698765432", "227654321", "791000222")
            for number, target in zip(numbers, redirects, strict=False):
                number.appdata = f"number={target}"
                number.billing_to_dst = target
            numbers[1].announcement = True
            numbers[1].zapowiedz = True
            numbers[2].prezentacja = "prezentacja"
            numbers[5].announcement = True  # uploaded, not switched on
            if hostile:
                numbers[3].appdata = f"number=227654321&opis={img}"
                numbers[4].appdata = f"number=791000222&link={script_url}&opis={svg}{template}"

            last_month = _shift_month(*first, 1)
            month_end = datetime(*last_month, calendar.monthrange(*last_month)[1], 21, 44, 12, tzinfo=UTC)
            invoices = (  # two top-ups, paid; the last month's API fee, not paid yet
                (307, "1", "500", 1, opened + timedelta(minutes=1)),
                (308, "2", "200", 1, opened + timedelta(days=20, minutes=1)),
                (309, "1", "40", 0, month_end),
            )
            for invoice_id, ordinal, netto, paid, created in invoices:
                title = f"{ordinal}/{created.month:02d}/{created.year}"  # the document's "3/01/2021"
                if hostile:
                    title += f" {script}" if not paid else f" {svg if invoice_id == 307 else template}"
                entry = {
                    "id": invoice_id,
                    "title": title,
                    "netto": netto,
                    "status": paid,
                    "created_at": _iso(created),
                }
                self._invoices.insert(0, entry)

    def top_up(self, grosze: int, description: str = "Doładowanie konta") -> None:
        """Put money into the wallet (as the partner does in the panel)."""
        with self._lock:
            self._credit(grosze, description, self.clock())

    def upload_announcement(self, premium: str) -> None:
        """Mark an announcement as uploaded for `premium` (done in the panel, not through the API)."""
        with self._lock:
            self._numbers[premium].announcement = True

    def number(self, premium: str) -> SandboxNumber | None:
        """A copy of what the sandbox holds for `premium`, including the redirect's flags."""
        with self._lock:
            found = self._numbers.get(premium)
            return None if found is None else replace(found)

    def wallet_grosze(self) -> int:
        with self._lock:
            return self._wallet_grosze

    # --- WSGI ----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = _api_path(environ.get("PATH_INFO", ""))
        method = environ.get("REQUEST_METHOD", "GET").upper()
        form = _read_form(environ)
        fault = self.arrive(path)
        if fault == "500":
            answer = _json_answer(500, {"message": "Server Error"})
        elif fault == "html":
            answer = _Answer(502, BAD_GATEWAY_PAGE, (("Content-Type", "text/html; charset=utf-8"),))
        elif fault == "maintenance":
            answer = _Answer(200, MAINTENANCE_PAGE, (("Content-Type", "text/html; charset=utf-8"),))
        elif fault == "auth":
            answer = _refusal(401, "Unauthorized")
        else:
            answer = self._handle(method, path, form)
            if fault == "truncated":
                whole = answer.body or b'{"status": 1, "message": ""}'
                answer = _Answer(200, whole[: len(whole) // 2], (("Content-Type", "application/json"),))
            elif fault == "broken_off" and not answer.body:
                # An empty answer (204) has nothing to break off: send the envelope it could have had.
                answer = _Answer(
                    200, b'{"status": 1, "message": ""}', (("Content-Type", "application/json"),)
                )
        headers = [*answer.headers, ("Content-Length", str(len(answer.body)))]
        start_response(_STATUS_LINES[answer.status], headers)
        return break_off([answer.body]) if fault == "broken_off" else [answer.body]

    def _handle(self, method: str, path: str, form: dict[str, str]) -> _Answer:
        for pattern, allowed, handler in _ROUTES:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if method != allowed:
                answer = _refusal(405, "Metoda niedozwolona. Zastosuj się do dokumentacji.")
                return answer._replace(headers=(*answer.headers, ("Allow", allowed)))
            if not self._authenticated(form):
                return _refusal(401, "Unauthorized")
            with self._lock:
                result = getattr(self, handler)(form, **match.groupdict())
            return result if isinstance(result, _Answer) else _json_answer(*result)
        return _refusal(404, "Not Found")

    def _authenticated(self, form: dict[str, str]) -> bool:
        email_ok = hmac.compare_digest(form.get("email", "").encode(), self._email.encode())
        key_ok = hmac.compare_digest(form.get("apikey", "").encode(), self._api_key.encode())
        return email_ok and key_ok

    # --- The document's functions (called with the lock held) ---------------------------------

    def _answer_show_numbers(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        services = [
            {
                "premium": number.premium,
                "netto": TARIFF_NETTO[number.tariff],
                "tax": str(VAT_PERCENT),
                "tariff": str(number.tariff),
                "redirect": {"appdata": number.appdata},
            }
            for number in sorted(self._numbers.values(), key=lambda n: n.serial)
        ]
        return 200, {"status": 1, "services": services}

    def _answer_set_redirect(self, form: dict[str, str], number: str) -> _Answer | tuple[int, dict[str, Any]]:
        found = self._numbers.get(number)
        if found is None:
            return self._refuse(404, _NOT_FOUND_NUMBER)
        target = form.get("redirect_to_number", "")
        prezentacja = form.get("prezentacja", "prezentacjaA")
        zapowiedz = form.get("zapowiedz", "0")
        if not _NINE_DIGITS.fullmatch(target):
            return self._refuse(422, "Numer do przekierowania podaj bez +48 i bez 00, w formacie 601123456.")
        if prezentacja not in ("prezentacja", "prezentacjaA"):
            return self._refuse(
                422, "Parametr prezentacja przyjmuje wartość 'prezentacjaA' lub 'prezentacja'."
            )
        if zapowiedz not in ("0", "1"):
            return self._refuse(422, "Parametr zapowiedz przyjmuje wartość 0 lub 1.")
        if zapowiedz == "1" and not found.announcement:
            return self._refuse(422, "Brak wgranej zapowiedzi. Wgraj zapowiedź w Panelu Zarządzania Usługą.")
        found.appdata = f"number={target}"
        found.prezentacja = prezentacja
        found.zapowiedz = zapowiedz == "1"
        return 202, {"status": 1, "message": self._words(_REDIRECT_SAVED)}

    def _answer_add_number(self, form: dict[str, str], tariff: str) -> _Answer | tuple[int, dict[str, Any]]:
        if not (tariff.isascii() and tariff.isdigit() and int(tariff) in TARIFF_NETTO):
            return self._refuse(422, "Taryfa numeru Premium: min 4, max 8.")
        if self._wallet_grosze < self.number_price_grosze:
            return self._refuse(422, _NO_FUNDS)
        local = self.clock().astimezone(WARSAW)
        number = self._new_number(int(tariff), (local.year, local.month))
        self._debit(
            self.number_price_grosze, f"Zakup numeru {number.premium} (taryfa {tariff})", self.clock()
        )
        message = {"number": number.premium, "tariff": number.tariff, "WalletBalance": self._wallet_grosze}
        return 201, {"status": 1, "message": message}

    def _answer_delete(self, form: dict[str, str], number: str) -> _Answer:
        if self._numbers.pop(number, None) is None:
            return self._refuse(404, _NOT_FOUND_NUMBER)
        return _Answer(204, b"")

    def _answer_billing(
        self, form: dict[str, str], number: str | None = None
    ) -> _Answer | tuple[int, dict[str, Any]]:
        if number is not None and number not in self._numbers:
            return self._refuse(404, _NOT_FOUND_NUMBER)
        local = self.clock().astimezone(WARSAW)
        month_text = form.get("month", str(local.month))
        year_text = form.get("year", str(local.year))
        if not (month_text.isdigit() and year_text.isdigit() and 1 <= int(month_text) <= 12):
            return self._refuse(422, "Nieprawidłowy miesiąc lub rok.")
        year, month = int(year_text), int(month_text)
        if (year, month) > (local.year, local.month):
            return 200, {"status": 1, "services": []}
        this_month = (year, month) == (local.year, local.month)
        until = local.replace(tzinfo=None).isoformat(sep=" ") if self.calls_until_now and this_month else None
        # The month's calls are shared out over the numbers the account had then, in order of purchase.
        active = sorted(
            (n for n in self._numbers.values() if n.since <= (year, month)), key=lambda n: n.serial
        )
        key = (
            year,
            month,
            until[:16] if until else None,  # the current month's answer is kept for a minute
            number,
            self.calls_per_month,
            tuple((n.premium, n.serial, n.billing_to_dst) for n in active),
        )
        answer = self._billing_answers.get(key)
        if answer is None:
            share, extra = divmod(self.calls_per_month, len(active)) if active else (0, 0)
            per_number = [
                self._calls(n, year, month, share + (1 if index < extra else 0))
                for index, n in enumerate(active)
                if number is None or n.premium == number
            ]
            rows = (
                per_number[0]
                if len(per_number) == 1
                else list(merge(*per_number, key=lambda row: row["start"]))
            )
            if until:
                rows = [row for row in rows if row["start"] <= until]
            answer = _json_answer(200, {"status": 1, "services": rows})
            if len(self._billing_answers) >= BILLING_ANSWERS_KEPT:
                self._billing_answers.pop(next(iter(self._billing_answers)))  # the oldest
            self._billing_answers[key] = answer
        return answer

    def _answer_balance(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        netto = Decimal(self._wallet_grosze).scaleb(-2)
        brutto = (netto * (100 + VAT_PERCENT) / 100).quantize(Decimal("0.01"))
        return 200, {
            "status": 1,
            "message": {"netto": _json_number(netto), "tax": VAT_PERCENT, "brutto": _json_number(brutto)},
        }

    def _answer_history_wallet(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        return 200, {"status": 1, "message": self._history[:50]}

    def _answer_invoices(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        return 200, {"status": 1, "message": self._invoices[:30]}

    def _answer_invoice_download(self, form: dict[str, str], invoice_id: str) -> _Answer:
        invoice = next((i for i in self._invoices if str(i["id"]) == invoice_id), None)
        if invoice is None:
            return self._refuse(403, "Brak dostępu do wybranego zasobu.")
        filename = "faktura-" + re.sub(r"[^0-9A-Za-z]+", "-", invoice["title"]).strip("-") + ".pdf"
        return _Answer(
            200,
            invoice_pdf(invoice["title"], Decimal(invoice["netto"]), invoice["created_at"][:10], self._email),
            (
                ("Content-Type", "application/pdf"),
                ("Content-Disposition", f'attachment; filename="{filename}"'),
            ),
        )

    # --- State helpers (lock held) -------------------------------------------------------------

    def _new_number(self, tariff: int, since: tuple[int, int]) -> SandboxNumber:
        while True:
            premium = f"70{tariff}{self._rng.randrange(1_000_000):06d}"
            if premium not in self._numbers:
                break
        self._serial += 1
        number = SandboxNumber(
            premium=premium,
            tariff=tariff,
            serial=self._serial,
            since=since,
            billing_to_dst=_mobile(self._rng),
        )
        self._numbers[premium] = number
        return number

    def _credit(self, grosze: int, description: str, when: datetime) -> None:
        self._wallet_grosze += grosze
        self._record(grosze, description, 1, when)

    def _debit(self, grosze: int, description: str, when: datetime) -> None:
        self._wallet_grosze -= grosze
        self._record(grosze, description, 0, when)

    def _record(self, grosze: int, description: str, kind: int, when: datetime) -> None:
        entry = {
            "cost": grosze,
            "balance": self._wallet_grosze,
            "description": description,
            "type": kind,
            "created_at": _iso(when),
        }
        self._history.insert(0, entry)

    def _calls(self, number: SandboxNumber, year: int, month: int, count: int) -> list[dict[str, Any]]:
        """The month's calls of `number`, the same on every request: seeded by (number, month, year)."""
        rng = random.Random(f"{self._seed}:{number.premium}:{year}:{month}")
        month_seconds = calendar.monthrange(year, month)[1] * 86400
        offsets = sorted(rng.randrange(month_seconds) for _ in range(count))
        callers = [_mobile(rng) for _ in range(max(10, count // 4))]
        first = datetime(year, month, 1)
        base_id = ((year * 100 + month) * 1000 + number.serial) * 1_000_000
        dispositions = rng.choices(DISPOSITIONS, DISPOSITION_WEIGHTS, k=count)
        rows = []
        for seq, (offset, disposition) in enumerate(zip(offsets, dispositions, strict=True), start=1):
            start = first + timedelta(seconds=offset)
            ring = 3 + rng.randrange(25)
            if disposition == "ANSWERED":
                billsec = min(3600, 5 + int(rng.expovariate(1 / 240)))
                answer: str | None = (start + timedelta(seconds=ring)).isoformat(sep=" ")
                cost_grosze = (billsec * REDIRECT_GROSZE_PER_MINUTE + 30) // 60
            else:
                billsec, answer, cost_grosze = 0, None, 0
            rows.append(
                {
                    "id": base_id + seq,
                    "src": callers[rng.randrange(len(callers))],
                    "dst": number.premium,
                    "start": start.isoformat(sep=" "),
                    "answer": answer,
                    "end": (start + timedelta(seconds=ring + billsec)).isoformat(sep=" "),
                    "duration": ring + billsec,
                    "billsec": billsec,
                    "disposition": disposition,
                    "billcost": cost_grosze / 100,
                    "toDst": number.billing_to_dst,
                }
            )
        return rows

    def _refuse(self, status: int, message: str) -> _Answer:
        return _refusal(status, self._words(message))

    def _words(self, message: str) -> str:
        return f"{message} {HOSTILE_PAYLOADS[0]}" if self._hostile else message


# --- Answers -----------------------------------------------------------------------------------

_STATUS_LINES = {
    200: "200 OK",
    201: "201 Created",
    202: "202 Accepted",
    204: "204 No Content",
    401: "401 Unauthorized",
    403: "403 Forbidden",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    422: "422 Unprocessable Entity",
    500: "500 Internal Server Error",
    502: "502 Bad Gateway",
}


def _json_answer(status: int, payload: Any) -> _Answer:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return _Answer(status, body, (("Content-Type", "application/json"),))


def _refusal(status: int, message: str) -> _Answer:
    return _json_answer(status, {"status": 0, "message": message})


def _json_number(value: Decimal) -> int | float:
    """20 and 24.6, as the document's balance example writes them."""
    return int(value) if value == value.to_integral_value() else float(value)


def _api_path(path_info: str) -> str:
    """The path from "/api/" on, whether or not a mount prefix ("/premium") was stripped before us."""
    start = path_info.find("/api/")
    path = path_info[start:] if start > 0 else path_info
    return path.rstrip("/") or "/"


def _read_form(environ: dict[str, Any]) -> dict[str, str]:
    content_type = environ.get("CONTENT_TYPE", "")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return {}
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[0] for key, values in fields.items()}


def _iso(when: datetime) -> str:
    """Laravel's "2021-06-05T12:41:40.000000Z"."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _mobile(rng: random.Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10_000_000):07d}"


# --- Invoice PDF -------------------------------------------------------------------------------


def invoice_pdf(title: str, netto: Decimal, issued: str, buyer: str) -> bytes:
    """A one-page PDF invoice, written by hand: five objects and an exact cross-reference table."""
    vat = (netto * VAT_PERCENT / 100).quantize(Decimal("0.01"))
    lines = (
        f"Faktura VAT nr {title}",
        f"Data wystawienia: {issued}",
        "Sprzedawca: Numery-Premium.PL, Oskar Rybczyński, NIP 5611550703",
        f"Nabywca: {buyer}",
        f"Netto: {netto:.2f} PLN   VAT {VAT_PERCENT}%: {vat:.2f} PLN   Brutto: {netto + vat:.2f} PLN",
        "Dokument demonstracyjny z piaskownicy (sandbox).",
    )
    text = " T* ".join(f"({_pdf_text(line)}) Tj" for line in lines)
    content = f"BT /F1 12 Tf 16 TL 56 780 Td {text} ET".encode("ascii")
    objects = (
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    )
    pdf = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        pdf += b"%010d 00000 n \n" % offset
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(pdf)


def _pdf_text(line: str) -> str:
    """ASCII for the standard Helvetica font (Polish letters lose their marks), escaped for a PDF string."""
    plain = unicodedata.normalize("NFKD", line.replace("ł", "l").replace("Ł", "L"))
    ascii_text = plain.encode("ascii", "ignore").decode("ascii")
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def demo_app() -> PremiumSandbox:
    """The sandbox the demo tenant talks to (config.sandboxes mounts it under /premium): demo data seeded."""
    sandbox = PremiumSandbox(DEMO_EMAIL, DEMO_API_KEY)
    sandbox.seed_demo()
    sandbox.calls_until_now = True  # demo data never lies in the future
    return sandbox
