"""Alerts fire once, stay open and clear; each moment is told by email (real SMTP, in the member's language)
and by a signed webhook (a real receiver verifying with the Standard Webhooks library); a delivery that fails
is retried with a growing pause and given up after a day."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from accounts.models import SyncStatus
from alerts import digest, evaluation, notify, sending, tasks
from alerts.models import Alert, AlertRule, Delivery, MemberNotifications, RuleKind
from providers.texts import shown
from sms.models import PoolEntry
from spikon.models import PhoneAccount, SpikonAccount


def run_deliveries() -> None:
    """Send every due delivery here, as the worker would."""
    for delivery_id in Delivery.objects.filter(poll_status=Delivery.PollStatus.WAITING).values_list(
        "pk", flat=True
    ):
        tasks.deliver_notification(delivery_id)


def pool(tenant, remaining: int) -> None:
    PoolEntry.objects.update_or_create(
        tenant=tenant, message_type="eco", defaults={"remaining": remaining, "synced_at": timezone.now()}
    )


def test_a_new_tenant_starts_with_the_default_rules(tenant):
    kinds = sorted(AlertRule.objects.filter(tenant=tenant).values_list("kind", flat=True))
    assert kinds == sorted(kind for kind, _threshold, _type in evaluation.DEFAULT_RULES)
    assert set(kinds) == set(RuleKind.values)


def test_an_alert_fires_once_stays_open_and_clears_and_both_moments_are_told(
    tenant, told_admin, endpoint, receiver, mailbox
):
    pool(tenant, 40)  # the default eco rule watches for fewer than 100
    evaluation.evaluate(tenant.pk)
    evaluation.evaluate(tenant.pk)  # still below: nothing new
    run_deliveries()

    alert = Alert.objects.get(tenant=tenant)
    assert alert.is_open and alert.value_at_fire == 40 and alert.threshold == 100
    assert [event["type"] for event in receiver.events] == ["alert.fired"]
    assert receiver.events[0]["data"]["value"] == "40" and receiver.events[0]["data"]["message_type"] == "eco"
    assert receiver.refused == []
    fired = mailbox.wait_for("admin@firma.example")
    assert fired["Subject"] == f"[{tenant.name}] Alert: SerwerSMS.pl messages running out: ECO"
    assert "Threshold: 100" in mailbox.body(fired)

    pool(tenant, 30)
    evaluation.evaluate(tenant.pk)
    assert Alert.objects.get(pk=alert.pk).value == 30  # the figure follows; nobody is told again
    assert Delivery.objects.count() == 2

    pool(tenant, 500)
    evaluation.evaluate(tenant.pk)
    evaluation.evaluate(tenant.pk)
    run_deliveries()
    alert.refresh_from_db()
    assert alert.cleared_at is not None and not alert.is_open
    assert [event["type"] for event in receiver.events] == ["alert.fired", "alert.cleared"]
    cleared = mailbox.wait_for("admin@firma.example", count=2)
    assert cleared["Subject"] == f"[{tenant.name}] Cleared: SerwerSMS.pl messages running out: ECO"
    assert len(mailbox.messages) == 2
    assert set(Delivery.objects.values_list("poll_status", flat=True)) == {Delivery.PollStatus.FINISHED}
    assert set(Delivery.objects.filter(channel="webhook").values_list("response_code", flat=True)) == {204}

    pool(tenant, 10)  # a new episode is a new alert
    evaluation.evaluate(tenant.pk)
    assert Alert.objects.filter(tenant=tenant, cleared_at__isnull=True).count() == 1


def test_emails_are_in_each_members_language(tenant, told_admin, operator, mailbox):
    operator.email = "operator@firma.example"
    operator.save(update_fields=["email"])
    MemberNotifications.objects.create(tenant=tenant, user=operator, alert_emails=True, language="pl")
    pool(tenant, 1)
    evaluation.evaluate(tenant.pk)
    run_deliveries()
    polish = mailbox.wait_for("operator@firma.example")
    assert polish["Subject"].strip() == f"[{tenant.name}] Alarm: Kończą się wiadomości SerwerSMS.pl: ECO"
    assert "Próg: 100" in mailbox.body(polish)
    assert mailbox.wait_for("admin@firma.example")["Subject"].startswith(f"[{tenant.name}] Alert:")


def test_emails_link_to_the_dashboard_at_its_public_address(tenant, told_admin, mailbox, settings):
    settings.SITE_URL = "https://panel.example.com"
    pool(tenant, 1)
    evaluation.evaluate(tenant.pk)
    digest.send_all()
    run_deliveries()
    mailbox.wait_for("admin@firma.example", count=2)
    bodies = [mailbox.body(message) for message in mailbox.to("admin@firma.example")]
    alerts_page = f"https://panel.example.com/t/{tenant.slug}/alerts/"
    assert all(alerts_page in body for body in bodies), bodies
    assert any(f"https://panel.example.com/t/{tenant.slug}/alerts/mine/" in body for body in bodies)


def test_without_a_public_address_emails_name_the_page_without_a_link(tenant, told_admin, mailbox, settings):
    settings.SITE_URL = ""
    pool(tenant, 1)
    evaluation.evaluate(tenant.pk)
    run_deliveries()
    body = mailbox.body(mailbox.wait_for("admin@firma.example"))
    assert "The dashboard's Alerts page lists every alert" in body and "http" not in body


def test_no_email_rows_while_email_is_off(tenant, told_admin, settings):
    settings.EMAIL_ENABLED = False
    pool(tenant, 1)
    evaluation.evaluate(tenant.pk)
    assert Alert.objects.get(tenant=tenant).is_open
    assert not Delivery.objects.filter(channel="email").exists()


def test_a_sip_account_fires_only_after_the_rules_minutes(tenant, endpoint):
    PhoneAccount.objects.create(tenant=tenant, provider_id=7, number="221234567", registration_state=0)
    evaluation.evaluate(tenant.pk)
    alert = Alert.objects.get(tenant=tenant, rule__kind=RuleKind.SIP_UNREGISTERED)
    assert alert.fired_at is None and not Delivery.objects.exists()

    Alert.objects.filter(pk=alert.pk).update(condition_since=timezone.now() - timedelta(minutes=16))
    evaluation.evaluate(tenant.pk)
    assert Alert.objects.get(pk=alert.pk).is_open
    assert Delivery.objects.get().event_type == "alert.fired"


def test_a_condition_that_ends_before_firing_leaves_no_alert(tenant, endpoint):
    account = PhoneAccount.objects.create(
        tenant=tenant, provider_id=7, number="221234567", registration_state=0
    )
    evaluation.evaluate(tenant.pk)
    account.registration_state = 1
    account.save()
    evaluation.evaluate(tenant.pk)
    assert not Alert.objects.exists() and not Delivery.objects.exists()


def test_balances_syncs_and_switched_off_rules(tenant, endpoint):
    SpikonAccount.objects.create(tenant=tenant, api_key="k", balance=Decimal("-12.50"))
    SyncStatus.objects.create(
        tenant=tenant, provider="sms", resource="account", failing_since=timezone.now() - timedelta(hours=7)
    )
    evaluation.evaluate(tenant.pk)
    open_kinds = set(Alert.objects.filter(cleared_at__isnull=True).values_list("rule__kind", flat=True))
    assert open_kinds == {RuleKind.SPIKON_BALANCE_BELOW, RuleKind.SYNC_FAILING}

    AlertRule.objects.filter(tenant=tenant, kind=RuleKind.SPIKON_BALANCE_BELOW).update(enabled=False)
    evaluation.evaluate(tenant.pk)
    spikon_alert = Alert.objects.get(rule__kind=RuleKind.SPIKON_BALANCE_BELOW)
    assert spikon_alert.cleared_at is not None


def test_a_failed_webhook_is_retried_with_backoff_and_given_up_after_a_day(tenant, endpoint, receiver):
    receiver.status = 503
    notify.test_event(endpoint)
    delivery = Delivery.objects.get()
    tasks.deliver_notification(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.poll_status == Delivery.PollStatus.WAITING and delivery.response_code == 503
    assert delivery.next_poll_at > timezone.now() + timedelta(seconds=20)
    with translation.override("en"):
        assert shown(delivery.last_error) == "Refused with HTTP status 503."

    Delivery.objects.filter(pk=delivery.pk).update(
        next_poll_at=timezone.now(), created_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    tasks.deliver_notification(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.poll_status == Delivery.PollStatus.FAILED

    receiver.status = 200
    again = notify.resend(delivery)
    tasks.deliver_notification(again.pk)
    again.refresh_from_db()
    assert again.poll_status == Delivery.PollStatus.FINISHED and again.event_id != delivery.event_id
    assert [event["type"] for event in receiver.events] == ["test", "test", "test"]


def test_a_wrong_secret_fails_the_receivers_check(tenant, endpoint, receiver):
    receiver.secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    notify.test_event(endpoint)
    tasks.deliver_notification(Delivery.objects.get().pk)
    assert receiver.events == [] and len(receiver.refused) == 1
    assert Delivery.objects.get().response_code == 400


def test_the_signature_follows_standard_webhooks(endpoint):
    # Known answer from the Standard Webhooks specification's test vector.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert sending.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_outside_development_only_https_receives_events(tenant, endpoint, receiver, settings):
    settings.DEBUG = False
    notify.test_event(endpoint)
    tasks.deliver_notification(Delivery.objects.get().pk)
    assert receiver.events == [] and Delivery.objects.get().last_error


@pytest.mark.django_db
def test_an_event_goes_only_to_endpoints_that_want_it(tenant, endpoint, receiver):
    endpoint.events = ["sms.failed"]
    endpoint.save()
    notify.publish(tenant, "sms.delivered", {"id": 1})
    notify.publish(tenant, "sms.failed", {"id": 2})
    run_deliveries()
    assert [event["data"] for event in receiver.events] == [{"id": 2}]


def test_billed_minutes_below_the_same_weekdays_average(tenant, endpoint):
    from premium.models import Call

    now = timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = timezone.localtime(now) - start

    def call(call_id: int, number: str, day_start, seconds: int) -> Call:
        return Call(
            tenant=tenant,
            call_id=call_id,
            number=number,
            caller="601000000",
            redirected_to="221234567",
            started_at=day_start + elapsed / 2,
            ended_at=day_start + elapsed / 2,
            duration=seconds,
            billed_seconds=seconds,
            disposition="ANSWERED",
            redirect_cost=0,
        )

    rows = []
    for week in range(1, 5):  # usually 40 min on the busy number and 2 min on a quiet one by now
        rows += [call(week * 10, "700100200", start - timedelta(weeks=week), 2400)]
        rows += [call(week * 10 + 1, "700300400", start - timedelta(weeks=week), 120)]
    rows += [call(1, "700100200", start, 600), call(2, "700300400", start, 10)]  # today: 10 min and 10 s
    Call.objects.bulk_create(rows)

    evaluation.evaluate(tenant.pk)
    found = {
        alert.subject_key: alert.value for alert in Alert.objects.filter(rule__kind=RuleKind.REVENUE_DROP)
    }
    # The tenant at 610 s of 2520 s usual (24.2 %) and the busy number at 25 %; the quiet one is not judged.
    assert found == {"revenue": Decimal("24.2"), "revenue:700100200": Decimal("25.0")}


def test_a_number_with_calls_and_none_answered_is_a_dead_redirect(tenant, endpoint):
    from premium.models import Call

    now = timezone.now()

    def call(call_id: int, number: str, disposition: str) -> Call:
        return Call(
            tenant=tenant,
            call_id=call_id,
            number=number,
            caller="601000000",
            redirected_to="221234567",
            started_at=now - timedelta(minutes=30),
            ended_at=now,
            duration=0,
            billed_seconds=0,
            disposition=disposition,
            redirect_cost=0,
        )

    Call.objects.bulk_create(
        [call(1, "700100200", "NO ANSWER"), call(2, "700100200", "BUSY"), call(3, "700300400", "ANSWERED")]
    )
    evaluation.evaluate(tenant.pk)
    alert = Alert.objects.get(rule__kind=RuleKind.DEAD_REDIRECT)
    # The title is in the active language, which an earlier test's English request may have left active.
    with translation.override("pl"):
        assert (alert.subject, alert.value, alert.title) == (
            "700100200",
            2,
            "Brak odebranych połączeń: 700100200",
        )


def test_money_in_alert_and_digest_emails_reads_in_each_members_language(
    tenant, told_admin, operator, mailbox
):
    operator.email = "operator@firma.example"
    operator.save(update_fields=["email"])
    MemberNotifications.objects.create(tenant=tenant, user=operator, alert_emails=True, language="pl")
    SpikonAccount.objects.create(tenant=tenant, api_key="k", balance=Decimal("1234.56"))
    AlertRule.objects.filter(tenant=tenant, kind=RuleKind.SPIKON_BALANCE_BELOW).update(threshold=2000)
    evaluation.evaluate(tenant.pk)
    assert digest.send_all() >= 2
    run_deliveries()
    mailbox.wait_for("operator@firma.example", count=2)
    mailbox.wait_for("admin@firma.example", count=2)
    polish = [mailbox.body(message) for message in mailbox.to("operator@firma.example")]
    english = [mailbox.body(message) for message in mailbox.to("admin@firma.example")]
    for body in polish:
        assert "1\xa0234,56\xa0zł" in body, body
    assert any("Próg: 2\xa0000,00\xa0zł" in body for body in polish)
    for body in english:
        assert "1,234.56\xa0zł" in body, body
    assert any("Threshold: 2,000.00\xa0zł" in body for body in english)
    for body in polish:
        assert not re.search(r"\d\.\d\d\s*zł", body), body
