"""Queuing after commit never fails the request: with the broker down the error is logged and swallowed."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from premium.tasks import delete_old_statements
from providers.queueing import queue_after_commit
from tests.faults import use_broker_down

# A harmless task of the project: with the broker down it is never sent anyway.
TASK = delete_old_statements


@pytest.mark.django_db(transaction=True)
def test_a_broker_error_is_logged_and_swallowed(monkeypatch, caplog):
    use_broker_down(monkeypatch)
    caplog.set_level(logging.WARNING, logger="providers.queueing")
    with transaction.atomic():
        queue_after_commit(TASK, 42)
        queue_after_commit(TASK.name, 43)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2 and all(TASK.name in message for message in messages)
    assert not any("42" in message or "43" in message for message in messages)


@pytest.mark.django_db(transaction=True)
def test_nothing_is_queued_when_the_transaction_rolls_back(monkeypatch):
    sent = []
    monkeypatch.setattr(TASK, "apply_async", lambda **kwargs: sent.append(kwargs))
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_after_commit(TASK, 1)
        raise RuntimeError
    with transaction.atomic():
        queue_after_commit(TASK, 2, countdown=5)
    assert sent == [{"args": [2], "countdown": 5}]
