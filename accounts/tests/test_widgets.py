"""accounts.widgets: the same HTML as Django's widgets, made without their templates."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html

from accounts.widgets import Select

CHOICES = [
    ("", "any"),
    ("a", "Plain"),
    ('"quoted" & <tagged>', "<b>not bold</b>"),
    ("Group & co", [("1", "One"), ("2", "Two <2>")]),
]


def form_with(widget: type[forms.Select], data: dict | None) -> forms.Form:
    class Filters(forms.Form):
        state = forms.ChoiceField(choices=CHOICES, required=True, widget=widget(attrs={"class": "wide"}))

    return Filters(data)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"state": "a"},
        {"state": '"quoted" & <tagged>'},
        {"state": "2"},
        {"state": ""},
        {"state": "nope"},
    ],
)
def test_select_renders_what_djangos_select_renders(data):
    ours, djangos = form_with(Select, data), form_with(forms.Select, data)
    if data is not None:
        assert ours.is_valid() == djangos.is_valid()

    rendered = str(ours["state"])
    assert parse_html(rendered) == parse_html(str(djangos["state"]))
    assert parse_html(ours["state"].as_field_group()) == parse_html(djangos["state"].as_field_group())
    assert "<b>" not in rendered and "&lt;b&gt;" in rendered


def test_the_chosen_option_is_selected_and_an_invalid_choice_marked():
    chosen = str(form_with(Select, {"state": "2"})["state"])
    assert '<option value="2" selected>' in chosen

    refused = form_with(Select, {"state": "nope"})
    assert not refused.is_valid()
    assert 'aria-invalid="true"' in str(refused["state"])
