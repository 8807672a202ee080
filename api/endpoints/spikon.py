"""SPIKON: balance, phone accounts, phonebooks and entries, click-to-call, SMS, call history and
recordings, text-to-speech announcements, the call-center matrix.

Reads come from the local copy the background syncs keep; writes call spikon.services, as the pages do.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal
from uuid import UUID

from django.core import signing
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status

from accounts.models import Role, SyncStatus
from api.auth import TokenRouter, requires
from api.endpoints.common import ERRORS, PageOut, ProblemOut, answers, configured_account, file_answer
from api.idempotency import ACTS_ONCE, act_once
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, newest_first
from api.problems import Problem, from_form_errors, invalid, problem_body
from providers.downloads import serve_audio
from providers.once import ActionRecord, new_action_key
from providers.texts import shown
from spikon import services, sync
from spikon.forms import AnnouncementForm, ClickToCallForm, EntryForm, PhoneBookForm, ReportOrderForm, SmsForm
from spikon.models import (
    CallCenterAgent,
    CallCenterCampaign,
    CallHistoryReport,
    CallRecord,
    ClickToCall,
    PhoneAccount,
    PhoneBook,
    PhoneBookEntry,
    SmsBatch,
    SpikonAccount,
    TtsAnnouncement,
)

router = TokenRouter(tags=["SPIKON"])

PROVIDER = "SPIKON"
SEARCH_MAX_LENGTH = 100


def _account(request: HttpRequest) -> SpikonAccount:
    return configured_account(request, SpikonAccount, PROVIDER)


# --- Balance and phone accounts ------------------------------------------------------------------


class BalanceOut(Schema):
    balance: Decimal | None = Field(description="zł, as the last sync read it; may be negative")
    read_at: datetime | None


@router.get("/balance", response=answers(BalanceOut), summary="The account's balance")
@requires(Role.VIEWER)
def balance(request: HttpRequest):
    account = SpikonAccount.of(request.tenant)
    synced = SyncStatus.objects.filter(
        tenant=request.tenant, provider=sync.SYNC_KEY, resource=sync.ACCOUNT
    ).first()
    return {
        "balance": account.balance if account else None,
        "read_at": synced.last_success_at if synced and account and account.balance is not None else None,
    }


class PhoneAccountOut(Schema):
    id: int
    provider_id: int
    number: str
    internal_number: str
    sip_login: str
    description: str
    registered: bool = Field(alias="is_registered")
    recording: bool


@router.get("/phone-accounts", response=answers(list[PhoneAccountOut]), summary="The phone accounts")
@requires(Role.VIEWER)
def phone_accounts(request: HttpRequest):
    return PhoneAccount.objects.filter(tenant=request.tenant).order_by("provider_id")


# --- Phonebooks ----------------------------------------------------------------------------------


class PhoneBookOut(Schema):
    id: int
    provider_id: int
    name: str
    entries: int


def _book(request: HttpRequest, book_id: int) -> PhoneBook:
    return get_object_or_404(PhoneBook, pk=book_id, tenant=request.tenant)


def _book_out(book: PhoneBook) -> dict:
    return {
        "id": book.pk,
        "provider_id": book.provider_id,
        "name": book.name,
        "entries": book.entries.count(),
    }


@router.get("/phonebooks", response=answers(list[PhoneBookOut]), summary="The phonebooks")
@requires(Role.VIEWER)
def phonebooks(request: HttpRequest):
    books = PhoneBook.objects.filter(tenant=request.tenant).annotate(entry_count=Count("entries"))
    return [
        {"id": book.pk, "provider_id": book.provider_id, "name": book.name, "entries": book.entry_count}
        for book in books.order_by("name", "id")
    ]


class PhoneBookIn(Schema):
    name: str


@router.post("/phonebooks", response=answers(PhoneBookOut, status=201), summary="Add a phonebook")
@requires(Role.OPERATOR)
def phonebook_add(request: HttpRequest, payload: PhoneBookIn):
    form = PhoneBookForm(payload.dict(), tenant=request.tenant)
    if not form.is_valid():
        raise from_form_errors(form)
    book = services.add_phone_book(_account(request), request.user, form.cleaned_data["name"])
    return Status(201, _book_out(book))


@router.delete(
    "/phonebooks/{book_id}", response={204: None, ERRORS: ProblemOut}, summary="Delete a phonebook"
)
@requires(Role.OPERATOR)
def phonebook_delete(request: HttpRequest, book_id: int):
    """Deletes the phonebook with its entries, at SPIKON and here."""
    book = _book(request, book_id)
    if book.is_main:
        raise Problem(
            "conflict", _("The main phonebook cannot be deleted (SPIKON keeps it on every account).")
        )
    services.delete_phone_book(_account(request), request.user, book)
    return HttpResponse(status=204)


class EntryOut(Schema):
    id: int
    provider_id: int | None
    name: str
    number: str


@router.get(
    "/phonebooks/{book_id}/entries", response=answers(PageOut[EntryOut]), summary="A phonebook's entries"
)
@requires(Role.VIEWER)
def entries(
    request: HttpRequest,
    book_id: int,
    q: str = Query("", max_length=SEARCH_MAX_LENGTH, description="Part of a name or a number"),
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """The entries, newest first; `q` searches names and numbers."""
    rows = PhoneBookEntry.objects.filter(book=_book(request, book_id), tenant=request.tenant)
    if q := q.strip():
        rows = rows.filter(Q(name__icontains=q) | Q(number__icontains=q))
    page = newest_first(rows, cursor, fields=("id",), limit=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


class EntryIn(Schema):
    name: str
    number: str


@router.post("/phonebooks/{book_id}/entries", response=answers(EntryOut, status=201), summary="Add an entry")
@requires(Role.OPERATOR)
def entry_add(request: HttpRequest, book_id: int, payload: EntryIn):
    book = _book(request, book_id)
    form = EntryForm(payload.dict())
    if not form.is_valid():
        raise from_form_errors(form)
    entry = services.add_phone_book_entry(
        _account(request), request.user, book, form.cleaned_data["name"], form.cleaned_data["number"]
    )
    return Status(201, entry)


@router.delete(
    "/phonebooks/{book_id}/entries/{entry_id}",
    response={204: None, ERRORS: ProblemOut},
    summary="Delete an entry",
)
@requires(Role.OPERATOR)
def entry_delete(request: HttpRequest, book_id: int, entry_id: int):
    entry = get_object_or_404(
        PhoneBookEntry, pk=entry_id, book=_book(request, book_id), tenant=request.tenant
    )
    if entry.provider_id is None:
        raise Problem(
            "conflict",
            _(
                "SPIKON gave no ID for this entry, so it cannot be deleted from here; delete it in the SPIKON panel."
            ),
        )
    services.delete_phone_book_entry(_account(request), request.user, entry)
    return HttpResponse(status=204)


# --- Click-to-call -------------------------------------------------------------------------------


class CallIn(Schema):
    phone_account_id: int = Field(description="The id (in this API) of the phone account that rings first")
    destination: str


class ClickToCallOut(Schema):
    id: int
    phone_account: str = Field(alias="phone_account_label")
    destination: str
    status: str = Field(description="initiated, refused or unknown")
    provider_state: str
    created_at: datetime


@router.post(
    "/calls", response=answers(ClickToCallOut, status=201), summary="Click-to-call", openapi_extra=ACTS_ONCE
)
@requires(Role.OPERATOR)
def click_to_call(request: HttpRequest, payload: CallIn):
    """Rings the phone account, then the destination. It acts, so it needs an `Idempotency-Key`."""
    data = payload.dict()

    def call(_record: ActionRecord) -> tuple[int, dict]:
        form = ClickToCallForm(
            {
                "form_key": new_action_key(),
                "phone_account": data["phone_account_id"],
                "destination": data["destination"],
            },
            tenant=request.tenant,
        )
        if not form.is_valid():
            raise from_form_errors(form, fields={"phone_account": "phone_account_id"})
        made = services.initiate_call(
            _account(request),
            request.user,
            key=form.cleaned_data["form_key"],
            phone_account=form.cleaned_data["phone_account"],
            destination=form.cleaned_data["destination"],
        )
        # initiate_call keeps a refusal or a lost answer in the call's row: they are this key's answer too.
        if made.status == ClickToCall.Status.UNKNOWN:
            return 503, problem_body(request, Problem("outcome-unknown", shown(made.error)))
        if made.status == ClickToCall.Status.REFUSED:
            return 422, problem_body(request, Problem("provider-refused", shown(made.error)))
        return 201, ClickToCallOut.from_orm(made).dict()

    return act_once(request, "spikon.call.initiate", data, call)


# --- SMS -----------------------------------------------------------------------------------------


class SmsIn(Schema):
    sender: str = Field(description="One of the account's sender names, e.g. 2way")
    recipients: list[str] = Field(min_length=1, description="Polish numbers of 9 digits")
    text: str


class SmsMessageOut(Schema):
    id: int
    recipient: str
    send_status: str = Field(description="queued, sending, accepted, refused, unknown, not_sent")
    provider_id: int | None
    delivery: int | None = Field(description="SPIKON's delivery state code; null until known")
    delivery_label: str
    delivery_error: str
    sent_at: datetime | None


class SmsBatchOut(Schema):
    id: int
    sender: str
    text: str
    created_at: datetime
    messages: list[SmsMessageOut]


def _batch_out(batch: SmsBatch) -> dict:
    return {
        "id": batch.pk,
        "sender": batch.sender,
        "text": batch.text,
        "created_at": batch.created_at,
        "messages": [
            {
                "id": message.pk,
                "recipient": message.recipient,
                "send_status": message.shown_send_status,
                "provider_id": message.provider_id,
                "delivery": message.delivery,
                "delivery_label": message.get_delivery_display() if message.delivery is not None else "",
                "delivery_error": message.delivery_error,
                "sent_at": message.sent_at,
            }
            for message in batch.messages.order_by("id")
        ],
    }


@router.post(
    "/sms", response=answers(SmsBatchOut, status=201), summary="Send an SMS", openapi_extra=ACTS_ONCE
)
@requires(Role.OPERATOR)
def sms_send(request: HttpRequest, payload: SmsIn):
    """One message to each recipient; each message gets its own state. It sends, so it needs an
    `Idempotency-Key`; the delivery state is then read with GET /spikon/sms/{id}."""
    data = payload.dict()

    def send(_record: ActionRecord) -> tuple[int, dict]:
        form = SmsForm(
            {
                "form_key": new_action_key(),
                "sender": data["sender"],
                "recipients": "\n".join(data["recipients"]),
                "message": data["text"],
            },
            tenant=request.tenant,
        )
        if not form.is_valid():
            raise from_form_errors(form, fields={"message": "text"})
        sending = services.send_sms(
            _account(request),
            request.user,
            key=form.cleaned_data["form_key"],
            sender=form.cleaned_data["sender"],
            text=form.cleaned_data["message"],
            recipients=form.cleaned_data["recipient_list"],
        )
        return 201, _batch_out(sending.batch)

    return act_once(request, "spikon.sms.send", data, send)


@router.get("/sms/{batch_id}", response=answers(SmsBatchOut), summary="An SMS and its delivery states")
@requires(Role.VIEWER)
def sms_batch(request: HttpRequest, batch_id: int):
    return _batch_out(get_object_or_404(SmsBatch, pk=batch_id, tenant=request.tenant))


# --- Call history and recordings -----------------------------------------------------------------


class ReportIn(Schema):
    direction: Literal[0, 1, 2] = Field(2, description="0 incoming, 1 outgoing, 2 both")
    date_start: date
    date_end: date
    recordings_only: bool = False
    number: str = ""


class ReportOut(Schema):
    id: int
    state: str = Field(description="pending, ready, stored, expired or failed")
    direction: int
    date_start: date
    date_end: date
    recordings_only: bool
    number: str
    generated_at: datetime | None
    calls_stored: int


@router.post(
    "/history/reports", response=answers(ReportOut, status=201), summary="Order a call-history report"
)
@requires(Role.OPERATOR)
def report_order(request: HttpRequest, payload: ReportIn):
    """SPIKON makes the report in the background; its calls are stored here when it is ready (see its state)."""
    form = ReportOrderForm(payload.dict())
    if not form.is_valid():
        raise from_form_errors(form)
    return Status(201, services.order_call_history(_account(request), request.user, **form.cleaned_data))


@router.get("/history/reports/{report_id}", response=answers(ReportOut), summary="A report's state")
@requires(Role.VIEWER)
def report(request: HttpRequest, report_id: int):
    return get_object_or_404(CallHistoryReport, pk=report_id, tenant=request.tenant)


class CallRecordOut(Schema):
    id: UUID = Field(alias="public_id")
    started_at: datetime
    source: str
    destination: str
    duration_seconds: int
    state: str
    direction: int | None
    has_recording: bool


@router.get("/history/calls", response=answers(PageOut[CallRecordOut]), summary="Stored calls")
@requires(Role.VIEWER)
def history_calls(
    request: HttpRequest,
    number: str = Query("", max_length=64, description="Calls from or to this number"),
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """The calls the reports stored, newest first."""
    rows = CallRecord.objects.filter(tenant=request.tenant)
    if number := number.strip():
        rows = rows.filter(Q(source__contains=number) | Q(destination__contains=number))
    page = newest_first(rows, cursor, fields=("started_at", "id"), limit=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get(
    "/history/calls/{call_id}/recording",
    response=answers(),
    openapi_extra=file_answer("audio/mpeg"),
    summary="A call's recording",
)
@requires(Role.VIEWER)
def recording(request: HttpRequest, call_id: UUID):
    """Fetched from SPIKON on the first request, then served from storage (MP3 or WAV)."""
    call = get_object_or_404(CallRecord, tenant=request.tenant, public_id=call_id)
    if call.recording_is_ftp or not call.recording_url:
        raise Problem("not-found", _("This call has no recording that can be downloaded."))
    if not call.recording_audio:
        services.fetch_recording(_account(request), call)
    extension = ".mp3" if call.recording_content_type == "audio/mpeg" else ".wav"
    response = serve_audio(request, call.recording_audio.name, f"call-{call.public_id}{extension}")
    if response is None:
        CallRecord.objects.filter(pk=call.pk).update(recording_audio="", recording_content_type="")
        raise Problem("conflict", _("The stored recording is missing; ask again to fetch it anew."))
    return response


# --- Announcements (text-to-speech) --------------------------------------------------------------


class AnnouncementIn(Schema):
    language: str = Field(description="e.g. pl-PL")
    voice: str
    name: str
    text: str


class PriceOut(Schema):
    net: Decimal
    gross: Decimal
    quote: str = Field(description="Send it to POST /spikon/announcements within 30 minutes to generate")


@router.post("/announcements/price", response=answers(PriceOut), summary="Price an announcement")
@requires(Role.OPERATOR)
def announcement_price(request: HttpRequest, payload: AnnouncementIn):
    """What generating the text with the voice would cost; the answer's `quote` confirms that price."""
    form = AnnouncementForm(payload.dict(), tenant=request.tenant)
    if not form.is_valid():
        raise from_form_errors(form)
    data = form.cleaned_data
    price = services.price_announcement(_account(request), data["voice"], data["text"])
    quote = signing.dumps(
        {
            "tenant": request.tenant.pk,
            "key": new_action_key(),
            **{key: data[key] for key in ("language", "voice", "name", "text")},
            "net": str(price.net),
            "gross": str(price.gross),
        },
        salt=services.QUOTE_SALT,
        compress=True,
    )
    return {"net": price.net, "gross": price.gross, "quote": quote}


class GenerateIn(Schema):
    quote: str


class AnnouncementOut(Schema):
    id: int
    provider_id: int | None
    state: str = Field(description="submitting, unknown, pending, ready, stored (playable) or failed")
    name: str
    voice: str
    text: str
    cost_net: Decimal | None
    cost_gross: Decimal | None
    generated_at: datetime | None


def _quote(request: HttpRequest, signed: str) -> dict:
    try:
        quote = signing.loads(signed, salt=services.QUOTE_SALT, max_age=services.QUOTE_MAX_AGE)
        if not isinstance(quote, dict) or quote.get("tenant") != request.tenant.pk:
            raise signing.BadSignature
        quote["net"], quote["gross"] = Decimal(quote["net"]), Decimal(quote["gross"])
    except (signing.BadSignature, KeyError, InvalidOperation):
        raise invalid(
            "quote", _("The price check has expired or is not valid: check the price again.")
        ) from None
    return quote


@router.post(
    "/announcements",
    response=answers(AnnouncementOut, status=201),
    summary="Generate an announcement",
    openapi_extra=ACTS_ONCE,
)
@requires(Role.OPERATOR)
def announcement_generate(request: HttpRequest, payload: GenerateIn):
    """Generates the priced announcement. It costs money, so it needs an `Idempotency-Key`; a quote is
    used once, whatever key comes with it."""

    def generate(_record: ActionRecord) -> tuple[int, dict]:
        item = services.generate_announcement(_account(request), request.user, _quote(request, payload.quote))
        if item is None:
            raise Problem("conflict", _("This quote was used already; price the announcement again."))
        return 201, AnnouncementOut.from_orm(item).dict()

    return act_once(request, "spikon.tts.generate", payload.dict(), generate)


@router.get("/announcements", response=answers(PageOut[AnnouncementOut]), summary="The announcements")
@requires(Role.VIEWER)
def announcements(
    request: HttpRequest, cursor: str | None = None, limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
):
    page = newest_first(
        TtsAnnouncement.objects.filter(tenant=request.tenant),
        cursor,
        fields=("created_at", "id"),
        limit=limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


def _announcement(request: HttpRequest, announcement_id: int) -> TtsAnnouncement:
    return get_object_or_404(TtsAnnouncement, pk=announcement_id, tenant=request.tenant)


@router.get(
    "/announcements/{announcement_id}", response=answers(AnnouncementOut), summary="An announcement's state"
)
@requires(Role.VIEWER)
def announcement(request: HttpRequest, announcement_id: int):
    return _announcement(request, announcement_id)


@router.get(
    "/announcements/{announcement_id}/audio.{audio_format}",
    response=answers(),
    openapi_extra=file_answer("audio/mpeg"),
    summary="An announcement's audio (mp3 or wav)",
)
@requires(Role.VIEWER)
def announcement_audio(request: HttpRequest, announcement_id: int, audio_format: Literal["mp3", "wav"]):
    """MP3 to play, or WAV PCM 8 kHz 16-bit mono for a PBX."""
    item = _announcement(request, announcement_id)
    stored = getattr(item, TtsAnnouncement.AUDIO_FIELDS[audio_format])
    response = (
        serve_audio(request, stored.name, f"announcement-{item.provider_id}.{audio_format}")
        if stored
        else None
    )
    if response is None:
        raise Problem("conflict", _("The audio of this announcement is not stored yet."))
    return response


@router.delete(
    "/announcements/{announcement_id}",
    response={204: None, ERRORS: ProblemOut},
    summary="Delete an announcement",
)
@requires(Role.OPERATOR)
def announcement_delete(request: HttpRequest, announcement_id: int):
    item = _announcement(request, announcement_id)
    if item.state == TtsAnnouncement.State.SUBMITTING:
        raise Problem(
            "conflict", _("It is being sent to the provider right now; delete it once its state is known.")
        )
    services.delete_announcement(
        _account(request) if item.provider_id is not None else None, request.user, item
    )
    return HttpResponse(status=204)


# --- Call center ---------------------------------------------------------------------------------


class CampaignOut(Schema):
    id: int
    provider_id: int
    name: str


class AgentOut(Schema):
    id: int
    provider_id: int
    name: str
    sip_login: str
    incoming_campaign_ids: list[int] = Field(
        description="The ids (in this API) of the agent's inbound campaigns"
    )
    outgoing_campaign_ids: list[int]
    default_outgoing_campaign_id: int | None


class CallCenterOut(Schema):
    campaigns: list[CampaignOut]
    agents: list[AgentOut]


def _agent_out(agent: CallCenterAgent, ours: dict[int, int]) -> dict:
    """The agent with the campaigns' ids of this API (the provider's ids mapped through `ours`)."""
    return {
        "id": agent.pk,
        "provider_id": agent.provider_id,
        "name": agent.name,
        "sip_login": agent.sip_login,
        "incoming_campaign_ids": sorted(ours[i] for i in agent.incoming_campaign_ids if i in ours),
        "outgoing_campaign_ids": sorted(ours[i] for i in agent.outgoing_campaign_ids if i in ours),
        "default_outgoing_campaign_id": ours.get(agent.default_outgoing_campaign_id),
    }


def _campaign_ids(request: HttpRequest) -> dict[int, int]:
    return dict(CallCenterCampaign.objects.filter(tenant=request.tenant).values_list("provider_id", "pk"))


@router.get("/callcenter", response=answers(CallCenterOut), summary="The call-center matrix")
@requires(Role.VIEWER)
def callcenter(request: HttpRequest):
    """Which agent is in which campaign, for inbound and outbound calls."""
    ours = _campaign_ids(request)
    return {
        "campaigns": CallCenterCampaign.objects.filter(tenant=request.tenant).order_by("name", "id"),
        "agents": [
            _agent_out(agent, ours)
            for agent in CallCenterAgent.objects.filter(tenant=request.tenant).order_by("name", "id")
        ],
    }


class MembershipIn(Schema):
    member: bool = Field(description="true: add the agent to the campaign; false: remove them")


def _agent_and_campaign(request: HttpRequest, agent_id: int, campaign_id: int):
    agent = get_object_or_404(CallCenterAgent, pk=agent_id, tenant=request.tenant)
    return agent, get_object_or_404(CallCenterCampaign, pk=campaign_id, tenant=request.tenant)


@router.put(
    "/callcenter/agents/{agent_id}/{direction}/{campaign_id}",
    response=answers(AgentOut),
    summary="Add an agent to a campaign or remove them",
)
@requires(Role.OPERATOR)
def membership(
    request: HttpRequest,
    agent_id: int,
    direction: Literal["incoming", "outgoing"],
    campaign_id: int,
    payload: MembershipIn,
):
    agent, campaign = _agent_and_campaign(request, agent_id, campaign_id)
    services.set_membership(
        _account(request), request.user, agent, campaign, direction=direction, add=payload.member
    )
    return _agent_out(agent, _campaign_ids(request))


class DefaultCampaignIn(Schema):
    campaign_id: int


@router.put(
    "/callcenter/agents/{agent_id}/default-outgoing",
    response=answers(AgentOut),
    summary="Set an agent's default outbound campaign",
)
@requires(Role.OPERATOR)
def default_outgoing(request: HttpRequest, agent_id: int, payload: DefaultCampaignIn):
    agent = get_object_or_404(CallCenterAgent, pk=agent_id, tenant=request.tenant)
    campaign = CallCenterCampaign.objects.filter(tenant=request.tenant, pk=payload.campaign_id).first()
    if campaign is None:
        raise invalid("campaign_id", _("Choose one of the campaigns."))
    services.set_default_outgoing_campaign(_account(request), request.user, agent, campaign)
    return _agent_out(agent, _campaign_ids(request))
