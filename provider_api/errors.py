"""One error hierarchy for every provider client.

Each error keeps the provider's own words (`provider_message`), its code and the
name it gives the error, so that a page can show "what the provider said" next
to our explanation. Messages never contain credentials: clients build them from
the response body, never from the request.
"""

from __future__ import annotations

from enum import StrEnum


class ProviderError(Exception):
    """A provider call did not succeed."""

    def __init__(
        self,
        provider_message: str = "",
        *,
        provider: str = "",
        code: str | int | None = None,
        name: str = "",
        detail: str = "",
        http_status: int | None = None,
    ) -> None:
        self.provider_message = provider_message
        self.provider = provider
        self.code = code
        self.name = name
        self.detail = detail
        self.http_status = http_status
        super().__init__(self.describe())

    def describe(self) -> str:
        """The provider's words in one line: "SPIKON -10 Already exist: name"."""
        parts = [self.provider] if self.provider else []
        if self.code is not None:
            parts.append(str(self.code))
        if self.name:
            parts.append(self.name)
        head = " ".join(parts)
        words = self.provider_message or ""
        if self.detail:
            words = f"{words} ({self.detail})" if words else self.detail
        if head and words:
            return f"{head}: {words}"
        return head or words or self.__class__.__name__


class AuthenticationError(ProviderError):
    """Credentials refused (bad key, bad user or password, IP not whitelisted)."""


class ForbiddenError(ProviderError):
    """Credentials are fine but this account may not do this."""


class NotFoundError(ProviderError):
    """The object (number, book, report, subaccount...) does not exist at the provider."""


class InvalidInputError(ProviderError):
    """The provider rejected the parameters (validation, limits, insufficient funds)."""


class AlreadyExistsError(ProviderError):
    """The object to create exists already."""


class NotReadyError(ProviderError):
    """An asynchronous job has not finished yet; ask again later."""


class UnavailableReason(StrEnum):
    """What happened when a provider gave no answer a client can use."""

    NO_CONNECTION = "no_connection"  # the request never reached the provider
    CONNECTION_LOST = "connection_lost"  # the connection broke after the request was sent
    TIMEOUT = "timeout"  # the request was sent; no answer came in time
    ERROR_STATUS = "error_status"  # an HTTP error status (e.g. 500) or the provider's own general failure
    HTML_PAGE = "html_page"  # a web page (maintenance, gateway error) instead of an API answer
    UNREADABLE = "unreadable"  # an answer cut off or not in the documented form


class UnavailableError(ProviderError):
    """The provider could not be reached or answered something we cannot read.

    `reason` says which of these happened. `outcome_unknown` is true only for a call that acts
    (`retry=False` at the transport) when the request may have reached the provider (read timeout,
    broken or unreadable answer): the operator must check its effect instead of trying again blindly.
    A read never has an unknown outcome: it changes nothing. The defaults describe a request that never
    left, so nothing happened.
    """

    def __init__(
        self,
        provider_message: str = "",
        *,
        reason: UnavailableReason = UnavailableReason.NO_CONNECTION,
        outcome_unknown: bool = False,
        **kwargs,
    ) -> None:
        self.reason = UnavailableReason(reason)
        self.outcome_unknown = outcome_unknown
        super().__init__(provider_message, **kwargs)
