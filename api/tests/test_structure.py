"""The API acts through the same services and reads the same local rows as the pages: none of its modules
calls a provider client."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

CLIENT_CALL = re.compile(r"\.client\(|Client\(")


def api_modules() -> list[Path]:
    root = Path(settings.BASE_DIR) / "api"
    return [
        path for path in root.rglob("*.py") if "tests" not in path.parts and "migrations" not in path.parts
    ]


def test_the_check_can_fail():
    assert CLIENT_CALL.search("account.client(in_request=True).send_sms(...)")


def test_no_api_module_calls_a_provider_client():
    modules = api_modules()
    assert len(modules) > 8
    calls = [
        f"{path.name}:{n}"
        for path in modules
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if CLIENT_CALL.search(line)
    ]
    assert calls == []
