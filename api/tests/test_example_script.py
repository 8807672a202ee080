"""The README's client script (scripts/api_example.py, only `requests`) against a running server: the
demo's sandboxes over HTTP, a live Django server, and an operator's token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import Role
from api.tests.conftest import make_token, provider_calls
from premium.models import PremiumNumber

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "api_example.py"


@pytest.mark.django_db(transaction=True)
def test_the_example_script_does_the_daily_jobs_and_sends_once(
    live_server, all_synced, tenant, operator, tmp_path
):
    _token, text = make_token(tenant, operator, Role.OPERATOR)
    mark = all_synced.mark()
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={**os.environ, "DASHBOARD_URL": live_server.url, "DASHBOARD_TOKEN": text},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    first = PremiumNumber.objects.filter(tenant=tenant).order_by("number").first()
    assert f"{first.number} now goes to 601123456" in result.stdout
    assert "SMS " in result.stdout and ": accepted" in result.stdout
    assert "the first outcome, nothing sent" in result.stdout
    assert (tmp_path / "billing.csv").read_bytes().startswith("\ufeff".encode())
    assert len(provider_calls(all_synced, mark, "spikon", "sms/send")) == 1
    assert len(provider_calls(all_synced, mark, "premium", "setRedirect")) == 1


@pytest.mark.django_db(transaction=True)
def test_the_example_script_explains_a_refusal(live_server, tenant, viewer, tmp_path):
    _token, text = make_token(tenant, viewer, Role.VIEWER)
    text = text[:-4] + "xxxx"  # the right prefix, a wrong secret
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={**os.environ, "DASHBOARD_URL": live_server.url, "DASHBOARD_TOKEN": text},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "401" in result.stderr and "This API token is not valid." in result.stderr
