"""105 SPIKON jobs of every kind survive a worker killed mid-poll and a flushed broker, and none is done twice.

34 call history reports, 33 announcements and 33 SMS deliveries are followed by a real Celery worker against
the sandbox over HTTP, each needing several polls. The worker is killed with SIGKILL while it polls; five
phonebook imports are started while no worker runs; every message in the broker is flushed, a new worker
starts and the one sweeper (providers.tasks.sweep_jobs) runs as beat runs it: every job still reaches its
end, and nothing that acts or stores is done twice.

The broker is one of the test's own: with Redis (as in CI) database 15, flushed with FLUSHDB, for this
test process and its workers alike; with the development broker (files), the test's own queue, purged.
The SWEEP_GRACE and CLAIM_LEASE that the sweeper waits for are minutes: the test moves the jobs' times
back by that much, as if the minutes had passed, instead of waiting them out.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import F
from django.utils import timezone

from config.celery import QUEUES, app
from providers.tasks import sweep_jobs
from spikon import services, sync, tasks
from spikon.models import (
    CallDirection,
    CallHistoryReport,
    CallRecord,
    PhoneBook,
    PhoneBookImport,
    PhoneBookImportRow,
    SmsBatch,
    SmsMessage,
    TtsAnnouncement,
)
from tests.faults import files_under

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

REPORTS, ANNOUNCEMENTS, MESSAGES = 34, 33, 33
IMPORTS, ROWS_PER_IMPORT = 5, 4
TEST_REDIS_DB = 15
# Longer than every lease and sweep grace: how far the jobs' clocks are moved on while no worker runs.
SWEEP_EVERY_SECONDS = 5
MINUTES_WITHOUT_A_WORKER = max(
    model.CLAIM_LEASE + model.SWEEP_GRACE
    for model in (CallHistoryReport, TtsAnnouncement, SmsMessage, PhoneBookImport)
) + timedelta(minutes=1)


def _test_redis_url() -> str | None:
    if not getattr(settings, "REDIS_URL", ""):
        return None
    parts = urlsplit(settings.REDIS_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{TEST_REDIS_DB}", parts.query, ""))


@contextmanager
def _broker(url: str | None) -> Iterator[None]:
    """This process sends its tasks to `url` (None: the configured broker) until the block ends."""
    previous = app.conf.broker_url
    if url:
        app.conf.broker_url = url
    _forget_connections()
    try:
        yield
    finally:
        app.conf.broker_url = previous
        _forget_connections()


def _forget_connections() -> None:
    # Celery keeps a connection and a producer pool per app; the next task sent takes the pools of the new
    # URL. The pools themselves are kombu's, shared per URL: closing them would break later tests.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker_environment(media_root):
    """The workers use this test's broker (Redis database 15 in CI) and its media folder."""
    url = _test_redis_url()
    if url:
        redis.Redis.from_url(url).flushdb()
    with _broker(url):
        yield {"MEDIA_ROOT": str(media_root), **({"REDIS_URL": url} if url else {})}
    if url:
        redis.Redis.from_url(url).flushdb()


def _flush_broker() -> int:
    """Every message is lost: the queued nudges, the ones a worker had reserved, the scheduled ones.

    Returns how many there were (Redis: keys of the test's database; files: messages of its queue).
    """
    url = _test_redis_url()
    if url:
        broker = redis.Redis.from_url(url)
        keys = broker.dbsize()
        broker.flushdb()
        return keys
    with app.connection_for_write() as connection:
        return sum(connection.default_channel.queue_purge(queue) or 0 for queue in QUEUES)


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _jobs() -> list:
    return [CallHistoryReport.objects, TtsAnnouncement.objects, SmsMessage.objects, PhoneBookImport.objects]


def _polling() -> int:
    return sum(jobs.filter(poll_status="polling").count() for jobs in _jobs())


def _attempts() -> list[int]:
    return [attempts for jobs in _jobs() for attempts in jobs.values_list("attempts", flat=True)]


def _unfinished() -> int:
    return sum(jobs.exclude(poll_status__in=["finished", "failed"]).count() for jobs in _jobs())


def _start_the_jobs(account, sandbox) -> None:
    """What the pages do: order reports, generate announcements, send SMS; each nudges its first poll."""
    today = timezone.localdate()
    for index in range(REPORTS):
        services.order_call_history(
            account,
            None,
            direction=CallDirection.BOTH,
            date_start=today - timedelta(days=20 + index),
            date_end=today,
            recordings_only=False,
            number="",
        )
    client = account.client(in_request=True)
    for index in range(ANNOUNCEMENTS):
        name = f"Zapowiedź {index + 1}"
        item = TtsAnnouncement(tenant=account.tenant, name=name, voice="Ewa", text="Dzień dobry.")
        item.provider_id = client.generate_tts("Ewa", name, "Dzień dobry.")
        item.state = TtsAnnouncement.State.PENDING
        item.start_polling()
        item.save()
        tasks.poll_announcement.apply_async_on_commit((item.pk,), eta=item.next_poll_at)
    batch = SmsBatch.objects.create(tenant=account.tenant, sender="INFO", text="Test")
    SmsMessage.objects.bulk_create(
        SmsMessage(tenant=account.tenant, batch=batch, recipient=f"601{index:06d}")
        for index in range(MESSAGES)
    )
    outcome = services.send_batch(account, batch)
    assert outcome == {SmsMessage.SendStatus.ACCEPTED: MESSAGES}


def _start_the_imports(account) -> None:
    """What an import's Start button does: its previewed rows to add, the job due, its first run queued."""
    sync.sync_phonebooks(account.tenant_id)
    book = PhoneBook.objects.filter(tenant=account.tenant).first()
    for index in range(IMPORTS):
        job = PhoneBookImport(
            tenant=account.tenant, book=book, file_name=f"klienci-{index}.csv", stage=PhoneBookImport.Stage.IMPORTING
        )
        job.start_polling()
        job.save()
        PhoneBookImportRow.objects.bulk_create(
            PhoneBookImportRow(
                row_import=job,
                line=row + 1,
                name=f"Klient {index}-{row}",
                number=f"60{index}{row:06d}",
                status=PhoneBookImportRow.Status.TO_ADD,
            )
            for row in range(ROWS_PER_IMPORT)
        )
        tasks.run_phonebook_import.apply_async_on_commit((job.pk,))


POLL_PATHS = {
    "/api/call_list/list",
    "/api/call_list/show",
    "/api/tts/status",
    "/api/tts/download",
    "/api/sms/state",
}
KILLED_AT_POLL = 40  # of the first worker's requests to the sandbox: the one it dies waiting for


def _kill_the_worker_mid_poll(sandbox, worker) -> None:
    """The worker dies with SIGKILL while the sandbox holds its KILLED_AT_POLL-th poll request."""
    arrived = 0
    arrive = sandbox.arrive

    def arrive_and_kill(path: str):
        nonlocal arrived
        if path in POLL_PATHS:
            arrived += 1
            if arrived == KILLED_AT_POLL:
                os.kill(worker.process.pid, signal.SIGKILL)
                worker.process.wait()
        return arrive(path)

    sandbox.arrive = arrive_and_kill


def test_every_job_completes_once_after_a_killed_worker_and_a_flushed_broker(
    worker_environment, real_worker, spikon_account, sandbox, media_root
):
    sandbox.report_polls = 2  # each report: two checks before it is generated, then the fetch
    sandbox.tts_polls = 2  # each announcement: two checks, then the two downloads
    _kill_the_worker_mid_poll(sandbox, real_worker)
    _start_the_jobs(spikon_account, sandbox)
    assert _unfinished() == REPORTS + ANNOUNCEMENTS + MESSAGES

    assert wait_for(lambda: real_worker.process.poll() is not None, timeout=30), (
        real_worker.log_path.read_text()[-3000:]
    )
    assert real_worker.process.returncode == -signal.SIGKILL
    assert _polling() == 1, "the dead worker left the job it was polling claimed"
    assert _unfinished() > 0
    _start_the_imports(spikon_account)  # their messages wait for a worker, and are lost with the others

    assert _flush_broker() > 0
    # No worker for a while: the dead worker's lease runs out and the jobs' turns pass unanswered.
    for jobs in _jobs():
        jobs.exclude(poll_status__in=["finished", "failed"]).update(
            next_poll_at=F("next_poll_at") - MINUTES_WITHOUT_A_WORKER,
            claimed_until=F("claimed_until") - MINUTES_WITHOUT_A_WORKER,
        )
    real_worker.start_again()
    assert wait_for(lambda: "ready." in real_worker.log_path.read_text(), timeout=30)
    checks_made = sum(_attempts())
    time.sleep(1)
    assert sum(_attempts()) == checks_made, "every nudge was lost: without the sweeper nothing moves"

    last_sweep = 0.0

    def done() -> bool:
        nonlocal last_sweep
        if time.monotonic() - last_sweep > SWEEP_EVERY_SECONDS:  # as beat runs the sweepers, only faster
            sweep_jobs()
            last_sweep = time.monotonic()
        return _unfinished() == 0

    assert wait_for(done, timeout=45), real_worker.log_path.read_text()[-4000:]

    # Every job reached its end...
    assert set(CallHistoryReport.objects.values_list("state", flat=True)) == {CallHistoryReport.State.STORED}
    assert set(TtsAnnouncement.objects.values_list("state", flat=True)) == {TtsAnnouncement.State.STORED}
    assert set(SmsMessage.objects.values_list("delivery", flat=True)) == {SmsMessage.Delivery.DELIVERED}
    assert SmsMessage.objects.count() == MESSAGES and TtsAnnouncement.objects.count() == ANNOUNCEMENTS
    assert set(PhoneBookImport.objects.values_list("stage", flat=True)) == {PhoneBookImport.Stage.DONE}
    assert set(PhoneBookImportRow.objects.values_list("status", flat=True)) == {PhoneBookImportRow.Status.ADDED}
    # ...and nothing that acts was done twice: the sweeper and the new worker only ever poll.
    assert sandbox.request_count("/api/call_list/order") == REPORTS
    assert sandbox.request_count("/api/tts/generate") == ANNOUNCEMENTS
    assert sandbox.request_count("/api/sms/send") == MESSAGES
    assert sandbox.request_count("/api/phone_book_element/add") == IMPORTS * ROWS_PER_IMPORT
    # Each report's calls stored once: the widest range holds every other's calls, one row per call.
    stored = CallRecord.objects.filter(tenant=spikon_account.tenant)
    counts = list(CallHistoryReport.objects.order_by("date_start").values_list("calls_stored", flat=True))
    assert stored.count() == counts[0] > 0 and counts == sorted(counts, reverse=True)
    # Each announcement's audio stored once: its own MP3 and WAV, and a download redone only for the job
    # whose poll was killed.
    names = [name for pair in TtsAnnouncement.objects.values_list("audio_mp3", "audio_wav") for name in pair]
    assert len(set(names)) == 2 * ANNOUNCEMENTS and all(default_storage.exists(name) for name in names)
    assert 2 * ANNOUNCEMENTS <= sandbox.request_count("/api/tts/download") <= 2 * ANNOUNCEMENTS + 2
    kept = {name for name in files_under(media_root) if "ttsannouncement" in name}
    assert len(kept - set(names)) <= 1, "at most the killed poll's unfinished download is left over"
