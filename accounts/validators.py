"""Validation shared by the provider apps' forms."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext as _


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str | None) -> bool:
    """`url` is on this machine, where the built-in sandboxes run (a real provider is remote)."""
    try:
        return bool(url) and _is_loopback(urlsplit(url).hostname or "")
    except ValueError:
        return False


def clean_provider_base_url(value: str) -> str:
    """An account's API address: https anywhere, plain http only to this machine (a sandbox).

    Credentials travel with every call, so they never cross a network unencrypted. Returns the
    address without a trailing slash, or "" for an empty value.
    """
    url = value.strip().rstrip("/")
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise forms.ValidationError(_("Enter an address such as https://api.example.pl.")) from None
    if parts.query or parts.fragment or parts.username or parts.password:
        raise forms.ValidationError(_("Give only the address, without “?”, “#” or a login in it."))
    if parts.scheme not in ("http", "https") or not host:
        raise forms.ValidationError(_("Enter an address such as https://api.example.pl."))
    if parts.scheme == "http" and not _is_loopback(host):
        raise forms.ValidationError(_("Use https://; plain http:// is allowed only for 127.0.0.1."))
    return url
