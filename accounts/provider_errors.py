"""What a page says when a provider call fails: what happened and what to do, then the provider's own words.

One table of explanations: each provider's own codes first (SPIKON's section 5, SerwerSMS.pl's error
codes, Numery-Premium.PL's HTTP statuses), then the error kinds the three clients share. When no usable
answer came, the sentence says which transport outcome it was and whether the call may have acted:
only a call that acts can leave an unknown outcome; a read changed nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from provider_api.errors import (
    AlreadyExistsError,
    AuthenticationError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    NotReadyError,
    ProviderError,
    UnavailableError,
    UnavailableReason,
)
from providers.texts import later

# The names the clients give the providers (`PROVIDER` in each client.py).
NUMERY_PREMIUM = "Numery-Premium.PL"
SPIKON = "SPIKON"
SERWERSMS = "SerwerSMS.pl"

BY_CODE: dict[tuple[str, int], Promise] = {
    # Numery-Premium.PL: the document's "Błędne kody odpowiedzi".
    (NUMERY_PREMIUM, 401): _(
        "Numery-Premium.PL refused access. Either its API service is off — it is a paid option, turned on "
        "under API in its Panel Zarządzania Usługą — or the email or API key is wrong: check them on the "
        "account page."
    ),
    (NUMERY_PREMIUM, 403): _(
        "Numery-Premium.PL does not allow this account to do this. Check the account's services in its "
        "Panel Zarządzania Usługą."
    ),
    (NUMERY_PREMIUM, 404): _(
        "Numery-Premium.PL did not find it on the account: the number or invoice may no longer be there. "
        "Refresh the list."
    ),
    (NUMERY_PREMIUM, 405): _(
        "Numery-Premium.PL does not accept this kind of request: this dashboard no longer matches its API. "
        "Report it to whoever maintains this dashboard."
    ),
    (NUMERY_PREMIUM, 422): _(
        "Numery-Premium.PL rejected the data — for example no announcement uploaded, a tariff outside 4–8 "
        "or too little money in the wallet. Its message says which; correct it and try again."
    ),
    # SPIKON: section 5 of its API document.
    (SPIKON, -1): _(
        "SPIKON does not know this API method: this dashboard no longer matches its API. Report it to "
        "whoever maintains this dashboard."
    ),
    (SPIKON, -2): _("No API key reached SPIKON. Enter the key on the account page and save it again."),
    (SPIKON, -3): _(
        "SPIKON does not know this API key; generating a new key in SPIKON's panel replaces the old one. "
        "Copy the current key from „Ustawienia i dodatki” → „API - ustawienia” to the account page."
    ),
    (SPIKON, -4): _(
        "The API is turned off in SPIKON's panel. Turn it on in „Ustawienia i dodatki” → „API - ustawienia”; "
        "turning it on generates a new key, so then enter that key on the account page."
    ),
    (SPIKON, -5): _(
        "SPIKON does not accept requests from this server's address. Add this server's outgoing IP address "
        "to the whitelist in SPIKON's panel („Ustawienia i dodatki” → „API - ustawienia”)."
    ),
    (SPIKON, -6): _(
        "SPIKON rejected the value of a parameter; the error's description names which. Correct it and try "
        "again."
    ),
    (SPIKON, -7): _(
        "A value SPIKON requires was missing; the error's description names it. Fill it in and try again."
    ),
    (SPIKON, -8): _("SPIKON found nothing: the item may have been deleted there. Refresh the list."),
    (SPIKON, -9): _("SPIKON has not finished preparing it yet. Wait a moment and check again."),
    (SPIKON, -10): _("This already exists at SPIKON and cannot be duplicated. Choose another name."),
    (SPIKON, -11): _(
        "SPIKON does not allow this (no access) — for example, the main phone book cannot be deleted. "
        "Check the account's rights in SPIKON's panel."
    ),
    (SPIKON, -12): _("SPIKON rejected the format of the data. Correct the data and try again."),
    (SPIKON, -1000): _(
        "SPIKON reported a general failure of its system. Report it to SPIKON's service: serwis@spikon.pl, "
        "588 808 888."
    ),
    # SerwerSMS.pl: the error codes of its API (providers/NOTES.md).
    (SERWERSMS, 1000): _(
        "SerwerSMS.pl does not know this API action: this dashboard no longer matches its API. Report it to "
        "whoever maintains this dashboard."
    ),
    (SERWERSMS, 1001): _(
        "SerwerSMS.pl does not know this API user or token. On the account page, check the API user's login "
        "(it starts with webapi_) and password, or the token."
    ),
    (SERWERSMS, 1002): _(
        "This SerwerSMS.pl user has no access to the API. Give it API access in the SerwerSMS.pl client "
        "panel, or use an API user."
    ),
    (SERWERSMS, 1003): _(
        "SerwerSMS.pl does not accept requests from this server's address. Add this server's outgoing IP "
        "address to the allowed addresses in the SerwerSMS.pl client panel."
    ),
    (SERWERSMS, 1004): _(
        "SerwerSMS.pl does not know this item (wrong id): it may have been deleted there. Refresh the list."
    ),
    (SERWERSMS, 1005): _(
        "This SerwerSMS.pl user may not do this. Grant it the permission in the SerwerSMS.pl client panel."
    ),
    (SERWERSMS, 1006): _("SerwerSMS.pl rejected the data. Correct what its message names and try again."),
    (SERWERSMS, 1007): _(
        "The SerwerSMS.pl account is not active. Activate it in the SerwerSMS.pl client panel or contact "
        "SerwerSMS.pl."
    ),
    (SERWERSMS, 2000): _(
        "A value SerwerSMS.pl requires was missing. Fill in what its message names and try again."
    ),
    (SERWERSMS, 2001): _("SerwerSMS.pl found a value invalid. Correct what its message names and try again."),
    (SERWERSMS, 2002): _(
        "SerwerSMS.pl rejected a value — for example a subaccount login that is taken already. Change what "
        "its message names and try again."
    ),
}

# The kinds every client shares, for errors without a code of their own here. Most specific first.
BY_KIND: dict[type[ProviderError], Promise] = {
    AuthenticationError: _(
        "The provider refused the login details. Check them on the account page and save them again."
    ),
    ForbiddenError: _(
        "The provider does not allow this account to do this. Check the account's permissions in the "
        "provider's panel."
    ),
    NotFoundError: _(
        "The provider does not know this item: it may have been deleted there. Refresh the list and try "
        "again."
    ),
    AlreadyExistsError: _(
        "This already exists at the provider. Use the existing one or choose another name."
    ),
    InvalidInputError: _("The provider rejected the data. Correct what its message names and try again."),
    NotReadyError: _("The provider has not finished it yet. Wait a moment and check again."),
    ProviderError: _(
        "The provider refused the request; its words follow. If they do not help, contact the provider's "
        "support."
    ),
}

# What happened when no usable answer came.
BY_REASON: dict[UnavailableReason, Promise] = {
    UnavailableReason.NO_CONNECTION: _("Could not connect to the provider."),
    UnavailableReason.CONNECTION_LOST: _("The connection to the provider broke before it answered."),
    UnavailableReason.TIMEOUT: _("The provider did not answer in time."),
    UnavailableReason.ERROR_STATUS: _("The provider's server answered with an error."),
    UnavailableReason.HTML_PAGE: _(
        "The provider sent a web page instead of an answer: its service may be under maintenance."
    ),
    UnavailableReason.UNREADABLE: _("The provider's answer was cut off or could not be read."),
}
# The provider gave no answer at all: what follows our sentence is our detail, not its words.
_NO_ANSWER = frozenset(
    {UnavailableReason.NO_CONNECTION, UnavailableReason.CONNECTION_LOST, UnavailableReason.TIMEOUT}
)

THEIR_WORDS_KEPT = 1000  # characters of the provider's words a stored explanation keeps

OUTCOME_UNKNOWN = _("The outcome is unknown — check whether it was done before trying again.")
NOTHING_CHANGED = _("Nothing was changed; try again in a few minutes.")


def explain(error: ProviderError) -> str:
    """What happened and what to do, in the operator's language, then the provider's code and words."""
    ours = str(_what_happened(error))
    if isinstance(error, UnavailableError):
        # Only a call that acts, sent and not answered readably, may have done it (the clients set this).
        ours = f"{ours} {OUTCOME_UNKNOWN if error.outcome_unknown else NOTHING_CHANGED}"
    if isinstance(error, UnavailableError) and error.reason in _NO_ANSWER:
        return gettext("%(ours)s Details: %(theirs)s") % {"ours": ours, "theirs": error.describe()}
    return gettext("%(ours)s Provider says: %(theirs)s") % {"ours": ours, "theirs": error.describe()}


def explain_later(error: ProviderError, redact: Callable[[str], str]) -> str:
    """explain() for a text a worker stores: kept as codes (providers.texts) and shown in the viewer's
    language; the provider's words, `redact`ed, go in as they are."""
    with translation.override(None):  # no catalogue: the English message ids themselves
        ours = str(_what_happened(error))
        if isinstance(error, UnavailableError):
            ours = later(
                "%(what)s %(then)s",
                what=ours,
                then=str(OUTCOME_UNKNOWN if error.outcome_unknown else NOTHING_CHANGED),
            )
    # Clipped, so that the record stays whole in a column that keeps 2,000 characters.
    theirs = redact(error.describe())[:THEIR_WORDS_KEPT]
    if isinstance(error, UnavailableError) and error.reason in _NO_ANSWER:
        return later(gettext_noop("%(ours)s Details: %(theirs)s"), ours=ours, theirs=theirs)
    return later(gettext_noop("%(ours)s Provider says: %(theirs)s"), ours=ours, theirs=theirs)


def _what_happened(error: ProviderError) -> Promise:
    by_code = BY_CODE.get((error.provider, error.code))
    if by_code is not None:
        return by_code
    if isinstance(error, UnavailableError):
        return BY_REASON[error.reason]
    return next(sentence for kind, sentence in BY_KIND.items() if isinstance(error, kind))
