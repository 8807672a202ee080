"""Nothing that costs money or acts happens twice: buying a number, sending an SMS, generating an
announcement, click-to-call and creating a subaccount.

(a) When the answer is lost after the request went out (no answer in time, HTTP 500, a body cut short),
the page says the outcome is unknown and to check, and nothing sends the request again: not the page,
not the tasks the failure queued, not the sweepers, not the syncs (the sandbox counts one request).
(b) A form sent twice with the same idempotency key (a double click, a resubmission), one after the
other or at the same moment from two threads, acts once.

Each action runs against its provider's sandbox over loopback HTTP.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.urls import reverse

from config.celery import app
from premium import tasks as premium_tasks
from premium.models import PremiumNumber
from premium.sandbox import DEMO_API_KEY as PREMIUM_KEY
from premium.sandbox import DEMO_EMAIL as PREMIUM_EMAIL
from premium.sandbox import PremiumSandbox
from premium.sync import sync_numbers
from premium.tests.live import account_at as premium_account_at
from premium.views.numbers import PURCHASE_TOKENS
from provider_api.wsgi_server import Mount, serve_in_thread
from providers.once import new_action_key
from providers.tasks import sweep_jobs
from sms import tasks as sms_tasks
from sms.models import SerwerSmsAccount, Subaccount, SubaccountCreation
from sms.sandbox import DEMO_PASSWORD, DEMO_TEMPLATE_ID, DEMO_TOKEN, DEMO_USERNAME, SerwerSmsSandbox
from sms.sync import sync_subaccounts
from spikon import sync as spikon_sync
from spikon import tasks as spikon_tasks
from spikon.models import ClickToCall, PhoneAccount, SmsMessage, SpikonAccount, TtsAnnouncement
from spikon.sandbox import DEMO_API_KEY as SPIKON_KEY
from spikon.sandbox import SpikonSandbox
from tests import faults
from tests.faults import inject, recording_queued_tasks, use_short_timeouts

LOST_ANSWERS = ("timeout", "500", "truncated", "broken_off")


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch, settings, tmp_path):
    use_short_timeouts(monkeypatch)
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def _loopback_servers():
    """One server per provider for the module's tests; each test mounts its own fresh sandboxes on them."""
    mounts = {provider: Mount() for provider in ("premium", "spikon", "sms")}
    with ExitStack() as stack:
        urls = {provider: stack.enter_context(serve_in_thread(mount)) for provider, mount in mounts.items()}
        yield urls, mounts


@pytest.fixture
def providers(tenant, _loopback_servers):
    """The three sandboxes over HTTP and the tenant's accounts on them, with the local copy synced."""
    urls, mounts = _loopback_servers
    mounts["premium"].app = PremiumSandbox(PREMIUM_EMAIL, PREMIUM_KEY)
    mounts["spikon"].app = SpikonSandbox(SPIKON_KEY)
    mounts["sms"].app = SerwerSmsSandbox(DEMO_TOKEN, DEMO_USERNAME, DEMO_PASSWORD)
    mounted = {provider: mount.app for provider, mount in mounts.items()}
    for sandbox in mounted.values():
        sandbox.seed_demo()
    sync_numbers(premium_account_at(tenant, urls["premium"]))
    SpikonAccount.objects.create(tenant=tenant, api_key=SPIKON_KEY, base_url=urls["spikon"])
    spikon_sync.sync_account(tenant.pk)
    spikon_sync.sync_voices(tenant.pk)
    SerwerSmsAccount.objects.create(tenant=tenant, api_token=DEMO_TOKEN, base_url=urls["sms"])
    sync_subaccounts(tenant.pk)
    return mounted


# --- The five actions: how a member opens the form, and sends it --------------------------------------


def _url(name: str, tenant, **kwargs) -> str:
    return reverse(name, kwargs={"tenant_slug": tenant.slug, **kwargs})


def _open_purchase(client, tenant) -> dict:
    client.get(_url("premium:number-buy", tenant), {"tariff": 5})
    return {"tariff": 5, "confirmation": client.session[PURCHASE_TOKENS][-1]}


def _send_purchase(client, tenant, data):
    return client.post(_url("premium:number-buy", tenant), data, follow=True)


def _open_sms(client, tenant) -> dict:
    data = {"form_key": new_action_key(), "sender": "INFO", "recipients": "601000111", "message": "Dzień dobry"}
    review = client.post(_url("spikon:sms-send", tenant), {**data, "action": "review"})
    digest = re.search(r'name="reviewed" value="([0-9a-f]+)"', review.text).group(1)
    return {**data, "action": "send", "reviewed": digest}


def _send_sms(client, tenant, data):
    return client.post(_url("spikon:sms-send", tenant), data, follow=True)


def _open_tts(client, tenant) -> dict:
    details = {"language": "pl-PL", "voice": "Ewa", "name": "Powitanie", "text": "Dzień dobry, zapraszamy."}
    price = client.post(_url("spikon:tts-price", tenant), details)
    return {"quote": re.search(r'name="quote" value="([^"]+)"', price.text).group(1)}


def _send_tts(client, tenant, data):
    return client.post(_url("spikon:tts-generate", tenant), data, follow=True)


def _open_call(client, tenant) -> dict:
    phone_account = PhoneAccount.objects.filter(tenant=tenant).first()
    return {"form_key": new_action_key(), "phone_account": phone_account.pk, "destination": "601234567"}


def _send_call(client, tenant, data):
    return client.post(_url("spikon:click-to-call", tenant), data, follow=True)


def _open_subaccount(client, tenant) -> dict:
    form = client.get(_url("sms:subaccount-create", tenant)).context["form"]
    template = Subaccount.objects.get(tenant=tenant, provider_id=DEMO_TEMPLATE_ID)
    return {
        "form_token": form.initial["form_token"],
        "template": str(template.pk),
        "login": "nowe.konto",
        "password": "Haslo-Nowe-77",
        "name": "Nowe konto",
        "phone": "",
        "email": "",
    }


def _send_subaccount(client, tenant, data):
    return client.post(_url("sms:subaccount-create", tenant), data, follow=True)


@dataclass(frozen=True)
class Action:
    name: str
    provider: str
    path: str  # the provider path that acts
    open: Callable  # (client, tenant) -> the form's data, with its idempotency key
    send: Callable  # (client, tenant, data) -> the final page
    member: str = "operator"

    def __str__(self) -> str:
        return self.name


ACTIONS = [
    Action(
        "buy-number", "premium", "/api/prm/voice/addNumber/5", _open_purchase, _send_purchase, "tenant_admin"
    ),
    Action("send-sms", "spikon", "/api/sms/send", _open_sms, _send_sms),
    Action("generate-tts", "spikon", "/api/tts/generate", _open_tts, _send_tts),
    Action("click-to-call", "spikon", "/api/call/initiate", _open_call, _send_call),
    Action(
        "create-subaccount",
        "sms",
        "/subaccounts/add.json",
        _open_subaccount,
        _send_subaccount,
        "tenant_admin",
    ),
]

SWEEPERS = (sweep_jobs,)
SCHEDULES = (
    lambda: spikon_tasks.queue_scheduled_syncs(list(spikon_sync.RESOURCES)),
    lambda: premium_tasks.queue_scheduled_syncs(["numbers", "balance", "wallet", "invoices"]),
    sms_tasks.queue_subaccount_syncs,
)


def _run_every_task(monkeypatch, capture, queued_first: list[tuple[str, tuple]]) -> None:
    """Run what the failure queued, the sweepers and every scheduled sync, as workers and beat would, and
    then what those queued, until nothing new is queued."""
    pending = list(queued_first)
    with recording_queued_tasks(monkeypatch) as queued, capture(execute=True):
        for run in SCHEDULES:
            run()
    pending += queued.sent
    for _round in range(5):
        with recording_queued_tasks(monkeypatch) as queued, capture(execute=True):
            for name, args in pending:
                app.tasks[name](*args)
            for sweep in SWEEPERS:
                sweep()
        pending = queued.sent
        if not pending:
            return
    raise AssertionError(f"tasks keep queueing tasks: {pending}")


def _polish_page(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pl"
    return client


# --- (a) A lost answer is never sent again -----------------------------------------------------------


@pytest.mark.parametrize("fault", LOST_ANSWERS)
@pytest.mark.parametrize("action", ACTIONS, ids=str)
def test_a_lost_answer_says_unknown_and_is_never_sent_again(
    action, fault, request, login, providers, tenant, monkeypatch, django_capture_on_commit_callbacks
):
    client = _polish_page(login(request.getfixturevalue(action.member)))
    sandbox = providers[action.provider]
    data = action.open(client, tenant)
    inject(fault, sandbox, action.path, point_account_at=None)

    with recording_queued_tasks(monkeypatch) as queued, django_capture_on_commit_callbacks(execute=True):
        page = action.send(client, tenant, data)

    assert page.status_code < 500
    text = page.text.lower()
    assert "nieznany" in text and "sprawdź" in text, "the page says the outcome is unknown and to check"
    assert sandbox.request_count(action.path) == 1
    _run_every_task(monkeypatch, django_capture_on_commit_callbacks, queued.sent)
    assert sandbox.request_count(action.path) == 1, "nothing sent it again"


# --- (b) A form sent twice acts once -----------------------------------------------------------------


def _acted_once(action: Action, tenant) -> None:
    """The local record of the action exists once."""
    if action.name == "buy-number":
        assert PremiumNumber.objects.filter(tenant=tenant).count() == 9  # the demo's 8 and the new one
    elif action.name == "send-sms":
        assert SmsMessage.objects.filter(tenant=tenant).count() == 1
    elif action.name == "generate-tts":
        assert TtsAnnouncement.objects.filter(tenant=tenant).count() == 1
    elif action.name == "click-to-call":
        assert ClickToCall.objects.filter(tenant=tenant).count() == 1
    else:
        assert Subaccount.objects.filter(tenant=tenant, login="nowe.konto").count() == 1
        assert SubaccountCreation.objects.filter(tenant=tenant, status="created").count() == 1


@pytest.mark.parametrize("action", ACTIONS, ids=str)
def test_a_form_sent_twice_acts_once(action, request, login, providers, tenant):
    client = _polish_page(login(request.getfixturevalue(action.member)))
    sandbox = providers[action.provider]
    data = action.open(client, tenant)

    first = action.send(client, tenant, data)
    again = action.send(client, tenant, data)

    assert first.status_code == 200 and again.status_code == 200
    assert sandbox.request_count(action.path) == 1
    assert "już" in again.text, "the second answer says it was sent already"
    _acted_once(action, tenant)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ACTIONS, ids=str)
def test_a_form_sent_twice_at_the_same_moment_acts_once(action, request, providers, tenant, monkeypatch):
    """A double click: two requests of one browser session with the same key, both in flight at once."""
    member = request.getfixturevalue(action.member)
    first = _polish_page(Client())
    first.force_login(member)
    data = action.open(first, tenant)
    second = _polish_page(Client())
    second.cookies = first.cookies  # the same browser: one session
    sandbox = providers[action.provider]
    sandbox.latency_seconds = 0.3  # the provider is slow: the second click comes while the first waits
    monkeypatch.setattr(faults, "CLIENT_TIMEOUT", (1.0, 5.0))  # slow, but answering in time
    both_ready = threading.Barrier(2)
    pages, errors = [], []

    def click(client: Client) -> None:
        try:
            both_ready.wait()
            pages.append(action.send(client, tenant, data))
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    with recording_queued_tasks(monkeypatch):
        threads = [threading.Thread(target=click, args=(client,)) for client in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == [] and [page.status_code for page in pages] == [200, 200], [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", p.text))[-1800:] for p in pages
    ]
    assert sandbox.request_count(action.path) == 1
    _acted_once(action, tenant)
