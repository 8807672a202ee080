"""Behind the TLS proxy, the login lockout keys on (username, the client's own address).

The end-to-end test runs nginx as the TLS proxy would be run, in front of gunicorn with the production
settings: nobody can lock another person out from elsewhere, and a forged X-Forwarded-For changes nothing.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from accounts.middleware import client_address
from accounts.models import User
from accounts.tests.test_deploy import BIN, free_port, production_env, stop


@pytest.mark.parametrize(
    ("forwarded", "trusted", "expected"),
    [
        ("", 1, "10.0.0.9"),  # not through the proxy
        ("203.0.113.7", 1, "203.0.113.7"),
        ("1.2.3.4, 203.0.113.7", 1, "203.0.113.7"),  # the client's own entry is ignored
        ("1.2.3.4, 203.0.113.7, 10.0.0.2", 2, "203.0.113.7"),  # two proxies in a chain
        ("203.0.113.7", 2, "10.0.0.9"),  # fewer entries than proxies: not through them all
        ("1.2.3.4, not-an-address", 1, "10.0.0.9"),
        ("2001:db8::1", 1, "2001:db8::1"),
    ],
)
def test_the_client_is_the_entry_the_trusted_proxies_wrote(forwarded, trusted, expected):
    meta = {"REMOTE_ADDR": "10.0.0.9", "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_address(meta, trusted) == expected


HOST = "dashboard.example.com"
PASSWORD = "haslo-ofiary-do-logowania-7"
NGINX = """
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host {host};
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
        }}
    }}
}}
"""


class Browser:
    """One person's HTTP client, connecting to the proxy from a loopback address of its own."""

    def __init__(self, port: int, source: str) -> None:
        self.port, self.source, self.cookies = port, source, SimpleCookie()

    def request(self, method: str, path: str, body: str = "", headers: dict | None = None):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=20, source_address=(self.source, 0)
        )
        cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in self.cookies.items())
        all_headers = {"Cookie": cookie, **(headers or {})}
        if body:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(header)
        connection.close()
        return response.status, text

    def log_in(self, username: str, password: str, forged_for: str = "") -> int:
        status, page = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, (status, page[:500])
        token = token.group(1)
        headers = {"Referer": f"https://{HOST}/accounts/login/", "Origin": f"https://{HOST}"}
        if forged_for:
            headers["X-Forwarded-For"] = forged_for
        form = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
        status, _text = self.request("POST", "/accounts/login/", form, headers)
        return status


def _wait_for(port: int, what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return
        except OSError:
            assert time.monotonic() < deadline, f"{what} did not start"
            time.sleep(0.3)


def test_behind_a_real_proxy_nobody_locks_out_another_person(transactional_db, tmp_path):
    salt = PBKDF2PasswordHasher().salt()
    User.objects.create(
        username="ofiara", password=PBKDF2PasswordHasher().encode(PASSWORD, salt, iterations=1000)
    )
    upstream, port = free_port(), free_port()
    env = {
        **production_env(tmp_path),
        "ALLOWED_HOSTS": HOST,
        "GUNICORN_BIND": f"127.0.0.1:{upstream}",
        "GUNICORN_WORKERS": "1",
        "BEHIND_TLS_PROXY": "1",
        "TRUSTED_PROXY_COUNT": "1",
        "AXES_FAILURE_LIMIT": "3",
    }
    # As the Dockerfile does at build time (the production pages name the collected static files).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=settings.BASE_DIR, env=env, check=True, capture_output=True,
    )  # fmt: skip
    (tmp_path / "nginx.conf").write_text(NGINX.format(tmp=tmp_path, port=port, upstream=upstream, host=HOST))
    gunicorn = subprocess.Popen(
        [str(BIN / "gunicorn"), "config.wsgi", "--config", "config/gunicorn.py"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    nginx = subprocess.Popen(
        ["nginx", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path), "-e", str(tmp_path / "nginx-error.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(upstream, "gunicorn")
        _wait_for(port, "nginx")
        attacker, victim = Browser(port, "127.0.0.3"), Browser(port, "127.0.0.2")

        # Wrong passwords for the victim's username, from the attacker's address, up to the lockout.
        statuses = [attacker.log_in("ofiara", "zle-haslo") for _ in range(3)]
        assert statuses[-1] == 429, statuses
        # Forging the victim's address in X-Forwarded-For: the proxy appends the real one, which counts.
        assert attacker.log_in("ofiara", PASSWORD, forged_for="127.0.0.2") == 429

        # The victim, from their own address, logs in: the attacker locked out only themselves.
        assert victim.log_in("ofiara", PASSWORD) == 302
        addresses = set(AccessAttempt.objects.values_list("ip_address", flat=True))
        assert addresses == {"127.0.0.3"}, addresses
    finally:
        stop(nginx)
        stop(gunicorn)
