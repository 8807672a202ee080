"""The SerwerSMS.pl sandbox and the client together, over real HTTP on loopback."""

from __future__ import annotations

import time

import pytest
import requests

from provider_api.errors import (
    AuthenticationError,
    InvalidInputError,
    NotFoundError,
    ProviderError,
    UnavailableError,
)
from provider_api.http import HttpTransport
from provider_api.wsgi_server import serve_in_thread
from sms.client import SerwerSmsClient, Subaccount, SubaccountDetails
from sms.sandbox import (
    DEMO_PASSWORD,
    DEMO_TEMPLATE_ID,
    DEMO_TOKEN,
    DEMO_USERNAME,
    SerwerSmsSandbox,
)

ADD = "/subaccounts/add.json"
INDEX = "/subaccounts/index.json"


@pytest.fixture
def sandbox() -> SerwerSmsSandbox:
    sandbox = SerwerSmsSandbox(DEMO_TOKEN, DEMO_USERNAME, DEMO_PASSWORD)
    sandbox.seed_demo()
    sandbox.fault_timeout_seconds = 0.6
    return sandbox


@pytest.fixture(scope="module")
def server():
    """One loopback server for the module (shutting one down takes half a second); tests swap its app."""
    mounted = {}

    def app(environ, start_response):
        return mounted["app"](environ, start_response)

    with serve_in_thread(app) as url:
        yield url, mounted


@pytest.fixture
def base_url(server, sandbox):
    url, mounted = server
    mounted["app"] = sandbox
    return url


def make_client(base_url: str, *, read_timeout: float = 5.0, **credentials) -> SerwerSmsClient:
    transport = HttpTransport(base_url, provider="SerwerSMS.pl", timeout=(2.0, read_timeout), backoff=0)
    return SerwerSmsClient(transport=transport, **(credentials or {"token": DEMO_TOKEN}))


@pytest.fixture
def client(base_url) -> SerwerSmsClient:
    return make_client(base_url)


@pytest.fixture
def user_client(base_url) -> SerwerSmsClient:
    return make_client(base_url, username=DEMO_USERNAME, password=DEMO_PASSWORD)


def add_from_template(client: SerwerSmsClient, login: str = "nowy_login", **extra) -> int:
    return client.add(
        subaccount_username=login, subaccount_password="Tajne-123", subaccount_id=DEMO_TEMPLATE_ID, **extra
    )


# --- every method, both ways to authenticate -----------------------------------------------------------


@pytest.mark.parametrize("client_fixture", ["client", "user_client"])
def test_index_lists_the_demo_subaccounts_with_the_template(request, client_fixture):
    listed = request.getfixturevalue(client_fixture).index()

    assert len(listed) == 5
    assert Subaccount(id=DEMO_TEMPLATE_ID, username="szablon") in listed
    assert Subaccount(id=1194, username="wojtek") in listed


@pytest.mark.parametrize("client_fixture", ["client", "user_client"])
def test_view_shows_details(request, client_fixture):
    details = request.getfixturevalue(client_fixture).view(1194)
    assert details == SubaccountDetails(
        id=1194, username="wojtek", name="Wojciech Kowalski", phone="+48730856000", email="wojtek@example.pl"
    )


def test_view_of_an_unknown_id_is_not_found(client):
    with pytest.raises(NotFoundError) as caught:
        client.view(999999)
    assert (caught.value.code, caught.value.name) == (1004, "InvalidID")


@pytest.mark.parametrize("client_fixture", ["client", "user_client"])
def test_add_creates_from_the_template_copying_its_settings(request, sandbox, client_fixture):
    client = request.getfixturevalue(client_fixture)

    new_id = add_from_template(client, name="Dział HR", phone="500600700", email="hr@example.pl")

    assert client.view(new_id) == SubaccountDetails(
        id=new_id, username="nowy_login", name="Dział HR", phone="500600700", email="hr@example.pl"
    )
    assert Subaccount(id=new_id, username="nowy_login") in client.index()
    stored = sandbox.subaccount(new_id)
    assert stored["settings"] == sandbox.subaccount(DEMO_TEMPLATE_ID)["settings"]
    assert stored["limits"] == {}
    assert "password" not in stored
    assert sandbox.password_matches(new_id, "Tajne-123")
    assert sandbox.request_count(ADD) == 1


def test_add_without_optional_fields_stores_them_empty(client):
    new_id = add_from_template(client, login="jan@firma.pl")
    assert client.view(new_id) == SubaccountDetails(
        id=new_id, username="jan@firma.pl", name="", phone="", email=""
    )


def test_added_ids_are_distinct_and_deterministic(base_url, server):
    first = make_client(base_url)
    ids = [add_from_template(first, login=f"konto_{n}") for n in range(3)]
    assert len(set(ids)) == 3

    other = SerwerSmsSandbox(DEMO_TOKEN, DEMO_USERNAME, DEMO_PASSWORD)
    other.seed_demo()
    server[1]["app"] = other
    again = [add_from_template(first, login=f"konto_{n}") for n in range(3)]
    assert again == ids


@pytest.mark.parametrize("login", ["wojtek", "WOJTEK", "Szablon"])
def test_add_with_a_taken_login_is_a_validation_error(client, login):
    with pytest.raises(InvalidInputError) as caught:
        add_from_template(client, login=login)
    assert (caught.value.code, caught.value.name) == (2002, "LoginTaken")
    assert caught.value.http_status == 200
    assert caught.value.provider_message == "Podany login jest już zajęty"


def test_add_from_an_unknown_template_is_invalid_id(client, sandbox):
    with pytest.raises(NotFoundError) as caught:
        client.add(subaccount_username="nowy", subaccount_password="abc", subaccount_id=4242)
    assert (caught.value.code, caught.value.name) == (1004, "InvalidID")
    assert len(client.index()) == 5


def test_limit_is_recorded_per_type(client, sandbox):
    new_id = add_from_template(client)

    client.limit(new_id, message_type="eco", value=100)
    client.limit(new_id, message_type="full", value=20)
    client.limit(new_id, message_type="eco", value=150)

    assert sandbox.limits(new_id) == {"eco": 150, "full": 20}


def test_limit_of_an_unknown_id_is_not_found(user_client, sandbox):
    with pytest.raises(NotFoundError, match="no subaccount with id 4242"):
        user_client.limit(4242, message_type="hlr", value=5)
    assert sandbox.limits(4242) == {}


def test_delete_removes_and_a_second_delete_is_not_found(client, sandbox):
    new_id = add_from_template(client)

    client.delete(new_id)

    assert sandbox.subaccount(new_id) is None
    assert all(item.id != new_id for item in client.index())
    with pytest.raises(NotFoundError):
        client.delete(new_id)
    with pytest.raises(NotFoundError):
        client.limit(new_id, message_type="eco", value=1)
    assert sandbox.request_count("/subaccounts/delete.json") == 2


# --- authentication -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "credentials",
    [
        {"token": "wrong-token"},
        {"username": DEMO_USERNAME, "password": "wrong-password"},
        {"username": "webapi_other", "password": DEMO_PASSWORD},
    ],
)
def test_wrong_credentials_give_invalid_user_with_http_200_by_default(base_url, credentials):
    with pytest.raises(AuthenticationError) as caught:
        make_client(base_url, **credentials).index()
    error = caught.value
    assert (error.code, error.name, error.http_status) == (1001, "InvalidUser", 200)
    assert error.provider_message == "Nieprawidłowy użytkownik lub hasło"
    assert "wrong" not in str(error)


def test_error_status_is_configurable(base_url, sandbox):
    sandbox.error_status = 401
    with pytest.raises(AuthenticationError) as caught:
        make_client(base_url, token="wrong-token").view(1194)
    assert caught.value.http_status == 401


def test_wrong_credentials_change_nothing(base_url, sandbox):
    with pytest.raises(AuthenticationError):
        make_client(base_url, token="wrong-token").delete(1194)
    assert sandbox.subaccount(1194) is not None


# --- faults -------------------------------------------------------------------------------------------


def test_timeout_on_add_leaves_the_outcome_unknown_and_the_subaccount_appears(base_url, sandbox):
    sandbox.set_fault(ADD, "timeout", times=1)
    client = make_client(base_url, read_timeout=0.2)

    with pytest.raises(UnavailableError) as caught:
        add_from_template(client, login="po_czasie")

    assert caught.value.outcome_unknown is True
    assert sandbox.request_count(ADD) == 1
    deadline = time.monotonic() + 5
    while "po_czasie" not in [item.username for item in client.index()] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "po_czasie" in [item.username for item in client.index()]


def test_timeout_on_index_is_retried(base_url, sandbox):
    sandbox.set_fault(INDEX, "timeout", times=1)
    client = make_client(base_url, read_timeout=0.2)

    assert len(client.index()) == 5
    assert sandbox.request_count(INDEX) == 2


def test_500_on_add_is_sent_once_and_creates_nothing(client, sandbox):
    sandbox.set_fault(ADD, "500")

    with pytest.raises(UnavailableError) as caught:
        add_from_template(client)

    assert caught.value.http_status == 500
    assert sandbox.request_count(ADD) == 1
    assert len(client.index()) == 5


def test_html_502_on_index_is_retried_then_unavailable(client, sandbox):
    sandbox.set_fault(INDEX, "html")

    with pytest.raises(UnavailableError) as caught:
        client.index()

    assert caught.value.http_status == 502
    assert sandbox.request_count(INDEX) == 3


def test_html_502_on_delete_is_sent_once(client, sandbox):
    sandbox.set_fault("/subaccounts/delete.json", "html")
    with pytest.raises(UnavailableError):
        client.delete(1194)
    assert sandbox.request_count("/subaccounts/delete.json") == 1
    assert sandbox.subaccount(1194) is not None


def test_truncated_answer_to_add_is_unavailable_though_the_subaccount_exists(client, sandbox):
    sandbox.set_fault(ADD, "truncated", times=1)

    with pytest.raises(UnavailableError) as caught:
        add_from_template(client, login="uciety")

    assert caught.value.outcome_unknown is True
    assert "uciety" in [item.username for item in client.index()]


def test_truncated_answer_to_view_is_unavailable(client, sandbox):
    sandbox.set_fault("/subaccounts/view.json", "truncated")
    with pytest.raises(UnavailableError, match="documented JSON"):
        client.view(1194)


def test_auth_fault_gives_the_documented_error_even_with_good_credentials(client, sandbox):
    sandbox.set_fault("/subaccounts/view.json", "auth", times=1)

    with pytest.raises(AuthenticationError) as caught:
        client.view(1194)
    assert caught.value.code == 1001
    assert client.view(1194).username == "wojtek"


def test_fault_times_and_clear(client, sandbox):
    sandbox.set_fault(INDEX, "auth", times=2)
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            client.index()
    assert len(client.index()) == 5

    sandbox.set_fault(INDEX, "auth")
    with pytest.raises(AuthenticationError):
        client.index()
    sandbox.clear_faults()
    assert len(client.index()) == 5


def test_unknown_fault_kind_is_refused(sandbox):
    with pytest.raises(ValueError, match="unknown fault"):
        sandbox.set_fault(INDEX, "slow")


def test_latency_is_added_to_every_answer(client, sandbox):
    sandbox.latency_seconds = 0.2
    started = time.monotonic()
    client.view(1194)
    assert time.monotonic() - started >= 0.2


# --- demo data ----------------------------------------------------------------------------------------


def test_hostile_demo_returns_markup_verbatim(client, sandbox):
    sandbox.seed_demo(hostile=True)

    details = client.view(1194)
    names = [client.view(item.id).name for item in client.index()]

    assert "<script>alert(1)</script>" in details.name
    assert "<img src=x onerror=alert(1)>" in details.email
    assert any("<img src=x onerror=alert(1)>" in name for name in names)
    assert any("<script>" in item.username for item in client.index())


def test_seed_demo_resets_the_state(client, sandbox):
    add_from_template(client)
    sandbox.seed_demo()
    assert len(client.index()) == 5


# --- mounting under a prefix --------------------------------------------------------------------------


def strip_prefix(app, prefix: str):
    def dispatcher(environ, start_response):
        path = environ["PATH_INFO"]
        if path.startswith(prefix):
            environ["SCRIPT_NAME"] = prefix
            environ["PATH_INFO"] = path[len(prefix) :]
        return app(environ, start_response)

    return dispatcher


@pytest.mark.parametrize("strip", [True, False])
def test_works_under_a_path_prefix(server, sandbox, strip):
    url, mounted = server
    mounted["app"] = strip_prefix(sandbox, "/sms") if strip else sandbox
    client = make_client(f"{url}/sms")

    assert len(client.index()) == 5
    new_id = add_from_template(client)
    client.limit(new_id, message_type="mms", value=3)

    assert sandbox.request_count(INDEX) == 1
    assert sandbox.request_count("/sms/subaccounts/index.json") == 1
    assert sandbox.limits(new_id) == {"mms": 3}


# --- what the document allows that our client never sends ---------------------------------------------


def raw(base_url: str, action: str, *, json=None, data=None, token: str | None = DEMO_TOKEN, method="POST"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.request(
        method, f"{base_url}/subaccounts/{action}.json", json=json, data=data, headers=headers, timeout=5
    )
    return response.status_code, response.json()


def test_form_encoded_parameters_with_api_user(base_url):
    status, body = raw(
        base_url,
        "limit",
        data={
            "username": DEMO_USERNAME,
            "password": DEMO_PASSWORD,
            "id": "1194",
            "type": "voice",
            "value": "7",
        },
        token=None,
    )
    assert (status, body) == (200, {"success": True, "id": 1194})


@pytest.mark.parametrize(
    ("action", "params", "code", "name"),
    [
        ("add", {"subaccount_password": "abc", "subaccount_id": DEMO_TEMPLATE_ID}, 2000, "MissingParameter"),
        (
            "add",
            {"subaccount_username": "a,b", "subaccount_password": "abc", "subaccount_id": DEMO_TEMPLATE_ID},
            2001,
            "InvalidParameter",
        ),
        (
            "add",
            {"subaccount_username": "abc", "subaccount_password": "ab", "subaccount_id": DEMO_TEMPLATE_ID},
            2001,
            "InvalidParameter",
        ),
        (
            "add",
            {"subaccount_username": "abc", "subaccount_password": "abc", "subaccount_id": "x"},
            2001,
            "InvalidParameter",
        ),
        ("view", {}, 2000, "MissingParameter"),
        ("limit", {"id": 1194, "type": "sms", "value": 1}, 2001, "InvalidParameter"),
        ("limit", {"id": 1194, "type": "eco", "value": -1}, 2001, "InvalidParameter"),
        ("limit", {"id": 1194, "type": "eco"}, 2000, "MissingParameter"),
        ("unknown", {}, 1000, "InvalidAction"),
    ],
)
def test_documented_validation_errors(base_url, action, params, code, name):
    status, body = raw(base_url, action, json=params)
    assert status == 200
    assert body["error"]["code"] == code
    assert body["error"]["type"] == name
    assert body["error"]["message"]


def test_get_is_an_invalid_action(base_url):
    status, body = raw(base_url, "index", method="GET")
    assert status == 200
    assert body["error"]["code"] == 1000


def test_unreadable_json_is_invalid_data(base_url):
    response = requests.post(
        f"{base_url}/subaccounts/index.json",
        data=b"{not json",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {DEMO_TOKEN}"},
        timeout=5,
    )
    assert response.json()["error"]["code"] == 1006


def test_sandbox_repr_holds_no_secret(sandbox):
    assert DEMO_TOKEN not in repr(sandbox)
    assert DEMO_PASSWORD not in repr(sandbox)


def test_client_error_is_a_provider_error_for_the_page(client):
    with pytest.raises(ProviderError) as caught:
        client.view(1)
    assert str(caught.value) == "SerwerSMS.pl 1004 InvalidID: Nieprawidłowy identyfikator subkonta"
