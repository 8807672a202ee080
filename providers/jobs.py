"""The job base of every background job that a provider app follows (the row is the truth), its registry
and the one sweeper that recovers any job whose message was lost.

Each app registers its job kinds in AppConfig.ready():

    register_job(SmsMessage, "spikon.tasks.poll_sms_state", settle="spikon.tasks.settle_abandoned_sends")

`providers.tasks.sweep_jobs` (beat, every minute) runs each kind's `settle` (if any), then queues the
kind's task for each of its `overdue()` rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class PolledJob(models.Model):
    """An asynchronous provider job followed by polling; the row is the truth, a Celery message only a nudge.

    Life cycle: WAITING (due at `next_poll_at`) -> POLLING (claimed by one worker until `claimed_until`)
    -> WAITING again (`poll_again`, with a growing backoff) or FINISHED (`finish`) or FAILED (`give_up`,
    with the reason). A poll task does:

        job = Model.claim(job_id)      # None: not due, already claimed by another worker, or final
        if job is None: return
        ... ask the provider ...
        job.finish() / job.poll_again(error="...") / job.give_up("...")

    The sweeper (`overdue()`) finds rows whose poll is due but was not picked up (lost message, restarted
    worker, flushed Redis) and rows whose claim expired (a worker died mid-poll), and nudges them again.
    Subclasses set the class constants to fit their job.
    """

    class PollStatus(models.TextChoices):
        WAITING = "waiting", _("waiting for the next check")
        POLLING = "polling", _("being checked")
        FINISHED = "finished", _("finished")
        FAILED = "failed", _("failed")

    FINAL_POLL_STATUSES = (PollStatus.FINISHED, PollStatus.FAILED)
    # First check after FIRST_POLL_DELAY; then BACKOFF_BASE * 2**(attempts-1), at most BACKOFF_MAX.
    FIRST_POLL_DELAY = timedelta(seconds=5)
    BACKOFF_BASE = timedelta(seconds=10)
    BACKOFF_MAX = timedelta(minutes=30)
    # A job that has not ended after this many polls or this long since it began fails ("expired").
    MAX_ATTEMPTS = 60
    GIVE_UP_AFTER = timedelta(days=3)
    # How long a worker may hold a claim before another may take the job over.
    CLAIM_LEASE = timedelta(minutes=2)
    # The sweeper leaves a due job this long to its own nudge before sending another.
    SWEEP_GRACE = timedelta(seconds=30)

    poll_status = models.CharField(
        _("checking"), max_length=8, choices=PollStatus.choices, default=PollStatus.WAITING
    )
    attempts = models.PositiveIntegerField(_("checks made"), default=0)
    next_poll_at = models.DateTimeField(_("next check"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["poll_status", "next_poll_at"], name="%(app_label)s_%(class)s_due")]

    @property
    def is_final(self) -> bool:
        return self.poll_status in self.FINAL_POLL_STATUSES

    @classmethod
    def backoff(cls, attempts: int) -> timedelta:
        return min(cls.BACKOFF_BASE * 2 ** max(attempts - 1, 0), cls.BACKOFF_MAX)

    @classmethod
    def _claimable(cls, now) -> Q:
        due = Q(poll_status=cls.PollStatus.WAITING, next_poll_at__lte=now)
        abandoned = Q(poll_status=cls.PollStatus.POLLING, claimed_until__lt=now)
        return due | abandoned

    @classmethod
    def claim(cls, pk: int):
        """Take the job for one poll, or None when it is not due, final, or held by another worker.

        A single conditional UPDATE: of two workers nudged for the same row, exactly one wins.
        """
        now = timezone.now()
        won = cls._default_manager.filter(cls._claimable(now), pk=pk).update(
            poll_status=cls.PollStatus.POLLING,
            claimed_until=now + cls.CLAIM_LEASE,
            attempts=F("attempts") + 1,
            last_polled_at=now,
        )
        return cls._default_manager.get(pk=pk) if won else None

    @classmethod
    def overdue(cls):
        """Jobs the sweeper should nudge: due for a while and not picked up, or whose claim ran out."""
        now = timezone.now()
        return cls._default_manager.filter(
            Q(poll_status=cls.PollStatus.WAITING, next_poll_at__lte=now - cls.SWEEP_GRACE)
            | Q(poll_status=cls.PollStatus.POLLING, claimed_until__lt=now)
        )

    def start_polling(self, now=None) -> None:
        """Set the first check (call before saving a new job)."""
        self.poll_status = self.PollStatus.WAITING
        self.next_poll_at = (now or timezone.now()) + self.FIRST_POLL_DELAY

    def poll_again(self, error: str = "", *, delay: timedelta | None = None, **fields) -> bool:
        """Release the claim and set the next check after `delay` (default: the backoff); fails the job
        when it is out of attempts or time.

        Returns True when another poll is scheduled (the caller nudges it for `next_poll_at`).
        """
        now = timezone.now()
        if self.attempts >= self.MAX_ATTEMPTS or now - self.created_at >= self.GIVE_UP_AFTER:
            # Kept as its message id: shown in the viewer's language (providers.texts).
            self.give_up(error or gettext_noop("No final answer from the provider in time."), **fields)
            return False
        return self._release(
            poll_status=self.PollStatus.WAITING,
            next_poll_at=now + (self.backoff(self.attempts) if delay is None else delay),
            last_error=error[:2000],
            **fields,
        )

    def finish(self, **fields) -> bool:
        return self._release(
            poll_status=self.PollStatus.FINISHED,
            next_poll_at=None,
            last_error="",
            finished_at=timezone.now(),
            **fields,
        )

    def give_up(self, reason: str, **fields) -> bool:
        return self._release(
            poll_status=self.PollStatus.FAILED,
            next_poll_at=None,
            last_error=reason[:2000],
            finished_at=timezone.now(),
            **fields,
        )

    def _release(self, **fields) -> bool:
        """Save the outcome of a poll, but only while this worker still holds the claim (False: lost it)."""
        fields["claimed_until"] = None
        held = (
            type(self)
            ._default_manager.filter(
                pk=self.pk, poll_status=self.PollStatus.POLLING, claimed_until=self.claimed_until
            )
            .update(**fields)
        )
        if held:
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(held)


@dataclass(frozen=True)
class JobKind:
    model: type[PolledJob]
    task: str  # the dotted name of the task that runs one job: task(job_id)
    settle: str | None  # the dotted name of a function that settles rows abandoned mid-request
    batch: int  # at most this many rows nudged per sweep


_KINDS: dict[type[PolledJob], JobKind] = {}


def register_job(model: type[PolledJob], task: str, *, settle: str | None = None, batch: int = 1000) -> None:
    """Make the sweeper recover `model`'s jobs by queuing `task` for them (call in AppConfig.ready)."""
    _KINDS[model] = JobKind(model, task, settle, batch)


def registered_jobs() -> tuple[JobKind, ...]:
    return tuple(_KINDS.values())
