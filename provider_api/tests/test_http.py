"""Tests of provider_api.http.HttpTransport against a live loopback server, and of `redact`."""

from __future__ import annotations

import json
import socket
import threading
import time
import traceback
from collections import Counter
from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest
import requests

from provider_api import http as http_module
from provider_api.errors import UnavailableError, UnavailableReason
from provider_api.http import DEFAULT_TIMEOUT, RETRY_STATUSES, HttpTransport
from provider_api.redaction import redact
from provider_api.wsgi_server import serve_in_thread

SECRET = "sekret-klucz-API-123456"
SLOW_SECONDS = 0.5
SHORT_TIMEOUT = (1.0, 0.1)


class LoopbackApp:
    """A tiny WSGI app: /slow answers late, /status/<code> answers that code, /flaky fails twice,
    /broken-off stops halfway; anything else echoes the request."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        with self.lock:
            self.hits[path] += 1
            hit = self.hits[path]
        status = 200
        if path == "/slow":
            time.sleep(SLOW_SECONDS)
        elif path.startswith("/status/"):
            status = int(path.rsplit("/", 1)[1])
        elif path == "/flaky" and hit <= 2:
            status = 503
        elif path == "/broken-off":
            # Content-Length promises more than is sent: the answer breaks off.
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "100")])
            return [b'{"status": 1, "mess']
        length = int(environ.get("CONTENT_LENGTH") or 0)
        echo = {
            "method": environ["REQUEST_METHOD"],
            "path": path,
            "query": parse_qs(environ.get("QUERY_STRING", "")),
            "body": environ["wsgi.input"].read(length).decode(),
            "content_type": environ.get("CONTENT_TYPE", ""),
            "user_agent": environ.get("HTTP_USER_AGENT", ""),
            "x_test": environ.get("HTTP_X_TEST", ""),
        }
        raw = json.dumps(echo).encode()
        start_response(
            f"{status} X", [("Content-Type", "application/json"), ("Content-Length", str(len(raw)))]
        )
        return [raw]


@pytest.fixture(scope="module")
def server():
    """One server for the module (shutting one down takes half a second); each test gets a fresh app."""
    mounted = {}

    def app(environ, start_response):
        return mounted["app"](environ, start_response)

    with serve_in_thread(app) as url:
        yield url, mounted


@pytest.fixture
def app(server) -> LoopbackApp:
    fresh = LoopbackApp()
    server[1]["app"] = fresh
    return fresh


@pytest.fixture
def base_url(server, app) -> str:
    return server[0]


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """Records the transport's backoff sleeps instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(http_module, "time", SimpleNamespace(sleep=recorded.append))
    return recorded


def make_transport(base_url: str, **options) -> HttpTransport:
    options.setdefault("timeout", SHORT_TIMEOUT)
    options.setdefault("backoff", 0.01)
    return HttpTransport(base_url, provider="Testowy", secrets=(SECRET,), **options)


def closed_port() -> int:
    """A loopback port nobody listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def full_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + repr(vars(error))


# --- what is sent ---------------------------------------------------------------------------------------


def test_defaults():
    transport = HttpTransport("http://127.0.0.1:9/", provider="Testowy")
    assert transport.timeout == DEFAULT_TIMEOUT
    assert transport.retries == 2
    assert transport.base_url == "http://127.0.0.1:9"
    assert frozenset({502, 503, 504}) == RETRY_STATUSES


def test_url_joins_base_and_path_with_one_slash():
    transport = HttpTransport("http://127.0.0.1:9/api/", provider="Testowy")
    assert transport.url("/x/y") == "http://127.0.0.1:9/api/x/y"
    assert transport.url("x/y") == "http://127.0.0.1:9/api/x/y"


def test_empty_secrets_are_dropped():
    assert HttpTransport("http://127.0.0.1:9", provider="T", secrets=("", SECRET)).secrets == (SECRET,)


def test_form_body_query_and_headers_reach_the_server(base_url, app):
    transport = make_transport(f"{base_url}/")

    response = transport.request(
        "POST",
        "/echo",
        retry=False,
        data={"a": "1", "b": "ż"},
        params={"q": "x y"},
        headers={"X-Test": "tak"},
    )

    echo = response.json()
    assert response.status_code == 200
    assert echo["method"] == "POST"
    assert echo["path"] == "/echo"
    assert echo["query"] == {"q": ["x y"]}
    assert echo["body"] == "a=1&b=%C5%BC"
    assert echo["content_type"] == "application/x-www-form-urlencoded"
    assert echo["x_test"] == "tak"
    assert echo["user_agent"] == "telecom-dashboard"


def test_json_body_and_a_get_with_a_body(base_url):
    transport = make_transport(base_url, user_agent="panel/1.0")

    echo = transport.request("GET", "echo", retry=True, json={"id": 5}).json()

    assert echo["method"] == "GET"
    assert json.loads(echo["body"]) == {"id": 5}
    assert echo["content_type"] == "application/json"
    assert echo["user_agent"] == "panel/1.0"


def test_a_given_session_is_used_and_gets_the_user_agent(base_url, app):
    session = requests.Session()
    transport = make_transport(base_url, session=session)

    transport.request("POST", "echo", retry=False)

    assert transport.session is session
    assert session.headers["User-Agent"] == "telecom-dashboard"
    assert app.hits["/echo"] == 1


def test_stream_returns_a_readable_response(base_url):
    response = make_transport(base_url).request("GET", "echo", retry=True, stream=True)
    assert json.loads(b"".join(response.iter_content(4)))["path"] == "/echo"


# --- timeouts and refused connections --------------------------------------------------------------------


def test_read_timeout_is_unavailable_with_outcome_unknown(base_url, app):
    with pytest.raises(UnavailableError) as caught:
        make_transport(base_url).request("POST", "slow", retry=False)

    error = caught.value
    assert (error.reason, error.outcome_unknown) == (UnavailableReason.TIMEOUT, True)
    assert error.provider == "Testowy"
    assert str(error) == "Testowy: no answer in time"
    assert app.hits["/slow"] == 1


def test_read_timeout_of_a_read_is_retried_then_given_up(base_url, app):
    started = time.monotonic()
    with pytest.raises(UnavailableError) as caught:
        make_transport(base_url).request("GET", "slow", retry=True)

    assert caught.value.reason == UnavailableReason.TIMEOUT
    assert caught.value.outcome_unknown is False, "a read changes nothing"
    assert app.hits["/slow"] == 3
    assert time.monotonic() - started < 3 * SLOW_SECONDS  # each attempt gave up at the read timeout


def test_refused_connection_is_unavailable_with_outcome_known():
    transport = make_transport(f"http://127.0.0.1:{closed_port()}")

    with pytest.raises(UnavailableError) as caught:
        transport.request("POST", "send", retry=False)

    assert (caught.value.reason, caught.value.outcome_unknown) == (UnavailableReason.NO_CONNECTION, False)
    assert str(caught.value) == "Testowy: connection failed"


def test_refused_connection_of_a_read_is_retried_with_backoff(sleeps):
    transport = make_transport(f"http://127.0.0.1:{closed_port()}", backoff=0.25)

    with pytest.raises(UnavailableError) as caught:
        transport.request("GET", "list", retry=True)

    assert caught.value.outcome_unknown is False
    assert sleeps == [0.25, 0.5]


def test_refused_connection_of_an_act_is_not_retried(sleeps):
    with pytest.raises(UnavailableError):
        make_transport(f"http://127.0.0.1:{closed_port()}").request("POST", "send", retry=False)
    assert sleeps == []


@pytest.fixture
def hang_up_port():
    """A port whose server reads the request and closes the connection without answering."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()
    accepted: list[bytes] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                accepted.append(connection.recv(65536))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], accepted
    stop.set()
    thread.join(timeout=2)
    listener.close()


def test_connection_closed_after_sending_leaves_the_outcome_unknown(hang_up_port):
    port, accepted = hang_up_port

    with pytest.raises(UnavailableError) as caught:
        make_transport(f"http://127.0.0.1:{port}").request("POST", "send", retry=False)

    assert (caught.value.reason, caught.value.outcome_unknown) == (UnavailableReason.CONNECTION_LOST, True)
    assert str(caught.value) == "Testowy: connection broken during the request"
    assert len(accepted) == 1


def test_connection_closed_after_sending_a_read_changed_nothing(hang_up_port, sleeps):
    port, accepted = hang_up_port

    with pytest.raises(UnavailableError) as caught:
        make_transport(f"http://127.0.0.1:{port}").request("GET", "list", retry=True)

    assert (caught.value.reason, caught.value.outcome_unknown) == (UnavailableReason.CONNECTION_LOST, False)
    assert len(accepted) == 3


@pytest.mark.parametrize(("retry", "unknown"), [(False, True), (True, False)], ids=["act", "read"])
def test_an_answer_that_breaks_off_is_unreadable(base_url, app, sleeps, retry, unknown):
    with pytest.raises(UnavailableError) as caught:
        make_transport(base_url).request("POST", "broken-off", retry=retry)

    assert (caught.value.reason, caught.value.outcome_unknown) == (UnavailableReason.UNREADABLE, unknown)
    assert str(caught.value) == "Testowy: request failed: ChunkedEncodingError"
    assert app.hits["/broken-off"] == (1 if retry is False else 3)


def test_connect_timeout_is_unavailable_with_outcome_known():
    class TimingOutSession:
        headers: dict[str, str] = {}
        calls = 0

        def request(self, *args, **kwargs):
            TimingOutSession.calls += 1
            raise requests.ConnectTimeout("connect timed out")

    transport = HttpTransport("http://127.0.0.1:9", provider="Testowy", session=TimingOutSession(), backoff=0)

    with pytest.raises(UnavailableError) as caught:
        transport.request("GET", "list", retry=True)

    assert (caught.value.reason, caught.value.outcome_unknown) == (UnavailableReason.NO_CONNECTION, False)
    assert str(caught.value) == "Testowy: connection timed out"
    assert TimingOutSession.calls == 3


def test_other_request_failures_name_only_the_exception_class():
    transport = HttpTransport(
        f"http://127.0.0.1:notaport/{SECRET}", provider="Testowy", secrets=(SECRET,), timeout=SHORT_TIMEOUT
    )
    with pytest.raises(UnavailableError) as caught:
        transport.request("POST", "send", retry=False, params={"apikey": SECRET})
    assert str(caught.value) == "Testowy: request failed: InvalidURL"
    assert (caught.value.reason, caught.value.outcome_unknown) == (UnavailableReason.NO_CONNECTION, False)
    assert SECRET not in full_text(caught.value)


# --- retries on 502/503/504 ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(RETRY_STATUSES))
def test_a_read_repeats_on_a_retryable_status_with_backoff_and_gives_up(base_url, app, sleeps, status):
    response = make_transport(base_url, backoff=0.1).request("GET", f"status/{status}", retry=True)

    assert response.status_code == status
    assert app.hits[f"/status/{status}"] == 3
    assert sleeps == [0.1, 0.2]


def test_a_read_that_recovers_returns_the_good_answer(base_url, app, sleeps):
    response = make_transport(base_url).request("GET", "flaky", retry=True)

    assert response.status_code == 200
    assert app.hits["/flaky"] == 3
    assert len(sleeps) == 2


def test_the_number_of_retries_is_configurable(base_url, app, sleeps):
    response = make_transport(base_url, retries=0).request("GET", "status/503", retry=True)
    assert response.status_code == 503
    assert app.hits["/status/503"] == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [500, 400, 404])
def test_other_statuses_are_not_retried(base_url, app, sleeps, status):
    response = make_transport(base_url).request("GET", f"status/{status}", retry=True)
    assert response.status_code == status
    assert app.hits[f"/status/{status}"] == 1
    assert sleeps == []


@pytest.mark.parametrize("status", sorted(RETRY_STATUSES))
def test_an_act_is_sent_exactly_once_even_on_a_retryable_status(base_url, app, sleeps, status):
    response = make_transport(base_url).request(
        "POST", f"status/{status}", retry=False, data={"to": "601123456"}
    )
    assert response.status_code == status
    assert app.hits[f"/status/{status}"] == 1
    assert sleeps == []


def test_an_act_is_sent_exactly_once_even_on_a_timeout(base_url, app):
    with pytest.raises(UnavailableError) as caught:
        make_transport(base_url).request("POST", "slow", retry=False)
    assert caught.value.outcome_unknown is True
    time.sleep(SLOW_SECONDS)  # a second attempt, had there been one, would have arrived by now
    assert app.hits["/slow"] == 1


# --- secrets --------------------------------------------------------------------------------------------


def test_secret_is_absent_from_a_refused_connection_error():
    transport = make_transport(f"http://127.0.0.1:{closed_port()}/{SECRET}")

    with pytest.raises(UnavailableError) as caught:
        transport.request(
            "POST", f"send/{SECRET}", retry=False, params={"apikey": SECRET}, headers={"X-Key": SECRET}
        )

    assert SECRET not in full_text(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


def test_secret_is_absent_from_a_timeout_error(base_url):
    with pytest.raises(UnavailableError) as caught:
        make_transport(base_url).request("GET", "slow", retry=False, params={"apikey": SECRET})

    assert SECRET not in full_text(caught.value)
    assert caught.value.__cause__ is None


# --- redact ---------------------------------------------------------------------------------------------


def test_redact_masks_every_occurrence_of_every_secret():
    text = f"key={SECRET}&again={SECRET}&pass=haslo-1234"
    assert redact(text, [SECRET, "haslo-1234"]) == "key=***&again=***&pass=***"


def test_redact_masks_a_longer_secret_whole_when_a_shorter_one_is_inside_it():
    assert redact("token=abcd-efgh-ijkl", ["abcd", "abcd-efgh-ijkl"]) == "token=***"


def test_redact_ignores_empty_and_very_short_secrets():
    # Masking one to three characters would garble ordinary words without protecting much.
    assert redact("abc a text", ["", "abc", "a"]) == "abc a text"


def test_redact_accepts_any_iterable_and_leaves_clean_text_alone():
    assert redact("nothing secret here", (s for s in [SECRET])) == "nothing secret here"
    assert redact(f"x{SECRET}y", iter([SECRET])) == "x***y"
