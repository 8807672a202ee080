"""Snapshot → change → diff → rollback, against the sandboxes over HTTP with a real worker: the
provider state is restored exactly, and a second confirmation makes no call."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from premium import services as premium_services
from premium import tasks as premium_tasks
from premium.client import Prezentacja
from premium.models import PremiumAccount, PremiumNumber
from providers.jobs import PolledJob
from providers.once import new_action_key
from providers.tasks import sweep_jobs
from sms import services as sms_services
from sms import tasks as sms_tasks
from sms.models import SerwerSmsAccount, Subaccount
from snapshots import services as snapshot_services
from snapshots import tasks
from snapshots.capture import take
from snapshots.models import Part, Rollback, Snapshot
from spikon import services as spikon_services
from spikon import tasks as spikon_tasks
from spikon.models import CallCenterAgent, CallCenterCampaign, PhoneBookEntry, SpikonAccount
from tests.providers import connect, served_providers
from tests.waiting import wait_for

CALLS = ("setRedirect", "subaccounts/limit", "phone_book_element/", "cc_in_campaign/", "cc_out_campaign/")


@pytest.fixture
def providers():
    with served_providers() as served:
        yield served


@pytest.fixture
def set_up(tenant, tenant_admin, providers):
    """Two numbers with known settings (one with its announcement) and a limit set here."""
    connect(tenant, providers)
    premium_tasks.sync_numbers(tenant.pk, "numbers")
    sms_tasks.sync_subaccounts(tenant.pk, "subaccounts")
    spikon_tasks.sync_phonebooks(tenant.pk, "phonebooks")
    spikon_tasks.sync_call_center(tenant.pk, "callcenter")
    account = PremiumAccount.objects.get(tenant=tenant)
    first, second = PremiumNumber.objects.filter(tenant=tenant).order_by("number")[:2]
    providers.premium.upload_announcement(second.number)
    premium_services.set_redirect(account, tenant_admin, first, "601111111", Prezentacja.CALLER.value, False)
    premium_services.set_redirect(account, tenant_admin, second, "602222222", Prezentacja.HIDDEN.value, True)
    subaccount = Subaccount.objects.filter(tenant=tenant).order_by("provider_id").first()
    sms_services.set_limit(SerwerSmsAccount.objects.get(tenant=tenant), subaccount, tenant_admin, "eco", 300)
    return first, second, subaccount


def provider_state(providers) -> dict:
    """What the sandboxes hold: every number's redirect, presentation and announcement; every limit."""
    premium = providers.premium
    numbers = {
        number: (
            premium.number(number).appdata,
            premium.number(number).prezentacja,
            premium.number(number).zapowiedz,
        )
        for number in PremiumNumber.objects.values_list("number", flat=True)
    }
    limits = {
        subaccount_id: providers.sms.limits(subaccount_id)
        for subaccount_id in Subaccount.objects.values_list("provider_id", flat=True)
    }
    spikon = providers.spikon  # its state as the provider keeps it (the sandbox's own records)
    entries = sorted((book, name, number) for book, name, number in spikon._entries.values())
    agents = {
        agent.id: (sorted(agent.incoming), sorted(agent.outgoing), agent.default_outgoing)
        for agent in spikon._agents.values()
    }
    return {"numbers": numbers, "limits": limits, "entries": entries, "agents": agents}


def change_spikon(tenant, user) -> None:
    """A deleted entry, an added one, an agent moved between campaigns with a new default."""
    account = SpikonAccount.objects.get(tenant=tenant)
    entry = PhoneBookEntry.objects.filter(tenant=tenant, provider_id__isnull=False).order_by("id").first()
    book = entry.book
    spikon_services.delete_phone_book_entry(account, user, entry)
    spikon_services.add_phone_book_entry(account, user, book, "Nowy Kontakt", "601999888")
    agent = (
        CallCenterAgent.objects.filter(tenant=tenant)
        .exclude(incoming_campaign_ids=[])
        .order_by("provider_id")
        .first()
    )
    campaigns = list(CallCenterCampaign.objects.filter(tenant=tenant).order_by("provider_id"))
    joined = next(c for c in campaigns if c.provider_id not in agent.incoming_campaign_ids)
    left = CallCenterCampaign.objects.get(tenant=tenant, provider_id=agent.incoming_campaign_ids[0])
    spikon_services.set_membership(account, user, agent, joined, direction="incoming", add=True)
    spikon_services.set_membership(account, user, agent, left, direction="incoming", add=False)
    other_default = next(c for c in campaigns if c.provider_id != agent.default_outgoing_campaign_id)
    spikon_services.set_default_outgoing_campaign(account, user, agent, other_default)


def calls_since(providers, mark) -> list[str]:
    return [
        request.path
        for _name, request in providers.received_since(mark)
        if any(c in request.path for c in CALLS)
    ]


def test_a_rollback_restores_the_provider_state_exactly_and_acts_once(
    real_worker, tenant, tenant_admin, viewer, providers, set_up, client
):
    first, second, subaccount = set_up
    slug = tenant.slug
    client.force_login(tenant_admin)
    assert client.post(reverse("snapshots:take", kwargs={"tenant_slug": slug})).status_code == 302
    snapshot = Snapshot.objects.get(tenant=tenant, reason=Snapshot.Reason.ON_DEMAND)
    before = provider_state(providers)

    # The wrong changes: a bulk redirect, one number's presentation and announcement, a limit.
    bulk = client.post(
        reverse("premium:numbers-bulk-redirect", kwargs={"tenant_slug": slug}),
        {"numbers": [first.pk, second.pk], "target": "609 999 999"},
    )
    assert bulk.status_code == 302
    assert Snapshot.objects.filter(tenant=tenant, reason=Snapshot.Reason.BULK_CHANGE).count() == 1
    account = PremiumAccount.objects.get(tenant=tenant)
    second.refresh_from_db()
    premium_services.set_redirect(account, tenant_admin, second, "609999999", Prezentacja.CALLER.value, False)
    sms_services.set_limit(SerwerSmsAccount.objects.get(tenant=tenant), subaccount, tenant_admin, "eco", 50)
    change_spikon(tenant, tenant_admin)
    changed = provider_state(providers)
    assert all(changed[key] != before[key] for key in before)

    # What changed, in sentences (Polish by default), for a viewer.
    client.force_login(viewer)
    detail = client.get(reverse("snapshots:detail", kwargs={"tenant_slug": slug, "snapshot_id": snapshot.pk}))
    page = detail.content.decode()
    assert f"Numer {first.number}" in page
    assert "Połączenia trafiały na 601111111; trafiają na 609999999." in page
    assert "Zapowiedź została wyłączona." in page
    assert "Numer widoczny dla odbiorcy zmienił się z „zastrzeżony” na „numer dzwoniącego”." in page
    assert "Limit SMS ECO zmienił się z 300 na 50." in page
    assert "Dodano wpis „Nowy Kontakt” (601999888)." in page
    assert "Domyślna kampania wychodząca zmieniła się z " in page

    # The plan, then the confirmation.
    client.force_login(tenant_admin)
    url = reverse("snapshots:rollback", kwargs={"tenant_slug": slug, "snapshot_id": snapshot.pk})
    plan = client.get(url, {"parts": list(Part.values)})
    assert plan.status_code == 200
    text = plan.content.decode()
    assert f"setRedirect dla {first.number}: połączenia trafią na 601111111 zamiast na 609999999" in text
    assert f"subaccounts/limit dla subkonta {subaccount.login}: limit SMS ECO 300 zamiast 50." in text
    confirmation = plan.context["confirm_form"].initial["confirmation"]
    assert "phone_book_element/add: wpis „" in text and "cc_out_campaign/set_default: " in text
    form = {"parts": list(Part.values), "confirmation": confirmation}
    mark = providers.mark()
    confirmed = client.post(url, form)
    rollback = Rollback.objects.get(tenant=tenant)
    assert confirmed["Location"] == reverse(
        "snapshots:rollback-detail", kwargs={"tenant_slug": slug, "rollback_id": rollback.pk}
    )
    finished = Rollback.objects.filter(pk=rollback.pk, poll_status=PolledJob.PollStatus.FINISHED)
    assert wait_for(finished.exists), real_worker.log_path.read_text()[-3000:]

    assert provider_state(providers) == before
    made = calls_since(providers, mark)
    # Two redirects, one limit, two entries, two memberships and a default: nothing else was called.
    assert len(made) == 8, made
    rollback.refresh_from_db()
    assert [result["state"] for result in rollback.results] == ["done"] * 8
    assert AuditEvent.objects.filter(action="snapshots.rollback.finish", outcome="success").count() == 1
    assert Snapshot.objects.filter(tenant=tenant, reason=Snapshot.Reason.ROLLBACK).count() == 1
    progress = client.get(confirmed["Location"], HTTP_HX_REQUEST="true")
    assert progress.status_code == 286  # the page stops polling a finished rollback

    # The same confirmation again, and the job's task delivered again: no call is made twice.
    mark = providers.mark()
    again = client.post(url, form)
    assert again["Location"] == confirmed["Location"]
    tasks.run_rollback.delay(rollback.pk)
    # Even a job taken up again from its first step (as if its progress were lost) skips each call made.
    Rollback.objects.filter(pk=rollback.pk).update(
        poll_status=PolledJob.PollStatus.WAITING, next_poll_at=rollback.created_at, results=[]
    )
    tasks.run_rollback.delay(rollback.pk)
    assert wait_for(lambda: Rollback.objects.get(pk=rollback.pk).poll_status == PolledJob.PollStatus.FINISHED)
    time.sleep(2)
    assert calls_since(providers, mark) == []
    assert Rollback.objects.filter(tenant=tenant).count() == 1
    assert [result["state"] for result in Rollback.objects.get(pk=rollback.pk).results] == ["done"] * 8
    assert provider_state(providers) == before


def test_the_sweeper_takes_up_a_rollback_whose_message_was_lost(
    real_worker, tenant, tenant_admin, providers, set_up, monkeypatch
):
    first, _second, _subaccount = set_up
    snapshot = take(tenant, Snapshot.Reason.ON_DEMAND)
    before = provider_state(providers)
    account = PremiumAccount.objects.get(tenant=tenant)
    first.refresh_from_db()
    premium_services.set_redirect(account, tenant_admin, first, "609999999", Prezentacja.CALLER.value, False)
    monkeypatch.setattr(snapshot_services, "queue_after_commit", lambda *args, **options: None)  # lost
    rollback = snapshot_services.confirm_rollback(
        tenant, tenant_admin, snapshot, [Part.PREMIUM_REDIRECTS], new_action_key()
    )
    Rollback.objects.filter(pk=rollback.pk).update(next_poll_at=timezone.now() - timedelta(minutes=1))
    assert sweep_jobs() >= 1
    finished = Rollback.objects.filter(pk=rollback.pk, poll_status=PolledJob.PollStatus.FINISHED)
    assert wait_for(finished.exists), real_worker.log_path.read_text()[-3000:]
    assert provider_state(providers) == before
