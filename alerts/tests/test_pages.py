"""The home (overview), alerts, rules, channels, delivery log and "my notifications" pages: each works, keeps
to its tenant, records audit events, and answers bad input with a clear message."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, SyncStatus
from alerts import digest, evaluation, notify, tasks
from alerts.models import Alert, AlertRule, Delivery, MemberNotifications, RuleKind, WebhookEndpoint
from premium import totals
from premium.models import Call, Invoice, PremiumAccount, PremiumNumber
from sms.models import Payment, PoolEntry
from spikon.models import PhoneAccount, SpikonAccount


def url(name: str, tenant, **kwargs) -> str:
    return reverse(name, kwargs={"tenant_slug": tenant.slug, **kwargs})


@pytest.fixture
def english(login, settings):
    def _login(user):
        client = login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return _login


def _provider_state(tenant, calls: int) -> None:
    now = timezone.now()
    PremiumAccount.objects.create(
        tenant=tenant,
        email="p@x.pl",
        api_key="k",
        balance_net=Decimal("1812.40"),
        balance_gross=Decimal("999.25"),
    )
    SpikonAccount.objects.create(tenant=tenant, api_key="k", balance=Decimal("-12.50"))
    PoolEntry.objects.create(tenant=tenant, message_type="eco", remaining=1200, synced_at=now)
    Payment.objects.create(
        tenant=tenant, provider_id=1, number="PRO 1", due_on=timezone.localdate() - timedelta(days=3)
    )
    Invoice.objects.create(
        tenant=tenant, provider_id=1, title="FV 9", amount_net=10, paid=False, issued_at=now
    )
    PhoneAccount.objects.create(tenant=tenant, provider_id=3, number="221234567", registration_state=0)
    SyncStatus.objects.create(tenant=tenant, provider="premium", resource="billing", failing_since=now)
    PremiumNumber.objects.get_or_create(
        tenant=tenant, number="700100200", defaults={"tariff": 5, "price_net": 4}
    )
    _answered_calls(tenant, [now - timedelta(seconds=index) for index in range(calls)], seconds=120)


def _answered_calls(tenant, started: list[datetime], *, seconds: int, first_id: int = 0) -> None:
    """Answered calls of 700100200 starting at `started`, with the totals a billing sync keeps beside them."""
    Call.objects.bulk_create(
        Call(
            tenant=tenant,
            call_id=first_id + index,
            number="700100200",
            caller="601000000",
            redirected_to="221234567",
            started_at=at,
            ended_at=at + timedelta(seconds=seconds),
            duration=seconds,
            billed_seconds=seconds,
            disposition="ANSWERED",
            redirect_cost=0,
        )
        for index, at in enumerate(started)
    )
    totals.rebuild_all(tenant.pk)


def test_the_home_shows_every_providers_state_and_links_each_tile(tenant, viewer, english):
    _provider_state(tenant, calls=3)
    page = english(viewer).get(url("tenant-home", tenant))
    text = page.content.decode()
    assert page.status_code == 200
    for shown in (
        "1,812.40\xa0zł",
        "999.25\xa0zł",
        "-12.50\xa0zł",
        "Negative: the account owes SPIKON money.",
        "1,200",
        "1 overdue",
        "221234567",
        "Numery-Premium.PL / billing",
        "3 calls",
        "24.00\xa0zł",
    ):
        assert shown in text, shown
    for name in (
        "premium:wallet",
        "spikon:index",
        "sms:pool",
        "premium:invoices",
        "sms:payments",
        "alerts:index",
        "premium:billing",
    ):
        assert url(name, tenant) in text, name


def test_the_home_reads_the_same_number_of_queries_however_much_data(tenant, other_tenant, viewer, login):
    client = login(viewer)
    _provider_state(other_tenant, calls=1)  # another tenant's rows change nothing
    client.get(url("tenant-home", tenant))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("tenant-home", tenant)).status_code == 200
    _provider_state(tenant, calls=200)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url("tenant-home", tenant)).status_code == 200
    assert len(many) == len(few) <= 30


def test_the_home_hides_other_tenants(tenant, other_tenant, viewer, outsider, login):
    _provider_state(other_tenant, calls=1)
    text = login(viewer).get(url("tenant-home", tenant)).content.decode()
    assert "1812" not in text and "1\xa0812" not in text
    assert login(outsider).get(url("tenant-home", tenant)).status_code == 404
    assert login(viewer).post(url("tenant-home", tenant)).status_code == 405


def test_the_alerts_page_shows_figures_and_who_was_told(tenant, viewer, told_admin, english, settings):
    settings.EMAIL_ENABLED = True
    PoolEntry.objects.create(tenant=tenant, message_type="eco", remaining=7, synced_at=timezone.now())
    evaluation.evaluate(tenant.pk)
    text = english(viewer).get(url("alerts:index", tenant)).content.decode()
    assert "SerwerSMS.pl messages running out: ECO" in text
    assert "Threshold: 100 · when it fired: 7" in " ".join(text.split())
    assert "admin@firma.example" in text and "being sent" in text


def test_money_reads_as_people_write_it_in_polish(tenant, viewer, login):
    _provider_state(tenant, calls=3)
    AlertRule.objects.filter(tenant=tenant, kind=RuleKind.SPIKON_BALANCE_BELOW).update(threshold=1500)
    evaluation.evaluate(tenant.pk)
    client = login(viewer)  # Polish, the default
    home = client.get(url("tenant-home", tenant)).content.decode()
    for shown in ("1\xa0812,40\xa0zł", "999,25\xa0zł", "-12,50\xa0zł", "24,00\xa0zł", "1\xa0200"):
        assert shown in home, shown
    alerts = re.sub(r"[ \n]+", " ", client.get(url("alerts:index", tenant)).content.decode())
    assert "Próg: 1\xa0500,00\xa0zł" in alerts and "-12,50\xa0zł" in alerts
    for page in (home, alerts):
        assert not re.search(r"\d\.\d\d\s*zł", page)


def test_an_admin_changes_a_rule_and_bad_input_is_said(tenant, tenant_admin, english):
    rule = AlertRule.objects.get(tenant=tenant, kind=RuleKind.SPIKON_BALANCE_BELOW)
    client = english(tenant_admin)
    prefix = f"rule-{rule.pk}"
    response = client.post(
        url("alerts:rule-edit", tenant, rule_id=rule.pk),
        {f"{prefix}-kind": rule.kind, f"{prefix}-threshold": "75", f"{prefix}-enabled": "on"},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.threshold == 75
    event = AuditEvent.objects.get(tenant=tenant, action="alert_rule.change")
    assert event.changes == {"threshold": ["20.00", "75"]}

    response = client.post(
        url("alerts:rule-edit", tenant, rule_id=rule.pk),
        {f"{prefix}-kind": rule.kind, f"{prefix}-threshold": "-5"},
        follow=True,
    )
    assert "The rule was not changed: Enter 0 or more." in response.content.decode()
    response = client.post(
        url("alerts:rule-add", tenant), {"new-kind": "sms_pool_below", "new-threshold": "abc"}, follow=True
    )
    assert "The rule was not added" in response.content.decode()
    assert AlertRule.objects.filter(tenant=tenant).count() == len(evaluation.DEFAULT_RULES)


def test_a_changed_threshold_reads_in_polish_in_the_rules_and_the_audit_log(login, tenant, tenant_admin, viewer):
    rule = AlertRule.objects.get(tenant=tenant, kind=RuleKind.SYNC_FAILING)
    client = login(tenant_admin)
    prefix = f"rule-{rule.pk}"
    client.post(
        url("alerts:rule-edit", tenant, rule_id=rule.pk),
        {f"{prefix}-kind": rule.kind, f"{prefix}-threshold": "1234.5", f"{prefix}-enabled": "on"},
    )

    log = client.get(reverse("audit-log", kwargs={"tenant_slug": tenant.slug})).content.decode()
    rules = login(viewer).get(url("alerts:rules", tenant)).content.decode()  # the admin sees the form

    assert "1\N{NO-BREAK SPACE}234,50" in rules
    assert "1\N{NO-BREAK SPACE}234,50" in log and "6,00" in log and "1234.5" not in log and "6.00" not in log


def test_an_endpoints_secret_is_shown_once_and_https_is_required_outside_development(
    tenant, tenant_admin, english, settings
):
    client = english(tenant_admin)
    settings.DEBUG = False
    refused = client.post(url("alerts:endpoint-add", tenant), {"url": "http://erp.example.pl/hooks"})
    assert refused.status_code == 400 and "Use an https:// address." in refused.content.decode()

    added = client.post(
        url("alerts:endpoint-add", tenant), {"url": "https://erp.example.pl/hooks", "events": ["alert.fired"]}
    )
    endpoint = WebhookEndpoint.objects.get(tenant=tenant)
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in added.content.decode()
    assert endpoint.events == ["alert.fired"]
    assert endpoint.secret not in client.get(url("alerts:channels", tenant)).content.decode()
    event = AuditEvent.objects.get(tenant=tenant, action="webhook_endpoint.add")
    assert endpoint.secret not in str(event.changes) + event.object_label + event.message


def test_a_test_event_and_a_resend_are_rows_in_the_delivery_log(
    tenant, tenant_admin, endpoint, receiver, english
):
    client = english(tenant_admin)
    response = client.post(url("alerts:endpoint-test", tenant, endpoint_id=endpoint.pk))
    assert response.status_code == 302 and response["Location"] == url("alerts:deliveries", tenant)
    first = Delivery.objects.get()
    tasks.deliver_notification(first.pk)
    log = client.get(url("alerts:deliveries", tenant)).content.decode()
    assert "Test event" in log and "delivered" in log and "204" in log
    client.post(url("alerts:delivery-resend", tenant, delivery_id=first.pk))
    assert Delivery.objects.count() == 2
    assert [event["type"] for event in receiver.events] == ["test"]
    assert (
        AuditEvent.objects.filter(
            tenant=tenant, action__in=["webhook_endpoint.test", "delivery.resend"]
        ).count()
        == 2
    )


def test_admins_choose_who_gets_alert_emails(tenant, tenant_admin, operator, english):
    client = english(tenant_admin)
    response = client.post(url("alerts:recipients", tenant), {"members": [operator.pk]})
    assert response.status_code == 302
    assert list(
        MemberNotifications.objects.filter(tenant=tenant, alert_emails=True).values_list("user", flat=True)
    ) == [operator.pk]
    refused = client.post(url("alerts:recipients", tenant), {"members": ["99999"]}, follow=True)
    assert "Choose members of this tenant." in refused.content.decode()


def test_a_member_switches_the_digest_off_and_gets_none(tenant, viewer, operator, english, mailbox):
    viewer.email, operator.email = "viewer@firma.example", "operator@firma.example"
    viewer.save()
    operator.save()
    response = english(viewer).post(url("alerts:mine", tenant), {"language": "en"})  # digest unticked
    assert response.status_code == 302
    assert english(viewer).post(url("alerts:mine", tenant), {"language": "xx"}).status_code == 400

    assert digest.send_all() == 1
    for delivery in Delivery.objects.all():
        tasks.deliver_notification(delivery.pk)
    message = mailbox.wait_for("operator@firma.example")
    assert "Cotygodniowe podsumowanie" in str(message["Subject"])
    assert mailbox.to("viewer@firma.example") == []


def test_a_switched_off_rule_clears_its_alert(tenant):
    PoolEntry.objects.create(tenant=tenant, message_type="eco", remaining=7, synced_at=timezone.now())
    evaluation.evaluate(tenant.pk)
    AlertRule.objects.filter(tenant=tenant, kind=RuleKind.SMS_POOL_BELOW).update(enabled=False)
    evaluation.evaluate(tenant.pk)
    assert Alert.objects.get().cleared_at is not None


@pytest.mark.parametrize(
    "address",
    [
        "https://127.0.0.1/hooks",
        "https://localhost:8443/hooks",
        "https://10.1.2.3/hooks",
        "https://172.16.0.9/hooks",
        "https://192.168.1.1/hooks",
        "https://169.254.169.254/latest",
        "https://[fd00::1]/hooks",
        "https://[::1]/hooks",
    ],
)
def test_outside_development_an_endpoint_cannot_point_into_a_private_network(
    tenant, tenant_admin, english, settings, address
):
    settings.DEBUG = settings.PROVIDER_SANDBOXES_ALLOWED = False
    refused = english(tenant_admin).post(url("alerts:endpoint-add", tenant), {"url": address})
    assert refused.status_code == 400
    assert "Use a public address on the internet" in refused.content.decode()
    assert not WebhookEndpoint.objects.filter(tenant=tenant).exists()


def test_a_delivery_to_an_address_now_inside_a_private_network_is_given_up_with_the_reason(
    tenant, tenant_admin, endpoint, receiver, english, settings
):
    # Saved while allowed; by the time it is sent the address leads inside (as a renamed host would).
    settings.DEBUG = settings.PROVIDER_SANDBOXES_ALLOWED = False
    delivery = notify.test_event(endpoint)
    tasks.deliver_notification(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.poll_status == Delivery.PollStatus.FAILED and delivery.attempts <= 1
    assert receiver.events == [] and receiver.refused == []
    log = english(tenant_admin).get(url("alerts:deliveries", tenant)).content.decode()
    assert "leads into a private network" in log and "127.0.0.1" in log and "given up" in log


def test_an_admin_changes_an_endpoints_events_and_switches_it_off_and_on(
    tenant, tenant_admin, operator, endpoint, receiver, english
):
    client = english(tenant_admin)
    edit = url("alerts:endpoint-edit", tenant, endpoint_id=endpoint.pk)
    prefix = f"endpoint-{endpoint.pk}"
    response = client.post(edit, {f"{prefix}-events": ["alert.fired"], f"{prefix}-description": "ERP"})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.events == ["alert.fired"] and not endpoint.enabled and endpoint.url == receiver.url
    page = client.get(url("alerts:channels", tenant)).content.decode()
    assert "switched off" in page and WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()

    # Switched off: nothing is queued or sent to it, not even a test or a resend.
    notify.publish(tenant.pk, "alert.fired", {"rule": "x"})
    assert not Delivery.objects.exists()
    refused = client.post(url("alerts:endpoint-test", tenant, endpoint_id=endpoint.pk), follow=True)
    assert "The endpoint is switched off" in refused.content.decode() and not Delivery.objects.exists()

    client.post(edit, {f"{prefix}-events": ["alert.fired"], f"{prefix}-enabled": "on"})
    endpoint.refresh_from_db()
    assert endpoint.enabled
    client.post(url("alerts:endpoint-test", tenant, endpoint_id=endpoint.pk))
    tasks.deliver_notification(Delivery.objects.get().pk)
    assert [event["type"] for event in receiver.events] == ["test"]
    changes = AuditEvent.objects.filter(tenant=tenant, action="webhook_endpoint.change").order_by("pk")
    assert [event.changes.get("on") for event in changes] == [[True, False], [False, True]]

    bad = client.post(edit, {f"{prefix}-events": ["no.such.event"], f"{prefix}-enabled": "on"}, follow=True)
    assert "The endpoint was not changed" in bad.content.decode()
    assert english(operator).post(edit, {f"{prefix}-enabled": "on"}).status_code == 403
    assert client.get(edit).status_code == 405


def test_a_queued_delivery_to_an_endpoint_switched_off_since_is_given_up(tenant, endpoint, receiver):
    delivery = notify.test_event(endpoint)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)
    tasks.deliver_notification(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.poll_status == Delivery.PollStatus.FAILED and "switched off" in delivery.last_error
    assert receiver.events == []


def test_why_a_delivery_was_given_up_reads_in_the_viewers_language(
    tenant, tenant_admin, endpoint, receiver, login, settings
):
    deleted = notify.test_event(endpoint)
    settings.DEBUG, settings.PROVIDER_SANDBOXES_ALLOWED = False, True
    plain_http = notify.test_event(endpoint)
    tasks.deliver_notification(plain_http.pk)
    endpoint.delete()
    tasks.deliver_notification(deleted.pk)

    polish = login(tenant_admin).get(url("alerts:deliveries", tenant)).content.decode()

    assert "the endpoint was deleted" not in polish and "only https://" not in polish
    assert "Nie wysłano: adres został usunięty." in polish
    assert "Nie wysłano: zdarzenia otrzymują tylko adresy https://." in polish


def test_the_home_counts_last_months_calls_in_words(tenant, viewer, login, settings):
    """The same days of last month read as a count with its noun in both languages, and "none" when there
    were none, instead of "calls: 0"."""

    def home(language: str) -> str:
        client = login(viewer)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return client.get(url("tenant-home", tenant)).content.decode()

    _provider_state(tenant, calls=0)
    polish = home("pl")
    assert "Te same dni poprzedniego miesiąca: brak połączeń." in polish
    assert "połączenia: 0" not in polish
    assert "Same days of last month: no calls." in home("en")

    last_month_first = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    at = timezone.make_aware(datetime.combine(last_month_first, time(10)))
    _answered_calls(tenant, [at, at], seconds=60, first_id=1000)
    polish = home("pl")
    assert "Te same dni poprzedniego miesiąca: 2 połączenia, około 8,00\xa0zł." in polish
    assert "Same days of last month: 2 calls, about 8.00\xa0zł." in home("en")
