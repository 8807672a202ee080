import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st

from accounts.validators import clean_provider_base_url


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ""),
        ("  https://panel.spikon.pl/ ", "https://panel.spikon.pl"),
        ("http://127.0.0.1:8001/spikon", "http://127.0.0.1:8001/spikon"),
        ("http://localhost:8001/sms/", "http://localhost:8001/sms"),
        ("http://[::1]:8001/premium", "http://[::1]:8001/premium"),
    ],
)
def test_accepted_addresses(value, expected):
    assert clean_provider_base_url(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "http://panel.spikon.pl",  # the key would travel unencrypted
        "ftp://127.0.0.1/",
        "https://user:pass@panel.spikon.pl",
        "https://panel.spikon.pl/?x=1",
        "https://panel.spikon.pl/#top",
        "javascript:alert(1)",
        "https://",
        "http://[::1",
    ],
)
def test_refused_addresses(value):
    with pytest.raises(forms.ValidationError):
        clean_provider_base_url(value)


@given(st.text())
def test_any_text_is_an_address_or_a_validation_error(value):
    try:
        result = clean_provider_base_url(value)
    except forms.ValidationError:
        return
    assert result == "" or result.startswith(("https://", "http://"))
