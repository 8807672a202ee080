"""What a page says when a provider call fails: our explanation, then the provider's own words."""

from __future__ import annotations

from django.utils.translation import gettext as _

from provider_api.errors import (
    AlreadyExistsError,
    AuthenticationError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    NotReadyError,
    ProviderError,
    UnavailableError,
)


def explain(error: ProviderError) -> str:
    """One sentence in the operator's language, then "Provider says: …" with the provider's code and words."""
    if isinstance(error, UnavailableError):
        ours = (
            _("The provider did not answer in time: it may have done it. Check before trying again.")
            if error.outcome_unknown
            else _("The provider is not answering; nothing was changed. Try again later.")
        )
    elif isinstance(error, AuthenticationError):
        ours = _("The provider refused the credentials; check them on the account page.")
    elif isinstance(error, ForbiddenError):
        ours = _("The provider does not allow this for this account.")
    elif isinstance(error, NotFoundError):
        ours = _("The provider does not know this object.")
    elif isinstance(error, AlreadyExistsError):
        ours = _("It already exists at the provider.")
    elif isinstance(error, InvalidInputError):
        ours = _("The provider rejected the data.")
    elif isinstance(error, NotReadyError):
        ours = _("The provider has not finished it yet.")
    else:
        ours = _("The provider refused the request.")
    return _("%(ours)s Provider says: %(theirs)s") % {"ours": ours, "theirs": error.describe()}
