"""Every tenant page in Polish reads in Polish: no English text that has a Polish translation, and the
audit log shows no action codes or Python values."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from accounts import audit
from accounts.tests.test_role_matrix import TENANT_URLS, object_factories
from provider_api.errors import NotFoundError
from providers.accounts import record_failure
from spikon.models import SpikonAccount

pytestmark = pytest.mark.django_db
PLACEHOLDER = re.compile(r"%(\([^)]*\))?[-#0 +]*\d*(\.\d+)?[sdifr%]|\{[^}]*\}")
SCRIPTS = re.compile(r"<(script|style)\b.*?</\1>", re.S)
MIN_FRAGMENT = 14  # shorter pieces ("Status", "API key") are names as often as sentences


def english_fragments() -> dict[str, str]:
    """Pieces of English, long enough to be sentences, whose Polish translation differs -> their msgid."""
    catalog = trans_real.translation("pl")._catalog
    fragments = {}
    for msgid, msgstr in catalog.items():
        if not isinstance(msgid, str) or not msgid or msgstr == msgid:
            continue
        for piece in PLACEHOLDER.split(msgid):
            piece = (piece or "").strip(" .,:;()–-→«»“”")
            if len(piece) >= MIN_FRAGMENT and " " in piece and piece not in msgstr:
                fragments[piece] = msgid
    return fragments


def record_every_action(tenant, owner) -> None:
    """One event of every registered action, with every field's change, so that the log shows them all."""
    changes = dict.fromkeys(audit.FIELD_NAMES, (None, "operator"))
    changes["recordings only"] = (True, False)
    for code in audit.SENTENCES:
        audit.record(tenant, owner, code, object_label="X", changes=changes)
        audit.record(tenant, owner, code, object_label="X", outcome="failure", message="Odmowa.")
    # A failure recorded where English was active (a worker, an English session) reads in Polish here.
    refused = NotFoundError("Not found: sk-key-123", provider="SPIKON", code=-8, name="Not found")
    with translation.override("en"):
        record_failure(
            SpikonAccount(tenant=tenant, api_key="sk-key-123"), owner, "spikon.tts.delete", refused
        )


def page_text(response) -> str:
    return html.unescape(SCRIPTS.sub("", response.content.decode()))


def test_no_page_in_polish_shows_english(client, tenant, owner):
    record_every_action(tenant, owner)
    fragments = english_fragments()
    assert len(fragments) > 200, "the Polish catalogue is not loaded"
    factories = object_factories()
    client.force_login(owner)
    found, visited = {}, 0
    for tenant_url in TENANT_URLS:
        kwargs = {"tenant_slug": tenant.slug}
        if tenant_url.params:
            kwargs.update(factories[tenant_url.name](tenant))
        response = client.get(reverse(tenant_url.name, kwargs=kwargs), HTTP_ACCEPT_LANGUAGE="pl")
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        visited += 1
        text = page_text(response)
        english = [piece for piece in fragments if piece in text]
        if english:
            found[tenant_url.name] = english
    assert visited > 30, "the walk of the tenant pages is broken"
    assert not found, f"English on Polish pages: {found}"
    # The check can fail: the same page in English is caught.
    log = reverse("audit-log", kwargs={"tenant_slug": tenant.slug})
    english_log = page_text(client.get(log, HTTP_ACCEPT_LANGUAGE="en"))
    assert any(piece in english_log for piece in fragments)


def test_the_audit_log_shows_no_codes_and_no_python_values(client, tenant, owner):
    record_every_action(tenant, owner)
    client.force_login(owner)
    url = reverse("audit-log", kwargs={"tenant_slug": tenant.slug})
    pages = []
    for language in ("pl", "en"):
        text = page_text(client.get(url, HTTP_ACCEPT_LANGUAGE=language))
        after = re.search(r"after=([\w-]+)", text)
        if after:
            text += page_text(client.get(url, {"after": after.group(1)}, HTTP_ACCEPT_LANGUAGE=language))
        pages.append(re.sub(r"<[^>]+>", " ", text))  # what people read, not attributes or links
    for text in pages:
        for code in audit.SENTENCES:
            assert code not in text
        for python in ("True", "False", "None", "['", "{'"):
            assert python not in text
    with translation.override("pl"):
        assert "Zmieniono przekierowanie numeru X" in pages[0]
