"""Rollbacks: confirming one (the plan becomes a job row) and making its provider calls, each once.

Every call goes through the provider app's own service (premium.services.set_redirect,
sms.services.set_limit, spikon.services' phonebook entries and call-center memberships), which audits it.
"""

from __future__ import annotations

import logging

from django.db import transaction

from accounts import audit
from accounts.models import Tenant, User
from premium import services as premium_services
from premium.models import PremiumAccount, PremiumNumber
from provider_api.errors import ProviderError, UnavailableError
from providers.accounts import ProviderAccount
from providers.once import ActionRecord, start_action
from providers.queueing import queue_after_commit
from sms import services as sms_services
from sms.models import SerwerSmsAccount, Subaccount
from snapshots.capture import current_contents, take
from snapshots.models import Part, Rollback, Snapshot
from snapshots.plan import ADD_ENTRY, DELETE_ENTRY, MEMBERSHIP_CALLS, SET_DEFAULT, make_plan
from spikon import services as spikon_services
from spikon.models import CallCenterAgent, CallCenterCampaign, PhoneBook, SpikonAccount

logger = logging.getLogger(__name__)

# A step's outcome, kept in Rollback.results.
DONE = "done"
FAILED = "failed"
UNKNOWN = "unknown"  # a worker stopped during the call: the provider may or may not have made it
SKIPPED = "skipped"  # what the call was for is gone (number or subaccount)


def confirm_rollback(
    tenant: Tenant, user: User, snapshot: Snapshot, parts: list[str], key: str
) -> Rollback | None:
    """Start the rollback confirmed under `key`; the same confirmation again returns the first rollback
    (None when the key is unusable), and nothing is planned or queued twice."""
    record = start_action(tenant, key, "snapshots.rollback", user=user)
    if record is None:
        return Rollback.objects.filter(tenant=tenant, confirmation_key=key).first()
    steps, gaps = make_plan(snapshot.contents, current_contents(tenant), parts)
    with transaction.atomic():
        # The set-up as it is before the rollback: a rollback can itself be undone.
        take(tenant, Snapshot.Reason.ROLLBACK, user=user)
        rollback = Rollback(
            tenant=tenant,
            snapshot=snapshot,
            snapshot_taken_at=snapshot.taken_at,
            parts=parts,
            steps=steps,
            not_restorable=gaps,
            confirmation_key=key,
            confirmed_by=user,
        )
        rollback.start_polling()
        rollback.save()
        audit.record(
            tenant,
            user,
            "snapshots.rollback.confirm",
            object_type="snapshots.rollback",
            object_id=str(rollback.pk),
            object_label=f"{snapshot.taken_at:%Y-%m-%d %H:%M}",
            changes={"calls": (None, len(steps)), "parts": (None, parts)},
        )
        record.settle(ActionRecord.State.DONE, rollback_id=rollback.pk)
        queue_after_commit("snapshots.tasks.run_rollback", rollback.pk)
    return rollback


def step_key(rollback: Rollback, index: int) -> str:
    return f"rollback-{rollback.pk}-step-{index}"


def run(rollback_id: int) -> None:
    """Make the rollback's remaining calls in order, each under its own act-once record."""
    rollback = Rollback.claim(rollback_id)
    if rollback is None:
        return
    for index in range(len(rollback.results), len(rollback.steps)):
        rollback.results.append(_make_step(rollback, index))
        # Progress is the row: the page shows it, and a new worker goes on from here.
        Rollback.objects.filter(pk=rollback.pk).update(results=rollback.results)
    made = sum(result["state"] == DONE for result in rollback.results)
    rollback.finish(results=rollback.results)
    audit.record(
        rollback.tenant,
        rollback.confirmed_by,
        "snapshots.rollback.finish",
        object_type="snapshots.rollback",
        object_id=str(rollback.pk),
        object_label=f"{rollback.snapshot_taken_at:%Y-%m-%d %H:%M}",
        changes={"calls made": (None, made), "calls planned": (None, len(rollback.steps))},
        outcome="success" if made == len(rollback.steps) else "failure",
    )


def _make_step(rollback: Rollback, index: int) -> dict:
    step = rollback.steps[index]
    record = start_action(rollback.tenant, step_key(rollback, index), f"snapshots.rollback.{step['call']}")
    if record is None:
        # Taken before: by a worker that finished the call (done) or stopped during it.
        earlier = ActionRecord.objects.get(tenant=rollback.tenant, key=step_key(rollback, index))
        state = DONE if earlier.state == ActionRecord.State.DONE else UNKNOWN
        return {"state": state, "problem": earlier.outcome.get("problem", "")}
    try:
        made = _call(rollback, step)
    except ProviderError as error:
        unknown = isinstance(error, UnavailableError) and error.outcome_unknown
        problem = _redacted(rollback, step, error.describe())
        record.settle(ActionRecord.State.UNKNOWN if unknown else ActionRecord.State.FAILED, problem=problem)
        return {"state": UNKNOWN if unknown else FAILED, "problem": problem}
    record.settle(ActionRecord.State.DONE if made else ActionRecord.State.FAILED)
    return {"state": DONE if made else SKIPPED, "problem": ""}


def _redacted(rollback: Rollback, step: dict, text: str) -> str:
    """A provider's words with the account's secrets masked."""
    account = _account(rollback.tenant, step)
    return account.redact(text) if isinstance(account, ProviderAccount) else text


def _account(tenant, step: dict):
    if step["call"] == "setRedirect":
        return PremiumAccount.of(tenant)
    if step["part"] == Part.SMS_LIMITS:
        return SerwerSmsAccount.of(tenant)
    return SpikonAccount.of(tenant)


def _call(rollback: Rollback, step: dict) -> bool:
    """Make one planned call through the provider app's service; False when what it is for is gone."""
    tenant, user, args, call = rollback.tenant, rollback.confirmed_by, step["args"], step["call"]
    account = _account(tenant, step)
    if account is None:
        return False
    if call == "setRedirect":
        number = PremiumNumber.objects.filter(tenant=tenant, number=step["object"]).first()
        if number is None:
            return False
        premium_services.set_redirect(
            account, user, number, args["target"], args["presentation"], args["announcement"]
        )
        return True
    if step["part"] == Part.SMS_LIMITS:
        subaccount = Subaccount.objects.filter(tenant=tenant, provider_id=int(step["object"])).first()
        if subaccount is None or user is None:
            return False
        sms_services.set_limit(account, subaccount, user, args["message_type"], args["value"])
        return True
    if call in (ADD_ENTRY, DELETE_ENTRY):
        book = PhoneBook.objects.filter(tenant=tenant, provider_id=int(step["object"])).first()
        if book is None:
            return False
        if call == ADD_ENTRY:
            spikon_services.add_phone_book_entry(account, user, book, args["name"], args["number"])
            return True
        entry = book.entries.filter(
            name=args["name"], number=args["number"], provider_id__isnull=False
        ).first()
        if entry is None:
            return False
        spikon_services.delete_phone_book_entry(account, user, entry)
        return True
    agent = CallCenterAgent.objects.filter(tenant=tenant, provider_id=int(step["object"])).first()
    campaign = CallCenterCampaign.objects.filter(tenant=tenant, provider_id=args["campaign"]).first()
    if agent is None or campaign is None:
        return False
    if call == SET_DEFAULT:
        spikon_services.set_default_outgoing_campaign(account, user, agent, campaign)
        return True
    direction, add = next(key for key, name in MEMBERSHIP_CALLS.items() if name == call)
    spikon_services.set_membership(account, user, agent, campaign, direction=direction, add=add)
    return True
