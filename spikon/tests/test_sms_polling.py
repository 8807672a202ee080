"""Following the delivery state of an SMS: the claim of PolledJob, the poll task, the sweeper, a real worker."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from providers.tasks import sweep_jobs
from spikon import services, tasks
from spikon.models import SmsBatch, SmsMessage

pytestmark = pytest.mark.django_db


def accepted_message(account, sandbox_sms_id: int, **fields) -> SmsMessage:
    batch = SmsBatch.objects.create(tenant=account.tenant, sender="SMS", text="Test")
    message = SmsMessage(
        tenant=account.tenant,
        batch=batch,
        recipient="601000111",
        send_status=SmsMessage.SendStatus.ACCEPTED,
        provider_id=sandbox_sms_id,
        sent_at=timezone.now(),
        **fields,
    )
    message.start_polling(now=timezone.now() - timedelta(minutes=1))
    message.save()
    return message


def sent_at_sandbox(account, to: str = "601000111") -> int:
    return account.client(in_request=True).send_sms(to, "Test", "SMS")[0]


def wait_for(condition, timeout: float = 40.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


# --- the claim ---------------------------------------------------------------------------------------------


def test_only_one_worker_claims_a_due_job(spikon_account):
    message = accepted_message(spikon_account, 1)

    first = SmsMessage.claim(message.pk)
    second = SmsMessage.claim(message.pk)

    assert first is not None and first.poll_status == "polling" and first.attempts == 1
    assert second is None


def test_a_job_not_yet_due_or_final_is_not_claimed(spikon_account):
    message = accepted_message(spikon_account, 1)
    SmsMessage.objects.filter(pk=message.pk).update(next_poll_at=timezone.now() + timedelta(minutes=1))
    assert SmsMessage.claim(message.pk) is None
    SmsMessage.objects.filter(pk=message.pk).update(poll_status="finished", next_poll_at=None)
    assert SmsMessage.claim(message.pk) is None


def test_a_claim_that_ran_out_can_be_taken_over_and_the_old_holder_cannot_write(spikon_account):
    message = accepted_message(spikon_account, 1)
    stale = SmsMessage.claim(message.pk)
    SmsMessage.objects.filter(pk=message.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))

    fresh = SmsMessage.claim(message.pk)

    assert fresh is not None and fresh.attempts == 2
    assert stale.finish(delivery=5) is False  # it lost the claim: its late answer is dropped
    assert fresh.finish(delivery=3) is True
    message.refresh_from_db()
    assert (message.poll_status, message.delivery) == ("finished", 3)


def test_backoff_grows_and_is_capped():
    delays = [SmsMessage.backoff(attempts) for attempts in (1, 2, 3, 4, 20)]
    assert delays[:4] == [timedelta(seconds=s) for s in (1, 2, 4, 8)]
    assert delays[4] == SmsMessage.BACKOFF_MAX


def test_a_job_out_of_time_ends_failed_with_the_reason(spikon_account):
    message = accepted_message(spikon_account, 1)
    SmsMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - SmsMessage.GIVE_UP_AFTER)
    claimed = SmsMessage.claim(message.pk)

    assert claimed.poll_again(delivery=4) is False

    message.refresh_from_db()
    assert (message.poll_status, message.delivery) == ("failed", 4)
    assert message.last_error and message.finished_at is not None
    assert message.shown_state[1] == "warning"


# --- the poll task against the sandbox ---------------------------------------------------------------------


def test_polls_follow_the_sandbox_to_delivered(spikon_account, sandbox, django_capture_on_commit_callbacks):
    message = accepted_message(spikon_account, sent_at_sandbox(spikon_account))
    states = []
    for _ in range(3):
        SmsMessage.objects.filter(pk=message.pk).update(next_poll_at=timezone.now())
        with django_capture_on_commit_callbacks(execute=False) as nudges:
            tasks.poll_sms_state(message.pk)
        message.refresh_from_db()
        states.append((message.delivery, message.poll_status, len(nudges)))
    # The last callback is no poll: it announces "sms.delivered" (providers.events).
    assert states == [(1, "waiting", 1), (4, "waiting", 1), (5, "finished", 1)]
    assert message.attempts == 3 and message.finished_at is not None


@pytest.mark.parametrize(("outcome", "final"), [(3, 3), (2, 2)])
def test_a_failed_delivery_ends_in_its_state(spikon_account, sandbox, outcome, final):
    sandbox.set_sms_outcome("601000222", outcome)
    message = accepted_message(spikon_account, sent_at_sandbox(spikon_account, "601000222"))
    for _ in range(4):
        SmsMessage.objects.filter(pk=message.pk).update(next_poll_at=timezone.now())
        tasks.poll_sms_state(message.pk)
    message.refresh_from_db()
    assert (message.delivery, message.poll_status) == (final, "finished")
    if final == 2:
        assert message.delivery_error == "Wiadomość odrzucona przez operatora"


def test_no_funds_is_final(spikon_account, sandbox):
    sandbox.balance = 0
    message = accepted_message(spikon_account, sent_at_sandbox(spikon_account))
    tasks.poll_sms_state(message.pk)
    message.refresh_from_db()
    assert (message.delivery, message.poll_status) == (-1, "finished")


def test_an_unreachable_provider_means_poll_again_later(spikon_account, sandbox):
    message = accepted_message(spikon_account, sent_at_sandbox(spikon_account))
    sandbox.set_fault("/api/sms/state", "500")

    tasks.poll_sms_state(message.pk)

    message.refresh_from_db()
    assert message.poll_status == "waiting" and message.next_poll_at > timezone.now()
    assert "HTTP 500" in message.last_error and message.delivery is None


def test_an_id_the_provider_does_not_know_ends_the_job(spikon_account, sandbox):
    message = accepted_message(spikon_account, 4242)
    tasks.poll_sms_state(message.pk)
    message.refresh_from_db()
    assert message.poll_status == "failed" and "Could not find sms" in message.last_error


def test_the_sweeper_nudges_overdue_jobs_only(spikon_account, monkeypatch):
    overdue = accepted_message(spikon_account, 1)
    fresh = accepted_message(spikon_account, 2)
    SmsMessage.objects.filter(pk=fresh.pk).update(next_poll_at=timezone.now())
    nudged = []
    monkeypatch.setattr(tasks.poll_sms_state, "delay", nudged.append)

    sweep_jobs()

    assert nudged == [overdue.pk]


def test_the_beat_schedule_runs_the_fan_out_and_the_sweeper(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["spikon-sync-account-and-phonebooks"] == {
        "task": "spikon.tasks.queue_scheduled_syncs",
        "schedule": 900.0,
        "args": (["account", "phonebooks"],),
    }
    assert schedule["providers-sweep-jobs"]["task"] == "providers.tasks.sweep_jobs"


# --- a real worker -----------------------------------------------------------------------------------------


@pytest.mark.worker
def test_a_real_worker_follows_sent_sms_and_the_sweeper_requeues_a_lost_one(
    real_worker, spikon_account, sandbox
):
    batch = SmsBatch.objects.create(
        tenant=spikon_account.tenant, sender="SMS", text="Hej"
    )
    sent = SmsMessage.objects.create(tenant=spikon_account.tenant, batch=batch, recipient="601000111")
    # Accepted and due for a minute, but its Celery message never arrived (a flushed Redis, say).
    lost = accepted_message(spikon_account, sent_at_sandbox(spikon_account, "601000222"))

    services.send_batch(spikon_account, batch)  # queues the first poll of `sent` on commit
    sweep_jobs()  # finds `lost` overdue and nudges it

    both = SmsMessage.objects.filter(pk__in=[sent.pk, lost.pk], delivery=5, poll_status="finished")
    assert wait_for(lambda: both.count() == 2), real_worker.log_path.read_text()[-3000:]
    assert list(SmsMessage.objects.filter(pk__in=[sent.pk, lost.pk]).values_list("attempts", flat=True)) == [
        3,
        3,
    ]
    assert sandbox.request_count("/api/sms/send") == 2
    assert sandbox.request_count("/api/sms/state") == 6
