"""The home, the alerts pages and the SerwerSMS.pl account pages in a real browser: at 1,366 px and at
390 px nothing lies past the window's right edge, and no page breaks the CSP or logs a console error."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role, SyncStatus, Tenant
from alerts import evaluation
from alerts.models import Delivery, EventType, WebhookEndpoint, new_event_id
from conftest import make_member
from sms.models import DeliveryStat, Payment, PoolEntry, ProviderNotice
from spikon.models import PhoneAccount, SpikonAccount
from tests.e2e.conftest import log_in
from tests.e2e.test_every_page_fits import LAYOUT_PROBLEMS

pytestmark = pytest.mark.browser

PAGES = (
    "",
    "alerts/",
    "alerts/rules/",
    "alerts/channels/",
    "alerts/deliveries/",
    "alerts/mine/",
    "sms/pool/",
    "sms/payments/",
    "sms/statistics/",
    "sms/notices/",
)


def test_the_alert_pages_fit_a_phone_and_a_laptop(live_server, watched_page):
    page = watched_page
    tenant = Tenant.objects.create(slug="epsilon", name="Epsilon Telekom")
    owner = make_member(tenant, "ola", Role.OWNER)
    now = timezone.now()
    SpikonAccount.objects.create(tenant=tenant, api_key="k", balance=Decimal("-12.50"))
    PoolEntry.objects.create(tenant=tenant, message_type="eco", remaining=40, synced_at=now)
    Payment.objects.create(
        tenant=tenant,
        provider_id=1,
        number="PRO 12/2026",
        total=Decimal("1230"),
        due_on=timezone.localdate() - timedelta(days=3),
    )
    DeliveryStat.objects.create(
        tenant=tenant,
        provider_id=1,
        name="Pakiet ECO – listopad",
        delivered=1450,
        pending=12,
        undelivered=31,
        unsent=4,
    )
    ProviderNotice.objects.create(
        tenant=tenant, position=0, new=True, message="Przerwa techniczna 12 grudnia."
    )
    PhoneAccount.objects.create(tenant=tenant, provider_id=3, number="221234567", description="Recepcja")
    SyncStatus.objects.create(
        tenant=tenant, provider="sms", resource="account", failing_since=now - timedelta(hours=8)
    )
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant, url="https://erp.przyklad.example/webhooki/telekom/zdarzenia", description="ERP"
    )
    evaluation.evaluate(tenant.pk)
    Delivery.objects.create(
        tenant=tenant,
        channel="webhook",
        event_id=new_event_id(),
        event_type=EventType.TEST,
        endpoint=endpoint,
        recipient=endpoint.url,
        response_code=503,
        last_error="HTTP 503",
    )

    log_in(page, live_server, owner)
    for path in PAGES:
        page.goto(f"{live_server.url}/t/{tenant.slug}/{path}")
        assert page.locator("main h1").count() >= 1, path
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate(LAYOUT_PROBLEMS) == [], (path, width)
        assert page.csp_violations() == [], path
    assert page.problems == []
