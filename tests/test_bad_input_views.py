"""Bad input through the pages: ids no row can have, any query string, and random submissions of every
form that acts at a provider, with the three sandboxes' request logs checked so that no request the
provider receives breaks its document's limits (lengths, digits, ranges). Never a server error.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role
from accounts.tests.test_role_matrix import TENANT_URLS, _request, object_factories
from premium.models import PremiumNumber
from providers.once import new_action_key
from sms import services as sms_services
from sms.client import LIMIT_TYPES, LOGIN_PATTERN, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from sms.models import Subaccount
from spikon import client as spikon_api
from spikon.models import (
    CallCenterAgent,
    CallCenterCampaign,
    PhoneAccount,
    PhoneBook,
    PhoneBookEntry,
    TtsAnnouncement,
)
from tests.providers import Received, connect, served_providers, sync_everything
from tests.test_bad_input_forms import ODD_TEXTS

HYPOTHESIS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
GARBAGE = st.sampled_from(ODD_TEXTS) | st.text(max_size=40)

# --- ids no row can have ------------------------------------------------------------------------------

INT_URLS = [u for u in TENANT_URLS if "<int:" in u.route]


@pytest.mark.parametrize("tenant_url", INT_URLS, ids=[u.name for u in INT_URLS])
@pytest.mark.parametrize("too_large", [2**63, 10**30])
def test_an_id_too_large_for_the_database_is_not_found(tenant_url, too_large, tenant, owner, client):
    kwargs = {"tenant_slug": tenant.slug, **object_factories()[tenant_url.name](tenant)}
    client.force_login(owner)
    for name in re.findall(r"<int:(\w+)>", tenant_url.route):
        url = reverse(tenant_url.name, kwargs={**kwargs, name: too_large})
        assert _request(client, url).status_code == 404, url


# --- any query string on any page ---------------------------------------------------------------------

PAGES = [u for u in TENANT_URLS if not u.params]
QUERY_NAMES = [
    "q",
    "after",
    "page",
    "batch",
    "again",
    "book",
    "entries",
    "to",
    "number",
    "account",
    "name",
    "language",
    "voice",
    "text",
    "month",
    "year",
    "disposition",
    "caller",
    "date_from",
    "date_to",
    "direction",
    "state",
    "recording",
    "user",
    "action",
    "download",
    "tariff",
    "next",
]


def _cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


CURSORS = st.lists(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.lists(st.integers(), max_size=2),
    max_size=3,
).map(_cursor)


@settings(HYPOTHESIS, max_examples=80)
@given(
    page=st.sampled_from(PAGES),
    query=st.dictionaries(st.sampled_from(QUERY_NAMES), GARBAGE | CURSORS, max_size=4),
    htmx=st.booleans(),
)
def test_any_query_string_gets_a_page_not_a_server_error(page, query, htmx, tenant, owner, client):
    client.force_login(owner)
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "sms-log"} if htmx else {}
    url = reverse(page.name, kwargs={"tenant_slug": tenant.slug})
    response = client.get(url, query, **headers)
    assert response.status_code < 500, (url, query)


ODD_VALUES = ("²", str(2**64), "\x00", "9" * 400, "-1", "١٢٣")


@pytest.mark.parametrize("page", PAGES, ids=[u.name for u in PAGES])
def test_odd_values_in_every_query_parameter(page, tenant, owner, client):
    """Each odd value in every parameter a page might read, at once (the random test above samples)."""
    client.force_login(owner)
    url = reverse(page.name, kwargs={"tenant_slug": tenant.slug})
    for value in ("²", str(2**64), "\x00", _cursor(list(ODD_VALUES[:2]))):
        query = dict.fromkeys(QUERY_NAMES, value)
        assert client.get(url, query).status_code < 500, (url, value)


def test_a_nul_character_is_refused_before_any_view(tenant, owner, client):
    """PostgreSQL cannot hold a NUL: a query or a form carrying one is a clear 400, on any database."""
    client.force_login(owner)
    search = client.get(reverse("sms:index", args=[tenant.slug]), {"q": "a\x00b"}, HTTP_ACCEPT_LANGUAGE="en")
    assert search.status_code == 400 and "Bad request" in search.text
    form = client.post(reverse("sms:subaccount-create", args=[tenant.slug]), {"form_token": "\x00"})
    assert form.status_code == 400
    assert client.get(reverse("sms:index", args=[tenant.slug]), {"q": "ab"}).status_code == 200


# --- random submissions of the acting forms -----------------------------------------------------------

NINE_DIGITS = re.compile(r"[0-9]{9}")
DIALABLE = re.compile(r"\+?[0-9]{2,25}")
ID = re.compile(r"[0-9]{1,19}")


def premium_problems(request: Received) -> list[str]:
    """Numery-Premium.PL 70x: numbers in paths are digits, the redirect target 9 digits, tariffs 4–8."""
    path, params = request.path, request.params
    problems = []
    if not (params.get("email") and params.get("apikey")):
        problems.append("no credentials")
    in_path = re.search(r"/(setRedirect|delete|billing)/([^/]*)$", path)
    if in_path and not ID.fullmatch(in_path.group(2)):
        problems.append(f"number in the path: {in_path.group(2)!r}")
    if "/setRedirect/" in path:
        if not NINE_DIGITS.fullmatch(str(params.get("redirect_to_number", ""))):
            problems.append(f"redirect_to_number {params.get('redirect_to_number')!r}")
        if params.get("prezentacja", "prezentacjaA") not in ("prezentacja", "prezentacjaA"):
            problems.append(f"prezentacja {params.get('prezentacja')!r}")
        if params.get("zapowiedz", "0") not in ("0", "1"):
            problems.append(f"zapowiedz {params.get('zapowiedz')!r}")
    tariff = re.search(r"/addNumber/([^/]*)$", path)
    if tariff and tariff.group(1) not in ("4", "5", "6", "7", "8"):
        problems.append(f"tariff {tariff.group(1)!r}")
    return problems


def spikon_problems(request: Received) -> list[str]:
    """SPIKON 1.3: the limits of sections 4.2–4.7 (names, numbers, SMS, TTS text, report range)."""
    path, params = request.path, {key: str(value) for key, value in request.params.items()}
    problems = []
    for key, value in params.items():
        if (key.endswith("_id") or key in ("id", "tts_id")) and not ID.fullmatch(value):
            problems.append(f"{key} {value!r}")
    if path.endswith("/call/initiate") and not DIALABLE.fullmatch(params.get("destination_number", "")):
        problems.append(f"destination_number {params.get('destination_number')!r}")
    book_name = params.get("phone_book_name", "")
    if path.endswith("/phone_book/add") and not 1 <= len(book_name) <= spikon_api.PHONE_BOOK_NAME_MAX_LENGTH:
        problems.append(f"phone_book_name {book_name!r}")
    if path.endswith("/phone_book/delete") and params.get("phone_book_id") == "0":
        problems.append("deleting book 0")
    if path.endswith("/phone_book_element/add"):
        name = params.get("phone_book_element_name", "")
        if not 1 <= len(name) <= spikon_api.PHONE_BOOK_ENTRY_NAME_MAX_LENGTH:
            problems.append(f"phone_book_element_name of {len(name)} characters")
        if not DIALABLE.fullmatch(params.get("phone_book_element_number", "")):
            problems.append(f"phone_book_element_number {params.get('phone_book_element_number')!r}")
    if path.endswith("/sms/send"):
        if not all(NINE_DIGITS.fullmatch(to) for to in params.get("to", "").split(",")):
            problems.append(f"to {params.get('to')!r}")
        if not 1 <= len(params.get("message", "")) <= spikon_api.SMS_MESSAGE_MAX_LENGTH:
            problems.append(f"message of {len(params.get('message', ''))} characters")
        if params.get("from") not in spikon_api.SMS_SENDERS:
            problems.append(f"from {params.get('from')!r}")
    if path.endswith(("/tts/generate", "/tts/price")):
        if not 1 <= len(params.get("text", "")) <= spikon_api.TTS_TEXT_MAX_LENGTH:
            problems.append(f"text of {len(params.get('text', ''))} characters")
        if not params.get("voice"):
            problems.append("no voice")
    if path.endswith("/call_list/order"):
        try:
            start, end = date.fromisoformat(params["date_start"]), date.fromisoformat(params["date_end"])
        except (KeyError, ValueError):
            problems.append("report dates")
        else:
            if not 1 <= (end - start).days + 1 <= spikon_api.CALL_HISTORY_MAX_DAYS:
                problems.append(f"report range {start}–{end}")
        if params.get("dir") not in ("0", "1", "2"):
            problems.append(f"dir {params.get('dir')!r}")
        if "number" in params and not DIALABLE.fullmatch(params["number"]):
            problems.append(f"number {params['number']!r}")
    return problems


def sms_problems(request: Received) -> list[str]:
    """SerwerSMS.pl subaccounts: login and password as the document allows, ids and limits whole numbers."""
    path, params = request.path, request.params
    problems = []
    if path.endswith("/add.json"):
        if not LOGIN_PATTERN.fullmatch(str(params.get("subaccount_username", ""))):
            problems.append(f"subaccount_username {params.get('subaccount_username')!r}")
        if not PASSWORD_MIN_LENGTH <= len(str(params.get("subaccount_password", ""))) <= PASSWORD_MAX_LENGTH:
            problems.append("subaccount_password length")
        if not isinstance(params.get("subaccount_id"), int):
            problems.append(f"subaccount_id {params.get('subaccount_id')!r}")
    if path.endswith("/limit.json"):
        if params.get("type") not in LIMIT_TYPES:
            problems.append(f"type {params.get('type')!r}")
        value = params.get("value")
        if not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31):
            problems.append(f"value {value!r}")
    if path.endswith(("/view.json", "/limit.json", "/delete.json")) and not isinstance(params.get("id"), int):
        problems.append(f"id {params.get('id')!r}")
    return problems


PROBLEMS = {"premium": premium_problems, "spikon": spikon_problems, "sms": sms_problems}


def test_the_limit_checks_can_fail():
    """The checks above catch what they are meant to (a check that cannot fail proves nothing)."""
    bad_sms = Received(
        "POST", "/api/sms/send", {"to": "48601", "message": "x" * 919, "from": "EVIL"}, {}, b""
    )
    assert len(spikon_problems(bad_sms)) == 3
    bad_redirect = Received(
        "PUT", "/api/prm/voice/setRedirect/70x", {"redirect_to_number": "+48601"}, {}, b""
    )
    assert len(premium_problems(bad_redirect)) == 3
    bad_add = Received(
        "POST", "/subaccounts/add.json", {"subaccount_username": "a b", "subaccount_id": "1"}, {}, b""
    )
    assert len(sms_problems(bad_add)) == 3


# What each acting form's fields take: values that pass, and anything at all. Values that depend on the
# rows present are drawn as sentinels (the drawing must not depend on the database) and read at request time.
FRESH_KEY = object()  # a new form key
FRESH_TOKEN = object()  # a newly issued SerwerSMS.pl creation token


@dataclass(frozen=True)
class Row:
    """The `field` of the `index`-th row of `model` (cycling), "1" when there is none."""

    model: type
    field: str = "pk"
    index: int = 0

    def resolve(self) -> str:
        found = list(self.model.objects.order_by("pk").values_list(self.field, flat=True))
        return str(found[self.index % len(found)]) if found else "1"


@dataclass(frozen=True)
class Named:
    """The `field` of the object the URL names (its kwarg `kwarg`): what a confirmation asks to type."""

    model: type
    kwarg: str
    field: str

    def resolve(self, kwargs: dict) -> str:
        value = self.model.objects.filter(pk=kwargs[self.kwarg]).values_list(self.field, flat=True).first()
        return "" if value is None else str(value)


@dataclass(frozen=True)
class Field:
    """What one field is sent with: a plausible value, or anything at all."""

    plausible: st.SearchStrategy
    anything: st.SearchStrategy


def values(*plausible: object) -> Field:
    return Field(st.sampled_from(plausible), st.sampled_from(plausible) | GARBAGE)


def rows(model: type, field: str = "pk") -> Field:
    row = st.integers(0, 7).map(lambda index: Row(model, field, index))
    return Field(row, row | GARBAGE)


def some_rows(model: type) -> Field:
    row = rows(model)
    return Field(st.lists(row.plausible, min_size=1, max_size=3), st.lists(row.anything, max_size=3))


def either(first: Field, second: Field) -> Field:
    return Field(first.plausible | second.plausible, first.anything | second.anything)


NUMBERS_TYPED = values(
    "601234567", "+48 512 345 678", "0048698765432", "+4860123456", "60123456789", "58 300 11 00"
)
TODAY = date.today()


def _first(model, tenant, **filters):
    row = model.objects.filter(tenant=tenant, **filters).order_by("pk").first()
    return row.pk if row else 1


def fields(**specs: Field) -> dict[str, Field]:
    return specs


def _data(**fields: Field) -> st.SearchStrategy:
    """A POST body: every field with a plausible value, or each field anything or missing."""
    plausible = st.fixed_dictionaries({name: field.plausible for name, field in fields.items()})
    anything = st.fixed_dictionaries({}, optional={name: field.anything for name, field in fields.items()})
    return plausible | anything


ACTING = {
    "premium:number-redirect": (
        lambda t: {"number_id": _first(PremiumNumber, t)},
        lambda kw: fields(
            **{
                f"n{kw['number_id']}-target": NUMBERS_TYPED,
                f"n{kw['number_id']}-presentation": values("prezentacja", "prezentacjaA"),
                f"n{kw['number_id']}-announcement": values("on", ""),
            }
        ),
    ),
    "premium:numbers-bulk-redirect": (
        lambda t: {},
        lambda kw: fields(numbers=some_rows(PremiumNumber), target=NUMBERS_TYPED),
    ),
    "premium:number-buy": (
        lambda t: {},
        lambda kw: fields(tariff=values("4", "8", "5", "9"), confirmation=Field(GARBAGE, GARBAGE)),
    ),
    "premium:number-delete": (
        lambda t: {"number_id": _first(PremiumNumber, t)},
        lambda kw: fields(confirm_number=values(Named(PremiumNumber, "number_id", "number"))),
    ),
    "spikon:click-to-call": (
        lambda t: {},
        lambda kw: fields(
            form_key=values(FRESH_KEY), phone_account=rows(PhoneAccount), destination=NUMBERS_TYPED
        ),
    ),
    "spikon:phonebook-add": (
        lambda t: {},
        lambda kw: fields(name=values("Nowi klienci", "x" * 25, "x" * 26)),
    ),
    "spikon:entry-add": (
        lambda t: {"book_id": _first(PhoneBook, t)},
        lambda kw: fields(name=values("Jan Kowalski", "n" * 120, "n" * 121), number=NUMBERS_TYPED),
    ),
    "spikon:phonebook-delete": (
        lambda t: {"book_id": _first(PhoneBook, t, provider_id__gt=0)},
        lambda kw: fields(confirm=values(Named(PhoneBook, "book_id", "name"))),
    ),
    "spikon:sms-send": (
        lambda t: {},
        lambda kw: fields(
            form_key=values(FRESH_KEY),
            sender=values(*spikon_api.SMS_SENDERS),
            recipients=either(NUMBERS_TYPED, values("601234567,512345678", "601234567\n" * 101, "")),
            entries=some_rows(PhoneBookEntry),
            message=values("Dzień dobry", "m" * 918, "m" * 919, "ab\r\n" * 306),
            action=values("review", "send", "review", "pick", "add-book"),
            book=rows(PhoneBook),
        ),
    ),
    "spikon:tts-price": (
        lambda t: {},
        lambda kw: fields(
            language=values("pl-PL", "en-GB", "xx"),
            voice=values("Ewa", "Amy", "Jacek"),
            name=values("Powitanie", "n" * 200, "n" * 201),
            text=values("Dzień dobry.", "t" * 3000, "t" * 3001, "a\r\n" * 1000),
        ),
    ),
    "spikon:tts-delete": (
        lambda t: {"announcement_id": _first(TtsAnnouncement, t)},
        lambda kw: fields(confirm=values(Named(TtsAnnouncement, "announcement_id", "name"))),
    ),
    "spikon:callcenter-inbound": (
        lambda t: {"agent_id": _first(CallCenterAgent, t), "campaign_id": _first(CallCenterCampaign, t)},
        lambda kw: fields(member=values("0", "1")),
    ),
    "spikon:callcenter-default-outbound": (
        lambda t: {"agent_id": _first(CallCenterAgent, t)},
        lambda kw: fields(campaign=either(rows(CallCenterCampaign), values(str(2**64)))),
    ),
    "spikon:history-report-order": (
        lambda t: {},
        lambda kw: fields(
            direction=values("0", "1", "2", "3"),
            date_start=values(*(str(TODAY - timedelta(days=d)) for d in (0, 99, 100, -1))),
            date_end=values(str(TODAY), str(TODAY - timedelta(days=5))),
            recordings_only=values("on", ""),
            number=either(NUMBERS_TYPED, values("", "+" + "1" * 25)),
        ),
    ),
    "sms:subaccount-create": (
        lambda t: {},
        lambda kw: fields(
            form_token=values(FRESH_TOKEN),
            template=rows(Subaccount),
            login=values("nowe_konto", "ab", "a" * 20, "a" * 21, "zły login"),
            password=values("abc", "ab", "p" * 20, "p" * 21, "hasło ze spacją"),
            name=values("Nowe konto", "n" * 101),
            phone=values("500600700", "+48 500 600 700", "12"),
            email=values("nowe@example.pl", "zly@"),
        ),
    ),
    "sms:subaccount-limit": (
        lambda t: {"subaccount_id": _first(Subaccount, t)},
        lambda kw: fields(
            message_type=values(*LIMIT_TYPES, "sms"), value=values("0", "100", "100000000", "100000001", "-1")
        ),
    ),
    "sms:subaccount-delete": (
        lambda t: {"subaccount_id": _first(Subaccount, t)},
        lambda kw: fields(confirm_login=values(Named(Subaccount, "subaccount_id", "login"))),
    ),
}


def test_every_url_that_acts_at_a_provider_is_fuzzed():
    """The POST views that call a provider, by name; a new one must be added to ACTING."""
    provider_posts = {
        u.name
        for u in TENANT_URLS
        if u.name.split(":")[0] in ("premium", "spikon", "sms") and u.min_role >= Role.OPERATOR
    }
    not_acting = {
        "premium:number-row",  # a row of the list
        "premium:account-save",  # credentials: tests/test_secrets.py
        "premium:account-test",
        "premium:account-shares",  # a local setting, no provider call: premium/tests/test_number_page.py
        "spikon:account",
        "spikon:account-test",
        "sms:account",
        "sms:account-test",
        "spikon:entry-delete",  # no input but the ids (covered by the id tests above)
        "spikon:phonebook-import",  # a file: its form is fuzzed in test_bad_input_forms
        "spikon:phonebook-import-start",
        "spikon:phonebook-import-detail",
        "spikon:phonebook-export",
        "spikon:phonebook-import-cancel",
        "spikon:sms-picker",
        "spikon:tts-new",
        "spikon:tts-voices",
        "spikon:tts-generate",  # reached through tts-price with the signed quote
        "spikon:callcenter-outbound",  # the same view as callcenter-inbound
        "spikon:history-report-fetch-again",
        "sms:creation",
    }
    assert provider_posts - not_acting <= set(ACTING), provider_posts - not_acting - set(ACTING)


@pytest.fixture
def providers(tenant, media_root):
    with served_providers() as providers:
        providers.premium.calls_per_month = 10  # billing is not what these tests are about
        connect(tenant, providers)
        sync_everything(tenant, call_history=False)
        yield providers


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _fill(data: dict, kwargs: dict, user, tenant) -> dict:
    """The drawn POST body with its sentinels read now."""

    def resolve(value):
        if value is FRESH_KEY:
            return new_action_key()
        if value is FRESH_TOKEN:
            return sms_services.issue_creation_form(tenant, user).form_token
        if isinstance(value, Row):
            return value.resolve()
        if isinstance(value, Named):
            return value.resolve(kwargs)
        if isinstance(value, list):
            return [resolve(item) for item in value]
        return value

    return {key: resolve(value) for key, value in data.items()}


@pytest.mark.parametrize("url_name", sorted(ACTING))
def test_odd_values_in_every_field_of_an_acting_form(url_name, providers, tenant, owner, client):
    make_kwargs, make_data = ACTING[url_name]  # the URL's kwargs; the form's fields
    kwargs = make_kwargs(tenant)
    url = reverse(url_name, kwargs={"tenant_slug": tenant.slug, **kwargs})
    fields = make_data(kwargs).keys() | {"book", "campaign", "entries", "numbers", "member"}
    client.force_login(owner)
    seen = providers.mark()
    actions = ("review", "send", "pick", "add-book") if url_name == "spikon:sms-send" else ("",)
    for value in ODD_VALUES:
        for action in actions:
            posted = {**dict.fromkeys(fields, value), "action": action}
            assert client.post(url, posted).status_code < 500, (url, value)
    for provider, request in providers.received_since(seen):  # some odd values are valid ones
        assert not PROBLEMS[provider](request), (url_name, request.path, PROBLEMS[provider](request))


@pytest.mark.parametrize("url_name", sorted(ACTING))
@settings(HYPOTHESIS, max_examples=10)
@given(data=st.data())
def test_random_submissions_never_break_the_providers_limits(
    url_name, data, providers, tenant, owner, client
):
    make_kwargs, make_data = ACTING[url_name]  # the URL's kwargs; the form's fields
    kwargs = make_kwargs(tenant)
    url = reverse(url_name, kwargs={"tenant_slug": tenant.slug, **kwargs})
    posted = _fill(data.draw(_data(**make_data(kwargs))), kwargs, owner, tenant)
    client.force_login(owner)
    seen = providers.mark()
    if url_name == "premium:number-buy" and data.draw(st.booleans()):
        issued = client.get(url, {"tariff": posted.get("tariff", "5")})
        form = issued.context.get("form") if issued.context else None
        if form is not None and "confirmation" in form.initial:
            posted["confirmation"] = form.initial["confirmation"]
    headers = {"HTTP_HX_REQUEST": "true"} if data.draw(st.booleans()) else {}
    response = client.post(url, posted, **headers)
    assert response.status_code < 500, response.status_code
    context = response.context or {}
    if url_name == "spikon:sms-send" and context.get("review"):
        again = client.post(url, {**posted, "action": "send", "reviewed": context["review"]["digest"]})
        assert again.status_code < 500
    if url_name == "spikon:tts-price" and context.get("signed"):
        generate = reverse("spikon:tts-generate", kwargs={"tenant_slug": tenant.slug})
        for _ in range(data.draw(st.integers(1, 2))):  # a double submit, sometimes
            assert client.post(generate, {"quote": context["signed"]}).status_code < 500
    for provider, request in providers.received_since(seen):
        problems = PROBLEMS[provider](request)
        assert not problems, f"{url_name} sent {request.path} with {problems}"
