"""The HTTP transport of every provider client: timeouts, retries for reads only, no secret leaks."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import requests

from .errors import UnavailableError, UnavailableReason
from .redaction import redact

DEFAULT_TIMEOUT = (5.0, 20.0)  # (connect, read) seconds: a page waits at most this long for a write
RETRY_STATUSES = frozenset({502, 503, 504})
# Failures raised before anything is sent: a bad address or header.
_NOT_SENT = (
    requests.exceptions.URLRequired,
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidHeader,
)


class HttpTransport:
    """Sends one request to a provider and turns network failures into `UnavailableError`.

    Only calls marked `retry=True` (reads) are repeated, with exponential backoff,
    on connection failures and 502/503/504. Calls that cost money or act
    (send SMS, buy a number, start a call...) are marked `retry=False` and sent exactly once;
    only their failures can have an unknown outcome. Every failure names its `UnavailableReason`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        provider: str,
        secrets: Iterable[str] = (),
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = 2,
        backoff: float = 0.5,
        session: requests.Session | None = None,
        user_agent: str = "telecom-dashboard",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.provider = provider
        self.secrets = tuple(s for s in secrets if s)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        retry: bool,
        data: Mapping[str, Any] | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        # Reads are retried; calls that act are not, and only they can leave an unknown outcome.
        acts = not retry
        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self.session.request(
                    method,
                    self.url(path),
                    data=data,
                    json=json,
                    params=params,
                    headers=dict(headers or {}),
                    timeout=self.timeout,
                    stream=stream,
                )
            except requests.ConnectTimeout as exc:
                failure = UnavailableError(
                    "connection timed out", provider=self.provider, reason=UnavailableReason.NO_CONNECTION
                )
                cause: Exception = exc
            except requests.ConnectionError as exc:
                # A refused or reset connection before the request was sent acts on nothing;
                # a reset after sending may have, so an acting call's outcome is unknown.
                sent = not _is_connect_failure(exc)
                failure = UnavailableError(
                    "connection broken during the request" if sent else "connection failed",
                    provider=self.provider,
                    reason=UnavailableReason.CONNECTION_LOST if sent else UnavailableReason.NO_CONNECTION,
                    outcome_unknown=sent and acts,
                )
                cause = exc
            except requests.Timeout as exc:
                failure = UnavailableError(
                    "no answer in time",
                    provider=self.provider,
                    reason=UnavailableReason.TIMEOUT,
                    outcome_unknown=acts,
                )
                cause = exc
            except _NOT_SENT as exc:
                failure = UnavailableError(
                    redact(f"request failed: {exc.__class__.__name__}", self.secrets),
                    provider=self.provider,
                    reason=UnavailableReason.NO_CONNECTION,
                )
                cause = exc
            except requests.RequestException as exc:
                # An answer came but could not be followed: cut off, badly encoded, endless redirects.
                failure = UnavailableError(
                    redact(f"request failed: {exc.__class__.__name__}", self.secrets),
                    provider=self.provider,
                    reason=UnavailableReason.UNREADABLE,
                    outcome_unknown=acts,
                )
                cause = exc
            else:
                if retry and response.status_code in RETRY_STATUSES and not last:
                    response.close()
                    time.sleep(self.backoff * 2**attempt)
                    continue
                return response
            if last:
                # `from None`: the requests exception's text may hold the URL or the body.
                del cause
                raise failure from None
            time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _is_connect_failure(exc: requests.ConnectionError) -> bool:
    """True when the connection was never made (refused, DNS), so nothing reached the provider."""
    text = repr(exc)
    return any(
        marker in text
        for marker in ("NewConnectionError", "Connection refused", "NameResolutionError", "Failed to resolve")
    )
