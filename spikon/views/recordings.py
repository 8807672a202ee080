"""Call recordings (4.4.3 `file`): played and downloaded through these views only, never from a public URL.

A recording is fetched from the provider's link the first time it is played (with a short timeout, while
the operator waits) into media storage under a random name, and served from there afterwards. Calls are
named in URLs by a random UUID and every lookup also filters by the member's tenant, so a recording link
can neither be guessed nor used from another tenant.
"""

from __future__ import annotations

import re
from uuid import UUID

from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.tenancy import TenantRequest, tenant_view
from provider_api.errors import ProviderError
from providers.downloads import serve_audio
from spikon import services, sync
from spikon.models import CallRecord
from spikon.views.overview import page_context


def _call_or_404(request: TenantRequest, call_id: UUID) -> CallRecord:
    return get_object_or_404(CallRecord, tenant=request.tenant, public_id=call_id)


def _recording_problem(request: TenantRequest, call: CallRecord) -> tuple[str, int]:
    """Make the call's recording available here; ("", 200), or why it cannot be played and an HTTP status.

    The first play fetches it from the provider: the one place where a page waits for SPIKON to read.
    """
    if call.recording_audio:
        if default_storage.exists(call.recording_audio.name):
            return "", 200
        CallRecord.objects.filter(pk=call.pk).update(recording_audio="", recording_content_type="")
        call.recording_audio.name = ""
    if call.recording_is_ftp:
        return (
            _(
                "This recording was delivered to your FTP server as “%(file)s”; the provider does not "
                "offer it for download."
            )
            % {"file": call.recording_file_name},
            404,
        )
    if not call.recording_url:
        return _("This call has no recording: recording was off when it started."), 404
    account = sync.configured_account(request.tenant.pk)
    if account is None:
        return _("The SPIKON account has no API key yet: an admin sets it on the Account page."), 409
    try:
        services.fetch_recording(account, call)
    except ProviderError as error:
        why = account.explain(error)
        return _("The recording cannot be fetched from the provider. %(why)s") % {"why": why}, 502
    return "", 200


@require_GET
@tenant_view(Role.VIEWER)
def call(request: TenantRequest, call_id: UUID) -> HttpResponse:
    """One call with its recording: a page, or (HTMX, from the calls list) just the player."""
    record = _call_or_404(request, call_id)
    problem, _status = _recording_problem(request, record) if record.has_recording else ("", 200)
    context = page_context(request, "history", call=record, problem=problem, autoplay=bool(request.htmx))
    template = "spikon/history_call.html#player" if request.htmx else "spikon/history_call.html"
    return render(request, template, context)


@require_GET
@tenant_view(Role.VIEWER)
def recording(request: TenantRequest, call_id: UUID) -> HttpResponse:
    """The recording's audio for the page's <audio> element, or as a download (`?download=1`)."""
    record = _call_or_404(request, call_id)
    problem, status = _recording_problem(request, record)
    if not problem:
        extension = ".mp3" if record.recording_content_type == "audio/mpeg" else ".wav"
        started = timezone.localtime(record.started_at)
        filename = f"call-{started:%Y%m%d-%H%M%S}-{record.source}-{record.destination}{extension}"
        response = serve_audio(
            request, record.recording_audio.name, re.sub(r"[^A-Za-z0-9._+-]", "_", filename)
        )
        if response is not None:
            return response
        problem, status = _("The stored recording is missing; play it again to fetch it anew."), 404
        CallRecord.objects.filter(pk=record.pk).update(recording_audio="", recording_content_type="")
    return HttpResponse(problem, status=status, content_type="text/plain; charset=utf-8")
