"""Making a schedule's switch: the setting in force now is set on each of its numbers through
premium.services (audited there), once per switch, then read back from the provider (showNumbers).

Only the switch in force now is ever made: after workers were down, the switches missed meanwhile are
not replayed; the one that holds now is made once.
"""

from __future__ import annotations

import hashlib
import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts import audit
from accounts.models import AuditEvent
from premium import services as premium_services
from premium import sync as premium_sync
from premium.models import PremiumAccount, PremiumNumber
from provider_api.errors import ProviderError, UnavailableError
from providers.once import ActionRecord, start_action
from providers.texts import joined, later
from redirect_schedules.models import RedirectSchedule, Switch
from redirect_schedules.timetable import Setting, Timetable
from snapshots.capture import take
from snapshots.models import Snapshot

logger = logging.getLogger(__name__)


def switch_key(schedule: RedirectSchedule, due_at, setting: Setting) -> str:
    """The switch's "act once" key: the schedule, the minute it is due, what it sets, on which numbers,
    and since when the schedule runs. So an edit that changes what holds now or adds a number, or running
    the schedule again after a pause, makes the switch in force anew; nothing else is made twice."""
    numbers = sorted(number.pk for number in schedule.numbers.all())
    what = repr((setting.redirect, numbers, schedule.running_since.isoformat()))
    return f"schedule-{schedule.pk}-{due_at:%Y%m%dT%H%M}-{hashlib.sha256(what.encode()).hexdigest()[:16]}"


def due_schedules():
    """Active schedules of tenants with a Numery-Premium.PL account."""
    accounts = PremiumAccount.objects.exclude(api_key="").exclude(email="").values("tenant_id")
    return RedirectSchedule.objects.filter(paused_at__isnull=True, tenant_id__in=accounts)


def switch_due(schedule: RedirectSchedule, now=None) -> tuple[str, object, Setting]:
    """(key, due_at, setting) of the switch in force."""
    due_at, setting = Timetable.of(schedule).in_force(now or timezone.now())
    return switch_key(schedule, due_at, setting), due_at, setting


def make_switch_in_force(schedule_id: int) -> Switch | None:
    """Make the schedule's switch in force now, unless it was made (or is being made) already."""
    schedule = due_schedules().select_related("tenant").filter(pk=schedule_id).first()
    if schedule is None:
        return None
    tenant = schedule.tenant
    key, due_at, setting = switch_due(schedule)
    record = start_action(tenant, key, "redirect_schedules.switch")
    if record is None:
        return None
    account = PremiumAccount.objects.get(tenant=tenant)
    numbers = list(schedule.numbers.order_by("number"))
    with transaction.atomic():
        snapshot = take(tenant, Snapshot.Reason.SCHEDULE_SWITCH)
        switch = Switch.objects.create(
            tenant=tenant,
            schedule=schedule,
            due_at=due_at,
            reason=setting.reason,
            detail=setting.detail[:100],
            target=setting.target,
            presentation=setting.presentation,
            announcement=setting.announcement,
            snapshot=snapshot,
        )
    results = [_set(account, number, setting) for number in numbers]
    _read_back(account, switch, results)
    record.settle(ActionRecord.State.DONE, switch_id=switch.pk, switch_state=switch.state)
    return switch


def _set(account: PremiumAccount, number: PremiumNumber, setting: Setting) -> dict:
    try:
        premium_services.set_redirect(
            account, None, number, setting.target, setting.presentation, setting.announcement
        )
    except ProviderError as error:
        unknown = isinstance(error, UnavailableError) and error.outcome_unknown
        state = Switch.NumberState.UNKNOWN if unknown else Switch.NumberState.REFUSED
        return {"number": number.number, "state": state, "problem": account.redact(error.describe())}
    return {"number": number.number, "state": "", "problem": ""}


def _read_back(account: PremiumAccount, switch: Switch, results: list[dict]) -> None:
    """Read the numbers back (the numbers sync: showNumbers) and settle the switch as verified or failed."""
    problem = ""
    try:
        premium_sync.sync_numbers(account)
    except ProviderError as error:
        problem = account.redact(error.describe())
    targets = dict(PremiumNumber.objects.filter(tenant=switch.tenant).values_list("number", "redirect_to"))
    for result in results:
        if result["state"] == Switch.NumberState.REFUSED:
            continue  # the provider said no: nothing to read back
        if problem:
            if not result["state"]:
                result.update(state=Switch.NumberState.NOT_READ, problem=problem)
            continue
        # Set, or not answered in time (the provider may have made it): what the provider holds decides.
        read = targets.get(result["number"], "")
        if read == switch.target:
            result.update(state=Switch.NumberState.VERIFIED, problem="")
        else:
            result.update(state=Switch.NumberState.DIFFERENT, problem=read)
    verified = all(result["state"] == Switch.NumberState.VERIFIED for result in results)
    switch.results = results
    switch.state = Switch.State.VERIFIED if verified else Switch.State.FAILED
    switch.checked_at = timezone.now()
    switch.save(update_fields=["results", "state", "checked_at"])
    audit.record(
        switch.tenant,
        None,
        "redirect_schedules.switch",
        target=switch.schedule,
        changes={"redirect": (None, switch.target), "numbers": (None, [r["number"] for r in results])},
        outcome=AuditEvent.Outcome.SUCCESS if verified else AuditEvent.Outcome.FAILURE,
        message=_problems_later([r for r in results if r["state"] != Switch.NumberState.VERIFIED]),
    )


# What became of a number that was not switched, as the audit log says it (in its reader's language).
NUMBER_PROBLEMS = {
    Switch.NumberState.REFUSED: gettext_noop("%(number)s: the provider refused it (%(problem)s)"),
    Switch.NumberState.UNKNOWN: gettext_noop("%(number)s: outcome unknown (%(problem)s)"),
    Switch.NumberState.NOT_READ: gettext_noop("%(number)s: set, but could not be read back (%(problem)s)"),
    Switch.NumberState.DIFFERENT: gettext_noop("%(number)s: read back with another target (%(problem)s)"),
}


def _problems_later(results: list[dict]) -> str:
    """The numbers not switched, one after another, each with the provider's words or the target read."""
    return joined(
        [
            later(NUMBER_PROBLEMS[result["state"]], number=result["number"], problem=result["problem"] or "—")
            for result in results
        ]
    )


def pause(schedule: RedirectSchedule, user) -> None:
    RedirectSchedule.objects.filter(pk=schedule.pk).update(paused_at=timezone.now())
    audit.record(
        schedule.tenant, user, "redirect_schedules.pause", target=schedule, changes={"paused": (False, True)}
    )


def resume(schedule: RedirectSchedule, user) -> None:
    """Running again: the next beat makes the switch in force now (a new key if it differs)."""
    RedirectSchedule.objects.filter(pk=schedule.pk).update(paused_at=None, running_since=timezone.now())
    audit.record(
        schedule.tenant, user, "redirect_schedules.resume", target=schedule, changes={"paused": (True, False)}
    )


def pause_question_url(number: PremiumNumber) -> str:
    """Where a manual redirect change of `number` goes next: the question whether to pause its schedule,
    when it follows one that runs ("" otherwise)."""
    if not number.redirect_schedules.filter(paused_at__isnull=True).exists():
        return ""
    return reverse(
        "redirect_schedules:pause-question",
        kwargs={"tenant_slug": number.tenant.slug, "number_id": number.pk},
    )
