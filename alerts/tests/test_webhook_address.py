"""A webhook goes to the address its endpoint's name had when it was checked: a name re-pointed at this
server's own network between the check and the connection (DNS rebinding) is not followed, and over https
the certificate is still checked against the endpoint's name."""

from __future__ import annotations

import socket
import ssl
import threading
from urllib.parse import urlsplit

import pytest
import urllib3.util.connection

from alerts import notify, tasks
from alerts.models import Delivery, WebhookEndpoint
from alerts.tests.conftest import Receiver, self_signed_certificate
from provider_api.wsgi_server import make_loopback_server

pytestmark = pytest.mark.django_db

NAME = "hooks.tenant.example"
PUBLIC = "93.184.216.34"  # an address on the public internet; nothing is ever sent to it here


@pytest.fixture
def answers(monkeypatch):
    """NAME resolves to the addresses in this list, one per lookup (the last one repeats); every other
    name resolves as usual."""
    addresses: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host != NAME:
            return real(host, *args, **kwargs)
        address = addresses.pop(0) if len(addresses) > 1 else addresses[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return addresses


@pytest.fixture
def connections(monkeypatch):
    """The addresses connected to; one on the public internet is refused here without any traffic."""
    tried: list[str] = []
    real = urllib3.util.connection.create_connection

    def create_connection(address, *args, **kwargs):
        tried.append(address[0])
        if address[0] == PUBLIC:
            raise ConnectionRefusedError(f"{PUBLIC} is not reached from the tests")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return tried


def deliver_test_event(endpoint: WebhookEndpoint) -> Delivery:
    notify.test_event(endpoint)
    delivery = Delivery.objects.get(endpoint=endpoint)
    tasks.deliver_notification(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def test_a_name_re_pointed_at_this_network_after_the_check_is_not_followed(
    tenant, receiver, answers, connections, settings
):
    settings.DEBUG = True  # the receiver speaks plain http
    settings.PROVIDER_SANDBOXES_ALLOWED = False  # private addresses are refused, as in production
    port = urlsplit(receiver.url).port
    endpoint = WebhookEndpoint.objects.create(tenant=tenant, url=f"http://{NAME}:{port}/hooks")
    receiver.secret = endpoint.secret
    answers.extend([PUBLIC, "127.0.0.1"])  # public when checked, this machine from then on

    delivery = deliver_test_event(endpoint)

    assert receiver.events == []
    assert connections == [PUBLIC]
    assert delivery.poll_status == Delivery.PollStatus.WAITING and delivery.response_code is None


def test_a_name_that_does_not_resolve_is_tried_again_later(tenant, receiver, settings, monkeypatch):
    settings.DEBUG = settings.PROVIDER_SANDBOXES_ALLOWED = True
    endpoint = WebhookEndpoint.objects.create(tenant=tenant, url="http://nowhere.invalid/hooks")

    def no_address(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_address)
    delivery = deliver_test_event(endpoint)

    assert delivery.poll_status == Delivery.PollStatus.WAITING
    assert "nowhere.invalid" in str(delivery.last_error)


@pytest.fixture
def https_receiver(tmp_path):
    """A receiver over https on 127.0.0.1 whose certificate names NAME; yields it and its CA file."""
    app = Receiver()
    cert, key = self_signed_certificate(tmp_path, NAME)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = make_loopback_server(app)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    app.url = f"https://{NAME}:{server.server_port}/hooks"
    try:
        yield app, cert
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_over_https_the_certificate_is_checked_against_the_endpoints_name(
    tenant, https_receiver, answers, connections, settings, monkeypatch
):
    settings.DEBUG = False
    settings.PROVIDER_SANDBOXES_ALLOWED = True  # the receiver is on this machine
    receiver, cert = https_receiver
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert)
    answers.append("127.0.0.1")
    endpoint = WebhookEndpoint.objects.create(tenant=tenant, url=receiver.url)
    receiver.secret = endpoint.secret

    delivery = deliver_test_event(endpoint)

    assert delivery.response_code == 204 and delivery.poll_status == Delivery.PollStatus.FINISHED
    assert [event["type"] for event in receiver.events] == ["test"]
    assert receiver.headers[0]["host"] == urlsplit(receiver.url).netloc
    assert connections == ["127.0.0.1"]


def test_over_https_a_certificate_for_another_name_is_refused(
    tenant, https_receiver, answers, settings, monkeypatch
):
    settings.DEBUG = False
    settings.PROVIDER_SANDBOXES_ALLOWED = True
    receiver, cert = https_receiver
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert)
    other = "other.tenant.example"
    answers.append("127.0.0.1")
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *args, **kwargs: real(NAME if host == other else host, *args, **kwargs),
    )
    endpoint = WebhookEndpoint.objects.create(tenant=tenant, url=receiver.url.replace(NAME, other))
    receiver.secret = endpoint.secret

    delivery = deliver_test_event(endpoint)

    assert receiver.events == [] and delivery.response_code is None
    assert delivery.last_error == "The address's certificate could not be verified."
