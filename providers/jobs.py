"""The job base of every background job that a provider app follows (the row is the truth), its registry
and the one sweeper that recovers any job whose message was lost.

Each app registers its job kinds in AppConfig.ready():

    register_job(SmsMessage, "spikon.tasks.poll_sms_state", account=SpikonAccount,
                 settle="spikon.tasks.settle_abandoned_sends")

`providers.tasks.sweep_jobs` (beat, every minute) runs each kind's `settle` (if any), then queues the
kind's task for each of its `overdue()` rows.

A job whose provider refuses the account's credentials (or this account the call) stops and waits for
them (`wait_for_credentials`), where it was: the sweeper leaves it alone. A successful Test connection
of the account (providers.accounts.test_connection) proves they work again and resumes the tenant's
waiting jobs of that account (`resume_waiting_for_credentials`): each polls again, nothing is ordered
or generated anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from provider_api.errors import AuthenticationError, ForbiddenError, ProviderError
from providers.queueing import queue_after_commit
from providers.sql import placeholders


class PolledJob(models.Model):
    """An asynchronous provider job followed by polling; the row is the truth, a Celery message only a nudge.

    Life cycle: WAITING (due at `next_poll_at`) -> POLLING (claimed by one worker until `claimed_until`)
    -> WAITING again (`poll_again`, with a growing backoff) or FINISHED (`finish`) or FAILED (`give_up`,
    with the reason) or CREDENTIALS (`wait_for_credentials`: refused credentials; WAITING again once a
    Test connection of the account succeeds). A poll task does:

        job = Model.claim(job_id)      # None: not due, already claimed by another worker, or final
        if job is None: return
        ... ask the provider ...
        job.finish() / job.poll_again(error="...") / job.give_up("...") / job.wait_for_credentials("...")

    The sweeper (`overdue()`) finds rows whose poll is due but was not picked up (lost message, restarted
    worker, flushed Redis) and rows whose claim expired (a worker died mid-poll), and nudges them again.
    Subclasses set the class constants to fit their job.
    """

    class PollStatus(models.TextChoices):
        WAITING = "waiting", _("waiting for the next check")
        POLLING = "polling", _("being checked")
        FINISHED = "finished", _("finished")
        FAILED = "failed", _("failed")
        CREDENTIALS = "credentials", _("waiting for the credentials to be fixed")

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
        _("checking"), max_length=11, choices=PollStatus.choices, default=PollStatus.WAITING
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
        indexes = [
            models.Index(fields=["poll_status", "next_poll_at"], name="%(app_label)s_%(class)s_due"),
            # A tenant's jobs still in progress (the home page counts them), found without reading its
            # finished ones: a hundred thousand delivered SMS took 34 ms to count past.
            models.Index(
                fields=["tenant"],
                name="%(app_label)s_%(class)s_open",
                condition=~Q(poll_status__in=["finished", "failed"]),  # FINAL_POLL_STATUSES
            ),
        ]

    @classmethod
    def open_sql(cls) -> tuple[str, list[str]]:
        """The condition of its jobs still in progress in SQL written by hand (on the open jobs' partial
        index), with its values."""
        return f"NOT (poll_status IN ({placeholders(cls.FINAL_POLL_STATUSES)}))", list(
            cls.FINAL_POLL_STATUSES
        )

    @property
    def is_final(self) -> bool:
        return self.poll_status in self.FINAL_POLL_STATUSES

    @property
    def waits_for_credentials(self) -> bool:
        return self.poll_status == self.PollStatus.CREDENTIALS

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

    def wait_for_credentials(self, reason: str, **fields) -> bool:
        """Stop polling until a Test connection of the account succeeds (`resume_waiting_for_credentials`):
        the provider refused the credentials, and asking again with them would only be refused again."""
        return self._release(
            poll_status=self.PollStatus.CREDENTIALS, next_poll_at=None, last_error=reason[:2000], **fields
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


def stops_on_credentials(error: ProviderError) -> bool:
    """Whether a job meeting `error` waits for the credentials: the provider refused them (or this account
    the call), which only the account's owner can fix."""
    return isinstance(error, AuthenticationError | ForbiddenError)


@dataclass(frozen=True)
class JobKind:
    model: type[PolledJob]
    task: str  # the dotted name of the task that runs one job: task(job_id)
    settle: str | None  # the dotted name of a function that settles rows abandoned mid-request
    batch: int  # at most this many rows nudged per sweep
    account: type | None  # the provider account whose credentials the job's calls use (None: no calls)


_KINDS: dict[type[PolledJob], JobKind] = {}


def register_job(
    model: type[PolledJob],
    task: str,
    *,
    account: type | None = None,
    settle: str | None = None,
    batch: int = 1000,
) -> None:
    """Make the sweeper recover `model`'s jobs by queuing `task` for them (call in AppConfig.ready).

    `account`: the provider account model (a providers.accounts.ProviderAccount) whose credentials the
    job's calls use; a Test connection of that account resumes the jobs waiting for them. `model` then
    has a `tenant` foreign key.
    """
    _KINDS[model] = JobKind(model, task, settle, batch, account)


def registered_jobs() -> tuple[JobKind, ...]:
    return tuple(_KINDS.values())


def resume_waiting_for_credentials(account) -> int:
    """After a successful Test connection of `account`: its tenant's jobs of that account that wait for
    the credentials are due again at once and queued (after commit). Returns how many."""
    now = timezone.now()
    resumed = 0
    for kind in registered_jobs():
        if kind.account is not type(account):
            continue
        waiting = kind.model._default_manager.filter(
            tenant_id=account.tenant_id, poll_status=PolledJob.PollStatus.CREDENTIALS
        )
        with transaction.atomic():
            ids = list(waiting.select_for_update().values_list("pk", flat=True))
            # The count of checks starts again: the waiting was the credentials', not the provider's.
            kind.model._default_manager.filter(pk__in=ids).update(
                poll_status=PolledJob.PollStatus.WAITING, next_poll_at=now, attempts=0, last_error=""
            )
            for job_id in ids:
                queue_after_commit(kind.task, job_id)
        resumed += len(ids)
    return resumed
