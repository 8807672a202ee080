"""Sending one Delivery: an email in the member's language, or a webhook signed as Standard Webhooks says
(https://www.standardwebhooks.com): headers webhook-id, webhook-timestamp and webhook-signature
"v1,<base64 HMAC-SHA256 of id.timestamp.body>", keyed by the endpoint's secret without its "whsec_" prefix."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop
from requests.adapters import HTTPAdapter

from accounts.validators import is_internal, resolve
from alerts.models import Delivery, EventType, MemberNotifications, alert_title, rule_figure
from providers.texts import later

WEBHOOK_TIMEOUT = (3.0, 10.0)  # (connect, read) seconds: a slow receiver is retried later, never waited for
USER_AGENT = "telecom-dashboard-webhooks/1"
NOT_PUBLIC = gettext_noop(
    "Not sent: %(host)s leads into a private network; events go only to public internet addresses."
)
NO_ADDRESS = gettext_noop("Not sent: the name %(host)s has no address now.")


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    response_code: int | None = None
    error: str = ""
    final: bool = False  # trying again cannot help: the delivery is given up at once


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{event_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def webhook_body(delivery: Delivery) -> bytes:
    event = {
        "type": delivery.event_type,
        "timestamp": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def send_webhook(delivery: Delivery) -> Outcome:
    endpoint = delivery.endpoint
    if endpoint is None:
        return Outcome(False, error=gettext_noop("Not sent: the endpoint was deleted."), final=True)
    if not endpoint.enabled:
        return Outcome(False, error=gettext_noop("Not sent: the endpoint is switched off."), final=True)
    # Resolved once, checked, and connected to: a name re-pointed into a private network between the check
    # and the connection (DNS rebinding) cannot redirect the request.
    host = urlsplit(endpoint.url).hostname or ""
    addresses = resolve(host)
    if not addresses:
        return Outcome(False, error=later(NO_ADDRESS, host=host))
    if not settings.PROVIDER_SANDBOXES_ALLOWED and any(is_internal(address) for address in addresses):
        return Outcome(False, error=later(NOT_PUBLIC, host=host), final=True)
    if not settings.DEBUG and not endpoint.url.startswith("https://"):
        return Outcome(
            False, error=gettext_noop("Not sent: only https:// addresses receive events."), final=True
        )
    body = webhook_body(delivery)
    timestamp = int(timezone.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(endpoint.secret, delivery.event_id, timestamp, body),
    }
    try:
        # The address is the one the secret was made for: an endpoint's URL never changes.
        response = post_to_address(endpoint.url, addresses[0], body, headers)
    except requests.exceptions.SSLError:
        return Outcome(False, error=gettext_noop("The address's certificate could not be verified."))
    except requests.Timeout:
        return Outcome(False, error=gettext_noop("The address did not answer in time."))
    except requests.RequestException:
        return Outcome(False, error=gettext_noop("Could not connect to the address."))
    response.close()
    if 200 <= response.status_code < 300:
        return Outcome(True, response.status_code)
    return Outcome(
        False,
        response.status_code,
        later(gettext_noop("Refused with HTTP status %(status)s."), status=response.status_code),
    )


class _CheckedAddress(HTTPAdapter):
    """An https connection to an address given as a literal that still sends the endpoint's name in TLS (SNI)
    and checks the certificate against that name."""

    def __init__(self, host: str) -> None:
        self._host = host
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, server_hostname=self._host, assert_hostname=self._host, **kwargs)


def post_to_address(url: str, address: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    """POST to `url`, connecting to `address` (one the name resolved to) instead of resolving it again."""
    parts = urlsplit(url)
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    with requests.Session() as session:
        if parts.scheme == "https":
            session.mount("https://", _CheckedAddress(parts.hostname or ""))
        return session.post(
            parts._replace(netloc=netloc).geturl(),
            data=body,
            headers={**headers, "Host": parts.netloc.rpartition("@")[2]},
            timeout=WEBHOOK_TIMEOUT,
            allow_redirects=False,
        )


def send_email(delivery: Delivery) -> Outcome:
    if not settings.EMAIL_ENABLED:
        return Outcome(
            False, error=gettext_noop("Not sent: email is off on this server (EMAIL_URL is not set).")
        )
    if delivery.user is None or not delivery.user.email:
        return Outcome(False, error=gettext_noop("Not sent: the member has no email address."))
    setting = MemberNotifications.objects.filter(tenant_id=delivery.tenant_id, user=delivery.user).first()
    language = setting.language if setting else settings.LANGUAGE_CODE
    tenant = delivery.tenant
    with translation.override(language), timezone.override(tenant.time_zone):
        data = delivery.payload
        context = {
            "delivery": delivery,
            "data": data,
            "tenant": tenant,
            "alerts_link": page_link("alerts:index", tenant.slug),
            "settings_link": page_link("alerts:mine", tenant.slug),
        }
        if delivery.event_type == EventType.DIGEST:
            template = "digest"
            context["open_titles"] = [
                alert_title(kind, subject) for kind, subject in data.get("open_alerts", [])
            ]
        else:
            template = "alert"
            context["title"] = alert_title(data.get("rule", ""), data.get("subject", ""))
            context["figures"] = {
                name: rule_figure(data.get("rule", ""), data.get(name))
                for name in ("threshold", "value_at_fire", "value")
            }
        subject = render_to_string(f"alerts/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"alerts/email/{template}.txt", context)
    send_mail(subject, body, None, [delivery.user.email])
    return Outcome(True)


def page_link(view_name: str, tenant_slug: str) -> str:
    """A tenant page's full address for an email, or "" when the dashboard's public address (SITE_URL)
    is not set: a worker has no request to learn it from."""
    if not settings.SITE_URL:
        return ""
    return settings.SITE_URL + reverse(view_name, kwargs={"tenant_slug": tenant_slug})


def send(delivery: Delivery) -> Outcome:
    if delivery.channel == Delivery.Channel.WEBHOOK:
        return send_webhook(delivery)
    try:
        return send_email(delivery)
    except (OSError, ConnectionError):  # smtplib's errors are OSErrors
        return Outcome(
            False, error=gettext_noop("Email not sent: the mail server could not be reached or refused it.")
        )
