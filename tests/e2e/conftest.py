"""Browser tests: Playwright drives Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import re

import pytest

from accounts.models import User
from conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Recorded by the page itself: Chromium reports CSP violations as events, not always as console errors.
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture(scope="session", autouse=True)
def _close_the_connections_opened_beside_playwright(playwright):
    """While Playwright's event loop runs in the test thread, Django keeps that thread's database
    connections apart from those opened before it started (asgiref's Local reads the running loop): at
    the end, before the loop stops, they are closed, or the test database could not be dropped ("being
    accessed by other users")."""
    yield
    from django.db import connections

    connections.close_all()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A Polish operator's browser."""
    return {**browser_context_args, "locale": "pl-PL", "timezone_id": "Europe/Warsaw"}


# A 400/409/422 answer carries a form back with its errors (HTMX swaps it): Chromium logs it, but it is no fault.
FORM_REFUSED = re.compile(r"^Failed to load resource: the server responded with a status of (400|409|422) ")


@pytest.fixture
def watched_page(page):
    """A page that records console errors, uncaught exceptions and CSP violations."""
    problems: list[str] = []

    def on_console(msg) -> None:
        if msg.type == "error" and not FORM_REFUSED.match(msg.text):
            problems.append(f"console {msg.type}: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.add_init_script(CSP_RECORDER)
    page.problems = problems

    def csp_violations() -> list[str]:
        return page.evaluate("window.__cspViolations || []")

    page.csp_violations = csp_violations
    page.set_default_timeout(15_000)
    return page


def log_in(page, live_server, user: User) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
