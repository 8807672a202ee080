"""The diff's sentences and the rollback plan's calls and gaps, in English (the pages show Polish)."""

from __future__ import annotations

import copy

from django.utils import translation

from snapshots.diff import differences
from snapshots.models import Part
from snapshots.plan import describe_gap, describe_step, make_plan

THEN = {
    "premium": {
        "numbers": {
            "708000001": {"redirect": "601111111", "presentation": "prezentacja", "announcement": False},
            "708000002": {"redirect": "602222222", "presentation": "", "announcement": None},
            "708000003": {"redirect": "", "presentation": "", "announcement": None},
            "708000004": {"redirect": "603333333", "presentation": "", "announcement": None},
        }
    },
    "spikon": {
        "phonebooks": {"3": {"name": "Klienci", "entries": [["Jan", "601000001"], ["Ola", "601000002"]]}},
        "campaigns": {"7": "Infolinia", "8": "Windykacja"},
        "agents": {"12": {"name": "Anna", "incoming": [7], "outgoing": [7], "default_outgoing": 7}},
    },
    "sms": {
        "subaccounts": {
            "41": {"login": "biuro", "limits": {"eco": 1000}},
            "42": {"login": "sklep", "limits": {}},
        }
    },
}


def now_contents() -> dict:
    now = copy.deepcopy(THEN)
    numbers = now["premium"]["numbers"]
    numbers["708000001"].update(redirect="609999999", presentation="prezentacjaA")
    numbers["708000002"]["redirect"] = "609999999"
    numbers["708000003"]["redirect"] = "609999999"
    del numbers["708000004"]
    numbers["708000005"] = {"redirect": "605555555", "presentation": "", "announcement": None}
    now["spikon"]["phonebooks"]["3"]["entries"] = [["Jan", "601000001"], ["Piotr", "601000003"]]
    now["spikon"]["agents"]["12"].update(incoming=[7, 8], default_outgoing=8)
    now["sms"]["subaccounts"]["41"]["limits"] = {"eco": 50, "full": 10}
    del now["sms"]["subaccounts"]["42"]
    return now


def test_differences_are_sentences_grouped_by_provider_and_object():
    with translation.override("en"):
        groups = differences(THEN, now_contents())
        found = {group.provider: {o.label: o.sentences for o in group.objects} for group in groups}
    assert found["Numery-Premium.PL"]["Number 708000001"] == [
        "Calls went to 601111111; they go to 609999999.",
        "The number shown to the target changed from “caller's number” to “restricted”.",
    ]
    assert found["Numery-Premium.PL"]["Number 708000004"] == [
        "Removed from the account; it was redirected to 603333333."
    ]
    assert found["Numery-Premium.PL"]["Number 708000005"] == [
        "Added to the account, redirected to 605555555."
    ]
    assert found["SPIKON"]["Phonebook “Klienci”"] == [
        "Entry “Piotr” (601000003) added.",
        "Entry “Ola” (601000002) removed.",
    ]
    assert found["SPIKON"]["Agent Anna"] == [
        "Now takes calls of: Windykacja.",
        "The default outbound campaign changed from Infolinia to Windykacja.",
    ]
    assert found["SerwerSMS.pl"]["Subaccount biuro"] == [
        "Limit of SMS ECO changed from 1000 to 50.",
        "Limit of SMS FULL set to 10.",
    ]
    assert found["SerwerSMS.pl"]["Subaccount sklep"] == ["Deleted."]
    assert differences(THEN, copy.deepcopy(THEN)) == []


def test_the_plan_lists_each_call_and_names_what_cannot_be_restored():
    steps, gaps = make_plan(THEN, now_contents(), list(Part.values))
    with translation.override("en"):
        assert [describe_step(step) for step in steps] == [
            "setRedirect for 708000001: calls go to 601111111 instead of 609999999; number shown: caller's "
            "number; announcement off.",
            "setRedirect for 708000002: calls go to 602222222 instead of 609999999; number shown: restricted; "
            "announcement off. Its presentation or announcement was not known: the provider's defaults are sent.",
            "subaccounts/limit for subaccount biuro: limit of SMS ECO 1000 instead of 50.",
            "phone_book_element/delete: the entry “Piotr” (601000003) is deleted from the phonebook “Klienci”.",
            "phone_book_element/add: the entry “Ola” (601000002) is added to the phonebook “Klienci” again.",
            "cc_out_campaign/set_default: the default outbound campaign of Anna becomes Infolinia.",
            "cc_in_campaign/remove_agent: Anna no longer takes calls of Windykacja.",
        ]
        assert [describe_gap(gap) for gap in gaps] == [
            "Number 708000003 had no redirect then: the provider's API cannot remove one.",
            "Number 708000004 is no longer on the account: buying numbers is never part of a rollback.",
            "Number 708000005 was not on the account then: it stays (deleting numbers is never part of a "
            "rollback).",
            "Subaccount biuro had no limit of SMS FULL recorded then: the API cannot remove a limit.",
        ]


def test_only_the_chosen_parts_are_planned():
    steps, gaps = make_plan(THEN, now_contents(), [Part.SMS_LIMITS])
    assert [step["call"] for step in steps] == ["subaccounts/limit"]
    assert all(gap["part"] == Part.SMS_LIMITS for gap in gaps)


def test_what_spikon_cannot_restore_is_named():
    now = now_contents()
    now["spikon"]["phonebooks"]["3"]["name"] = "Klienci 2026"
    now["spikon"]["phonebooks"]["5"] = {"name": "Dostawcy", "entries": []}
    now["spikon"]["agents"]["12"]["default_outgoing"] = 8
    then = copy.deepcopy(THEN)
    then["spikon"]["phonebooks"]["4"] = {"name": "Stara", "entries": [["Ewa", "601000009"]]}
    then["spikon"]["agents"]["13"] = {
        "name": "Bartek",
        "incoming": [],
        "outgoing": [],
        "default_outgoing": None,
    }
    then["spikon"]["agents"]["12"].update(default_outgoing=None, outgoing=[7, 9])
    steps, gaps = make_plan(then, now, [Part.SPIKON_PHONEBOOKS, Part.SPIKON_CALL_CENTER])
    with translation.override("en"):
        assert [describe_gap(gap) for gap in gaps] == [
            "The phonebook “Klienci 2026” was called “Klienci” then: the API cannot rename a phonebook.",
            "The phonebook “Stara” no longer exists: a new one would be another phonebook.",
            "The phonebook “Dostawcy” did not exist then: a rollback does not delete whole phonebooks.",
            "The campaign #9 no longer exists: campaigns are made in the provider's panel.",
            "Agent Anna had no default outbound campaign then: the API cannot unset one.",
            "Agent Bartek is no longer in the call center: agents are added in the provider's panel.",
        ]
    assert not any(step["call"] == "phone_book/delete" for step in steps)
