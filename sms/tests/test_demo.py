"""The demo: the demo tenant's account points at the sandbox that config.sandboxes mounts under /sms."""

from __future__ import annotations

from accounts.models import SyncStatus
from config.sandboxes import make_dispatcher
from provider_api.wsgi_server import serve_in_thread
from sms.demo import set_up_demo
from sms.models import SerwerSmsAccount, Subaccount
from sms.sandbox import DEMO_TOKEN, demo_app
from sms.sync import sync_subaccounts


def test_set_up_demo_is_idempotent_and_follows_the_sandbox_url(tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        set_up_demo(tenant, "http://127.0.0.1:8001/sms/")
    set_up_demo(tenant, "http://127.0.0.1:8123/sms")
    account = SerwerSmsAccount.objects.get(tenant=tenant)
    assert account.base_url == "http://127.0.0.1:8123/sms"
    assert account.auth_method == "token" and account.api_token == DEMO_TOKEN
    assert len(callbacks) == 2
    statuses = SyncStatus.objects.filter(tenant=tenant, provider="sms")
    assert sorted(statuses.values_list("resource", flat=True)) == ["account", "subaccounts"]
    assert all(status.queued_at for status in statuses)


def test_the_demo_sandbox_under_the_dispatcher_fills_the_demo_tenant(tenant):
    with serve_in_thread(make_dispatcher({"sms": demo_app()})) as url:
        set_up_demo(tenant, f"{url}/sms")
        sync_subaccounts(tenant.pk)
    logins = set(Subaccount.objects.filter(tenant=tenant).values_list("login", flat=True))
    assert logins == {"szablon", "wojtek", "biuro.krakow", "m.wisniewska", "sklep-gdansk"}
