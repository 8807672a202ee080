"""SPIKON call history and announcements in the browser, with a real worker following the provider's jobs:
order a report and watch it complete, play a recording, generate an announcement and play it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role, Tenant
from conftest import make_member
from provider_api.wsgi_server import serve_in_thread
from spikon.models import CallHistoryReport, SpikonAccount, TtsAnnouncement
from spikon.sandbox import DEMO_API_KEY, demo_app
from spikon.sync import sync_voices
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.worker]

AUDIO_LOADED = """(audio) => new Promise((resolve) => {
  const done = () => resolve({readyState: audio.readyState, duration: audio.duration, error: audio.error && audio.error.code});
  if (audio.readyState >= 1) return done();
  audio.addEventListener("loadedmetadata", done, {once: true});
  audio.addEventListener("error", done, {once: true});
  audio.preload = "metadata";
  audio.load();
})"""


@pytest.fixture
def served():
    sandbox = demo_app()
    with serve_in_thread(sandbox) as url:
        yield sandbox, url


@pytest.fixture
def media_root(settings, tmp_path, monkeypatch):
    """Audio stored by the live server and by the worker goes to this test's folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    monkeypatch.setenv("MEDIA_ROOT", settings.MEDIA_ROOT)


@pytest.fixture
def tenant_with_account(transactional_db, served):
    tenant = Tenant.objects.create(slug="spikon-jobs", name="Firma SPIKON")
    SpikonAccount.objects.create(tenant=tenant, api_key=DEMO_API_KEY, base_url=served[1])
    sync_voices(tenant.pk)
    return tenant


def assert_audio_plays(page, selector: str) -> None:
    loaded = page.locator(selector).first.evaluate(AUDIO_LOADED)
    assert loaded["error"] is None and loaded["readyState"] >= 1 and loaded["duration"] > 0, loaded


def test_order_a_report_play_a_recording_then_generate_an_announcement_and_play_it(
    media_root, live_server, watched_page, served, tenant_with_account, real_worker
):
    sandbox = served[0]
    page = watched_page
    tenant = tenant_with_account
    log_in(page, live_server, make_member(tenant, "ola-operator", Role.OPERATOR))

    page.goto(f"{live_server.url}/t/{tenant.slug}/spikon/history/reports/")
    page.select_option("select[name=direction]", "2")
    page.fill("input[name=date_start]", f"{timezone.localdate() - timedelta(days=30):%Y-%m-%d}")
    expect(page.locator("input[name=recordings_only]")).to_be_checked()
    page.locator("#order button[type=submit]").click()
    page.wait_for_url("**/spikon/history/reports/*/")

    # The progress updates in place until the calls are stored, then the polling stops.
    expect(page.locator("#report-progress [data-state]")).to_have_attribute(
        "data-state", "stored", timeout=20_000
    )
    report = CallHistoryReport.objects.get(tenant=tenant)
    assert report.state == "stored" and report.calls_stored > 0
    expect(page.locator("#report-progress")).not_to_have_attribute("hx-trigger", "every 2s")

    page.locator("#report-progress a[role=button]").click()
    page.wait_for_url("**/spikon/history/?*")
    first_play = page.locator("a.spikon-play").first
    with page.expect_response(lambda response: "/recording/" in response.url) as media:
        first_play.click()
        page.locator(".spikon-player audio").wait_for()
        assert_audio_plays(page, ".spikon-player audio")
    assert media.value.status in (200, 206) and media.value.headers["content-type"] == "audio/wav"
    expect(page.locator(".spikon-player a[download]")).to_be_visible()

    # An announcement, followed by the same worker.
    page.goto(f"{live_server.url}/t/{tenant.slug}/spikon/tts/new/")
    # The voices follow the language in place.
    page.select_option("#id_language", "en-GB")
    expect(page.locator("select[name=voice] option")).to_have_text(["Amy (kobieta)", "Brian (mężczyzna)"])
    page.select_option("#id_language", "pl-PL")
    expect(page.locator("select[name=voice] option").first).to_have_text("Ewa (kobieta)")
    page.select_option("select[name=voice]", "Jacek")
    page.fill("input[name=name]", "Kolejka")
    page.fill("textarea[name=text]", "Wszyscy konsultanci są zajęci.\nProsimy czekać.")
    expect(page.locator("#text-counter")).to_have_text("Znaki: 46 / 3000")

    page.locator(".spikon-tts-form button[type=submit]:not([formmethod])").click()
    expect(page.locator(".spikon-price-gross")).to_have_text("1,85 zł")
    page.locator("form[action$='/tts/new/generate/'] button").click()
    page.wait_for_url("**/spikon/tts/")

    item = TtsAnnouncement.objects.get(tenant=tenant, name="Kolejka")
    row = page.locator(f"#announcement-{item.pk}")
    expect(row.locator("[data-state]")).to_have_attribute("data-state", "stored", timeout=20_000)
    assert_audio_plays(page, f"#announcement-{item.pk} audio")
    expect(row.locator("a[download]")).to_have_count(2)
    assert sandbox.request_count("/api/tts/generate") == 1
    assert page.problems == [] and page.csp_violations() == []
