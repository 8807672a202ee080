"""Real parts for the alerts tests: an SMTP server (aiosmtpd), an HTTP receiver that verifies each webhook's
signature with the Standard Webhooks reference library, and a SerwerSMS.pl sandbox, all on 127.0.0.1."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from alerts.models import MemberNotifications, WebhookEndpoint
from provider_api.wsgi_server import serve_in_thread
from sms.models import SerwerSmsAccount
from sms.sandbox import DEMO_PASSWORD, DEMO_TOKEN, DEMO_USERNAME, SerwerSmsSandbox
from tests.smtp import Mailbox, _free_port, start_smtp_server


@pytest.fixture
def mailbox(settings):
    """A real local SMTP server that Django sends to; yields what it received."""
    controller, received = start_smtp_server(settings)
    settings.EMAIL_ENABLED = True
    yield received
    controller.stop()


def wait_for(condition, timeout: float = 30.0, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


class Receiver:
    """The tenant's own system: accepts a webhook only when its signature verifies (else 400)."""

    def __init__(self) -> None:
        self.secret = ""
        self.status = 204  # what a verified delivery is answered
        self.events: list[dict] = []
        self.refused: list[str] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        try:
            event = Webhook(self.secret).verify(body, headers)
        except (WebhookVerificationError, ValueError) as error:
            with self._lock:
                self.refused.append(str(error))
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"bad signature"]
        with self._lock:
            self.events.append(event)
            self.headers.append(headers)
        start_response(f"{self.status} Status", [("Content-Type", "text/plain")])
        return [b""]

    def of_type(self, event_type: str) -> list[dict]:
        with self._lock:
            return [event for event in self.events if event["type"] == event_type]


@pytest.fixture
def receiver():
    app = Receiver()
    with serve_in_thread(app) as url:
        app.url = f"{url}/hooks"
        yield app


@pytest.fixture
def endpoint(tenant, receiver, settings) -> WebhookEndpoint:
    """An endpoint at the receiver; plain http is for development only, so these tests run as development."""
    settings.DEBUG = settings.PROVIDER_SANDBOXES_ALLOWED = True
    endpoint = WebhookEndpoint.objects.create(tenant=tenant, url=receiver.url, description="ERP")
    receiver.secret = endpoint.secret
    return endpoint


@pytest.fixture
def told_admin(tenant, tenant_admin) -> MemberNotifications:
    """The admin, chosen for alert emails, reading them in English."""
    tenant_admin.email = "admin@firma.example"
    tenant_admin.save(update_fields=["email"])
    return MemberNotifications.objects.create(
        tenant=tenant, user=tenant_admin, alert_emails=True, language="en"
    )


@pytest.fixture
def sms_sandbox():
    sandbox = SerwerSmsSandbox(DEMO_TOKEN, DEMO_USERNAME, DEMO_PASSWORD)
    sandbox.seed_demo()
    with serve_in_thread(sandbox) as url:
        sandbox.url = f"{url}/sms"
        yield sandbox


@pytest.fixture
def sms_account(tenant, sms_sandbox) -> SerwerSmsAccount:
    return SerwerSmsAccount.objects.create(tenant=tenant, api_token=DEMO_TOKEN, base_url=sms_sandbox.url)


def self_signed_certificate(folder, name: str = "127.0.0.1") -> tuple[str, str]:
    """A certificate for `name` (an address or a host name), so that a worker's STARTTLS or a webhook
    delivery over https (as in production) can trust our server."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    try:
        alternative = x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        alternative = x509.DNSName(name)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([alternative]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{name}-cert.pem", folder / f"{name}-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def starttls_mailbox(tmp_path):
    """An SMTP server that requires STARTTLS, as a production EMAIL_URL=smtp://…:587 expects; yields the
    mailbox and the environment a worker needs to send to it (and to trust its certificate)."""
    from aiosmtpd.controller import Controller

    cert, key = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    received = Mailbox()
    port = _free_port()
    controller = Controller(
        received, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    yield received, {"EMAIL_URL": f"smtp://127.0.0.1:{port}", "SSL_CERT_FILE": cert}
    controller.stop()
