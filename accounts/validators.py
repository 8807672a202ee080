"""Validation shared by the provider apps' forms."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve(host: str) -> list[str]:
    """The addresses `host` resolves to now, sorted; none when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return sorted({info[4][0] for info in infos})


def is_internal(address: str) -> bool:
    """An address inside a private network (this machine's loopback, RFC 1918, link-local, IPv6
    unique-local…): a request from the server to it could reach its own services."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_private or ip.is_loopback or ip.is_link_local


def internal_addresses(host: str) -> list[str]:
    """The addresses of `host` that are inside a private network, resolved now."""
    if host == "localhost":
        return [host]
    return [address for address in resolve(host) if is_internal(address)]


def _allowed_hosts_message(official_host: str) -> str:
    hosts = (
        [official_host, *settings.ALLOWED_PROVIDER_HOSTS]
        if official_host
        else settings.ALLOWED_PROVIDER_HOSTS
    )
    if not hosts:
        return _("No provider address is allowed here; the server's ALLOWED_PROVIDER_HOSTS lists none.")
    return _("Use an address on one of the allowed hosts: %(hosts)s.") % {"hosts": ", ".join(hosts)}


def clean_provider_base_url(value: str, *, official: str = "") -> str:
    """An account's API address: the provider's `official` one, or one on a host the server allows.

    The server calls this address with the account's credentials, so it is never an arbitrary host:
    besides the official address only hosts in ALLOWED_PROVIDER_HOSTS, and this machine (the sandboxes,
    over plain http too) only when the server runs in development. Returns the address without a
    trailing slash, or "" for an empty value.
    """
    url = value.strip().rstrip("/")
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - reading it checks the port
    except ValueError:
        raise forms.ValidationError(_("Enter an address such as https://api.example.pl.")) from None
    if parts.query or parts.fragment or parts.username or parts.password:
        raise forms.ValidationError(_("Give only the address, without “?”, “#” or a login in it."))
    if parts.scheme not in ("http", "https") or not host:
        raise forms.ValidationError(_("Enter an address such as https://api.example.pl."))
    if _is_loopback(host):
        if not settings.PROVIDER_SANDBOXES_ALLOWED:
            raise forms.ValidationError(_allowed_hosts_message(urlsplit(official).hostname or ""))
        return url
    if parts.scheme == "http":
        raise forms.ValidationError(_("Use https://; plain http:// is allowed only for 127.0.0.1."))
    official_host = urlsplit(official).hostname or ""
    if host != official_host and host not in settings.ALLOWED_PROVIDER_HOSTS:
        raise forms.ValidationError(_allowed_hosts_message(official_host))
    return url
