"""A rollback's plan: the provider calls that bring chosen parts of the set-up back to a snapshot, and
what cannot be brought back.

Nothing that costs money is ever planned: no number is bought or deleted, no SMS sent, no announcement
generated, no subaccount created. Steps and gaps are plain dicts (kept in the Rollback row as JSON);
`describe_step` and `describe_gap` put them in words in the reader's language.
"""

from __future__ import annotations

from collections import Counter

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
PHONEBOOK_GONE = "phonebook_gone"  # a new book would be another one
PHONEBOOK_NEW = "phonebook_new"  # a whole book is not deleted by a rollback
PHONEBOOK_RENAMED = "phonebook_renamed"  # the API cannot rename a book
AGENT_GONE = "agent_gone"  # agents are made in the provider's panel
CAMPAIGN_GONE = "campaign_gone"  # campaigns too
NO_DEFAULT_THEN = "no_default_then"  # the API cannot unset a default outbound campaign

# The SPIKON calls of a rollback (the API's own names).
ADD_ENTRY = "phone_book_element/add"
DELETE_ENTRY = "phone_book_element/delete"
MEMBERSHIP_CALLS = {
    ("incoming", True): "cc_in_campaign/add_agent",
    ("incoming", False): "cc_in_campaign/remove_agent",
    ("outgoing", True): "cc_out_campaign/add_agent",
    ("outgoing", False): "cc_out_campaign/remove_agent",
}
SET_DEFAULT = "cc_out_campaign/set_default"


def make_plan(before: dict, now: dict, parts: list[str]) -> tuple[list[dict], list[dict]]:
    """(steps, gaps) that bring `now` back to `before` for `parts`."""
    steps: list[dict] = []
    gaps: list[dict] = []
    if Part.PREMIUM_REDIRECTS in parts:
        _plan_redirects(before, now, steps, gaps)
    if Part.SMS_LIMITS in parts:
        _plan_limits(before, now, steps, gaps)
    if Part.SPIKON_PHONEBOOKS in parts:
        _plan_phonebooks(before, now, steps, gaps)
    if Part.SPIKON_CALL_CENTER in parts:
        _plan_call_center(before, now, steps, gaps)
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


def _spikon(contents: dict, name: str) -> dict:
    return contents.get("spikon", {}).get(name, {})


def _plan_phonebooks(before: dict, now: dict, steps: list[dict], gaps: list[dict]) -> None:
    """Entries added since are deleted and entries deleted since are added again, book by book."""
    then, current = _spikon(before, "phonebooks"), _spikon(now, "phonebooks")
    part = Part.SPIKON_PHONEBOOKS
    for book_id in sorted(then.keys() | current.keys(), key=int):
        was, is_now = then.get(book_id), current.get(book_id)
        if is_now is None:
            gaps.append({"part": part, "reason": PHONEBOOK_GONE, "object": was["name"]})
            continue
        if was is None:
            gaps.append({"part": part, "reason": PHONEBOOK_NEW, "object": is_now["name"]})
            continue
        if was["name"] != is_now["name"]:
            gaps.append(
                {"part": part, "reason": PHONEBOOK_RENAMED, "object": is_now["name"], "then": was["name"]}
            )
        wanted = Counter(tuple(entry) for entry in was["entries"])
        present = Counter(tuple(entry) for entry in is_now["entries"])
        for call, entries in ((DELETE_ENTRY, present - wanted), (ADD_ENTRY, wanted - present)):
            for (name, number), times in sorted(entries.items()):
                for _copy in range(times):
                    steps.append(
                        {
                            "part": part,
                            "call": call,
                            "object": book_id,
                            "book": is_now["name"],
                            "args": {"name": name, "number": number},
                        }
                    )


def _plan_call_center(before: dict, now: dict, steps: list[dict], gaps: list[dict]) -> None:
    """Each agent's campaigns as they were: memberships added first, then the default outbound
    campaign (which needs its membership), then memberships removed."""
    then, current = _spikon(before, "agents"), _spikon(now, "agents")
    campaigns = {**_spikon(before, "campaigns"), **_spikon(now, "campaigns")}
    existing = _spikon(now, "campaigns")
    part = Part.SPIKON_CALL_CENTER
    adds, defaults, removes = [], [], []
    for agent_id in sorted(then.keys(), key=int):
        was, is_now = then[agent_id], current.get(agent_id)
        if is_now is None:
            gaps.append({"part": part, "reason": AGENT_GONE, "object": was["name"]})
            continue

        def step(call: str, campaign_id: int, agent_id=agent_id, agent=is_now) -> dict:
            return {
                "part": part,
                "call": call,
                "object": agent_id,
                "agent": agent["name"],
                "args": {
                    "campaign": campaign_id,
                    "campaign_name": campaigns.get(str(campaign_id), f"#{campaign_id}"),
                },
            }

        for direction in ("incoming", "outgoing"):
            for campaign_id in sorted(set(was[direction]) - set(is_now[direction])):
                if str(campaign_id) not in existing:
                    gaps.append(
                        {
                            "part": part,
                            "reason": CAMPAIGN_GONE,
                            "object": campaigns.get(str(campaign_id), f"#{campaign_id}"),
                        }
                    )
                    continue
                adds.append(step(MEMBERSHIP_CALLS[(direction, True)], campaign_id))
            for campaign_id in sorted(set(is_now[direction]) - set(was[direction])):
                removes.append(step(MEMBERSHIP_CALLS[(direction, False)], campaign_id))
        if was["default_outgoing"] != is_now["default_outgoing"]:
            if was["default_outgoing"] is None:
                gaps.append({"part": part, "reason": NO_DEFAULT_THEN, "object": was["name"]})
            elif str(was["default_outgoing"]) in existing:
                defaults.append(step(SET_DEFAULT, was["default_outgoing"]))
    steps.extend(adds + defaults + removes)


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
    if step["call"] in (ADD_ENTRY, DELETE_ENTRY):
        words = (
            _("%(call)s: the entry “%(name)s” (%(number)s) is added to the phonebook “%(book)s” again.")
            if step["call"] == ADD_ENTRY
            else _("%(call)s: the entry “%(name)s” (%(number)s) is deleted from the phonebook “%(book)s”.")
        )
        return words % {"call": step["call"], "book": step["book"], **args}
    if step["call"] == SET_DEFAULT:
        return _("%(call)s: the default outbound campaign of %(agent)s becomes %(campaign)s.") % {
            "call": step["call"],
            "agent": step["agent"],
            "campaign": args["campaign_name"],
        }
    if step["call"] in MEMBERSHIP_CALLS.values():
        words = {
            MEMBERSHIP_CALLS[("incoming", True)]: _("%(call)s: %(agent)s takes calls of %(campaign)s again."),
            MEMBERSHIP_CALLS[("incoming", False)]: _(
                "%(call)s: %(agent)s no longer takes calls of %(campaign)s."
            ),
            MEMBERSHIP_CALLS[("outgoing", True)]: _(
                "%(call)s: %(agent)s makes calls for %(campaign)s again."
            ),
            MEMBERSHIP_CALLS[("outgoing", False)]: _(
                "%(call)s: %(agent)s no longer makes calls for %(campaign)s."
            ),
        }[step["call"]]
        return words % {"call": step["call"], "agent": step["agent"], "campaign": args["campaign_name"]}
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
    if reason == PHONEBOOK_GONE:
        return _("The phonebook “%(name)s” no longer exists: a new one would be another phonebook.") % {
            "name": thing
        }
    if reason == PHONEBOOK_NEW:
        return _(
            "The phonebook “%(name)s” did not exist then: a rollback does not delete whole phonebooks."
        ) % {"name": thing}
    if reason == PHONEBOOK_RENAMED:
        return _(
            "The phonebook “%(name)s” was called “%(then)s” then: the API cannot rename a phonebook."
        ) % {
            "name": thing,
            "then": gap["then"],
        }
    if reason == AGENT_GONE:
        return _(
            "Agent %(name)s is no longer in the call center: agents are added in the provider's panel."
        ) % {"name": thing}
    if reason == CAMPAIGN_GONE:
        return _("The campaign %(name)s no longer exists: campaigns are made in the provider's panel.") % {
            "name": thing
        }
    return _("Agent %(name)s had no default outbound campaign then: the API cannot unset one.") % {
        "name": thing
    }
