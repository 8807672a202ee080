"""Every form of every app, fed random input (hypothesis): it either validates into values within the
provider documents' limits, or it answers with errors. It never raises, and it always renders.

The forms are found by walking the apps' form modules, so a new form is covered the moment it is added
(this test fails until it knows how to make the new form's constructor arguments).
"""

from __future__ import annotations

import inspect
import re
from datetime import date, timedelta
from decimal import Decimal
from importlib import import_module

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.ids import MAX_ROW_ID, row_id, row_ids
from accounts.models import Role
from premium.models import PremiumAccount, PremiumNumber
from sms.client import LIMIT_TYPES, LOGIN_PATTERN, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from sms.models import SerwerSmsAccount, Subaccount
from spikon import client as spikon_api
from spikon.models import PhoneAccount, PhoneBook, PhoneBookEntry, SpikonAccount, TtsLanguage, TtsVoice

FORM_MODULES = (
    "accounts.forms",
    "premium.forms",
    "sms.forms",
    "spikon.forms",
)

# What people and scripts send that no form expects.
ODD_TEXTS = (
    "",
    " ",
    "\t\n",
    "²",  # str.isdigit() says yes, int() says no
    "١٢٣٤٥٦٧٨٩",  # Arabic-Indic digits
    "0" * 30,
    str(2**63),
    str(2**64),
    "9" * 400,
    "-1",
    "1e309",
    "NaN",
    "Infinity",
    "0x1F",
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "javascript:alert(1)",
    "'; DROP TABLE x; --",
    "%s%s%n",
    "+48 601 234 567",
    "601234567",
    "2024-02-30",
    "99999-01-01",
    "http://127.0.0.1:1/",
    "https://例え.jp/",
    "ftp://x",
    "🙂" * 40,
    "ż" * 300,
)
GARBAGE = st.sampled_from(ODD_TEXTS) | st.text(max_size=60) | st.integers().map(str)


def _forms() -> list[type[forms.BaseForm]]:
    found = []
    for module_name in FORM_MODULES:
        module = import_module(module_name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module_name
            ):
                found.append(value)
    return found


FORMS = _forms()


@pytest.fixture
def world(tenant, tenant_admin):
    """A tenant with a little of everything the forms choose from."""
    numbers = [
        PremiumNumber.objects.create(tenant=tenant, number=f"70812345{i}", tariff=4 + i) for i in range(3)
    ]
    subaccounts = [
        Subaccount.objects.create(tenant=tenant, provider_id=1100 + i, login=f"konto{i}") for i in range(3)
    ]
    phones = [
        PhoneAccount.objects.create(tenant=tenant, provider_id=1 + i, number=f"58300110{i}") for i in range(2)
    ]
    book = PhoneBook.objects.create(tenant=tenant, provider_id=1, name="Klienci")
    entries = [
        PhoneBookEntry.objects.create(tenant=tenant, book=book, name=f"Osoba {i}", number=number)
        for i, number in enumerate(("601234567", "+48 512 345 678", "583001100"))
    ]
    polish = TtsLanguage.objects.create(tenant=tenant, code="pl-PL", description="Polski")
    TtsVoice.objects.create(tenant=tenant, language=polish, name="Ewa", gender="F")
    english = TtsLanguage.objects.create(tenant=tenant, code="en-GB", description="Angielski")
    TtsVoice.objects.create(tenant=tenant, language=english, name="Amy", gender="F")
    return {
        "tenant": tenant,
        "user": tenant_admin,
        "book": book,
        "ids": {
            PremiumNumber: [n.pk for n in numbers],
            Subaccount: [s.pk for s in subaccounts],
            PhoneAccount: [p.pk for p in phones],
            PhoneBookEntry: [e.pk for e in entries],
        },
        "spikon_account": SpikonAccount.objects.create(
            tenant=tenant, api_key="k-saved-1234567890", base_url="https://panel.spikon.pl"
        ),
        "sms_account": SerwerSmsAccount.objects.create(tenant=tenant, api_token="t-saved-1234567890"),
        "premium_account": PremiumAccount.objects.create(
            tenant=tenant, email="p@example.pl", api_key="p-saved-1234567890"
        ),
    }


def _constructor_kwargs(form_class: type[forms.BaseForm], world: dict, draw) -> dict:
    """The keyword arguments the form's __init__ names, made for this tenant."""
    kwargs = {}
    for name, parameter in inspect.signature(form_class.__init__).parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if name == "tenant":
            kwargs[name] = world["tenant"]
        elif name == "actor_role":
            kwargs[name] = draw(st.sampled_from(list(Role)))
        elif name == "account":
            app = form_class.__module__.split(".")[0]
            if app == "premium":  # the earning shares belong to a saved account
                kwargs[name] = world["premium_account"]
            else:
                saved = {"spikon": world["spikon_account"], "sms": world["sms_account"]}
                kwargs[name] = draw(st.sampled_from([None, saved[app]]))
        elif name == "number":
            kwargs[name] = "708123450"
        elif name == "login":
            kwargs[name] = "konto1"
        elif name == "book":
            kwargs[name] = world["book"]
        elif name == "email":
            kwargs[name] = "zaproszona@example.com"
        elif parameter.default is inspect.Parameter.empty:
            raise AssertionError(f"{form_class.__name__}: teach this test to make the argument {name!r}")
    if issubclass(form_class, forms.ModelForm):
        model = form_class._meta.model
        if model is PremiumAccount:
            kwargs["instance"] = draw(
                st.sampled_from([world["premium_account"], PremiumAccount(tenant=world["tenant"])])
            )
        elif model._meta.model_name == "tenant":
            kwargs["instance"] = draw(st.sampled_from([world["tenant"], model()]))
    return kwargs


def _choice_keys(field: forms.ChoiceField) -> list[str]:
    keys = []
    for key, label in field.choices:
        if isinstance(label, list | tuple):  # an option group
            keys.extend(str(inner) for inner, _label in label)
        else:
            keys.append(str(key))
    return keys or [""]


# Values that pass, by field name, so that every form is also seen valid (and its limits checked).
VALID_SAMPLES = {
    "target": ["601234567", "+48 512 345 678", "0048698765432"],
    "destination": ["601234567", "+48583001100", "58 300 11 00"],
    "number": ["601234567", "+48 601 234 567", ""],
    "recipients": ["601234567", "601234567, 512345678\n+48 698 765 432"],
    "message": ["Dzień dobry", "x" * 918, "a\r\nb"],
    "text": ["Dzień dobry, tu Bałtyk.", "t" * 3000, "a\r\n" * 999],
    "name": ["Klienci VIP", "Nowa książka"],
    "login": ["nowy_login", "a.b@c-d"],
    "password": ["tajne-haslo", "abc"],
    "confirm_number": ["708123450", " 708 123 450 "],
    "confirm_login": ["konto1"],
    "confirm": ["Klienci"],
    "token": ["123456", " 654321 "],
    "form_key": ["k" * 16, "Abc_-" * 12],
    "confirmation": ["one-time"],
    "slug": ["nowa-firma", "a"],
    "username": ["nowy.uzytkownik", "jan@firma"],
    "email": ["jan@example.pl", ""],
    "api_key": ["Kx9-nowy-klucz-2024", ""],
    "api_token": ["nowy-token-1234567890", ""],
    "api_username": ["webapi_firma", ""],
    "api_password": ["haslo-2024", ""],
    "base_url": ["https://panel.spikon.pl", "http://127.0.0.1:8001/sms", ""],
    "year": [str(date.today().year), "2024"],
    "month": ["1", str(date.today().month), "12"],
    "date_start": [(date.today() - timedelta(days=30)).isoformat()],
    "date_end": [date.today().isoformat()],
    "date_from": [date.today().replace(day=1).isoformat()],
    "date_to": [date.today().isoformat()],
    "phone": ["500600700", "+48 500 600 700", ""],
    "value": ["0", "1000", "100000000"],
    "caller": ["601234567", ""],
}


def _plausible(field: forms.Field, world: dict, name: str):
    """Values of the kind the field expects (some valid, some just outside its limits)."""
    if name in VALID_SAMPLES and not isinstance(field, forms.ChoiceField):
        return st.sampled_from(VALID_SAMPLES[name]) | _typed(field, world)
    return _typed(field, world)


def _typed(field: forms.Field, world: dict):
    if isinstance(field, forms.ModelChoiceField):
        ids = [str(pk) for pk in world["ids"].get(field.queryset.model, [])] or ["1"]
        single = st.sampled_from(ids)
        if isinstance(field, forms.ModelMultipleChoiceField):
            return st.lists(single | GARBAGE, max_size=4)
        return single
    if isinstance(field, forms.MultipleChoiceField):
        return st.lists(st.sampled_from(_choice_keys(field)), max_size=3)
    if isinstance(field, forms.ChoiceField):
        return st.sampled_from(_choice_keys(field))
    if isinstance(field, forms.BooleanField):
        return st.sampled_from(["on", "", "false", "0", "1", "True"])
    if isinstance(field, forms.IntegerField):
        low = field.min_value if field.min_value is not None else -(10**6)
        high = field.max_value if field.max_value is not None else 10**6
        return st.integers(low - 3, high + 3).map(str) | st.integers().map(str)
    if isinstance(field, forms.DateField):
        today = date.today()
        return st.dates(today - timedelta(days=400), today + timedelta(days=30)).map(date.isoformat)
    if isinstance(field, forms.EmailField):
        return st.sampled_from(["jan@example.pl", "a@b", "x" * 250 + "@example.pl"]) | st.emails()
    if isinstance(field, forms.URLField):
        return st.sampled_from(
            ["https://panel.spikon.pl", "http://127.0.0.1:8001/sms", "http://example.pl", "https://x.pl/?a=1"]
        )
    if isinstance(field, forms.CharField):
        limit = (field.max_length or 200) + 5
        return (
            st.text(min_size=1, max_size=limit)
            | st.from_regex(r"\+?(48)?[0-9 -]{9,30}", fullmatch=True)
            | st.from_regex(r"[a-z0-9_@.-]{1,25}", fullmatch=True)
            | st.integers(1, 3100).map(lambda n: "ab\r\n" * (n // 4) + "a" * (n % 4))
        )
    return GARBAGE


@st.composite
def form_input(draw, form_class: type[forms.BaseForm], world: dict):
    kwargs = _constructor_kwargs(form_class, world, draw)
    unbound = form_class(**kwargs)
    data = QueryDict(mutable=True)
    files = {}
    valid_mode = draw(st.booleans())  # every field plausible, or anything goes
    for name, field in unbound.fields.items():
        key = unbound.add_prefix(name)
        if isinstance(field, forms.FileField):
            content = draw(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
            if draw(st.booleans()):
                files[key] = SimpleUploadedFile(draw(st.sampled_from(["a.csv", "x", "ż.CSV"])), content)
            continue
        choice = draw(st.integers(3, 6)) if valid_mode else draw(st.integers(0, 9))
        if choice == 0:
            continue  # the field missing altogether
        if choice <= 6:
            value = draw(_plausible(field, world, name))
        elif choice <= 8:
            value = draw(GARBAGE)
        else:
            value = draw(st.lists(GARBAGE, max_size=3))
        data.setlist(key, value if isinstance(value, list) else [value])
    return kwargs, data, files


def _check_generic_limits(form: forms.BaseForm) -> None:
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if isinstance(value, str) and getattr(field, "max_length", None):
            assert len(value) <= field.max_length, (name, len(value))
        if isinstance(field, forms.IntegerField) and value is not None:
            assert field.min_value is None or value >= field.min_value, (name, value)
            assert field.max_value is None or value <= field.max_value, (name, value)
        if isinstance(value, str):
            assert "\x00" not in value, name


NINE_DIGITS = re.compile(r"[0-9]{9}")
DIALABLE = re.compile(r"\+?[0-9]{2,25}")


def _check_document_limits(form: forms.BaseForm) -> None:
    """What each provider's document allows, for the forms whose values reach a provider."""
    data = form.cleaned_data
    name = f"{type(form).__module__}.{type(form).__name__}"
    if name in ("premium.forms.RedirectForm", "premium.forms.BulkRedirectForm"):
        assert NINE_DIGITS.fullmatch(data["target"])
    if name == "premium.forms.BulkRedirectForm":
        assert 1 <= len(data["numbers"]) <= 100
    if name in ("premium.forms.TariffForm", "premium.forms.BuyForm"):
        assert data["tariff"] in (4, 5, 6, 7, 8)
    if name == "premium.forms.BillingFilterForm":
        assert 1 <= data["month"] <= 12 and 2000 <= data["year"] <= timezone.now().year
    if name == "sms.forms.SubaccountCreateForm":
        assert LOGIN_PATTERN.fullmatch(data["login"])
        assert PASSWORD_MIN_LENGTH <= len(data["password"]) <= PASSWORD_MAX_LENGTH
        assert data["phone"] == "" or re.fullmatch(r"\+?[0-9]{9,15}", data["phone"])
    if name == "sms.forms.LimitForm":
        assert data["message_type"] in LIMIT_TYPES and data["value"] >= 0
    if name == "spikon.forms.ClickToCallForm":
        assert DIALABLE.fullmatch(data["destination"])
    if name == "spikon.forms.PhoneBookForm":
        assert 1 <= len(data["name"]) <= spikon_api.PHONE_BOOK_NAME_MAX_LENGTH
    if name == "spikon.forms.EntryForm":
        assert 1 <= len(data["name"]) <= spikon_api.PHONE_BOOK_ENTRY_NAME_MAX_LENGTH
        assert DIALABLE.fullmatch(data["number"])
    if name == "spikon.forms.SmsForm":
        assert data["sender"] in spikon_api.SMS_SENDERS
        assert 1 <= len(data["message"]) <= spikon_api.SMS_MESSAGE_MAX_LENGTH
        assert 1 <= len(data["recipient_list"]) <= 100
        assert all(NINE_DIGITS.fullmatch(number) for number, _name in data["recipient_list"])
    if name == "spikon.forms.AnnouncementForm":
        assert 1 <= len(data["text"]) <= spikon_api.TTS_TEXT_MAX_LENGTH
        assert data["voice"] in {voice.name for voice in form.voices}
    if name == "spikon.forms.ReportOrderForm":
        assert data["direction"] in (0, 1, 2)
        assert 1 <= (data["date_end"] - data["date_start"]).days + 1 <= spikon_api.CALL_HISTORY_MAX_DAYS
        assert data["number"] == "" or DIALABLE.fullmatch(data["number"])
    for value in data.values():
        if isinstance(value, Decimal):
            assert value.is_finite()


def test_every_form_module_was_found():
    names = {form.__name__ for form in FORMS}
    assert {
        "SmsForm",
        "SubaccountCreateForm",
        "BulkRedirectForm",
        "AnnouncementForm",
        "InviteForm",
        "SignUpForm",
    } <= names


@pytest.mark.parametrize("form_class", FORMS, ids=[f"{f.__module__}.{f.__name__}" for f in FORMS])
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_form_validates_within_the_limits_or_says_why(form_class, world, data):
    kwargs, posted, files = data.draw(form_input(form_class, world))
    form = form_class(posted, files, **kwargs)
    if form.is_valid():
        _check_generic_limits(form)
        _check_document_limits(form)
    else:
        assert form.errors
        assert all(str(message) for errors in form.errors.values() for message in errors)
    assert str(form)  # renders, valid or not


def test_a_row_id_is_a_plain_number_a_row_can_have():
    assert [row_id(v) for v in ("7", " 7 ", 7, str(MAX_ROW_ID))] == [7, 7, 7, MAX_ROW_ID]
    assert [row_id(v) for v in (str(MAX_ROW_ID + 1), "²", "١٢", "-1", "1e3", "", "0x1F", "9" * 400)] == [
        None
    ] * 8
    assert row_ids(["3", "²", str(2**64), "4"]) == [3, 4]
