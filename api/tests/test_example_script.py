"""The README's client script (scripts/api_example.py, only `requests`) against a running server: the demo
tenant on the demo's sandboxes over HTTP, a live Django server, and an operator's token."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import Role, Tenant, User
from api.models import ApiToken
from api.tests.conftest import make_token
from config.sandboxes import demo_apps, make_dispatcher
from premium.models import PremiumNumber
from provider_api.wsgi_server import serve_in_thread
from tests.providers import RequestLog, sync_everything

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "api_example.py"


@pytest.mark.django_db(transaction=True)
def test_the_example_script_does_the_daily_jobs_of_the_demo_and_sends_once(live_server, tmp_path):
    """The demo as the README's start command makes it: `setup_demo` and the sandboxes on one port."""
    log = RequestLog(make_dispatcher(demo_apps()))
    with serve_in_thread(log) as sandboxes:
        call_command("setup_demo", "--sandbox-url", sandboxes, stdout=StringIO())
        demo = Tenant.objects.get(slug="demo")
        sync_everything(demo, call_history=False)
        _token, text = ApiToken.issue(
            tenant=demo, name="example", role=Role.OPERATOR, created_by=User.objects.get(username="admin")
        )
        before = len(log.received)
        result = subprocess.run(
            [sys.executable, str(SCRIPT)],
            env={**os.environ, "DASHBOARD_URL": live_server.url, "DASHBOARD_TOKEN": text},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        sent = [request.path for request in log.received[before:]]
    assert result.returncode == 0, result.stderr
    first = PremiumNumber.objects.filter(tenant=demo).order_by("number").first()
    assert f"{first.number} now goes to 601123456" in result.stdout
    assert "SMS " in result.stdout and ": accepted" in result.stdout
    assert "the first outcome, nothing sent" in result.stdout
    assert (tmp_path / "billing.csv").read_bytes().startswith(b"call_id,started_at,")  # the raw export
    assert len([path for path in sent if path.endswith("/api/sms/send")]) == 1
    assert len([path for path in sent if "/setRedirect/" in path]) == 1


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
