"""Text-to-speech announcements (4.7): the synced list with players and downloads, generating and deleting.

Generating costs money, so it takes three steps: choose the language, the voice and write the text; see the
provider's price (net and gross, 4.7.7); confirm. The confirmation carries the checked text and price
signed, with its key: a confirmation generates once, ever, whatever becomes of the announcement
(spikon.services.generate_announcement), and the call is never repeated. Celery then follows the generation
and stores the audio (spikon.tasks.poll_announcement).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from accounts.models import Role
from accounts.tenancy import TenantRequest, tenant_view
from provider_api.errors import ProviderError, UnavailableError
from providers.downloads import serve_audio
from providers.once import new_action_key
from spikon import services, sync
from spikon.client import TTS_TEXT_MAX_LENGTH
from spikon.forms import ANNOUNCEMENT_NAME_MAX_LENGTH, AnnouncementForm
from spikon.models import SpikonAccount, TtsAnnouncement
from spikon.services import QUOTE_MAX_AGE, QUOTE_SALT
from spikon.views.overview import page_context, spikon_account


def _list_context(request: TenantRequest) -> dict[str, object]:
    return page_context(
        request,
        "tts",
        account=spikon_account(request),
        announcements=TtsAnnouncement.objects.filter(tenant=request.tenant).order_by("-created_at", "-id"),
        sync_resource=sync.ANNOUNCEMENTS,
    )


@require_GET
@tenant_view(Role.VIEWER)
def announcements(request: TenantRequest) -> HttpResponse:
    return render(request, "spikon/tts.html", _list_context(request))


def _announcement_or_404(request: TenantRequest, announcement_id: int) -> TtsAnnouncement:
    return get_object_or_404(TtsAnnouncement, pk=announcement_id, tenant=request.tenant)


@require_GET
@tenant_view(Role.VIEWER)
def announcement(request: TenantRequest, announcement_id: int) -> HttpResponse:
    """One announcement: its row in the list (HTMX; polled while generating), or a page."""
    item = _announcement_or_404(request, announcement_id)
    context = page_context(request, "tts", item=item)
    if request.htmx:
        response_class = HttpResponse if item.is_in_progress else HttpResponseStopPolling
        return response_class(render_to_string("spikon/tts.html#announcement-row", context, request))
    return render(request, "spikon/tts_announcement.html", context)


@require_GET
@tenant_view(Role.VIEWER)
def audio(request: TenantRequest, announcement_id: int, audio_format: str) -> HttpResponse:
    """The stored audio: MP3 to play, or WAV PCM 8 kHz 16-bit mono; `?download=1` to save it."""
    if audio_format not in TtsAnnouncement.AUDIO_FIELDS:
        raise Http404("No such format.")
    item = _announcement_or_404(request, announcement_id)
    stored = getattr(item, TtsAnnouncement.AUDIO_FIELDS[audio_format])
    if stored:
        response = serve_audio(request, stored.name, f"announcement-{item.provider_id}.{audio_format}")
        if response is not None:
            return response
    return HttpResponse(
        _("The audio of this announcement is not stored yet."),
        status=409,
        content_type="text/plain; charset=utf-8",
    )


def _form_page(request: TenantRequest, form: AnnouncementForm, status: int = 200) -> HttpResponse:
    context = page_context(
        request,
        "tts",
        account=spikon_account(request),
        form=form,
        text_max=TTS_TEXT_MAX_LENGTH,
        sync_resource=sync.VOICES,
    )
    return render(request, "spikon/tts_new.html", context, status=status)


@require_GET
@tenant_view(Role.OPERATOR)
def new_announcement(request: TenantRequest) -> HttpResponse:
    """Step 1: language, voice, name and text. Without JavaScript "Show voices" reloads this page with the
    chosen language (the name and text kept); with it, the voice list follows the language in place."""
    initial = {
        key: request.GET.get(key, "")[:limit]
        for key, limit in (
            ("language", 16),
            ("voice", 64),
            ("name", ANNOUNCEMENT_NAME_MAX_LENGTH),
            ("text", TTS_TEXT_MAX_LENGTH),
        )
    }
    return _form_page(request, AnnouncementForm(initial=initial, tenant=request.tenant))


@require_GET
@tenant_view(Role.OPERATOR)
def voices(request: TenantRequest) -> HttpResponse:
    """The voice field for the chosen language (swapped in by HTMX)."""
    form = AnnouncementForm(initial={"language": request.GET.get("language", "")[:16]}, tenant=request.tenant)
    return render(request, "spikon/tts_new.html#voice-field", {"form": form})


@require_POST
@tenant_view(Role.OPERATOR)
def price(request: TenantRequest) -> HttpResponse:
    """Step 2: ask the provider the price (4.7.7) and show it, net and gross, with the Generate button."""
    form = AnnouncementForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    account = spikon_account(request)
    if account is None or not account.is_configured:
        form.add_error(
            None, _("The SPIKON account has no API key yet: an admin sets it on the Account page.")
        )
        return _form_page(request, form, status=400)
    data = form.cleaned_data
    try:
        quote = services.price_announcement(account, data["voice"], data["text"])
    except ProviderError as error:
        form.add_error(None, account.explain(error))
        return _form_page(request, form, status=400)
    signed = signing.dumps(
        {
            "tenant": request.tenant.pk,
            "key": new_action_key(),
            "language": data["language"],
            "voice": data["voice"],
            "name": data["name"],
            "text": data["text"],
            "net": str(quote.net),
            "gross": str(quote.gross),
        },
        salt=QUOTE_SALT,
        compress=True,
    )
    context = page_context(
        request, "tts", data=data, quote=quote, signed=signed, quote_minutes=QUOTE_MAX_AGE // 60
    )
    return render(request, "spikon/tts_confirm.html", context)


def _read_quote(request: TenantRequest) -> dict | None:
    try:
        quote = signing.loads(request.POST.get("quote", ""), salt=QUOTE_SALT, max_age=QUOTE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(quote, dict) or quote.get("tenant") != request.tenant.pk:
        return None
    try:
        quote["net"], quote["gross"] = Decimal(quote["net"]), Decimal(quote["gross"])
    except (KeyError, InvalidOperation):
        return None
    return quote


@require_POST
@tenant_view(Role.OPERATOR)
def generate(request: TenantRequest) -> HttpResponse:
    """Step 3: generate (4.7.3), once. Costs money: never retried, and a double submit generates nothing."""
    quote = _read_quote(request)
    if quote is None:
        messages.error(request, _("The price check has expired or is not valid: check the price again."))
        return redirect("spikon:tts-new", tenant_slug=request.tenant.slug)
    account = spikon_account(request)
    if account is None or not account.is_configured:
        messages.error(
            request, _("The SPIKON account has no API key yet: an admin sets it on the Account page.")
        )
        return redirect("spikon:tts", tenant_slug=request.tenant.slug)
    try:
        item = services.generate_announcement(account, request.user, quote)
    except ProviderError as error:
        return _generation_failed(request, account, quote, error)
    if item is None:
        messages.info(request, _("This announcement was already sent with this form; its state is below."))
        return redirect("spikon:tts", tenant_slug=request.tenant.slug)
    messages.success(
        request,
        _("“%(name)s” is being generated; it can be played here once it is ready.") % {"name": item.name},
    )
    return redirect("spikon:tts", tenant_slug=request.tenant.slug)


def _generation_failed(
    request: TenantRequest, account: SpikonAccount, quote: dict, error: ProviderError
) -> HttpResponse:
    if isinstance(error, UnavailableError) and error.outcome_unknown:
        messages.warning(
            request,
            _(
                "Outcome unknown: the provider did not answer in time and may have generated it. It is not sent "
                "again; the list shows it after the next refresh if it was made."
            ),
        )
        return redirect("spikon:tts", tenant_slug=request.tenant.slug)
    form = AnnouncementForm(
        {key: quote[key] for key in ("language", "voice", "name", "text")}, tenant=request.tenant
    )
    form.is_valid()
    form.add_error(None, account.explain(error))
    return _form_page(request, form, status=400)


@require_http_methods(["GET", "POST"])
@tenant_view(Role.OPERATOR)
def delete(request: TenantRequest, announcement_id: int) -> HttpResponse:
    """Delete at the provider (4.7.6) and here, after the operator types the announcement's name."""
    item = _announcement_or_404(request, announcement_id)
    context = page_context(request, "tts", item=item, error="")
    if request.method == "GET":
        return render(request, "spikon/tts_delete.html", context)
    if request.POST.get("confirm", "").strip() != item.name.strip():
        context["error"] = _("Type the announcement's name exactly to confirm.")
        return render(request, "spikon/tts_delete.html", context, status=400)
    if item.state == TtsAnnouncement.State.SUBMITTING:
        context["error"] = _("It is being sent to the provider right now; delete it once its state is known.")
        return render(request, "spikon/tts_delete.html", context, status=409)
    account = spikon_account(request)
    if item.provider_id is not None and (account is None or not account.is_configured):
        context["error"] = _("The SPIKON account has no API key yet: an admin sets it on the Account page.")
        return render(request, "spikon/tts_delete.html", context, status=400)
    try:
        services.delete_announcement(account, request.user, item)
    except ProviderError as error:
        context["error"] = account.explain(error)
        return render(request, "spikon/tts_delete.html", context, status=400)
    messages.success(request, _("Announcement “%(name)s” deleted.") % {"name": item.name})
    return redirect("spikon:tts", tenant_slug=request.tenant.slug)
