"""One error hierarchy for every provider client.

Each error keeps the provider's own words (`provider_message`), its code and the
name it gives the error, so that a page can show "what the provider said" next
to our explanation. Messages never contain credentials: clients build them from
the response body, never from the request.
"""

from __future__ import annotations


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


class UnavailableError(ProviderError):
    """The provider could not be reached or answered something we cannot read.

    `outcome_unknown` is true when the request may have reached the provider
    (read timeout, broken answer): for a call that costs money or acts, the
    operator must check its effect instead of trying again blindly.
    """

    def __init__(self, provider_message: str = "", *, outcome_unknown: bool = False, **kwargs) -> None:
        self.outcome_unknown = outcome_unknown
        super().__init__(provider_message, **kwargs)
