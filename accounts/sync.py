"""Background syncs of provider data: one lock, one record of success and failure, one backoff.

Every sync task has the signature `task(tenant_id: int, resource: str)` and wraps its work in
`syncing(...)`. Pages queue a sync with `queue_sync(...)` (Refresh) and show the state with the
`{% sync_status %}` tag, which polls while the sync runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import SyncStatus, Tenant
from provider_api.errors import ProviderError, UnavailableError
from providers.queueing import queue_after_commit

# A sync still "running" after this long belongs to a worker that died: the next one may take over.
STALE_AFTER = timedelta(minutes=15)
MAX_BACKOFF = timedelta(hours=1)
# Stored for a failure of this program rather than the provider's, shown in the viewer's language.
OUR_ERROR = gettext_noop(
    "An error in this dashboard stopped the sync; it is in the server's log. It is tried again later."
)


@dataclass(frozen=True)
class SyncKind:
    provider: str
    resource_pattern: re.Pattern[str]
    task_name: str


_KINDS: dict[tuple[str, str], SyncKind] = {}


def register(provider: str, resource: str, task_name: str, *, pattern: str | None = None) -> None:
    r"""Make `<provider>/<resource>` refreshable from the generic sync view (call in AppConfig.ready).

    A resource with a parameter gives the `pattern` (a regular expression) its names must match,
    e.g. r"billing-\d{4}-(0[1-9]|1[0-2])"; without it, only `resource` itself is accepted.
    """
    _KINDS[(provider, resource)] = SyncKind(provider, re.compile(pattern or re.escape(resource)), task_name)


def kind_for(provider: str, resource: str) -> SyncKind | None:
    for kind in _KINDS.values():
        if kind.provider == provider and kind.resource_pattern.fullmatch(resource):
            return kind
    return None


# Read by every page with a sync line: written out, as building the same query through the ORM took
# twice as long as the database's answer (bench/).
STATUS_SQL = "SELECT * FROM {table} WHERE tenant_id = %s AND provider = %s AND resource = %s"


def get_status(tenant: Tenant, provider: str, resource: str) -> SyncStatus:
    sql = STATUS_SQL.format(table=SyncStatus._meta.db_table)
    found = list(SyncStatus.objects.raw(sql, [tenant.pk, provider, resource]))
    if found:
        status = found[0]
    else:
        try:
            with transaction.atomic():
                status = SyncStatus.objects.create(tenant=tenant, provider=provider, resource=resource)
        except IntegrityError:  # made meanwhile by another request or a worker
            status = SyncStatus.objects.get(tenant=tenant, provider=provider, resource=resource)
    status.tenant = tenant  # read already: no query when it is asked for
    return status


def backoff(failures: int) -> timedelta:
    """1, 2, 4, ... minutes after consecutive failures, at most an hour."""
    return min(timedelta(minutes=2 ** max(failures - 1, 0)), MAX_BACKOFF)


def queue_sync(tenant: Tenant, provider: str, resource: str, *, scheduled: bool = False) -> bool:
    """Queue the sync of one resource once the current transaction commits.

    Returns False (queues nothing) when one is already queued or running, or, for a scheduled
    run, while the backoff after failures lasts, so that failures never pile up tasks.
    """
    kind = kind_for(provider, resource)
    if kind is None:
        raise LookupError(f"No sync is registered for {provider}/{resource}.")
    now = timezone.now()
    status = get_status(tenant, provider, resource)
    not_picked_up = Q(last_attempt_at__isnull=True) | Q(queued_at__gt=F("last_attempt_at"))
    busy = Q(running_since__gt=now - STALE_AFTER) | (Q(queued_at__gt=now - STALE_AFTER) & not_picked_up)
    claim = SyncStatus.objects.filter(pk=status.pk).exclude(busy)
    if scheduled:
        claim = claim.exclude(next_retry_at__gt=now)
    if not claim.update(queued_at=now):
        return False
    # With the broker down the request still succeeds: the next scheduled run queues the sync again.
    queue_after_commit(kind.task_name, tenant.pk, resource)
    return True


# Sent after every sync that ran, whether it succeeded or failed, with tenant_id, provider and resource:
# what depends on the copy (alert rules) looks again.
sync_finished = Signal()


class SyncSkipped(Exception):
    """Another sync of the same resource is running."""


@contextmanager
def syncing(tenant_id: int, provider: str, resource: str) -> Iterator[SyncStatus]:
    """Run one sync under the resource's lock and record its outcome.

    A ProviderError is recorded (with the provider's words) and not raised: the old data stays,
    the page shows the error, and the next attempt waits for the backoff. Any other exception is
    recorded and raised, so that it reaches the worker's log.
    """
    now = timezone.now()
    status, _ = SyncStatus.objects.get_or_create(tenant_id=tenant_id, provider=provider, resource=resource)
    claimed = (
        SyncStatus.objects.filter(pk=status.pk)
        .filter(Q(running_since__isnull=True) | Q(running_since__lt=now - STALE_AFTER))
        .update(running_since=now, last_attempt_at=now)
    )
    if not claimed:
        raise SyncSkipped(f"{provider}/{resource} of tenant {tenant_id} is already syncing")
    status.refresh_from_db()
    try:
        yield status
    except ProviderError as error:
        _record_failure(status, error.describe(), unreachable=isinstance(error, UnavailableError))
        sync_finished.send(sender=SyncStatus, tenant_id=tenant_id, provider=provider, resource=resource)
    except Exception:
        # The program's own error is for the log (the worker logs it); people read what it means.
        _record_failure(status, OUR_ERROR, unreachable=False)
        raise
    else:
        SyncStatus.objects.filter(pk=status.pk).update(
            running_since=None,
            last_success_at=timezone.now(),
            last_error="",
            failing_since=None,
            failure_unreachable=False,
            consecutive_failures=0,
            next_retry_at=None,
        )
        sync_finished.send(sender=SyncStatus, tenant_id=tenant_id, provider=provider, resource=resource)


def _record_failure(status: SyncStatus, message: str, *, unreachable: bool) -> None:
    now = timezone.now()
    failures = status.consecutive_failures + 1
    SyncStatus.objects.filter(pk=status.pk).update(
        running_since=None,
        last_error=message[:2000],
        failing_since=status.failing_since or now,
        failure_unreachable=unreachable,
        consecutive_failures=failures,
        next_retry_at=now + backoff(failures),
    )
