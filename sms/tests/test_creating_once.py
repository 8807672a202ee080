"""A "create a subaccount" form acts once, ever: whatever is deleted or synced after it, sending it again
never reaches the provider."""

from __future__ import annotations

import pytest
from django.urls import reverse

from providers.once import ActionRecord
from sms.models import Subaccount, SubaccountCreation
from sms.sync import sync_subaccounts
from sms.tests.test_create import ADD, create_url, open_form

pytestmark = pytest.mark.django_db


def test_the_same_form_after_the_subaccount_was_deleted_creates_nothing(
    login, tenant, tenant_admin, synced, sandbox
):
    client = login(tenant_admin)
    data = open_form(client, tenant)
    assert client.post(create_url(tenant), data).status_code == 200
    created = Subaccount.objects.get(tenant=tenant, login="nowe.konto")
    deleted = client.post(
        reverse("sms:subaccount-delete", kwargs={"tenant_slug": tenant.slug, "subaccount_id": created.pk}),
        {"confirm_login": "nowe.konto"},
    )
    assert deleted.status_code == 302 and not Subaccount.objects.filter(pk=created.pk).exists()
    sync_subaccounts(tenant.pk)
    # Even the form's own row going (a clean-up, say) does not make its token usable again.
    SubaccountCreation.objects.filter(form_token=data["form_token"]).update(
        status=SubaccountCreation.Status.NEW
    )

    again = client.post(create_url(tenant), data, follow=True)

    assert again.status_code == 200
    assert sandbox.request_count(ADD) == 1
    record = ActionRecord.objects.get(tenant=tenant, key=data["form_token"])
    assert record.kind == "sms.subaccount.create" and record.state == ActionRecord.State.DONE
