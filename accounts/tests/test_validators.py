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
    assert clean_provider_base_url(value, official="https://panel.spikon.pl") == expected


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


def test_the_official_address_is_accepted_anywhere(settings):
    settings.ALLOWED_PROVIDER_HOSTS = []
    assert clean_provider_base_url("https://api2.serwersms.pl/", official="https://api2.serwersms.pl") == (
        "https://api2.serwersms.pl"
    )


@pytest.mark.parametrize(
    "value",
    [
        "https://evil.example.com",  # any host on the internet
        "https://10.0.0.5:8443",  # a machine of the internal network
        "http://127.0.0.1:6379",  # a local service, with DEBUG off
        "https://localhost:5432",
        "https://api2.serwersms.pl.evil.example.com",
    ],
)
def test_in_production_only_the_official_address_and_the_listed_hosts(settings, value):
    settings.PROVIDER_SANDBOXES_ALLOWED = False
    settings.ALLOWED_PROVIDER_HOSTS = ["sandbox.example.pl"]
    with pytest.raises(forms.ValidationError) as refusal:
        clean_provider_base_url(value, official="https://api2.serwersms.pl")
    assert "sandbox.example.pl" in str(refusal.value) and "api2.serwersms.pl" in str(refusal.value)
    assert clean_provider_base_url(
        "https://sandbox.example.pl:8443/api", official="https://api2.serwersms.pl"
    )


def test_loopback_only_with_debug_on(settings):
    """The sandboxes on this machine: allowed when the server was started with DEBUG on, even if listed."""
    settings.ALLOWED_PROVIDER_HOSTS = ["127.0.0.1", "localhost"]
    settings.PROVIDER_SANDBOXES_ALLOWED = False
    with pytest.raises(forms.ValidationError):
        clean_provider_base_url("http://127.0.0.1:8001/sms")
    settings.PROVIDER_SANDBOXES_ALLOWED = True
    assert clean_provider_base_url("http://127.0.0.1:8001/sms") == "http://127.0.0.1:8001/sms"
