"""A member's PDF statement as the billing page offers it: asked for, made by a worker, downloaded.

No web request renders a PDF: the member POSTs the billing filters to premium:statement-request, a
Celery worker consuming `reports` makes the Statement, the member's list (premium:statements) polls
every 2 s as its page does, and the file comes from premium:statement-download. The bench's members
are viewers of their own (bench-member-1, -2, ...), so that each finds the statement it asked for.
"""

from __future__ import annotations

import http.client
import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

POLL_SECONDS = 2.0  # the statements list's hx-trigger
READY_TIMEOUT_SECONDS = 1800


class Member:
    """One person's browser: the session and CSRF cookies, a new connection for every request.

    With a `gate` (bench.contention.Gate) the person acts only while it is open: requests wait for it,
    and the pauses and times count only its open time.
    """

    def __init__(self, base_url: str, tenant, user, gate=None) -> None:
        from bench.pages import session_cookie

        self.address = urlsplit(base_url)
        self.tenant = tenant
        self.user = user
        self.gate = gate
        name, _, value = session_cookie(user).partition("=")
        self.cookies = {name: value}

    def clock(self) -> float:
        return self.gate.clock() if self.gate else time.perf_counter()

    def sleep(self, seconds: float) -> None:
        if self.gate:
            self.gate.sleep(seconds)
        else:
            time.sleep(seconds)

    def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        if self.gate is None:
            return self._request(method, path, headers)
        with self.gate.inside():
            return self._request(method, path, headers)

    def _request(self, method: str, path: str, headers: dict[str, str] | None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(self.address.hostname, self.address.port, timeout=600)
        try:
            cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
            connection.request(
                method,
                path,
                body=b"" if method == "POST" else None,
                headers={"Cookie": cookie, "Connection": "close", **(headers or {})},
            )
            response = connection.getresponse()
            body = response.read()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]
            return response.status, body
        finally:
            connection.close()


def member(base_url: str, tenant, index: int, gate=None) -> Member:
    """Viewer number `index` of the tenant (made once)."""
    from accounts.models import Membership, Role, User

    user, created = User.objects.get_or_create(username=f"bench-member-{index}")
    if created:
        user.set_unusable_password()
        user.save()
    Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"role": Role.VIEWER})
    return Member(base_url, tenant, user, gate)


def statement(person: Member, filters: dict[str, Any], stop: threading.Event | None = None) -> dict[str, Any]:
    """Ask for a statement of `filters`, follow the list until it is ready, download it; its figures."""
    from django.urls import reverse

    from premium.models import Statement

    slug = person.tenant.slug
    listing = reverse("premium:statements", kwargs={"tenant_slug": slug})
    status, _ = person.request("GET", listing)  # where the member stands; it also sets the CSRF cookie
    if status != 200:
        raise RuntimeError(f"{listing} answered {status}")
    mine = Statement.objects.filter(tenant=person.tenant, requested_by=person.user)
    before = mine.order_by("-id").values_list("id", flat=True).first() or 0
    ask = reverse("premium:statement-request", kwargs={"tenant_slug": slug}) + "?" + urlencode(filters)
    started = person.clock()
    status, _ = person.request("POST", ask, {"X-CSRFToken": person.cookies.get("csrftoken", "")})
    asked = person.clock() - started
    if status != 302:
        raise RuntimeError(f"POST {ask} answered {status}")
    made = mine.filter(id__gt=before).order_by("id").first()
    if made is None:
        raise RuntimeError(f"POST {ask} made no statement")
    while True:
        made.refresh_from_db(fields=["state", "last_error", "calls"])
        if made.state in (Statement.State.READY, Statement.State.FAILED):
            break
        if person.clock() - started > READY_TIMEOUT_SECONDS or (stop is not None and stop.is_set()):
            return {"statement_id": made.pk, "asked_seconds": asked, "ready_seconds": None}
        person.sleep(POLL_SECONDS)
        person.request("GET", listing, {"HX-Request": "true"})
    ready = person.clock() - started
    if made.state != Statement.State.READY:
        raise RuntimeError(f"statement {made.pk} failed: {made.last_error}")
    download = reverse("premium:statement-download", kwargs={"tenant_slug": slug, "statement_id": made.pk})
    status, body = person.request("GET", download)
    if status != 200 or not body.startswith(b"%PDF"):
        raise RuntimeError(f"{download} answered {status}")
    return {
        "statement_id": made.pk,
        "calls": made.calls,
        "asked_seconds": asked,
        "ready_seconds": ready,
        "downloaded_seconds": person.clock() - started,
        "bytes": len(body),
    }


class Loop:
    """Members asking for statements one after another until stopped (a thread each), each with filters
    of its own (the same filters still in the making are not asked for twice)."""

    def __init__(self, people: list[Member], filters: list[dict[str, Any]]) -> None:
        self.people = people
        self.stop = threading.Event()
        self.done: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.threads = [
            threading.Thread(target=self._run, args=(person, wanted), daemon=True)
            for person, wanted in zip(people, filters, strict=True)
        ]

    def _run(self, person: Member, filters: dict[str, Any]) -> None:
        from django.db import connection

        try:
            while not self.stop.is_set():
                try:
                    result = statement(person, filters, self.stop)
                except Exception as error:  # reported in the figures; the member asks again
                    self.errors.append(str(error))
                    person.sleep(POLL_SECONDS)
                    continue
                if result["ready_seconds"] is not None:
                    self.done.append(result)
        finally:
            connection.close()

    def __enter__(self) -> Loop:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def clear(tenant) -> None:
    """The tenant's statements and their files (those of an earlier run would count against its limit of
    statements in the making at once)."""
    from premium.models import Statement

    made = Statement.objects.filter(tenant=tenant)
    for row in made.exclude(file=""):
        row.file.delete(save=False)
    made.delete()
