"""The Content-Security-Policy stays strict on every page, and no template needs it loosened: no inline
script, no event-handler attribute, no inline style, no htmx attribute that evaluates code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.tests.test_role_matrix import TENANT_URLS, object_factories

LOOSE_SOURCES = (
    "'unsafe-inline'",
    "'unsafe-eval'",
    "'unsafe-hashes'",
    "'wasm-unsafe-eval'",
    "*",
    "data:",
    "http:",
    "https:",
)


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0].lower()] = words[1:]
    return parsed


def policy_problems(header: str) -> list[str]:
    policy = directives(header)
    problems = []
    for directive in ("script-src", "style-src"):
        sources = policy.get(directive, policy.get("default-src"))
        if sources is None:
            problems.append(f"no {directive} (nor default-src)")
            continue
        problems += [f"{directive} allows {source}" for source in sources if source in LOOSE_SOURCES]
    for directive, wanted in (
        ("object-src", ["'none'"]),
        ("base-uri", ["'self'"]),
        ("frame-ancestors", ["'none'"]),
    ):
        if policy.get(directive) != wanted:
            problems.append(f"{directive} is {policy.get(directive)}")
    return problems


def test_the_policy_check_can_fail():
    assert policy_problems("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self'")
    assert policy_problems("default-src 'self' 'unsafe-eval'; object-src 'none'; base-uri 'self'")
    strict = "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    assert policy_problems(strict) == []


@pytest.mark.parametrize("tenant_url", TENANT_URLS, ids=[u.name for u in TENANT_URLS])
def test_every_tenant_page_has_a_strict_policy(tenant_url, tenant, owner, client):
    kwargs = {"tenant_slug": tenant.slug}
    if tenant_url.params:
        kwargs.update(object_factories()[tenant_url.name](tenant))
    client.force_login(owner)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.get(reverse(tenant_url.name, kwargs=kwargs), **headers)
        header = response.get("Content-Security-Policy", "")
        assert header, f"{tenant_url.name} answered {response.status_code} without a CSP"
        assert not policy_problems(header), (tenant_url.name, policy_problems(header))


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/password/", "/tenants/new/"])
def test_pages_outside_tenants_have_a_strict_policy_too(path, client, owner):
    client.force_login(owner)
    header = client.get(path).get("Content-Security-Policy", "")
    assert header and not policy_problems(header)


# --- the templates --------------------------------------------------------------------------------------

TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
ATTRIBUTE_PROBLEMS = (
    (re.compile(r"(?:^|\s)on[a-z]+\s*=", re.I), "an on*= event handler"),
    (re.compile(r"(?:^|\s)style\s*=", re.I), "an inline style="),
    (re.compile(r"(?:^|\s)(?:hx|data-hx)-on\b", re.I), "hx-on (htmx evaluates it as code)"),
    (
        re.compile(r"(?:^|\s)(?:href|src|action|formaction)\s*=\s*[\"']?\s*javascript:", re.I),
        "a javascript: URL",
    ),
)


def template_files() -> list[Path]:
    roots = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    roots += [Path(settings.BASE_DIR) / app / "templates" for app in ("accounts", "premium", "spikon", "sms", "api")]
    return sorted(path for root in roots if root.is_dir() for path in root.rglob("*.html"))


COMMENTS = re.compile(r"\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}|<!--.*?-->", re.S)


def template_problems(text: str) -> list[str]:
    text = COMMENTS.sub("", text)  # what no browser receives
    problems = []
    for match in TAG.finditer(text):
        name, attributes = match.group(1).lower(), match.group(2)
        if name == "script" and not re.search(r"(?:^|\s)src\s*=", attributes):
            problems.append("an inline <script> (without src)")
        if name == "style":
            problems.append("a <style> element")
        problems += [what for pattern, what in ATTRIBUTE_PROBLEMS if pattern.search(attributes)]
    return problems


def test_the_template_check_can_fail():
    assert len(template_problems("<script>alert(1)</script><style>p{}</style>")) == 2
    assert (
        len(template_problems('<a href="javascript:x()" onclick="y()" style="color:red" hx-on:click="z">'))
        == 4
    )
    assert template_problems('<script src="{% static "app.js" %}" defer></script><p data-confirm="on">') == []
    assert template_problems("{# an inline <style> is refused #}<!-- <script>x</script> -->") == []


def test_no_template_needs_the_policy_loosened():
    files = template_files()
    assert len(files) > 30, "the templates were not found"
    problems = [
        f"{path.relative_to(settings.BASE_DIR)}: {what}"
        for path in files
        for what in template_problems(path.read_text())
    ]
    assert not problems, "\n".join(problems)
