"""What a username may be: one that reads as itself.

Usernames are compared after NFKC normalisation (so "ｏｌｇａ" is "olga"), and a name mixing alphabets or
holding a letter that looks like a Latin one ("а_owner" with a Cyrillic "а") is refused: it would read
exactly like somebody else's.
"""

from __future__ import annotations

import unicodedata

from confusable_homoglyphs import confusables
from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext as _


def clean_username(value: str) -> str:
    """The normalised username, or a ValidationError saying what is wrong with it."""
    username = unicodedata.normalize("NFKC", value).strip()
    UnicodeUsernameValidator()(username)
    if confusables.is_mixed_script(username) or confusables.is_confusable(
        username, preferred_aliases=["latin"]
    ):
        raise forms.ValidationError(
            _(
                "Use letters of one alphabet only: a name that mixes alphabets or has letters looking like "
                "Latin ones (such as a Cyrillic “а”) could be mistaken for another."
            ),
            code="confusable",
        )
    return username
