"""The snapshot pages: taking one, comparing, the plan's parts by role, and bad input."""

from __future__ import annotations

from django.urls import reverse

from premium.models import PremiumNumber
from snapshots.capture import take
from snapshots.models import Part, Rollback, Snapshot


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"snapshots:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


def test_taking_and_comparing(tenant, operator, viewer, login):
    number = PremiumNumber.objects.create(
        tenant=tenant, number="708000001", tariff=6, redirect_to="601111111"
    )
    client = login(operator)
    assert client.post(url("take", tenant)).status_code == 302
    first = Snapshot.objects.get(tenant=tenant)
    assert first.taken_by == operator
    assert first.contents["premium"]["numbers"]["708000001"]["redirect"] == "601111111"
    PremiumNumber.objects.filter(pk=number.pk).update(redirect_to="609999999")
    second = take(tenant, Snapshot.Reason.DAILY)

    client = login(viewer)
    between = client.get(url("compare", tenant), {"since": first.pk, "to": second.pk})
    assert "Połączenia trafiały na 601111111; trafiają na 609999999." in between.content.decode()
    to_now = client.get(url("compare", tenant), {"since": second.pk})
    assert "Nic się nie zmieniło." in to_now.content.decode()
    listing = client.get(url("list", tenant)).content.decode()
    assert "codzienna" in listing and "na żądanie" in listing


def test_bad_input_gets_a_clear_error(tenant, other_tenant, operator, login):
    mine = take(tenant, Snapshot.Reason.ON_DEMAND)
    theirs = take(other_tenant, Snapshot.Reason.ON_DEMAND)
    client = login(operator)
    for query in ({"since": "abc"}, {"since": theirs.pk}, {}):
        answer = client.get(url("compare", tenant), query)
        assert answer.status_code == 400
        assert (
            "Wybierz poprawną wartość" in answer.content.decode()
            or "To pole jest wymagane" in answer.content.decode()
        )
    same = client.get(url("compare", tenant), {"since": mine.pk, "to": mine.pk})
    assert same.status_code == 400
    assert "Wybierz dwie różne migawki" in same.content.decode()

    plan = url("rollback", tenant, snapshot_id=mine.pk)
    assert client.get(plan, {"parts": "everything"}).status_code == 400
    assert client.post(plan, {"parts": [Part.PREMIUM_REDIRECTS]}).status_code == 400  # no confirmation
    assert not Rollback.objects.exists()


def test_restoring_serwersms_limits_needs_an_admin(tenant, operator, tenant_admin, login):
    snapshot = take(tenant, Snapshot.Reason.ON_DEMAND)
    plan = url("rollback", tenant, snapshot_id=snapshot.pk)
    as_operator = login(operator).get(plan, {"parts": [Part.SMS_LIMITS]})
    assert as_operator.status_code == 400
    assert "Limity SerwerSMS.pl może przywrócić tylko administrator." in as_operator.content.decode()
    refused = login(operator).post(plan, {"parts": [Part.SMS_LIMITS], "confirmation": "k" * 32})
    assert refused.status_code == 400
    assert not Rollback.objects.exists()
    as_admin = login(tenant_admin).get(plan, {"parts": [Part.SMS_LIMITS]})
    assert as_admin.status_code == 200
    assert "Nie trzeba żadnego wywołania u operatora" in as_admin.content.decode()


def test_the_wrong_method_is_refused(tenant, operator, login):
    snapshot = take(tenant, Snapshot.Reason.ON_DEMAND)
    client = login(operator)
    assert client.get(url("take", tenant)).status_code == 405
    assert client.post(url("detail", tenant, snapshot_id=snapshot.pk)).status_code == 405
    assert client.delete(url("rollback", tenant, snapshot_id=snapshot.pk)).status_code == 405
