"""Texts made where no viewer is present (workers, the sweeper), kept as a code and shown in the
viewer's language.

A worker stores `later("The SPIKON account has no API key any more.")`: the English message id itself
(marked for translation by gettext_noop), or with parameters a small JSON record. `shown()` renders it
when a page shows it, in that page's language. Anything else stored (a provider's own words, an older
text) is shown as it is.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext

MARK = "\x1etext:"  # a record separator no message starts with: a stored text with parameters


def later(message_id: str, **params: Any) -> str:
    """`message_id` (an English msgid in gettext_noop) with its parameters, to be translated when shown.

    A parameter may itself be a text made by later(); it is shown in the same language.
    """
    if not params:
        return message_id
    return MARK + json.dumps({"text": message_id, "params": params}, ensure_ascii=False)


def joined(texts: list[str], separator: str = "; ") -> str:
    """Texts made by later(), one after another, as one stored text."""
    text = ""
    for part in reversed(texts):
        text = later("%(first)s" + separator + "%(rest)s", first=part, rest=text) if text else part
    return text


def shown(stored: str) -> str:
    """The stored text in the active language."""
    if not stored:
        return ""
    if not stored.startswith(MARK):
        return gettext(stored)
    try:
        record = json.loads(stored[len(MARK) :])
        params = {
            name: shown(value) if isinstance(value, str) else value
            for name, value in record["params"].items()
        }
        return gettext(record["text"]) % params
    except (ValueError, KeyError, TypeError):
        return ""  # a damaged record shows nothing rather than its markup
