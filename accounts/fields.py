"""A model field that stores a secret encrypted with MultiFernet under the keys of ENCRYPTION_KEYS."""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    """The newest key encrypts; every listed key decrypts."""
    return _fernet(tuple(settings.ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # Never include the token: it is the secret's ciphertext.
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with any key in ENCRYPTION_KEYS: "
            "a key that was used to encrypt it has been removed."
        ) from None


class EncryptedTextField(models.TextField):
    """Plain text in Python, Fernet token in the database; an empty value means "not set".

    Not searchable or orderable by content, by design.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)


def secret_hint(value: str) -> str:
    """What a page may show of a secret: that it is set, and its last 4 characters if it is long enough."""
    if not value:
        return ""
    return f"…{value[-4:]}" if len(value) >= 12 else "…"


class OneTimeSecret(str):
    """A secret that a page shows once (a new user's or a new subaccount's password).

    Rendered, it reads as itself; its repr, which debug logs and error reports print for a template's
    context (e.g. Django's "Exception while resolving variable" at DEBUG), does not show it.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'(a secret shown once)'"
