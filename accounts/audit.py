"""Writing audit events and reading them as sentences.

Secrets never reach the log: fields that look like one are masked. The log stores an action code with
its facts; what people read is made when it is shown, in the viewer's language, from what each app
registers in its `audit_messages.py` (collected when the apps are ready).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any
from urllib.parse import quote

from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dates import MONTHS_ALT
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, Tenant, User
from providers.formatting import amount, money, phone
from providers.texts import shown

SECRET_MARKERS = ("password", "secret", "token", "api_key", "apikey", "key")
MASK = "(changed)"
DECIMAL = re.compile(r"-?\d+\.\d+")  # a number with a fraction, as a change stores it

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


# --- Reading the log ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sentence:
    """What the log says about one action code; `%(object)s` is the object's name, and every field of
    the event's changes is there as `%(<field>_before)s` and `%(<field>_after)s` (spaces as `_`)."""

    done: str
    failed: str
    removes: bool = False  # the object is gone after it: no link to it


SENTENCES: dict[str, Sentence] = {}
AREAS: dict[str, str] = {}  # the first part of an action code ("premium") -> what the filter calls it
FIELD_NAMES: dict[str, str] = {}  # a field of `changes` -> its name for people
VALUE_NAMES: dict[str, dict[str, str]] = {}  # a field -> its stored codes ("operator") -> words
MONEY_FIELDS: set[str] = set()  # fields holding an amount in zł, shown as money in the viewer's language
OBJECT_LINKS: dict[str, Callable[[str, str], str]] = {}  # object_type -> (tenant slug, id) -> URL


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The fields whose value differs, as (before, after): what an edit's audit event records."""
    return {key: (before[key], after[key]) for key in before if before[key] != after[key]}


def register(
    sentences: Mapping[str, Sentence],
    *,
    areas: Mapping[str, str] | None = None,
    fields: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    links: Mapping[str, tuple[str, str]] | None = None,
    money_fields: Iterable[str] = (),
) -> None:
    """Add an app's sentences; `links` maps an object_type to (URL name, its id argument)."""
    clash = SENTENCES.keys() & sentences.keys()
    if clash:
        raise ValueError(f"audit actions registered twice: {sorted(clash)}")
    SENTENCES.update(sentences)
    AREAS.update(areas or {})
    FIELD_NAMES.update(fields or {})
    for field, names in (values or {}).items():
        VALUE_NAMES.setdefault(field, {}).update(names)
    MONEY_FIELDS.update(money_fields)
    for object_type, (url_name, argument) in (links or {}).items():
        OBJECT_LINKS[object_type] = _link_maker(url_name, argument)


def _link_maker(url_name: str, argument: str) -> Callable[[str, str], str]:
    def link(tenant_slug: str, object_id: str) -> str:
        return reverse(url_name, kwargs={"tenant_slug": tenant_slug, argument: object_id})

    return link


def shown_value(field: str, value: Any) -> str:
    """A stored before/after value as people read it: no None, True/False or Python lists."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(shown_value(field, item) for item in value) or "—"
    if value == MASK:
        return _("(changed)")
    text = str(value)
    if field in MONEY_FIELDS:
        return _amount_in_zloty(text)
    if DECIMAL.fullmatch(text):  # a threshold, a share, a price: in the viewer's form (12,50)
        return amount(Decimal(text), len(text.partition(".")[2]))
    return str(VALUE_NAMES.get(field, {}).get(text, phone(text)))


def _amount_in_zloty(text: str) -> str:
    # Events written before amounts were stored as numbers hold "12.30 zł".
    try:
        return money(Decimal(text.removesuffix(" zł")))
    except InvalidOperation:
        return text


class _Facts(dict):
    def __missing__(self, key: str) -> str:
        return "—"


def sentence(event: AuditEvent) -> str:
    """The event as one sentence in the active language."""
    facts = _Facts(object=phone(event.object_label))
    for field, pair in (event.changes or {}).items():
        before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, None)
        key = field.replace(" ", "_")
        facts[f"{key}_before"] = shown_value(field, before)
        facts[f"{key}_after"] = shown_value(field, after)
    known = SENTENCES.get(event.action)
    if known is None:
        # An action written before its sentence was registered: say what we can without its code.
        return _("A change to %(object)s.") % facts
    template = known.failed if event.outcome == AuditEvent.Outcome.FAILURE else known.done
    return str(template) % facts


def shown_changes(event: AuditEvent) -> list[tuple[str, str, str]]:
    """(field name, before, after) of each change, in the active language."""
    rows = []
    for field, pair in (event.changes or {}).items():
        before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, None)
        name = str(FIELD_NAMES.get(field, field))
        rows.append((name, shown_value(field, before), shown_value(field, after)))
    return rows


def object_link(event: AuditEvent, tenant_slug: str) -> str:
    """The address of the event's object, or "" when it has no page (or is gone)."""
    make = OBJECT_LINKS.get(event.object_type)
    known = SENTENCES.get(event.action)
    if make is None or not event.object_id or (known is not None and known.removes):
        return ""
    try:
        return make(tenant_slug, event.object_id)
    except NoReverseMatch:
        return ""


@dataclass(frozen=True, slots=True)
class ReadableEvent:
    """An audit event as the log shows it."""

    event: AuditEvent
    sentence: str
    changes: list[tuple[str, str, str]]
    object_url: str
    object_filter: str  # the log's `object` filter for this event's object, "" when it names none


def readable(events: Iterable[AuditEvent], tenant_slug: str) -> list[ReadableEvent]:
    return [
        ReadableEvent(
            event=event,
            sentence=sentence(event),
            changes=shown_changes(event),
            object_url=object_link(event, tenant_slug),
            object_filter=f"{event.object_type}:{event.object_id}"
            if event.object_type and event.object_id
            else "",
        )
        for event in events
    ]


def table_rows(events: list[ReadableEvent], log_url: str) -> SafeString:
    """The log's rows, joined here: fifty rows of date filters, URL tags and translations took most of the
    page's time. `log_url` is the log's own address (its user and object filters link to it). Times as
    the date filter's "j E Y, H:i" in the current (the tenant's) time zone; every text escaped."""
    zone = timezone.get_current_timezone()
    everything = escape(_("Everything this person did"))
    system = escape(_("the system"))
    history = escape(_("History of this object"))
    outcomes = {value: escape(str(label)) for value, label in AuditEvent.Outcome.choices}
    months: dict[int, str] = {}
    rows = []
    for row in events:
        event = row.event
        created = event.created_at.astimezone(zone)
        if created.month not in months:
            months[created.month] = escape(str(MONTHS_ALT[created.month]))
        if event.username:
            who = (
                f'<a href="{log_url}?user={escape(quote(event.username))}" title="{everything}">'
                f"{escape(event.username)}</a>"
            )
        else:
            who = system
        what = escape(row.sentence)
        parts = [
            f'<div><a href="{escape(row.object_url)}">{what}</a></div>'
            if row.object_url
            else f"<div>{what}</div>"
        ]
        if row.changes:
            changes = "".join(
                f"<li>{escape(capfirst(name))}: {escape(before)} → {escape(after)}</li>"
                for name, before, after in row.changes
            )
            parts.append(f'<ul class="audit-changes">{changes}</ul>')
        if event.message:
            parts.append(f'<div class="muted">{escape(shown(event.message))}</div>')
        if row.object_filter:
            parts.append(
                f'<a class="muted" href="{log_url}?object={escape(quote(row.object_filter))}">{history}</a>'
            )
        outcome = outcomes.get(event.outcome) or escape(event.outcome)
        rows.append(
            f'<tr><td><time datetime="{created.isoformat()}">{created.day} {months[created.month]} '
            f"{created.year:04d}, {created:%H:%M}</time></td><td>{who}</td><td>{''.join(parts)}</td>"
            f'<td><span class="badge badge-{escape(event.outcome)}">{outcome}</span></td></tr>'
        )
    return mark_safe("".join(rows))  # escaped above
