"""End to end with a real Celery worker: the SerwerSMS.pl sandbox's pool pushed below a rule's threshold gives
exactly one "fired" email (through an SMTP server that wants STARTTLS, as in production) and one signed
webhook after the next sync, nothing more while it stays low, and exactly one "cleared" of each once it
recovers."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import SyncStatus
from alerts.models import Alert, AlertRule, Delivery, RuleKind
from alerts.tests.conftest import wait_for
from sms import sync

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_environment(starttls_mailbox) -> dict[str, str]:
    return starttls_mailbox[1]


def _sync_and_wait_for_the_evaluation(tenant) -> None:
    """Queue the account sync as the schedule would, then wait until the rules were looked at after it."""
    started = timezone.now()
    assert sync.queue_account(tenant)
    assert wait_for(
        lambda: SyncStatus.objects.filter(
            tenant=tenant, provider="sms", resource="account", last_success_at__gt=started
        ).exists()
    )
    assert wait_for(
        lambda: (
            Alert.objects.filter(tenant=tenant, checked_at__gt=started).exists() or not Alert.objects.exists()
        )
    )


def _all_sent() -> bool:
    return not Delivery.objects.exclude(poll_status=Delivery.PollStatus.FINISHED).exists()


def test_a_low_pool_fires_once_and_clears_once_by_email_and_webhook(
    tenant, sms_account, sms_sandbox, told_admin, endpoint, receiver, starttls_mailbox, real_worker
):
    mailbox = starttls_mailbox[0]
    log = real_worker.log_path
    # Only the pool rule here (the sandbox also has an unpaid payment, which its own rule would report).
    AlertRule.objects.filter(tenant=tenant).exclude(kind=RuleKind.SMS_POOL_BELOW).update(enabled=False)

    sms_sandbox.set_pool("eco", 40)  # the default rule: fewer than 100 ECO messages
    _sync_and_wait_for_the_evaluation(tenant)
    mailbox.wait_for("admin@firma.example", timeout=30)
    assert wait_for(lambda: receiver.of_type("alert.fired") and _all_sent()), log.read_text()[-3000:]

    _sync_and_wait_for_the_evaluation(tenant)  # still low: nobody is told again
    assert wait_for(_all_sent)

    sms_sandbox.set_pool("eco", 900)
    _sync_and_wait_for_the_evaluation(tenant)
    cleared = mailbox.wait_for("admin@firma.example", count=2, timeout=30)
    assert wait_for(lambda: receiver.of_type("alert.cleared") and _all_sent()), log.read_text()[-3000:]

    subjects = [str(message["Subject"]).strip() for message in mailbox.messages]
    assert subjects == [
        f"[{tenant.name}] Alert: SerwerSMS.pl messages running out: ECO",
        f"[{tenant.name}] Cleared: SerwerSMS.pl messages running out: ECO",
    ]
    assert "Threshold: 100" in mailbox.body(cleared)
    assert [event["type"] for event in receiver.events] == ["alert.fired", "alert.cleared"]
    assert receiver.events[0]["data"]["value"] == "40" and receiver.refused == []
    alert = Alert.objects.get(tenant=tenant)
    assert alert.value_at_fire == 40 and alert.cleared_at is not None
