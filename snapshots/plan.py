"""A rollback's plan: the provider calls that bring chosen parts of the set-up back to a snapshot, and
what cannot be brought back.

Nothing that costs money is ever planned: no number is bought or deleted, no SMS sent, no announcement
generated, no subaccount created. Steps and gaps are plain dicts (kept in the Rollback row as JSON);
`describe_step` and `describe_gap` put them in words in the reader's language.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from premium.client import Prezentacja
from snapshots.diff import limit_words, presentation_words
from snapshots.models import Part

# Why a difference is not restored.
NUMBER_GONE = "number_gone"  # buying numbers is never part of a rollback
NUMBER_NEW = "number_new"  # deleting numbers neither
NO_REDIRECT_THEN = "no_redirect_then"  # the API cannot remove a redirect
SUBACCOUNT_GONE = "subaccount_gone"  # a new subaccount would be another one
LIMIT_NOT_SET_THEN = "limit_not_set_then"  # the API cannot remove a limit
NOT_YET = "not_yet"  # a part this dashboard cannot restore yet


def make_plan(before: dict, now: dict, parts: list[str]) -> tuple[list[dict], list[dict]]:
    """(steps, gaps) that bring `now` back to `before` for `parts`."""
    steps: list[dict] = []
    gaps: list[dict] = []
    if Part.PREMIUM_REDIRECTS in parts:
        _plan_redirects(before, now, steps, gaps)
    if Part.SMS_LIMITS in parts:
        _plan_limits(before, now, steps, gaps)
    for part in (Part.SPIKON_PHONEBOOKS, Part.SPIKON_CALL_CENTER):
        if part in parts and _spikon_differs(before, now, part):
            gaps.append({"part": part, "reason": NOT_YET, "object": ""})
    return steps, gaps


def _numbers(contents: dict) -> dict:
    return contents.get("premium", {}).get("numbers", {})


def _plan_redirects(before: dict, now: dict, steps: list[dict], gaps: list[dict]) -> None:
    then, current = _numbers(before), _numbers(now)
    part = Part.PREMIUM_REDIRECTS
    for number in sorted(then.keys() | current.keys()):
        was, is_now = then.get(number), current.get(number)
        if is_now is None:
            gaps.append({"part": part, "reason": NUMBER_GONE, "object": number})
            continue
        if was is None:
            gaps.append({"part": part, "reason": NUMBER_NEW, "object": number})
            continue
        if not was["redirect"]:
            if is_now["redirect"]:
                gaps.append({"part": part, "reason": NO_REDIRECT_THEN, "object": number})
            continue
        # What is not known of the snapshot's settings stays as it is now; known to neither: the
        # provider's defaults, said so in the plan.
        presentation = was["presentation"] or is_now["presentation"]
        announcement = was["announcement"] if was["announcement"] is not None else is_now["announcement"]
        assumed = not presentation or announcement is None
        wanted = {
            "target": was["redirect"],
            "presentation": presentation or Prezentacja.HIDDEN.value,
            "announcement": bool(announcement),
        }
        if (
            wanted["target"] != is_now["redirect"]
            or (was["presentation"] and was["presentation"] != is_now["presentation"])
            or (was["announcement"] is not None and was["announcement"] != is_now["announcement"])
        ):
            steps.append(
                {
                    "part": part,
                    "call": "setRedirect",
                    "object": number,
                    "args": wanted,
                    "before": {"target": is_now["redirect"]},
                    "assumed": assumed,
                }
            )


def _subaccounts(contents: dict) -> dict:
    return contents.get("sms", {}).get("subaccounts", {})


def _plan_limits(before: dict, now: dict, steps: list[dict], gaps: list[dict]) -> None:
    then, current = _subaccounts(before), _subaccounts(now)
    part = Part.SMS_LIMITS
    for subaccount_id in sorted(then.keys(), key=int):
        was, is_now = then[subaccount_id], current.get(subaccount_id)
        if is_now is None:
            if was["limits"]:
                gaps.append({"part": part, "reason": SUBACCOUNT_GONE, "object": was["login"]})
            continue
        for message_type in sorted(was["limits"].keys() | is_now["limits"].keys()):
            value, current_value = was["limits"].get(message_type), is_now["limits"].get(message_type)
            if value is None:
                gaps.append(
                    {
                        "part": part,
                        "reason": LIMIT_NOT_SET_THEN,
                        "object": was["login"],
                        "message_type": message_type,
                    }
                )
            elif value != current_value:
                steps.append(
                    {
                        "part": part,
                        "call": "subaccounts/limit",
                        "object": subaccount_id,
                        "login": was["login"],
                        "args": {"message_type": message_type, "value": value},
                        "before": {"value": current_value},
                    }
                )


def _spikon_differs(before: dict, now: dict, part: str) -> bool:
    names = ("phonebooks",) if part == Part.SPIKON_PHONEBOOKS else ("agents", "campaigns")
    return any(before.get("spikon", {}).get(name) != now.get("spikon", {}).get(name) for name in names)


def describe_step(step: dict) -> str:
    args = step["args"]
    if step["call"] == "setRedirect":
        words = _(
            "%(call)s for %(number)s: calls go to %(target)s instead of %(before)s; %(shown)s; %(announcement)s."
        ) % {
            "call": "setRedirect",
            "number": step["object"],
            "target": args["target"],
            "before": step["before"]["target"] or "—",
            "shown": _("number shown: %(presentation)s")
            % {"presentation": presentation_words(args["presentation"])},
            "announcement": _("announcement on") if args["announcement"] else _("announcement off"),
        }
        if step.get("assumed"):
            words += " " + _(
                "Its presentation or announcement was not known: the provider's defaults are sent."
            )
        return words
    before = step["before"]["value"]
    return _("%(call)s for subaccount %(login)s: limit of %(kind)s %(after)s instead of %(before)s.") % {
        "call": "subaccounts/limit",
        "login": step["login"],
        "kind": limit_words(args["message_type"]),
        "after": args["value"],
        "before": _("none recorded") if before is None else before,
    }


def describe_gap(gap: dict) -> str:
    reason, thing = gap["reason"], gap["object"]
    if reason == NUMBER_GONE:
        return _(
            "Number %(number)s is no longer on the account: buying numbers is never part of a rollback."
        ) % {"number": thing}
    if reason == NUMBER_NEW:
        return _(
            "Number %(number)s was not on the account then: it stays (deleting numbers is never part of a rollback)."
        ) % {"number": thing}
    if reason == NO_REDIRECT_THEN:
        return _("Number %(number)s had no redirect then: the provider's API cannot remove one.") % {
            "number": thing
        }
    if reason == SUBACCOUNT_GONE:
        return _("Subaccount %(login)s no longer exists: a new one would be another subaccount.") % {
            "login": thing
        }
    if reason == LIMIT_NOT_SET_THEN:
        return _(
            "Subaccount %(login)s had no limit of %(kind)s recorded then: the API cannot remove a limit."
        ) % {
            "login": thing,
            "kind": limit_words(gap["message_type"]),
        }
    return _("%(part)s: differences are listed above, but this dashboard cannot restore them yet.") % {
        "part": Part(gap["part"]).label
    }
