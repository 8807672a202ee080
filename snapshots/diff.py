"""What changed between two snapshots' contents (or a snapshot and now), in sentences grouped by
provider and object, in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from premium.models import PRESENTATION_SHORT
from sms.models import MessageType


@dataclass
class ObjectChanges:
    label: str
    sentences: list[str] = field(default_factory=list)


@dataclass
class ProviderChanges:
    provider: str
    objects: list[ObjectChanges] = field(default_factory=list)


def presentation_words(value: str) -> str:
    return str(PRESENTATION_SHORT.get(value, "")) or pgettext("presentation", "not known")


def limit_words(message_type: str) -> str:
    try:
        return str(MessageType(message_type).label)
    except ValueError:
        return message_type


def differences(before: dict, after: dict) -> list[ProviderChanges]:
    """Only providers and objects with a change are listed."""
    groups = [
        ProviderChanges("Numery-Premium.PL", _premium(before, after)),
        ProviderChanges("SPIKON", _phonebooks(before, after) + _call_center(before, after)),
        ProviderChanges("SerwerSMS.pl", _sms(before, after)),
    ]
    return [group for group in groups if group.objects]


def _section(contents: dict, provider: str, name: str) -> dict:
    return contents.get(provider, {}).get(name, {})


def _premium(before: dict, after: dict) -> list[ObjectChanges]:
    old, new = _section(before, "premium", "numbers"), _section(after, "premium", "numbers")
    found = []
    for number in sorted(old.keys() | new.keys()):
        changes = ObjectChanges(_("Number %(number)s") % {"number": number})
        was, now = old.get(number), new.get(number)
        if was is None:
            changes.sentences.append(
                _("Added to the account, redirected to %(target)s.") % {"target": now["redirect"] or "—"}
            )
        elif now is None:
            changes.sentences.append(
                _("Removed from the account; it was redirected to %(target)s.")
                % {"target": was["redirect"] or "—"}
            )
        else:
            if was["redirect"] != now["redirect"]:
                changes.sentences.append(
                    _("Calls went to %(before)s; they go to %(after)s.")
                    % {"before": was["redirect"] or "—", "after": now["redirect"] or "—"}
                )
            if was["presentation"] and now["presentation"] and was["presentation"] != now["presentation"]:
                changes.sentences.append(
                    _("The number shown to the target changed from “%(before)s” to “%(after)s”.")
                    % {
                        "before": presentation_words(was["presentation"]),
                        "after": presentation_words(now["presentation"]),
                    }
                )
            if (
                None not in (was["announcement"], now["announcement"])
                and was["announcement"] != now["announcement"]
            ):
                changes.sentences.append(
                    _("The announcement was switched on.")
                    if now["announcement"]
                    else _("The announcement was switched off.")
                )
        if changes.sentences:
            found.append(changes)
    return found


def _phonebooks(before: dict, after: dict) -> list[ObjectChanges]:
    old, new = _section(before, "spikon", "phonebooks"), _section(after, "spikon", "phonebooks")
    found = []
    for book_id in sorted(old.keys() | new.keys(), key=int):
        was, now = old.get(book_id), new.get(book_id)
        name = (now or was)["name"]
        changes = ObjectChanges(_("Phonebook “%(name)s”") % {"name": name})
        if was is None:
            count = len(now["entries"])
            changes.sentences.append(
                ngettext("Created with %(count)s entry.", "Created with %(count)s entries.", count)
                % {"count": count}
            )
        elif now is None:
            count = len(was["entries"])
            changes.sentences.append(
                ngettext("Deleted with %(count)s entry.", "Deleted with %(count)s entries.", count)
                % {"count": count}
            )
        else:
            if was["name"] != now["name"]:
                changes.sentences.append(_("Renamed from “%(before)s”.") % {"before": was["name"]})
            old_entries = {tuple(entry) for entry in was["entries"]}
            new_entries = {tuple(entry) for entry in now["entries"]}
            for entry_name, number in sorted(new_entries - old_entries):
                changes.sentences.append(
                    _("Entry “%(name)s” (%(number)s) added.") % {"name": entry_name, "number": number}
                )
            for entry_name, number in sorted(old_entries - new_entries):
                changes.sentences.append(
                    _("Entry “%(name)s” (%(number)s) removed.") % {"name": entry_name, "number": number}
                )
        if changes.sentences:
            found.append(changes)
    return found


def _campaign_names(ids: list[int], before: dict, after: dict) -> str:
    names = {**_section(before, "spikon", "campaigns"), **_section(after, "spikon", "campaigns")}
    return ", ".join(names.get(str(campaign_id), f"#{campaign_id}") for campaign_id in ids)


def _call_center(before: dict, after: dict) -> list[ObjectChanges]:
    old, new = _section(before, "spikon", "agents"), _section(after, "spikon", "agents")
    found = []
    for agent_id in sorted(old.keys() | new.keys(), key=int):
        was, now = old.get(agent_id), new.get(agent_id)
        changes = ObjectChanges(_("Agent %(name)s") % {"name": (now or was)["name"]})
        if was is None:
            changes.sentences.append(_("Added to the call center."))
        elif now is None:
            changes.sentences.append(_("No longer in the call center."))
        else:
            for key, joined, left in (
                (
                    "incoming",
                    _("Now takes calls of: %(campaigns)s."),
                    _("No longer takes calls of: %(campaigns)s."),
                ),
                (
                    "outgoing",
                    _("Now makes calls for: %(campaigns)s."),
                    _("No longer makes calls for: %(campaigns)s."),
                ),
            ):
                added = sorted(set(now[key]) - set(was[key]))
                removed = sorted(set(was[key]) - set(now[key]))
                if added:
                    changes.sentences.append(joined % {"campaigns": _campaign_names(added, before, after)})
                if removed:
                    changes.sentences.append(left % {"campaigns": _campaign_names(removed, before, after)})
            if was["default_outgoing"] != now["default_outgoing"]:
                none = _("none")
                changes.sentences.append(
                    _("The default outbound campaign changed from %(before)s to %(after)s.")
                    % {
                        "before": _campaign_names([was["default_outgoing"]], before, after)
                        if was["default_outgoing"] is not None
                        else none,
                        "after": _campaign_names([now["default_outgoing"]], before, after)
                        if now["default_outgoing"] is not None
                        else none,
                    }
                )
        if changes.sentences:
            found.append(changes)
    return found


def _sms(before: dict, after: dict) -> list[ObjectChanges]:
    old, new = _section(before, "sms", "subaccounts"), _section(after, "sms", "subaccounts")
    found = []
    for subaccount_id in sorted(old.keys() | new.keys(), key=int):
        was, now = old.get(subaccount_id), new.get(subaccount_id)
        changes = ObjectChanges(_("Subaccount %(login)s") % {"login": (now or was)["login"]})
        if was is None:
            changes.sentences.append(_("Created."))
        elif now is None:
            changes.sentences.append(_("Deleted."))
        else:
            for message_type in sorted(was["limits"].keys() | now["limits"].keys()):
                kind = limit_words(message_type)
                limit_was, limit_now = was["limits"].get(message_type), now["limits"].get(message_type)
                if limit_was is None:
                    changes.sentences.append(
                        _("Limit of %(kind)s set to %(after)s.") % {"kind": kind, "after": limit_now}
                    )
                elif limit_now is None:
                    changes.sentences.append(
                        _("Limit of %(kind)s (%(before)s) is no longer recorded here.")
                        % {"kind": kind, "before": limit_was}
                    )
                elif limit_was != limit_now:
                    changes.sentences.append(
                        _("Limit of %(kind)s changed from %(before)s to %(after)s.")
                        % {"kind": kind, "before": limit_was, "after": limit_now}
                    )
        if changes.sentences:
            found.append(changes)
    return found
