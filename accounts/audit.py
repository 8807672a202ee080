"""Writing audit events. Secrets never reach the log: fields that look like one are masked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models

from accounts.models import AuditEvent, Tenant, User

SECRET_MARKERS = ("password", "secret", "token", "api_key", "apikey", "key")
MASK = "(changed)"

# What the change was made through besides the member's session (an API token), for the log to name.
_acting_through: ContextVar[str] = ContextVar("audit_acting_through", default="")


@contextmanager
def acting_through(label: str) -> Iterator[None]:
    """Events recorded inside the block name `label` after the member (e.g. "API token deploy (dsh_1a2b)")."""
    previous = _acting_through.set(label)
    try:
        yield
    finally:
        _acting_through.reset(previous)


def is_secret_field(name: str) -> bool:
    lowered = name.lower()
    return any(marker in lowered for marker in SECRET_MARKERS)


def _plain(value: Any) -> Any:
    """JSON-safe form of a before/after value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def record(
    tenant: Tenant,
    user: User | None,
    action: str,
    *,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    changes: dict[str, tuple[Any, Any]] | None = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    message: str = "",
) -> AuditEvent:
    """Write one audit event. `changes` maps a field to (before, after)."""
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
        object_label = object_label or str(target)
    safe_changes = {
        field: ([MASK, MASK] if is_secret_field(field) else [_plain(before), _plain(after)])
        for field, (before, after) in (changes or {}).items()
    }
    username = user.get_username() if user is not None and user.is_authenticated else ""
    if through := _acting_through.get():
        username = f"{username} · {through}" if username else through
    return AuditEvent.objects.create(
        tenant=tenant,
        user=user if user is not None and user.is_authenticated else None,
        username=username[:150],
        action=action,
        object_type=object_type,
        object_id=object_id[:64],
        object_label=object_label[:200],
        changes=safe_changes,
        outcome=outcome,
        message=message,
    )
