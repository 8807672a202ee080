"""Settings from the environment: bad values stop start-up naming the variable; production is hardened."""

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-secret-key-that-is-long-enough-and-random-0123456789",
    "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "dashboard.example.com",
    "EMAIL_URL": "smtp://mailer:pass@mail.example.com:587",
}


def run_manage(tmp_path, extra_env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ENCRYPTION_KEYS", "DEBUG", "EMAIL_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update({"DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}, **extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = run_manage(tmp_path, PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not any(tmp_path.iterdir()) or not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ENCRYPTION_KEYS"])
def test_production_without_a_key_stops_with_a_clear_message(tmp_path, missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = run_manage(tmp_path, env, "check")
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr
    assert not (tmp_path / "secret_key").exists() and not (tmp_path / "encryption_key").exists()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("ENCRYPTION_KEYS", "not-a-fernet-key"),
        ("DATABASE_URL", "mysql://x@localhost/db"),
        ("REDIS_URL", "amqp://localhost"),
        ("EMAIL_URL", "carrier-pigeon://coop"),
        ("EMAIL_URL", "smtp://host:notaport"),
        ("SESSION_COOKIE_AGE", "a day"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, variable, value):
    result = run_manage(tmp_path, {**PRODUCTION, variable: value}, "check")
    assert result.returncode != 0
    assert variable in result.stderr
    assert "Traceback" not in result.stderr.splitlines()[-1]


def test_development_generates_keys_once_into_the_data_folder(tmp_path):
    first = run_manage(tmp_path, {"DEBUG": "1"}, "check")
    assert first.returncode == 0, first.stderr
    secret_key = (tmp_path / "secret_key").read_text()
    encryption_key = (tmp_path / "encryption_key").read_text()
    Fernet(encryption_key)
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    run_manage(tmp_path, {"DEBUG": "1"}, "check")
    assert (tmp_path / "secret_key").read_text() == secret_key
    assert (tmp_path / "encryption_key").read_text() == encryption_key


def test_time_zone_and_languages():
    assert settings.TIME_ZONE == "Europe/Warsaw"
    assert settings.LANGUAGE_CODE == "pl"
    assert [code for code, _ in settings.LANGUAGES] == ["pl", "en"]


def test_development_prints_emails_with_their_links_to_the_console(tmp_path):
    """./scripts/start runs with DEBUG on and no EMAIL_URL: invitation and reset links appear in its output."""
    send = (
        "from django.core.mail import send_mail; "
        "send_mail('Zaproszenie', 'http://127.0.0.1:8000/invitations/abc/', 'a@example.com', ['b@example.com'])"
    )
    result = run_manage(tmp_path, {"DEBUG": "1"}, "shell", "-c", send)
    assert result.returncode == 0, result.stderr
    assert "http://127.0.0.1:8000/invitations/abc/" in result.stdout


def test_new_settings_are_read_and_checked(tmp_path):
    show = "from django.conf import settings; print(settings.ALLOWED_PROVIDER_HOSTS, settings.TRUSTED_PROXY_COUNT)"
    env = {"ALLOWED_PROVIDER_HOSTS": "Sandbox.Example.pl, api.test.pl", "TRUSTED_PROXY_COUNT": "2"}
    result = run_manage(tmp_path, {**PRODUCTION, **env}, "shell", "-c", show)
    assert "['sandbox.example.pl', 'api.test.pl'] 2" in result.stdout, result.stderr
    refused = run_manage(tmp_path, {**PRODUCTION, "TRUSTED_PROXY_COUNT": "0"}, "check")
    assert refused.returncode != 0 and "TRUSTED_PROXY_COUNT" in refused.stderr
