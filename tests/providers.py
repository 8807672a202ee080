"""The three provider sandboxes served at once over loopback HTTP, each behind a log of the requests it
received, and a tenant's accounts pointing at them: for the tests that cross the apps (secrets, bad
input, hostile provider data).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qsl

from django.utils import timezone

from accounts.models import Tenant
from premium import tasks as premium_tasks
from premium.models import PremiumAccount
from premium.sandbox import PremiumSandbox
from premium.sync import billing_resource, current_month
from provider_api.wsgi_server import serve_in_thread
from sms import tasks as sms_tasks
from sms.models import SerwerSmsAccount
from sms.sandbox import DEMO_TEMPLATE_ID, SerwerSmsSandbox
from spikon import services as spikon_services
from spikon import sync as spikon_sync
from spikon import tasks as spikon_tasks
from spikon.models import CallDirection, CallHistoryReport, SpikonAccount, TtsAnnouncement
from spikon.sandbox import SpikonSandbox


@dataclass(frozen=True)
class Credentials:
    premium_email: str = "demo@firma-demo.pl"
    premium_api_key: str = "np70x-demo-8c41f0b27d9e4a53"
    spikon_api_key: str = "BXlmr2sN5phLwYftAaJP2yWgmcIXtest"
    sms_token: str = "demo-serwersms-token-7f3a9c"
    sms_username: str = "webapi_demo"
    sms_password: str = "demo-haslo-2024"


@dataclass(frozen=True)
class Received:
    """One request as the provider received it."""

    method: str
    path: str
    params: dict[str, object]
    headers: dict[str, str]
    body: bytes


class RequestLog:
    """A WSGI middleware that keeps every request before passing it on unchanged."""

    def __init__(self, app) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._received: list[Received] = []

    def __call__(self, environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        with self._lock:
            self._received.append(
                Received(
                    environ.get("REQUEST_METHOD", ""),
                    environ.get("PATH_INFO", ""),
                    _params(environ, body),
                    headers,
                    body,
                )
            )
        return self.app(environ, start_response)

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)


def _params(environ, body: bytes) -> dict[str, object]:
    params: dict[str, object] = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    if "json" in environ.get("CONTENT_TYPE", ""):
        try:
            decoded = json.loads(body or b"{}")
        except ValueError:
            decoded = {}
        if isinstance(decoded, dict):
            params.update(decoded)
    else:
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


@dataclass
class Providers:
    premium: PremiumSandbox
    spikon: SpikonSandbox
    sms: SerwerSmsSandbox
    urls: dict[str, str] = field(default_factory=dict)
    logs: dict[str, RequestLog] = field(default_factory=dict)
    credentials: Credentials = field(default_factory=Credentials)

    def mark(self) -> dict[str, int]:
        """Where each log stands now, for `received_since`."""
        return {name: len(log.received) for name, log in self.logs.items()}

    def received_since(self, mark: dict[str, int]) -> list[tuple[str, Received]]:
        """The requests each provider received after `mark`, by provider."""
        return [(name, request) for name, log in self.logs.items() for request in log.received[mark[name] :]]


@contextmanager
def served_providers(
    credentials: Credentials = Credentials(), *, hostile: bool = False
) -> Iterator[Providers]:
    """All three sandboxes seeded (with `hostile`, their texts carry HTML and script payloads)."""
    premium = PremiumSandbox(credentials.premium_email, credentials.premium_api_key)
    spikon = SpikonSandbox(credentials.spikon_api_key, report_polls=0, tts_polls=0)
    sms = SerwerSmsSandbox(credentials.sms_token, credentials.sms_username, credentials.sms_password)
    for sandbox in (premium, spikon, sms):
        sandbox.seed_demo(hostile=hostile)
    providers = Providers(premium, spikon, sms, credentials=credentials)
    with ExitStack() as stack:
        for name, sandbox in (("premium", premium), ("spikon", spikon), ("sms", sms)):
            providers.logs[name] = RequestLog(sandbox)
            providers.urls[name] = stack.enter_context(serve_in_thread(providers.logs[name]))
        yield providers


def connect(tenant: Tenant, providers: Providers) -> None:
    """The tenant's three accounts, pointing at the sandboxes (the SerwerSMS.pl one with its token)."""
    credentials = providers.credentials
    PremiumAccount.objects.create(
        tenant=tenant,
        email=credentials.premium_email,
        api_key=credentials.premium_api_key,
        base_url=providers.urls["premium"],
    )
    SpikonAccount.objects.create(
        tenant=tenant, api_key=credentials.spikon_api_key, base_url=providers.urls["spikon"]
    )
    SerwerSmsAccount.objects.create(
        tenant=tenant,
        auth_method=SerwerSmsAccount.AuthMethod.TOKEN,
        api_token=credentials.sms_token,
        base_url=providers.urls["sms"],
    )


def sync_everything(tenant: Tenant, *, call_history: bool = True) -> None:
    """Every background sync of the three apps, run here and now, and (`call_history`) a call history
    report ordered and fetched."""
    tenant_id = tenant.pk
    for resource in ("numbers", "balance", "wallet", "invoices"):
        getattr(premium_tasks, f"sync_{resource}")(tenant_id, resource)
    premium_tasks.sync_billing(tenant_id, billing_resource(*current_month()))
    for resource, task in (
        ("account", spikon_tasks.sync_account),
        ("phonebooks", spikon_tasks.sync_phonebooks),
        ("callcenter", spikon_tasks.sync_call_center),
        ("voices", spikon_tasks.sync_voices),
    ):
        task(tenant_id, resource)
    for announcement_id in spikon_sync.sync_announcements(tenant_id):
        poll_now(TtsAnnouncement, spikon_tasks.poll_announcement, announcement_id)
    sms_tasks.sync_subaccounts(tenant_id, "subaccounts")
    sms_tasks.sync_account(tenant_id, "account")
    if not call_history:
        return
    account = SpikonAccount.objects.get(tenant=tenant)
    today = timezone.localdate()
    report = spikon_services.order_call_history(
        account,
        None,
        direction=CallDirection.BOTH,
        date_start=today - timedelta(days=99),
        date_end=today,
        recordings_only=False,
        number="",
    )
    for _ in range(2):
        poll_now(CallHistoryReport, spikon_tasks.poll_call_history_report, report.pk)


def poll_now(model, task, pk: int) -> None:
    """One poll of an asynchronous job, as if it were due now."""
    model.objects.filter(pk=pk).update(next_poll_at=timezone.now())
    task(pk)


SMS_TEMPLATE_ID = DEMO_TEMPLATE_ID
