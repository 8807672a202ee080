"""The one redaction of provider texts: secrets whole, any run of six of their characters, chosen passwords."""

from __future__ import annotations

from provider_api.redaction import redact

KEY = "k3y-ABCDEFGHIJKLMNOPQRSTUV-9876"


def test_a_secret_is_masked_whole():
    assert redact(f"bad key {KEY} given", [KEY]) == "bad key *** given"


def test_a_fourteen_character_run_of_a_key_is_masked():
    echoed = KEY[5:19]
    assert len(echoed) == 14
    assert redact(f"invalid key '{echoed}…'", [KEY]) == "invalid key '***…'"


def test_any_run_of_six_characters_is_masked_but_five_are_not():
    assert redact(f"x{KEY[10:16]}y", [KEY]) == "x***y"
    assert redact(f"x{KEY[10:15]}y", [KEY]) == f"x{KEY[10:15]}y"


def test_a_chosen_password_given_as_extra_is_masked():
    assert redact("login taken; password Tajne-Haslo-1 refused", [], extra=["Tajne-Haslo-1"]) == (
        "login taken; password *** refused"
    )


def test_overlapping_and_adjacent_runs_become_one_mask_and_clean_text_stays():
    assert redact(f"{KEY[:12]}{KEY[8:20]}", [KEY]) == "***"
    assert redact("nothing secret here", [KEY, ""]) == "nothing secret here"
