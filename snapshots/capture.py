"""Taking a snapshot: the tenant's provider set-up read from the local copy (no provider is asked).

The contents are plain JSON, keyed by the provider's own ids and numbers so that two snapshots (or a
snapshot and now) compare object by object:

    {"premium": {"numbers": {"708123456": {"redirect": "601123456", "presentation": "prezentacjaA",
                                           "announcement": false}}},
     "spikon": {"phonebooks": {"3": {"name": "Klienci", "entries": [["Jan", "601123456"]]}},
                "campaigns": {"7": "Infolinia"},
                "agents": {"12": {"name": "Anna", "incoming": [7], "outgoing": [7], "default_outgoing": 7}}},
     "sms": {"subaccounts": {"41": {"login": "biuro", "limits": {"eco": 1000}}}}}

Presentation "" and announcement null mean not known (the provider does not report them).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import Tenant, User
from premium.models import PremiumNumber
from sms.models import Subaccount, SubaccountLimit
from snapshots.models import Snapshot
from spikon.models import CallCenterAgent, CallCenterCampaign, PhoneBook, PhoneBookEntry


def current_contents(tenant: Tenant) -> dict:
    numbers = PremiumNumber.objects.filter(tenant=tenant).order_by("number")
    books = {
        str(book.provider_id): {"name": book.name, "entries": []}
        for book in PhoneBook.objects.filter(tenant=tenant).order_by("provider_id")
    }
    entries = PhoneBookEntry.objects.filter(tenant=tenant).order_by("name", "number", "id")
    for book_id, name, number in entries.values_list("book__provider_id", "name", "number"):
        books[str(book_id)]["entries"].append([name, number])
    limits: dict[int, dict[str, int]] = {}
    for subaccount_id, message_type, value in SubaccountLimit.objects.filter(tenant=tenant).values_list(
        "subaccount_id", "message_type", "value"
    ):
        limits.setdefault(subaccount_id, {})[message_type] = value
    return {
        "premium": {
            "numbers": {
                number.number: {
                    "redirect": number.redirect_to,
                    "presentation": number.presentation,
                    "announcement": number.announcement,
                }
                for number in numbers
            }
        },
        "spikon": {
            "phonebooks": books,
            "campaigns": {
                str(campaign_id): name
                for campaign_id, name in CallCenterCampaign.objects.filter(tenant=tenant).values_list(
                    "provider_id", "name"
                )
            },
            "agents": {
                str(agent.provider_id): {
                    "name": agent.name,
                    "incoming": sorted(agent.incoming_campaign_ids),
                    "outgoing": sorted(agent.outgoing_campaign_ids),
                    "default_outgoing": agent.default_outgoing_campaign_id,
                }
                for agent in CallCenterAgent.objects.filter(tenant=tenant).order_by("provider_id")
            },
        },
        "sms": {
            "subaccounts": {
                str(subaccount.provider_id): {
                    "login": subaccount.login,
                    "limits": limits.get(subaccount.pk, {}),
                }
                for subaccount in Subaccount.objects.filter(tenant=tenant).order_by("provider_id")
            }
        },
    }


def take(tenant: Tenant, reason: str, *, user: User | None = None) -> Snapshot:
    return Snapshot.objects.create(
        tenant=tenant,
        reason=reason,
        taken_by=user if user is not None and user.is_authenticated else None,
        contents=current_contents(tenant),
    )


def take_before_bulk_change(tenant: Tenant, user: User) -> Snapshot:
    return take(tenant, Snapshot.Reason.BULK_CHANGE, user=user)


def delete_expired() -> int:
    """Snapshots older than the retention (settings.SNAPSHOT_RETENTION_DAYS) go; rollbacks keep their plan."""
    cutoff = timezone.now() - timedelta(days=settings.SNAPSHOT_RETENTION_DAYS)
    return Snapshot.objects.filter(taken_at__lt=cutoff).delete()[0]
