"""Credentials never leave where they belong (the encrypted columns and the requests to their provider).

The first test runs each app's provider flows (credentials saved through the account form, Test connection,
the syncs, one acting call each, an authentication error) with everything the application emits captured:
every response (body and headers), every log record of every logger at DEBUG, every exception raised in
the application's thread, every Celery message queued, every row of the database (audit log included) but
the encrypted columns, and the admin's pages. None may contain a test secret or a piece of one.

The second test rotates the encryption key while syncs run in threads against the sandboxes.
"""

from __future__ import annotations

import io
import logging
import re
import sys
import threading
import time

import pytest
from celery import Celery
from celery.app.task import Task
from cryptography.fernet import Fernet
from django.apps import apps
from django.contrib import admin
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from accounts.fields import EncryptedTextField
from accounts.models import Membership, Role, SyncStatus, Tenant, User
from premium import tasks as premium_tasks
from premium.models import PremiumAccount, PremiumNumber
from provider_api.errors import ProviderError
from sms import tasks as sms_tasks
from sms.models import SerwerSmsAccount, Subaccount
from spikon import tasks as spikon_tasks
from spikon.models import SmsMessage, SpikonAccount, TtsAnnouncement
from tests.providers import SMS_TEMPLATE_ID, Credentials, connect, poll_now, served_providers

SECRETS = Credentials(
    premium_email="sekretny@firma-test.pl",
    premium_api_key="PRMkey-Zq8Wx3Lm7Rt2Vb9N",
    spikon_api_key="SPKkey-Hj4Kp6Qs1Uy5Ea0C",
    sms_token="SMStok-Fg7Dn2Jw8Mz3Xc6V",
    sms_username="webapi_tajny",
    sms_password="SMSpwd-Tb5Yr1Gh9Kq4Lp2W",
)
# Keys typed by mistake: refused by the provider, and just as secret.
WRONG_KEYS = {"premium": "PRMbad-Ws3Nc8Vx1Hq7Jk4T", "spikon": "SPKbad-Pd2Mf6Lz9Rb3Ty8Q"}
WRONG_TOKEN = "SMSbad-Kc5Xv8Bn1Mq4Wr7Z"
# The new subaccount's password: shown once, in the answer to the form that created it, and nowhere else.
SUBACCOUNT_PASSWORD = "SUBpw-Ge7Ux2Ak9"
SECRET_VALUES = [
    SECRETS.premium_api_key,
    SECRETS.spikon_api_key,
    SECRETS.sms_token,
    SECRETS.sms_password,
    *WRONG_KEYS.values(),
    WRONG_TOKEN,
]


def pieces(secret: str) -> list[str]:
    """The secret and every run of 8 of its characters: a prefix, a suffix or a middle part leaks too."""
    return [secret] + [secret[i : i + 8] for i in range(len(secret) - 7)]


def leaks(text: str, secrets: list[str]) -> list[str]:
    return [f"{secret!r} (as {piece!r})" for secret in secrets for piece in pieces(secret) if piece in text]


class Emitted:
    """Everything the application emitted during the flows, by where it went."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self.exceptions: dict[int, BaseException] = {}
        self.stop = lambda: None  # the fixture's: ends the capture and takes in the log records

    def add(self, where: str, text: object) -> None:
        self.items.append((where, text if isinstance(text, str) else repr(text)))

    def problems(self, secrets: list[str]) -> list[str]:
        texts = [*self.items, *(("exception", f"{type(e).__name__}: {e}") for e in self.exceptions.values())]
        return [f"{where}: {leak}" for where, text in texts for leak in leaks(text, secrets)]


@pytest.fixture
def emitted(caplog, monkeypatch):
    """Captures what the application emits; the flows run inside it."""
    found = Emitted()

    # Every logger at DEBUG, and each one's records reaching caplog's handler on the root logger.
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
        logger = logging.getLogger(name)
        if not logger.propagate:
            monkeypatch.setattr(logger, "propagate", True)

    # Celery messages, as they would be sent (nothing reaches a broker: the flows run the tasks here).
    def send_task(self, name, args=None, kwargs=None, **options):
        found.add(f"celery send_task {name}", (args, kwargs, options))

    def apply_async(self, args=None, kwargs=None, **options):
        found.add(f"celery apply_async {self.name}", (args, kwargs, options))

    monkeypatch.setattr(Celery, "send_task", send_task)
    monkeypatch.setattr(Task, "apply_async", apply_async)

    # Every exception raised in this thread (the application's; the sandboxes answer in threads of their own).
    def trace_calls(frame, event, arg):
        frame.f_trace_lines = False
        return trace_exceptions

    def trace_exceptions(frame, event, arg):
        if event == "exception":
            found.exceptions.setdefault(id(arg[1]), arg[1])
        return trace_exceptions

    previous = sys.gettrace()

    def stop() -> None:
        """End the capture and take in the log records (call before scanning)."""
        sys.settrace(previous)
        for record in caplog.records:
            found.add(f"log {record.name}", logging.Formatter().format(record))
            found.add(f"log {record.name} (args)", (record.msg, record.args))
            extra = {k: v for k, v in vars(record).items() if k not in STANDARD_RECORD_ATTRIBUTES}
            found.add(f"log {record.name} (extra)", extra)

    found.stop = stop
    sys.settrace(trace_calls)
    try:
        yield found
    finally:
        sys.settrace(previous)


STANDARD_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def recording(client: Client, emitted: Emitted) -> Client:
    """The client, keeping every response's status, headers and body."""
    send = client.request

    def request(**kwargs):
        response = send(**kwargs)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if response.streaming:
            response.streaming_content = [body]
        where = f"response {kwargs.get('REQUEST_METHOD')} {kwargs.get('PATH_INFO')}"
        emitted.add(where, f"{response.status_code} {dict(response.headers)} {response.cookies}")
        emitted.add(where, body.decode("utf-8", "replace"))
        return response

    client.request = request
    return client


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _url(name: str, tenant, **kwargs) -> str:
    return reverse(name, kwargs={"tenant_slug": tenant.slug, **kwargs})


def premium_flows(client, tenant, providers, run) -> None:
    url = providers.urls["premium"]
    # The form refused for another field: the key typed must not come back in the page.
    refused = client.post(
        _url("premium:account-save", tenant),
        {"email": SECRETS.premium_email, "api_key": SECRETS.premium_api_key, "base_url": "ftp://x"},
    )
    assert refused.status_code == 400
    for key in (WRONG_KEYS["premium"], SECRETS.premium_api_key):  # a wrong key first, then replaced
        saved = client.post(
            _url("premium:account-save", tenant),
            {"email": SECRETS.premium_email, "api_key": key, "base_url": url},
        )
        assert saved.status_code == 302
        client.post(_url("premium:account-test", tenant))
        client.post(_url("premium:account-test", tenant), HTTP_HX_REQUEST="true")
    assert PremiumAccount.objects.get(tenant=tenant).api_key == SECRETS.premium_api_key
    client.get(_url("premium:account", tenant))
    run(lambda: premium_tasks.sync_numbers(tenant.pk, "numbers"))
    number = PremiumNumber.objects.filter(tenant=tenant).first()
    prefix = f"n{number.pk}"
    client.post(
        _url("premium:number-redirect", tenant, number_id=number.pk),
        {f"{prefix}-target": "601234567", f"{prefix}-presentation": "prezentacjaA"},
    )
    providers.premium.set_fault("/api/prm/voice/setRedirect/" + number.number, "auth")
    client.post(
        _url("premium:number-redirect", tenant, number_id=number.pk),
        {f"{prefix}-target": "512345678", f"{prefix}-presentation": "prezentacjaA"},
    )
    providers.premium.set_fault("/api/prm/voice/showNumbers", "auth")
    run(lambda: premium_tasks.sync_numbers(tenant.pk, "numbers"))
    providers.premium.clear_faults()
    client.get(_url("premium:numbers", tenant))


def spikon_flows(client, tenant, providers, run) -> None:
    url = providers.urls["spikon"]
    refused = client.post(
        _url("spikon:account", tenant), {"api_key": SECRETS.spikon_api_key, "base_url": "ftp://x"}
    )
    assert refused.status_code == 400
    for key in (WRONG_KEYS["spikon"], SECRETS.spikon_api_key):
        assert (
            client.post(_url("spikon:account", tenant), {"api_key": key, "base_url": url}).status_code == 302
        )
        client.post(_url("spikon:account-test", tenant))
        client.post(_url("spikon:account-test", tenant), HTTP_HX_REQUEST="true")
    assert SpikonAccount.objects.get(tenant=tenant).api_key == SECRETS.spikon_api_key
    client.get(_url("spikon:account", tenant))
    for resource, task in (
        ("account", spikon_tasks.sync_account),
        ("phonebooks", spikon_tasks.sync_phonebooks),
        ("callcenter", spikon_tasks.sync_call_center),
        ("voices", spikon_tasks.sync_voices),
        ("announcements", spikon_tasks.sync_announcements),
    ):
        run(lambda task=task, resource=resource: task(tenant.pk, resource))

    # SMS: review, send, follow the delivery state.
    form = client.get(_url("spikon:sms-send", tenant)).context["form"]
    data = {
        "form_key": form.initial["form_key"],
        "sender": "SMS",
        "recipients": "601234567",
        "message": "Test",
    }
    review = client.post(_url("spikon:sms-send", tenant), {**data, "action": "review"}).context["review"]
    client.post(
        _url("spikon:sms-send", tenant), {**data, "action": "send", "reviewed": review["digest"]}, follow=True
    )
    for message in SmsMessage.objects.filter(tenant=tenant):
        run(lambda message=message: poll_now(SmsMessage, spikon_tasks.poll_sms_state, message.pk))

    # TTS: the price, generate, then the poll that downloads the audio with the key in a header.
    quote = client.post(
        _url("spikon:tts-price", tenant),
        {"language": "pl-PL", "voice": "Ewa", "name": "Test", "text": "Dzień dobry."},
    ).context["signed"]
    client.post(_url("spikon:tts-generate", tenant), {"quote": quote}, follow=True)
    for item in TtsAnnouncement.objects.filter(tenant=tenant).exclude(provider_id=None):
        for _ in range(2):
            run(lambda item=item: poll_now(TtsAnnouncement, spikon_tasks.poll_announcement, item.pk))
    client.get(_url("spikon:tts", tenant))

    providers.spikon.set_fault("/api/balance/show", "auth")
    client.post(_url("spikon:account-test", tenant))
    run(lambda: spikon_tasks.sync_account(tenant.pk, "account"))
    providers.spikon.set_fault("/api/sms/send", "auth")
    form = client.get(_url("spikon:sms-send", tenant)).context["form"]
    data = {**data, "form_key": form.initial["form_key"]}
    client.post(
        _url("spikon:sms-send", tenant), {**data, "action": "send", "reviewed": review["digest"]}, follow=True
    )
    providers.spikon.clear_faults()


def sms_flows(client, tenant, providers, run) -> None:
    url = providers.urls["sms"]
    account_url = _url("sms:account", tenant)
    refused = client.post(
        account_url, {"auth_method": "token", "api_token": SECRETS.sms_token, "base_url": "ftp://x"}
    )
    assert refused.status_code == 400
    for token in (WRONG_TOKEN, SECRETS.sms_token):
        assert (
            client.post(
                account_url, {"auth_method": "token", "api_token": token, "base_url": url}
            ).status_code
            == 302
        )
        client.post(_url("sms:account-test", tenant))
    api_user = {
        "auth_method": "api_user",
        "api_username": SECRETS.sms_username,
        "api_password": SECRETS.sms_password,
        "base_url": url,
    }
    assert client.post(account_url, api_user).status_code == 302
    client.post(_url("sms:account-test", tenant), HTTP_HX_REQUEST="true")
    assert SerwerSmsAccount.objects.get(tenant=tenant).api_password == SECRETS.sms_password
    client.get(account_url)
    run(lambda: sms_tasks.sync_subaccounts(tenant.pk, "subaccounts"))

    create_url = _url("sms:subaccount-create", tenant)
    token = client.get(create_url).context["form"].initial["form_token"]
    template = Subaccount.objects.get(tenant=tenant, provider_id=SMS_TEMPLATE_ID)
    created = client.post(
        create_url,
        {
            "form_token": token,
            "template": template.pk,
            "login": "nowe_konto",
            "password": SUBACCOUNT_PASSWORD,
        },
    )
    assert created.status_code == 200 and SUBACCOUNT_PASSWORD in created.text

    providers.sms.set_fault("/subaccounts/index.json", "auth")
    client.post(_url("sms:account-test", tenant))
    run(lambda: sms_tasks.sync_subaccounts(tenant.pk, "subaccounts"))
    providers.sms.clear_faults()
    client.get(_url("sms:index", tenant))


def test_no_secret_reaches_a_page_a_log_an_error_a_task_the_database_or_the_admin(
    emitted, tenant, owner, media_root, django_capture_on_commit_callbacks
):
    client = recording(Client(HTTP_ACCEPT_LANGUAGE="en"), emitted)
    client.force_login(owner)

    def run(task) -> None:
        """A task as the worker runs it: its exception, if any, is what the worker would log."""
        try:
            task()
        except Exception as error:
            emitted.add("task exception", f"{type(error).__name__}: {error}")

    with served_providers(SECRETS) as providers, django_capture_on_commit_callbacks(execute=True):
        premium_flows(client, tenant, providers, run)
        spikon_flows(client, tenant, providers, run)
        sms_flows(client, tenant, providers, run)
        # A new member's invitation link exists only in the email sent to them.
        client.post(_url("member-invite", tenant), {"email": "nowy-czlonek@example.com", "role": Role.VIEWER})
        (invitation_link,) = re.findall(r"https?://\S+/invitations/\S+", mail.outbox[-1].body)
        invitation_token = invitation_link.rstrip("/").rsplit("/", 1)[1]

    # The flows did reach the providers, with the secrets, and met the refusals.
    assert providers.spikon.request_count("/api/tts/download") >= 1
    assert providers.sms.subaccount(Subaccount.objects.get(tenant=tenant, login="nowe_konto").provider_id)
    assert SyncStatus.objects.filter(tenant=tenant).exclude(last_error="").count() >= 3
    assert any(isinstance(error, ProviderError) for error in emitted.exceptions.values())

    emitted.stop()
    kinds = {where.split(" ")[0] + " " + where.split(" ")[1] for where, _text in emitted.items}
    assert {
        "log django.template",
        "log urllib3.connectionpool",
        "celery send_task",
        "celery apply_async",
    } <= kinds
    for session in Session.objects.all():
        emitted.add("database session (decoded)", session.get_decoded())
    for model in apps.get_models():
        fields = [f.attname for f in model._meta.concrete_fields if not isinstance(f, EncryptedTextField)]
        for row in model._default_manager.values_list(*fields):
            emitted.add(f"database {model._meta.label}", row)

    superuser = User.objects.create_superuser("root", "root@example.com", "x-unused-9")
    admin_client = recording(Client(), emitted)
    admin_client.force_login(superuser)
    admin_client.get("/admin/")
    for model in (PremiumAccount, SpikonAccount, SerwerSmsAccount, *admin.site._registry):
        opts = model._meta
        admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
        for pk in model._default_manager.values_list("pk", flat=True)[:20]:
            admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/{pk}/change/")
            admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/{pk}/history/")

    problems = emitted.problems(SECRET_VALUES) + emitted.problems([invitation_token])
    for shown_once, page in ((SUBACCOUNT_PASSWORD, reverse("sms:subaccount-create", args=[tenant.slug])),):
        problems += [
            problem
            for problem in emitted.problems([shown_once])
            if not problem.startswith(f"response POST {page}:")
        ]
    assert not problems, "\n".join(problems[:20])


def test_the_leak_scan_finds_what_it_looks_for():
    found = Emitted()
    found.add("log x", f"key={SECRETS.spikon_api_key[:9]}")
    found.add("page", f"…{SECRETS.sms_token[-4:]}")  # the hint a page may show
    found.exceptions[1] = ValueError(SECRETS.premium_api_key[3:13])
    assert {problem.split(":")[0] for problem in found.problems(SECRET_VALUES)} == {"log x", "exception"}


# --- key rotation under load -------------------------------------------------------------------------------


def _sync_loop(tenant_id: int, stop: threading.Event, failures: list[str], runs: list[int]) -> None:
    try:
        while not stop.is_set():
            premium_tasks.sync_numbers(tenant_id, "numbers")
            premium_tasks.sync_balance(tenant_id, "balance")
            spikon_tasks.sync_account(tenant_id, "account")
            sms_tasks.sync_subaccounts(tenant_id, "subaccounts")
            failures.extend(
                f"{status.provider}/{status.resource}: {status.last_error}"
                for status in SyncStatus.objects.filter(tenant_id=tenant_id).exclude(last_error="")
            )
            runs.append(tenant_id)
    except Exception as error:
        failures.append(f"{type(error).__name__}: {error}")
    finally:
        connections.close_all()


def _rotate(times: int, failures: list[str]) -> None:
    try:
        for _ in range(times):
            call_command("rotate_encryption_keys", stdout=io.StringIO())
    except Exception as error:
        failures.append(f"rotation: {type(error).__name__}: {error}")
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_rotating_the_key_while_syncs_run_loses_nothing(settings, django_user_model):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old_key]
    with served_providers() as providers:
        tenants = [Tenant.objects.create(slug=f"firma-{i}", name=f"Firma {i}") for i in range(4)]
        for tenant in tenants:
            connect(tenant, providers)
        # The fourth tenant's admin replaces its key while the rotation runs (no sync of it meanwhile).
        edited = tenants.pop()
        admin_user = django_user_model.objects.create_user("admin-rotacja", password="x-unused-9")
        Membership.objects.create(user=admin_user, tenant=edited, role=Role.ADMIN)
        editor = Client()
        editor.force_login(admin_user)

        # The documented procedure: the new key first, the old one kept, every process restarted...
        settings.ENCRYPTION_KEYS = [new_key, old_key]
        stop, failures, runs = threading.Event(), [], []
        syncs = [threading.Thread(target=_sync_loop, args=(t.pk, stop, failures, runs)) for t in tenants]
        rotation = threading.Thread(target=_rotate, args=(3, failures))
        for thread in syncs:
            thread.start()
        try:
            while len(runs) < 3:
                time.sleep(0.01)
            # ...then the rotation, while the syncs run and an admin saves new keys.
            rotation.start()
            typed = []
            while rotation.is_alive() or len(typed) < 3:
                typed.append(f"SPKnew-{len(typed):04d}-Rt5Wq8Zx2Cv7")
                response = editor.post(
                    reverse("spikon:account", args=[edited.slug]),
                    {"api_key": typed[-1], "base_url": providers.urls["spikon"]},
                )
                assert response.status_code == 302
            rotation.join()
            # ...and once rotated, the old key is dropped: the running syncs go on with the new one alone.
            settings.ENCRYPTION_KEYS = [new_key]
            after = len(runs)
            while len(runs) < after + 3 and not failures:
                time.sleep(0.01)
        finally:
            stop.set()
            for thread in syncs:
                thread.join(timeout=60)

    assert not failures, failures[:5]
    assert SpikonAccount.objects.get(tenant=edited).api_key == typed[-1]  # the last save is not lost
    new_only = Fernet(new_key.encode())
    for model, field in (
        (PremiumAccount, "api_key"),
        (SpikonAccount, "api_key"),
        (SerwerSmsAccount, "api_token"),
    ):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {field} FROM {model._meta.db_table}")  # noqa: S608 - names from the models
            stored = [value for (value,) in cursor.fetchall()]
        assert len(stored) == 4
        for value in stored:
            new_only.decrypt(value.encode())  # readable with the new key alone (InvalidToken otherwise)
    credentials = Credentials()
    for tenant in tenants:
        assert PremiumAccount.objects.get(tenant=tenant).api_key == credentials.premium_api_key
        assert SerwerSmsAccount.objects.get(tenant=tenant).api_token == credentials.sms_token
        assert SyncStatus.objects.filter(tenant=tenant, last_success_at__isnull=False).count() == 4
