"""Act once: a key starts at most one action, and its record outlives what the action made."""

from __future__ import annotations

import pytest

from providers.once import ActionRecord, new_action_key, start_action

pytestmark = pytest.mark.django_db


def test_a_key_starts_one_action_and_the_second_start_gets_none(tenant, operator):
    key = new_action_key()
    first = start_action(tenant, key, "premium.number.buy", user=operator)
    assert first is not None and first.state == ActionRecord.State.ACTING
    assert start_action(tenant, key, "premium.number.buy", user=operator) is None
    first.settle(ActionRecord.State.DONE, message="Bought 708 000 001.", number_id=7)
    stored = ActionRecord.objects.get(tenant=tenant, key=key)
    assert stored.state == "done" and stored.outcome == {"message": "Bought 708 000 001.", "number_id": 7}


def test_the_same_key_in_another_tenant_is_another_action(tenant, other_tenant):
    key = new_action_key()
    assert start_action(tenant, key, "sms.subaccount.create") is not None
    assert start_action(other_tenant, key, "sms.subaccount.create") is not None


def test_an_empty_or_overlong_key_starts_nothing(tenant):
    assert start_action(tenant, "", "premium.number.buy") is None
    assert start_action(tenant, "k" * 65, "premium.number.buy") is None
    assert not ActionRecord.objects.exists()
