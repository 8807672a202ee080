#!/usr/bin/env python3
"""The daily jobs of the three providers through the dashboard's REST API, with nothing but `requests`.

    DASHBOARD_URL=http://127.0.0.1:8000 DASHBOARD_TOKEN=dsh_… python scripts/api_example.py

Make the token on the tenant's "API tokens" page (an operator token does all of this). The script lists
the premium numbers and points the first one at a target, reads this month's billing and saves it as CSV,
lists the SerwerSMS subaccounts, reads the SPIKON balance and sends one SMS — twice with the same
Idempotency-Key, to show that the second request answers the first outcome and sends nothing.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator

import requests

TIMEOUT = 30


class ApiError(Exception):
    """A problem details answer (RFC 9457): its title and detail, in the language asked for."""

    def __init__(self, problem: dict) -> None:
        self.problem = problem
        fields = "; ".join(f"{e['field']}: {e['detail']}" for e in problem.get("errors") or [])
        super().__init__(
            f"{problem.get('status')} {problem.get('title')}: {problem.get('detail')} {fields}".strip()
        )


class Dashboard:
    def __init__(self, url: str, token: str, language: str = "en") -> None:
        self.base = url.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept-Language": language})

    def call(self, method: str, path: str, *, key: str | None = None, **kwargs) -> requests.Response:
        headers = {"Idempotency-Key": key} if key else {}
        response = self.session.request(method, self.base + path, headers=headers, timeout=TIMEOUT, **kwargs)
        if response.status_code >= 400:
            raise ApiError(response.json())
        return response

    def pages(self, path: str, **params) -> Iterator[dict]:
        """Every item of a list, page after page (the cursor is the `next_cursor` of the page before)."""
        cursor = None
        while True:
            page = self.call("GET", path, params={**params, **({"cursor": cursor} if cursor else {})}).json()
            yield from page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return


def main() -> int:
    url, token = os.environ.get("DASHBOARD_URL", "http://127.0.0.1:8000"), os.environ.get("DASHBOARD_TOKEN")
    if not token:
        print("Set DASHBOARD_TOKEN (make one on the tenant's API tokens page).", file=sys.stderr)
        return 2
    api = Dashboard(url, token)
    try:
        numbers = list(api.pages("/premium/numbers", limit=100))
        print(f"Premium numbers: {len(numbers)}")
        if numbers:
            first = numbers[0]["number"]
            redirected = api.call(
                "PUT", f"/premium/numbers/{first}/redirect", json={"target": "+48 601 123 456"}
            ).json()
            print(f"{first} now goes to {redirected['redirect_to']}")

        calls = list(api.pages("/premium/billing/calls", disposition="ANSWERED", limit=200))
        print(f"Answered calls this month: {len(calls)}")
        csv = api.call("GET", "/premium/billing/calls.csv").content
        with open("billing.csv", "wb") as file:
            file.write(csv)
        print(f"billing.csv: {len(csv.splitlines()) - 1} calls")

        subaccounts = list(api.pages("/sms/subaccounts"))
        print(f"SerwerSMS subaccounts: {', '.join(s['login'] for s in subaccounts)}")

        print(f"SPIKON balance: {api.call('GET', '/spikon/balance').json()['balance']} zł")
        sms = {"sender": "2way", "recipients": ["601123456"], "text": "Test from the API example"}
        key = str(uuid.uuid4())
        sent = api.call("POST", "/spikon/sms", json=sms, key=key)
        again = api.call("POST", "/spikon/sms", json=sms, key=key)
        print(f"SMS {sent.json()['id']}: {sent.json()['messages'][0]['send_status']}")
        replayed = again.headers.get("Idempotent-Replayed") == "true"
        print(
            f"Sent again with the same key: {'the first outcome, nothing sent' if replayed else 'SENT TWICE'}"
        )
    except ApiError as error:
        print(f"The API refused: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
