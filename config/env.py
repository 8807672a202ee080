"""Reading settings from the environment: a bad value stops start-up naming the variable.

Every variable can also be given as a file: NAME_FILE=/run/secrets/name reads NAME from that file
(Docker and Kubernetes secrets), so that secrets need not be plain environment variables.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _read(name: str) -> str | None:
    """NAME from the environment, or the contents of the file that NAME_FILE names (without the final newline)."""
    path = os.environ.get(f"{name}_FILE")
    if path is None:
        return os.environ.get(name)
    if name in os.environ:
        raise ImproperlyConfigured(f"Set either {name} or {name}_FILE, not both.")
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().rstrip("\r\n")
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}_FILE names a file that cannot be read: {exc.strerror}.") from None


def get_str(name: str, default: str = "") -> str:
    value = _read(name)
    return default if value is None else value


def get_bool(name: str, default: bool = False) -> bool:
    raw = _read(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {raw!r}.")


def get_int(name: str, default: int) -> int:
    raw = _read(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def get_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = _read(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def get_site_url(name: str) -> str:
    """An http(s) address without a trailing slash, or "" when not set."""
    value = get_str(name).strip().rstrip("/")
    parts = urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment):
        raise ImproperlyConfigured(f"{name} must be an address like https://panel.example.com, not {value!r}.")
    return value


def parse_email_url(name: str, url: str) -> dict[str, object]:
    """EMAIL_URL: smtp://user:pass@host:587 (STARTTLS), smtps://...:465 (TLS), console:// or dummy://."""
    parts = urlsplit(url)
    backends = {
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
        "console": "django.core.mail.backends.console.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if parts.scheme not in backends:
        raise ImproperlyConfigured(
            f"{name} must start with smtp://, smtps://, console:// or dummy://, not {parts.scheme!r}."
        )
    config: dict[str, object] = {"EMAIL_BACKEND": backends[parts.scheme]}
    if parts.scheme in ("smtp", "smtps"):
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name} must name a mail server, e.g. smtp://user:pass@host:587.")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name} has a port that is not a number.") from None
        config.update(
            EMAIL_HOST=parts.hostname,
            EMAIL_PORT=port or (465 if parts.scheme == "smtps" else 587),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_SSL=parts.scheme == "smtps",
            EMAIL_USE_TLS=parts.scheme == "smtp" and (port or 587) != 25,
        )
    return config


def check_url_scheme(name: str, url: str, schemes: tuple[str, ...]) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in schemes:
        raise ImproperlyConfigured(f"{name} must start with one of {', '.join(s + '://' for s in schemes)}.")
    return url


def log_when_email_is_off() -> None:
    """Said once at start-up of the web and the worker processes, so nobody waits for an email never sent."""
    from django.conf import settings

    if not settings.EMAIL_ENABLED:
        logging.getLogger("config").warning(
            "Email is off: EMAIL_URL is not set, so no email is sent (e.g. smtp://user:password@host:587)."
        )
