"""Provider data is hostile input: with all three sandboxes seeded with HTML and script payloads in every
text they return, and everything synced, every page that shows provider data is opened in the browser.
No script of a payload runs (no dialog, no console error, no CSP violation, no element it would create),
and the payloads read literally as text.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, Membership, Role, Tenant, User
from accounts.tests.test_role_matrix import TENANT_URLS
from conftest import PASSWORD
from premium import services as premium_services
from premium.models import Invoice, PremiumAccount, PremiumNumber
from sms.models import Subaccount, SubaccountCreation
from spikon.models import (
    CallCenterCampaign,
    CallHistoryReport,
    CallRecord,
    PhoneBook,
    PhoneBookImport,
    TtsAnnouncement,
)
from tests.e2e.conftest import log_in
from tests.providers import connect, served_providers, sync_everything

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SVG = '"><svg onload=alert(1)>'
TEMPLATE = "{{7*7}}"
SCRIPT_URL = "javascript:alert(1)"
PAYLOADS = (SCRIPT, IMG, SVG, TEMPLATE, SCRIPT_URL)

# Elements or attributes a payload would create if it were markup, not text.
INJECTED = "svg[onload], [onerror], [onload], script:not([src]), a[href^='javascript:' i], iframe, object"

# What each page must show literally (its own payloads); every other page is checked all the same.
MUST_SHOW = {
    "premium:wallet": (SCRIPT, IMG, SVG, TEMPLATE, SCRIPT_URL),
    "premium:invoices": (SCRIPT, SVG, TEMPLATE),
    "spikon:index": (SCRIPT, IMG, SVG),
    "spikon:phonebooks": (SCRIPT,),
    "spikon:callcenter": (SCRIPT, IMG, SVG, TEMPLATE, SCRIPT_URL),
    "spikon:callcenter-monitor": (TEMPLATE,),
    "spikon:callcenter-wallboard": (TEMPLATE,),
    "spikon:tts": (SCRIPT, SVG, TEMPLATE),
    "spikon:history": (SCRIPT, SVG, TEMPLATE),
    "sms:index": (SCRIPT, IMG, SVG, TEMPLATE),
    "audit-log": (SCRIPT,),
}

# Not pages: files, downloads and fragments (the views that render them are checked through their pages).
NOT_PAGES = {
    "premium:number-row",
    "premium:billing-export",
    "premium:billing-numbers",
    "premium:invoice-download",
    "spikon:phonebook-export",
    "spikon:history-export",
    "spikon:history-recording",
    "spikon:tts-audio",
    "spikon:tts-voices",
    "spikon:tts-price",
    "spikon:sms-picker",
    "sync-status",
}


def _objects(tenant: Tenant) -> dict[str, list]:
    """The values of each URL parameter: every object of the tenant (a handful of calls)."""
    hostile_calls = CallRecord.objects.filter(tenant=tenant, state__in=[SVG, SCRIPT, TEMPLATE])
    return {
        "number_id": list(PremiumNumber.objects.filter(tenant=tenant).values_list("pk", flat=True)),
        "invoice_id": list(Invoice.objects.filter(tenant=tenant).values_list("pk", flat=True)),
        "book_id": list(PhoneBook.objects.filter(tenant=tenant).values_list("pk", flat=True)),
        "import_id": list(PhoneBookImport.objects.filter(tenant=tenant).values_list("pk", flat=True)),
        "report_id": list(CallHistoryReport.objects.filter(tenant=tenant).values_list("pk", flat=True)),
        "call_id": list(hostile_calls.values_list("public_id", flat=True)),
        "announcement_id": list(TtsAnnouncement.objects.filter(tenant=tenant).values_list("pk", flat=True)),
        "campaign_id": list(CallCenterCampaign.objects.filter(tenant=tenant).values_list("pk", flat=True)),
        "subaccount_id": list(Subaccount.objects.filter(tenant=tenant).values_list("pk", flat=True)),
        "creation_id": list(SubaccountCreation.objects.filter(tenant=tenant).values_list("pk", flat=True)),
    }


def pages(tenant: Tenant, owner: User) -> list[tuple[str, str]]:
    """(URL name, path) of every tenant page that answers a GET with HTML: each list and each object."""
    objects = _objects(tenant)
    client = Client()
    client.force_login(owner)
    found = []
    for url in TENANT_URLS:
        if url.name in NOT_PAGES:
            continue
        names = re.findall(r"<(?:\w+:)?(\w+)>", url.route.removeprefix("t/<slug:tenant_slug>/"))
        if any(name not in objects for name in names):
            continue  # e.g. an agent or a member: their URLs take POSTs only
        combos = [{}]
        for name in names:
            combos = [{**combo, name: value} for combo in combos for value in objects[name]]
        for kwargs in combos:
            path = reverse(url.name, kwargs={"tenant_slug": tenant.slug, **kwargs})
            response = client.get(path)
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                found.append((url.name, path))
    return found


@pytest.fixture
def hostile_tenant(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    tenant = Tenant.objects.create(slug="wrogie-dane", name="Wrogie dane")
    owner = User.objects.create_user("wlasciciel", password=PASSWORD)
    Membership.objects.create(user=owner, tenant=tenant, role=Role.OWNER)
    with served_providers(hostile=True) as providers:
        providers.premium.calls_per_month = 30
        connect(tenant, providers)
        sync_everything(tenant)
        # The provider's own words reach the audit log: setRedirect's confirmation carries a payload.
        number = PremiumNumber.objects.filter(tenant=tenant).first()
        account = PremiumAccount.objects.get(tenant=tenant)
        premium_services.set_redirect(account, owner, number, "601123456", "prezentacjaA", False)
        assert SCRIPT in AuditEvent.objects.get(tenant=tenant, action="premium.redirect.set").message
        SubaccountCreation.objects.create(tenant=tenant, status=SubaccountCreation.Status.REFUSED, error=SVG)
        yield tenant, owner


def test_no_payload_runs_on_any_page_and_each_reads_literally(live_server, watched_page, hostile_tenant):
    tenant, owner = hostile_tenant
    page = watched_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    visited = pages(tenant, owner)
    assert len(visited) > 40, visited

    log_in(page, live_server, owner)
    shown: dict[str, set[str]] = {}
    for name, path in visited:
        page.goto(f"{live_server.url}{path}")
        assert urlsplit(page.url).path == path, f"{path} went to {page.url}"
        injected = page.locator(INJECTED).count()
        assert injected == 0, f"{path}: {injected} elements made by a payload"
        text = page.inner_text("body")
        shown.setdefault(name, set()).update(payload for payload in PAYLOADS if payload in text)
        assert not dialogs and not page.problems and not page.csp_violations(), (path, dialogs, page.problems)

    for name, payloads in MUST_SHOW.items():
        missing = set(payloads) - shown.get(name, set())
        assert not missing, f"{name} does not show {missing} as text"
    entries = {payload for name, found in shown.items() if name == "spikon:phonebook" for payload in found}
    assert {SCRIPT, IMG, SVG, TEMPLATE, SCRIPT_URL} <= entries  # entry names, over the three books
    details = {payload for name, found in shown.items() if name == "sms:subaccount" for payload in found}
    assert {SCRIPT, IMG, SVG, TEMPLATE, SCRIPT_URL} <= details
