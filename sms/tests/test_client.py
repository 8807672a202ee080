"""Unit tests of the SerwerSMS.pl subaccounts client: the exact requests it sends and how it reads answers."""

from __future__ import annotations

import json

import pytest
import responses

from provider_api.errors import (
    AuthenticationError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    ProviderError,
    UnavailableError,
    UnavailableReason,
)
from provider_api.http import HttpTransport
from sms.client import (
    LIMIT_TYPES,
    LOGIN_PATTERN,
    SerwerSmsClient,
    Subaccount,
    SubaccountDetails,
)

BASE = "https://api2.serwersms.pl"
TOKEN = "tok-9f8e7d6c5b4a"
API_USER = "webapi_firma"
API_PASSWORD = "api-haslo-4321"
NEW_PASSWORD = "Nowe-Haslo-77"


def url(action: str) -> str:
    return f"{BASE}/subaccounts/{action}.json"


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def transport() -> HttpTransport:
    return HttpTransport(BASE, provider="SerwerSMS.pl", backoff=0)


@pytest.fixture
def client(transport) -> SerwerSmsClient:
    return SerwerSmsClient(token=TOKEN, transport=transport)


@pytest.fixture
def user_client(transport) -> SerwerSmsClient:
    return SerwerSmsClient(username=API_USER, password=API_PASSWORD, transport=transport)


def sent(rsps, index: int = 0) -> tuple[object, dict]:
    request = rsps.calls[index].request
    return request, json.loads(request.body)


# --- construction ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {"username": API_USER},
        {"password": API_PASSWORD},
        {"token": TOKEN, "username": API_USER, "password": API_PASSWORD},
        {"token": TOKEN, "password": API_PASSWORD},
        {"token": "", "username": "", "password": ""},
    ],
)
def test_constructor_wants_exactly_one_way_to_authenticate(credentials):
    with pytest.raises(ValueError, match="token"):
        SerwerSmsClient(**credentials)


def test_default_base_url_is_the_real_provider(rsps):
    rsps.post(url("index"), json={"items": []})
    assert SerwerSmsClient(token=TOKEN).index() == []
    assert rsps.calls[0].request.url == "https://api2.serwersms.pl/subaccounts/index.json"


def test_base_url_with_trailing_slash(rsps):
    rsps.post("http://127.0.0.1:9/sms/subaccounts/index.json", json={"items": []})
    SerwerSmsClient(token=TOKEN, base_url="http://127.0.0.1:9/sms/").index()
    assert rsps.calls[0].request.url == "http://127.0.0.1:9/sms/subaccounts/index.json"


def test_repr_holds_no_secret(client, user_client):
    for text in (repr(client), repr(user_client), str(client), str(user_client)):
        assert TOKEN not in text
        assert API_PASSWORD not in text
    assert "token" in repr(client)
    assert API_USER in repr(user_client)


# --- index --------------------------------------------------------------------------------------------


def test_index_with_token_sends_bearer_and_json_body(client, rsps):
    rsps.post(
        url("index"), json={"items": [{"id": 123, "username": "wojtek"}, {"id": 456, "username": "login2"}]}
    )

    result = client.index()

    assert result == [Subaccount(id=123, username="wojtek"), Subaccount(id=456, username="login2")]
    request, body = sent(rsps)
    assert request.method == "POST"
    assert request.url == url("index")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert body == {"system": "client_python"}


def test_index_with_api_user_sends_credentials_in_body_and_no_bearer(user_client, rsps):
    rsps.post(url("index"), json={"items": []})

    assert user_client.index() == []

    request, body = sent(rsps)
    assert "Authorization" not in request.headers
    assert request.headers["Content-Type"] == "application/json"
    assert body == {"system": "client_python", "username": API_USER, "password": API_PASSWORD}


def test_index_accepts_ids_as_digit_strings(client, rsps):
    rsps.post(url("index"), json={"items": [{"id": "789", "username": "testowy"}]})
    assert client.index() == [Subaccount(id=789, username="testowy")]


def test_index_is_retried_on_503(client, rsps):
    rsps.post(url("index"), status=503, body="busy")
    rsps.post(url("index"), status=503, body="busy")
    rsps.post(url("index"), json={"items": [{"id": 1, "username": "abc"}]})

    assert client.index() == [Subaccount(id=1, username="abc")]
    assert len(rsps.calls) == 3


def test_index_gives_up_after_the_retries(client, rsps):
    rsps.post(url("index"), status=503, body="busy")

    with pytest.raises(UnavailableError) as caught:
        client.index()

    assert caught.value.http_status == 503
    assert len(rsps.calls) == 3


# --- view ---------------------------------------------------------------------------------------------


def test_view_sends_id_and_reads_details(client, rsps):
    rsps.post(
        url("view"),
        json={
            "id": 1194,
            "username": "wojtek",
            "name": "Wojciech",
            "phone": "+48730856000",
            "email": "wojtek@mail.com",
        },
    )

    details = client.view(1194)

    assert details == SubaccountDetails(
        id=1194, username="wojtek", name="Wojciech", phone="+48730856000", email="wojtek@mail.com"
    )
    request, body = sent(rsps)
    assert request.url == url("view")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert body == {"id": 1194, "system": "client_python"}


def test_view_with_api_user(user_client, rsps):
    rsps.post(url("view"), json={"id": 5, "username": "abc", "name": "", "phone": "", "email": ""})
    user_client.view(5)
    _, body = sent(rsps)
    assert body == {"id": 5, "system": "client_python", "username": API_USER, "password": API_PASSWORD}


def test_view_reads_missing_or_null_optional_fields_as_empty_and_numeric_phone_as_text(client, rsps):
    rsps.post(url("view"), json={"id": 7, "username": "abc", "name": None, "phone": 500600700})

    assert client.view(7) == SubaccountDetails(id=7, username="abc", name="", phone="500600700", email="")


def test_view_is_retried_on_502(client, rsps):
    rsps.post(url("view"), status=502, body="<html>Bad Gateway</html>")
    rsps.post(url("view"), json={"id": 7, "username": "abc"})
    assert client.view(7).username == "abc"
    assert len(rsps.calls) == 2


# --- add ----------------------------------------------------------------------------------------------


def test_add_sends_every_parameter_and_returns_the_new_id(client, rsps):
    rsps.post(url("add"), json={"success": True, "id": 1485})

    new_id = client.add(
        subaccount_username="login1",
        subaccount_password=NEW_PASSWORD,
        subaccount_id=123,
        name="testowe subkonto",
        phone="500600700",
        email="test@test.pl",
    )

    assert new_id == 1485
    request, body = sent(rsps)
    assert request.method == "POST"
    assert request.url == url("add")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert body == {
        "subaccount_username": "login1",
        "subaccount_password": NEW_PASSWORD,
        "subaccount_id": 123,
        "name": "testowe subkonto",
        "phone": "500600700",
        "email": "test@test.pl",
        "system": "client_python",
    }


def test_add_leaves_out_the_optional_parameters_not_given(user_client, rsps):
    rsps.post(url("add"), json={"success": True, "id": 1486})

    user_client.add(subaccount_username="login2", subaccount_password=NEW_PASSWORD, subaccount_id=123)

    _, body = sent(rsps)
    assert body == {
        "subaccount_username": "login2",
        "subaccount_password": NEW_PASSWORD,
        "subaccount_id": 123,
        "system": "client_python",
        "username": API_USER,
        "password": API_PASSWORD,
    }


def test_add_keeps_no_copy_of_the_subaccount_password(client, rsps):
    rsps.post(url("add"), json={"success": True, "id": 1485})
    client.add(subaccount_username="login1", subaccount_password=NEW_PASSWORD, subaccount_id=123)
    assert NEW_PASSWORD not in repr(vars(client))
    assert NEW_PASSWORD not in repr(client)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_add_is_sent_once_even_on_a_retryable_status(client, rsps, status):
    rsps.post(url("add"), status=status, body="error")

    with pytest.raises(UnavailableError) as caught:
        client.add(subaccount_username="login1", subaccount_password=NEW_PASSWORD, subaccount_id=123)

    assert len(rsps.calls) == 1
    assert caught.value.outcome_unknown is True
    assert NEW_PASSWORD not in str(caught.value)
    assert NEW_PASSWORD not in repr(caught.value)


def test_add_with_success_false_is_a_provider_error(client, rsps):
    rsps.post(url("add"), json={"success": False})

    with pytest.raises(ProviderError, match="not created") as caught:
        client.add(subaccount_username="login1", subaccount_password=NEW_PASSWORD, subaccount_id=123)

    assert type(caught.value) is ProviderError


@pytest.mark.parametrize(
    "login", ["ab", "a" * 21, "zażółć", "a,b", "a b", "a/b", "login!", "", "<b>x</b>", "ab\n"]
)
def test_add_refuses_a_bad_login_without_calling_the_provider(client, rsps, login):
    with pytest.raises(InvalidInputError, match="login"):
        client.add(subaccount_username=login, subaccount_password=NEW_PASSWORD, subaccount_id=123)
    assert len(rsps.calls) == 0


@pytest.mark.parametrize(
    "login", ["abc", "a" * 20, "Jan_Kowalski", "jan@firma.pl", "biuro-krakow.2", "A1_@.-"]
)
def test_login_pattern_accepts_the_decided_set(login):
    assert LOGIN_PATTERN.fullmatch(login)


@pytest.mark.parametrize("password", ["ab", "x" * 21, ""])
def test_add_refuses_a_bad_password_length_without_calling_the_provider(client, rsps, password):
    with pytest.raises(InvalidInputError, match="password") as caught:
        client.add(subaccount_username="login1", subaccount_password=password, subaccount_id=123)
    assert len(rsps.calls) == 0
    if password:
        assert password not in str(caught.value)


@pytest.mark.parametrize("password", ["abc", "ą" * 20])
def test_add_accepts_passwords_of_3_to_20_characters(client, rsps, password):
    rsps.post(url("add"), json={"success": True, "id": 9})
    assert client.add(subaccount_username="login1", subaccount_password=password, subaccount_id=1) == 9


# --- limit --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("message_type", LIMIT_TYPES)
def test_limit_sends_id_type_and_value(client, rsps, message_type):
    rsps.post(url("limit"), json={"success": True, "id": 1485})

    assert client.limit(1485, message_type=message_type, value=100) is None

    request, body = sent(rsps)
    assert request.url == url("limit")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert body == {"id": 1485, "type": message_type, "value": 100, "system": "client_python"}


def test_limit_types_are_the_documented_ones():
    assert LIMIT_TYPES == ("eco", "full", "voice", "mms", "hlr")


def test_limit_with_api_user(user_client, rsps):
    rsps.post(url("limit"), json={"success": True, "id": 1485})
    user_client.limit(1485, message_type="eco", value=0)
    _, body = sent(rsps)
    assert body == {
        "id": 1485,
        "type": "eco",
        "value": 0,
        "system": "client_python",
        "username": API_USER,
        "password": API_PASSWORD,
    }


def test_limit_with_success_false_is_not_found(client, rsps):
    rsps.post(url("limit"), json={"success": False})

    with pytest.raises(NotFoundError, match="no subaccount with id 999"):
        client.limit(999, message_type="full", value=10)


@pytest.mark.parametrize(
    ("message_type", "value"),
    [("sms", 10), ("ECO", 10), ("eco", -1), ("eco", True), ("eco", "10"), ("eco", 1.5)],
)
def test_limit_refuses_bad_input_without_calling_the_provider(client, rsps, message_type, value):
    with pytest.raises(InvalidInputError):
        client.limit(1, message_type=message_type, value=value)
    assert len(rsps.calls) == 0


def test_limit_is_sent_once_on_503(client, rsps):
    rsps.post(url("limit"), status=503, body="busy")
    with pytest.raises(UnavailableError):
        client.limit(1, message_type="eco", value=5)
    assert len(rsps.calls) == 1


# --- delete -------------------------------------------------------------------------------------------


def test_delete_sends_the_id(client, rsps):
    rsps.post(url("delete"), json={"success": True})

    assert client.delete(1485) is None

    request, body = sent(rsps)
    assert request.url == url("delete")
    assert body == {"id": 1485, "system": "client_python"}


def test_delete_with_success_false_is_not_found(user_client, rsps):
    rsps.post(url("delete"), json={"success": False})
    with pytest.raises(NotFoundError, match="no subaccount with id 42") as caught:
        user_client.delete(42)
    assert "success: false" in str(caught.value)


def test_delete_is_sent_once_on_503(client, rsps):
    rsps.post(url("delete"), status=503, body="busy")
    with pytest.raises(UnavailableError):
        client.delete(1)
    assert len(rsps.calls) == 1


# --- documented errors --------------------------------------------------------------------------------

ERRORS = [
    (1000, "InvalidAction", ProviderError),
    (1001, "InvalidUser", AuthenticationError),
    (1002, "NoApiPermission", ForbiddenError),
    (1003, "InvalidIP", AuthenticationError),
    (1004, "InvalidID", NotFoundError),
    (1005, "NoPermission", ForbiddenError),
    (1006, "InvalidData", InvalidInputError),
    (1007, "AccountNotActive", ForbiddenError),
    (2000, "MissingParameter", InvalidInputError),
    (2001, "InvalidParameter", InvalidInputError),
    (2002, "LoginTaken", InvalidInputError),
]


@pytest.mark.parametrize(("code", "name", "error_class"), ERRORS)
@pytest.mark.parametrize("status", [200, 400])
def test_error_objects_map_to_the_hierarchy_with_any_status(client, rsps, code, name, error_class, status):
    message = f"Komunikat błędu {code}"
    rsps.post(url("view"), status=status, json={"error": {"code": code, "type": name, "message": message}})

    with pytest.raises(ProviderError) as caught:
        client.view(1)

    error = caught.value
    assert type(error) is error_class
    assert error.code == code
    assert error.name == name
    assert error.provider_message == message
    assert error.provider == "SerwerSMS.pl"
    assert error.http_status == status
    assert str(error) == f"SerwerSMS.pl {code} {name}: {message}"


@pytest.mark.parametrize("action", ["index", "view", "add", "limit", "delete"])
def test_every_method_reads_an_error_sent_with_http_200(client, rsps, action):
    rsps.post(
        url(action),
        json={"error": {"code": 1001, "type": "InvalidUser", "message": "Nieprawidłowy użytkownik"}},
    )
    calls = {
        "index": client.index,
        "view": lambda: client.view(1),
        "add": lambda: client.add(subaccount_username="abc", subaccount_password="abc", subaccount_id=1),
        "limit": lambda: client.limit(1, message_type="eco", value=1),
        "delete": lambda: client.delete(1),
    }
    with pytest.raises(AuthenticationError) as caught:
        calls[action]()
    assert caught.value.http_status == 200
    assert len(rsps.calls) == 1


def test_error_object_wins_over_success_false(client, rsps):
    rsps.post(url("delete"), json={"success": False, "error": {"code": 1005, "type": "NoPermission"}})
    with pytest.raises(ForbiddenError):
        client.delete(1)


def test_error_code_as_text_is_read_as_a_number(client, rsps):
    rsps.post(
        url("index"), status=401, json={"error": {"code": "1001", "type": "InvalidUser", "message": "x"}}
    )
    with pytest.raises(AuthenticationError) as caught:
        client.index()
    assert caught.value.code == 1001


def test_error_without_code_is_mapped_by_its_type(client, rsps):
    rsps.post(url("view"), json={"error": {"type": "InvalidID", "message": "Brak subkonta"}})
    with pytest.raises(NotFoundError) as caught:
        client.view(1)
    assert caught.value.code is None
    assert caught.value.provider_message == "Brak subkonta"


def test_unknown_error_code_is_a_plain_provider_error(client, rsps):
    rsps.post(url("index"), json={"error": {"code": 3999, "type": "Other", "message": "Coś nie tak"}})
    with pytest.raises(ProviderError) as caught:
        client.index()
    assert type(caught.value) is ProviderError
    assert caught.value.code == 3999
    assert caught.value.provider_message == "Coś nie tak"


def test_error_given_as_text_keeps_the_words(client, rsps):
    rsps.post(url("index"), json={"error": "Błąd serwera"})
    with pytest.raises(ProviderError) as caught:
        client.index()
    assert type(caught.value) is ProviderError
    assert caught.value.provider_message == "Błąd serwera"


def test_error_fields_of_wrong_types_do_not_crash(client, rsps):
    rsps.post(url("index"), json={"error": {"code": [1], "type": 5, "message": {"pl": "x"}}})
    with pytest.raises(ProviderError) as caught:
        client.index()
    assert type(caught.value) is ProviderError
    assert (caught.value.code, caught.value.name, caught.value.provider_message) == (None, "", "")


def test_error_of_an_unexpected_shape_is_unavailable(client, rsps):
    rsps.post(url("index"), json={"error": [1001]})
    with pytest.raises(UnavailableError, match="unexpected shape"):
        client.index()


def test_errors_hold_no_credentials(user_client, rsps):
    rsps.post(url("index"), json={"error": {"code": 1001, "type": "InvalidUser", "message": "Zły login"}})
    with pytest.raises(AuthenticationError) as caught:
        user_client.index()
    for text in (str(caught.value), repr(caught.value), repr(vars(caught.value))):
        assert API_PASSWORD not in text
        assert TOKEN not in text


# --- bodies that are not what the document says -------------------------------------------------------

BAD_BODIES = [
    ("index", 200, "<html><body>Service Unavailable</body></html>"),
    ("index", 200, '{"items": [{"id": 1, "user'),
    ("index", 200, "[]"),
    ("index", 200, "null"),
    ("index", 200, "{}"),
    ("index", 200, '{"items": "none"}'),
    ("index", 200, '{"items": [5]}'),
    ("index", 200, '{"items": [{"username": "abc"}]}'),
    ("index", 200, '{"items": [{"id": true, "username": "abc"}]}'),
    ("index", 200, '{"items": [{"id": 1, "username": null}]}'),
    ("view", 200, '{"id": 1}'),
    ("view", 200, '{"id": "x1", "username": "abc"}'),
    ("view", 200, '{"id": 1, "username": "abc", "email": ["a"]}'),
    ("add", 200, '{"success": true}'),
    ("add", 200, '{"id": 5}'),
    ("add", 200, '{"success": "true", "id": 5}'),
    ("limit", 200, '{"id": 5}'),
    ("limit", 200, '{"success": 1}'),
    ("delete", 200, ""),
    ("delete", 200, '{"success": null}'),
]


@pytest.mark.parametrize(("action", "status", "body"), BAD_BODIES)
def test_bad_bodies_raise_unavailable(client, rsps, action, status, body):
    rsps.post(url(action), status=status, body=body)
    calls = {
        "index": client.index,
        "view": lambda: client.view(1),
        "add": lambda: client.add(subaccount_username="abc", subaccount_password="abc", subaccount_id=1),
        "limit": lambda: client.limit(1, message_type="eco", value=1),
        "delete": lambda: client.delete(1),
    }
    with pytest.raises(UnavailableError) as caught:
        calls[action]()
    html = body.startswith("<html>")
    assert caught.value.reason == (UnavailableReason.HTML_PAGE if html else UnavailableReason.UNREADABLE)
    # The provider answered, so an acting call may have taken effect; a read changed nothing.
    assert caught.value.outcome_unknown is (action in ("add", "limit", "delete"))


def test_an_unexpected_4xx_without_error_object_is_unavailable_and_acted_on_nothing(client, rsps):
    rsps.post(url("add"), status=404, body="<html>Not Found</html>")
    with pytest.raises(UnavailableError) as caught:
        client.add(subaccount_username="abc", subaccount_password="abc", subaccount_id=1)
    assert caught.value.http_status == 404
    assert caught.value.outcome_unknown is False
    assert "HTTP 404" in str(caught.value)


def test_a_500_on_an_acting_call_leaves_the_outcome_unknown(client, rsps):
    rsps.post(url("delete"), status=500, body="Internal Server Error")
    with pytest.raises(UnavailableError) as caught:
        client.delete(1)
    assert caught.value.outcome_unknown is True
    assert caught.value.http_status == 500


def test_a_network_failure_is_unavailable_and_leaks_no_secret(user_client, rsps):
    # No registered answer: `responses` raises ConnectionError, as a refused connection would.
    with pytest.raises(UnavailableError) as caught:
        user_client.index()
    assert API_PASSWORD not in str(caught.value)
    assert API_PASSWORD not in repr(caught.value)
