"""Texts made by workers are kept as codes and shown in the viewer's language."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.provider_errors import explain_later
from provider_api.errors import NotFoundError, UnavailableError
from providers.texts import later, shown
from spikon import tasks
from spikon.models import CallDirection, CallHistoryReport


def test_a_text_with_parameters_is_shown_in_the_active_language():
    stored = later(
        "%(file)s: %(added)d added, %(failed)d not added, %(unknown)d unknown, %(skipped)d skipped.",
        file="klienci.csv",
        added=3,
        failed=1,
        unknown=0,
        skipped=2,
    )

    with translation.override("en"):
        assert shown(stored) == "klienci.csv: 3 added, 1 not added, 0 unknown, 2 skipped."
    with translation.override("pl"):
        assert shown(stored) == "klienci.csv: dodane 3, niedodane 1, nieznany wynik 0, pominięte 2."
    assert shown("Words of a provider") == "Words of a provider" and shown("") == ""
    assert shown(later("%(x)s", x=1)[:-3]) == ""  # a damaged record shows nothing, not its markup


def test_an_explained_provider_error_is_stored_without_a_language_and_with_its_secret_masked():
    error = NotFoundError("no book for key sk-SECRET-123456", provider="SPIKON", code=-8, name="Not found")
    stored = explain_later(error, lambda text: text.replace("sk-SECRET-123456", "***"))

    assert "sk-SECRET" not in stored
    with translation.override("en"):
        english = shown(stored)
    with translation.override("pl"):
        polish = shown(stored)
    assert english.startswith("SPIKON found nothing") and "Provider says: SPIKON -8 Not found" in english
    assert polish != english and "***" in polish and "SPIKON -8" in polish
    # A provider that says a great deal: what is stored still fits a 2,000-character column whole.
    long = explain_later(NotFoundError("słowo " * 1000, provider="SPIKON", code=-8), str)[:2000]
    with translation.override("en"):
        assert shown(long).startswith("SPIKON found nothing")
    unknown = UnavailableError("timeout", provider="SPIKON", outcome_unknown=True)
    with translation.override("en"):
        assert "check whether it was done" in shown(explain_later(unknown, str))


@pytest.mark.django_db
def test_a_report_given_up_by_the_worker_reads_in_the_viewers_language(login, tenant, operator):
    report = CallHistoryReport.objects.create(
        tenant=tenant,
        provider_report_id=7,
        direction=CallDirection.BOTH,
        date_start=timezone.localdate(),
        date_end=timezone.localdate(),
    )
    report.start_polling(now=timezone.now() - timezone.timedelta(minutes=5))
    report.save()
    with translation.override("pl"):  # the worker's language does not matter
        tasks.poll_call_history_report(report.pk)  # the tenant has no SPIKON account: it gives up
    url = reverse("spikon:history-report", kwargs={"tenant_slug": tenant.slug, "report_id": report.pk})
    client = login(operator)

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").text
    polish = client.get(url, HTTP_ACCEPT_LANGUAGE="pl").text

    assert "The SPIKON account has no API key any more." in english
    assert "The SPIKON account has no API key any more." not in polish
