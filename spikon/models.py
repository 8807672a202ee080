"""SPIKON data of a tenant: the account (credentials) and the local copy of what the provider holds."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.fields import EncryptedTextField
from accounts.models import Tenant
from provider_api.http import HttpTransport
from providers.accounts import ProviderAccount
from providers.jobs import PolledJob
from spikon.client import CALL_HISTORY_REPORT_LIFETIME, DEFAULT_BASE_URL, PROVIDER, SpikonClient


class SpikonAccount(ProviderAccount):
    """The tenant's SPIKON API access. The key is write-only in the UI and encrypted at rest."""

    PROVIDER = PROVIDER
    OFFICIAL_URL = DEFAULT_BASE_URL

    api_key = EncryptedTextField(_("API key"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The balance as the last sync saw it (4.2.1; may be negative).
    balance = models.DecimalField(_("balance"), max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("SPIKON account")

    def __str__(self) -> str:
        return f"SPIKON: {self.tenant}"

    def secrets(self) -> tuple[str, ...]:
        return (self.api_key,)

    def make_client(self, transport: HttpTransport) -> SpikonClient:
        return SpikonClient(self.api_key, base_url=self.api_base_url, transport=transport)


# --- Phone accounts, click-to-call, phonebooks, SMS --------------------------------------------------------


class PhoneAccount(models.Model):
    """One phone account (4.2.2) as the last sync saw it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="spikon_phone_accounts")
    provider_id = models.PositiveBigIntegerField(_("ID"))
    number = models.CharField(_("number"), max_length=32, blank=True)
    internal_number = models.CharField(_("internal number"), max_length=32, blank=True)
    sip_login = models.CharField(_("SIP login"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # The provider's `state`: 1 registered; the document names no other value.
    registration_state = models.IntegerField(_("registration"), default=0)
    recording = models.BooleanField(_("recording"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "provider_id"], name="spikon_one_phone_account_per_id")
        ]
        ordering = ["provider_id"]
        verbose_name = _("phone account")
        verbose_name_plural = _("phone accounts")

    def __str__(self) -> str:
        label = self.number or self.sip_login or str(self.provider_id)
        return f"{label} – {self.description}" if self.description else label

    @property
    def is_registered(self) -> bool:
        return self.registration_state == 1


class PhoneBook(models.Model):
    """One phonebook (4.3.1); book 0 is the provider's main book, which cannot be deleted."""

    MAIN_BOOK_ID = 0

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="spikon_phone_books")
    provider_id = models.PositiveBigIntegerField(_("ID"))
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "provider_id"], name="spikon_one_phone_book_per_id")
        ]
        ordering = ["provider_id"]
        verbose_name = _("phonebook")
        verbose_name_plural = _("phonebooks")

    def __str__(self) -> str:
        return self.name

    @property
    def is_main(self) -> bool:
        return self.provider_id == self.MAIN_BOOK_ID


class PhoneBookEntry(models.Model):
    """One entry of a phonebook (4.3.2). `provider_id` is None when the provider did not give one."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    book = models.ForeignKey(PhoneBook, on_delete=models.CASCADE, related_name="entries")
    provider_id = models.PositiveBigIntegerField(_("ID"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=200)
    number = models.CharField(_("number"), max_length=40)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["book", "name", "id"], name="spikon_entry_book_name"),
            models.Index(fields=["book", "number"], name="spikon_entry_book_number"),
        ]
        verbose_name = _("phonebook entry")
        verbose_name_plural = _("phonebook entries")

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class ClickToCall(models.Model):
    """One click-to-call form submission (4.2.3), sent to the provider at most once.

    Its form is acted on once (an ActionRecord of providers.once), and the call is never retried: if the
    answer is lost, the outcome is unknown.
    """

    class Status(models.TextChoices):
        SENDING = "sending", _("being connected")
        INITIATED = "initiated", _("initiated")
        REFUSED = "refused", _("refused")
        UNKNOWN = "unknown", _("outcome unknown — check")

    # A request still "sending" after this long died with its process: the outcome is unknown.
    SENDING_GIVES_UP_AFTER = timedelta(minutes=2)

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, blank=True)
    phone_account_id = models.PositiveBigIntegerField(_("phone account ID"))
    phone_account_label = models.CharField(_("phone account"), max_length=250)
    destination = models.CharField(_("destination number"), max_length=25)
    status = models.CharField(_("outcome"), max_length=9, choices=Status.choices, default=Status.SENDING)
    provider_state = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "-created_at", "-id"], name="spikon_call_tenant_time")]
        verbose_name = _("click-to-call")

    def __str__(self) -> str:
        return f"{self.phone_account_label} → {self.destination} ({self.status})"

    @property
    def shown_status(self) -> str:
        """The status to show: a call request that never finished is, after a while, of unknown outcome."""
        if (
            self.status == self.Status.SENDING
            and timezone.now() - self.created_at > self.SENDING_GIVES_UP_AFTER
        ):
            return self.Status.UNKNOWN
        return self.status

    def get_shown_status_display(self) -> str:
        return self.Status(self.shown_status).label


class SmsBatch(models.Model):
    """One "send SMS" form submission: one text from one sender to one or more recipients.

    Its form is acted on once (an ActionRecord of providers.once): a double submit sends no more.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, blank=True)
    sender = models.CharField(_("sender"), max_length=20)
    text = models.TextField(_("message"))
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("SMS submission")

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:30]}"


class SmsMessage(PolledJob):
    """One SMS to one recipient (4.6.1) and its delivery state, followed with sms/state (4.6.2).

    `send_status` says what happened to the send itself; once ACCEPTED, the PolledJob fields follow the
    delivery until a final state. A message that was not accepted is a failed job from the start.
    """

    class SendStatus(models.TextChoices):
        QUEUED = "queued", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        ACCEPTED = "accepted", _("accepted by the provider")
        REFUSED = "refused", _("refused by the provider")
        UNKNOWN = "unknown", _("unknown — check state")
        NOT_SENT = "not_sent", _("not sent")

    class Delivery(models.IntegerChoices):
        """4.6.2 `state`."""

        NO_FUNDS = -1, _("no funds")
        NEW = 0, _("new")
        PROCESSING = 1, _("processing")
        ERROR = 2, _("error")
        UNDELIVERED = 3, _("undelivered (wrong or unreachable number)")
        SENT = 4, _("sent")
        DELIVERED = 5, _("delivered")

    FINAL_DELIVERY = (Delivery.NO_FUNDS, Delivery.ERROR, Delivery.UNDELIVERED, Delivery.DELIVERED)

    # The provider moves a message on within seconds: ask soon, then less and less often. A message
    # still not final after three days (the usual validity of an SMS) will not become so.
    FIRST_POLL_DELAY = timedelta(seconds=1)
    BACKOFF_BASE = timedelta(seconds=1)
    BACKOFF_MAX = timedelta(minutes=10)
    MAX_ATTEMPTS = 1000
    GIVE_UP_AFTER = timedelta(days=3)
    # A request still "sending" after this long died with its process: the outcome is unknown.
    SENDING_GIVES_UP_AFTER = timedelta(minutes=2)

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(SmsBatch, on_delete=models.CASCADE, related_name="messages")
    recipient = models.CharField(_("recipient"), max_length=9)
    recipient_name = models.CharField(_("recipient name"), max_length=200, blank=True)
    send_status = models.CharField(
        _("sending"), max_length=8, choices=SendStatus.choices, default=SendStatus.QUEUED
    )
    provider_id = models.PositiveBigIntegerField(_("message ID"), null=True, blank=True)
    delivery = models.IntegerField(_("delivery state"), choices=Delivery.choices, null=True, blank=True)
    delivery_error = models.TextField(_("provider's remark"), blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta(PolledJob.Meta):
        indexes = [
            *PolledJob.Meta.indexes,
            models.Index(fields=["tenant", "-created_at", "-id"], name="spikon_sms_tenant_time"),
        ]
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")

    def __str__(self) -> str:
        return f"SMS {self.provider_id or '?'} to {self.recipient}"

    @property
    def shown_send_status(self) -> str:
        """The send status to show: a request that died mid-way (before the sweeper noticed) is settled here."""
        now = timezone.now()
        if self.send_status == self.SendStatus.SENDING and (
            self.sent_at is None or now - self.sent_at > self.SENDING_GIVES_UP_AFTER
        ):
            return self.SendStatus.UNKNOWN
        if self.send_status == self.SendStatus.QUEUED and now - self.created_at > self.SENDING_GIVES_UP_AFTER:
            return self.SendStatus.NOT_SENT
        return self.send_status

    @property
    def is_settled(self) -> bool:
        """Nothing on this row will change by itself any more: the log stops polling for it."""
        return self.is_final or self.shown_send_status in (self.SendStatus.UNKNOWN, self.SendStatus.NOT_SENT)

    @property
    def shown_state(self) -> tuple[str, str]:
        """(words, kind) for the log: kind is "ok", "error", "warning" or "pending" (the badge's colour)."""
        status = self.shown_send_status
        if status != self.SendStatus.ACCEPTED:
            kinds = {self.SendStatus.UNKNOWN: "warning", self.SendStatus.QUEUED: "pending"}
            kind = kinds.get(status, "pending" if status == self.SendStatus.SENDING else "error")
            return str(self.SendStatus(status).label), kind
        if self.delivery is None:
            if self.poll_status == self.PollStatus.FAILED:
                return str(_("state not known")), "warning"
            return str(_("accepted, waiting for the first state")), "pending"
        try:
            words = str(self.Delivery(self.delivery).label)
        except ValueError:
            words = str(_("state %(code)s (not in the provider's list)") % {"code": self.delivery})
        if self.delivery == self.Delivery.DELIVERED:
            return words, "ok"
        if self.delivery in self.FINAL_DELIVERY:
            return words, "error"
        if self.poll_status == self.PollStatus.FAILED:
            return str(_("%(state)s; no final state came") % {"state": words}), "warning"
        return words, "pending"


class PhoneBookImport(PolledJob):
    """Entries from a CSV file added to a phonebook: previewed, then added row by row in the background.

    Each run of the task claims the import (PolledJob), adds up to ROWS_PER_RUN rows and hands over to
    the next run, so that a lost message or a dead worker only delays it. Each row is sent at most once:
    a row left "sending" by a dead worker is of unknown outcome, never sent again.
    """

    class Stage(models.TextChoices):
        PREVIEW = "preview", _("preview")
        IMPORTING = "importing", _("adding")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    ROWS_PER_RUN = 50
    FIRST_POLL_DELAY = timedelta(0)
    BACKOFF_BASE = timedelta(seconds=5)
    BACKOFF_MAX = timedelta(minutes=5)
    MAX_ATTEMPTS = 10000
    GIVE_UP_AFTER = timedelta(days=1)

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    book = models.ForeignKey(PhoneBook, on_delete=models.CASCADE, related_name="imports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, blank=True)
    file_name = models.CharField(_("file"), max_length=200)
    stage = models.CharField(_("stage"), max_length=9, choices=Stage.choices, default=Stage.PREVIEW)

    class Meta(PolledJob.Meta):
        verbose_name = _("phonebook import")

    def __str__(self) -> str:
        return f"{self.file_name} → {self.book}"


class PhoneBookImportRow(models.Model):
    """One line of an imported CSV file and what became of it."""

    class Status(models.TextChoices):
        TO_ADD = "to_add", _("to add")
        INVALID = "invalid", _("invalid")
        DUPLICATE = "duplicate", _("duplicate: skipped")
        SENDING = "sending", _("being added")
        ADDED = "added", _("added")
        FAILED = "failed", _("not added")
        UNKNOWN = "unknown", _("outcome unknown — check")

    row_import = models.ForeignKey(PhoneBookImport, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField(_("line"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    number = models.CharField(_("number"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=9, choices=Status.choices)
    message = models.TextField(_("remark"), blank=True)

    class Meta:
        ordering = ["line"]
        indexes = [models.Index(fields=["row_import", "status", "line"], name="spikon_import_row_status")]

    def __str__(self) -> str:
        return f"{self.line}: {self.name} {self.number} ({self.status})"


# --- Call history and recordings, text-to-speech, call center ---------------------------------------------


def private_media_path(instance: models.Model, filename: str) -> str:
    """A path nobody can guess (random), under the tenant: media files are served only by views that
    check the member's tenant, never from a public URL."""
    extension = Path(filename).suffix.lower()[:8]
    return f"spikon/{instance.tenant_id}/{instance._meta.model_name}/{uuid.uuid4().hex}{extension}"


class CallDirection(models.IntegerChoices):
    """4.4.1 `dir`; a stored call is incoming or outgoing, or NULL when no report said which."""

    INCOMING = 0, _("incoming")
    OUTGOING = 1, _("outgoing")
    BOTH = 2, _("both")


class CallHistoryReport(PolledJob):
    """A call history report ordered at SPIKON (4.4.1), polled with call_list/list until the provider has
    generated it (4.4.2), then fetched with call_list/show (4.4.3) into CallRecord rows.

    `state` is what the operator reads; the PolledJob fields schedule the polls. The provider keeps a
    report a month after generating it (CALL_HISTORY_REPORT_LIFETIME); after that it is EXPIRED.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for the provider to generate it")
        READY = "ready", _("generated; fetching the calls")
        STORED = "stored", _("calls stored")
        EXPIRED = "expired", _("expired at the provider")
        FAILED = "failed", _("failed")

    FINAL_STATES = (State.STORED, State.EXPIRED, State.FAILED)
    FIRST_POLL_DELAY = timedelta(seconds=2)
    BACKOFF_BASE = timedelta(seconds=2)
    BACKOFF_MAX = timedelta(minutes=10)
    # MAX_ATTEMPTS ends a report the provider never generates (about 9 hours of polls); by time, only the
    # provider's own limit counts, so that a stored report may be fetched again while it is kept.
    GIVE_UP_AFTER = CALL_HISTORY_REPORT_LIFETIME

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="spikon_call_history_reports")
    provider_report_id = models.PositiveBigIntegerField(_("report ID"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    direction = models.PositiveSmallIntegerField(_("direction"), choices=CallDirection.choices)
    date_start = models.DateField(_("from"))
    date_end = models.DateField(_("to"))
    recordings_only = models.BooleanField(_("only calls with recordings"), default=True)
    number = models.CharField(_("number"), max_length=25, blank=True)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)
    calls_stored = models.PositiveIntegerField(_("calls stored"), default=0)

    class Meta(PolledJob.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            *PolledJob.Meta.indexes,
            models.Index(fields=["tenant", "-created_at", "-id"], name="spikon_report_tenant_time"),
        ]
        verbose_name = _("call history report")
        verbose_name_plural = _("call history reports")

    def __str__(self) -> str:
        return f"{self.date_start}–{self.date_end} ({self.get_state_display()})"

    @property
    def is_done(self) -> bool:
        return self.state in self.FINAL_STATES


# The provider's call states (4.4.3 `state`, in Polish) in the viewer's language; others are shown as sent.
CALL_STATES = {"Odebrane": _("answered"), "Nieodebrane": _("not answered"), "Zajęte": _("busy")}


def call_state_label(state: str) -> str:
    return str(CALL_STATES.get(state, state))


# A call-centre agent's state in the campaign monitor (4.5.8), in SPIKON's words: "Wolny" is the document's;
# "Rozmowa" is what an agent on a call shows. Any other state is shown as SPIKON sent it.
AGENT_FREE = "Wolny"
AGENT_STATES = {
    AGENT_FREE: pgettext_lazy("call-centre agent", "free"),
    "Rozmowa": pgettext_lazy("call-centre agent", "on a call"),
}


def agent_state_label(state: str) -> str:
    return str(AGENT_STATES.get(state, state))


class CallRecord(models.Model):
    """One call of the tenant's history (4.4.3) as stored from the fetched reports.

    The same call met again in another report is the same row (unique on tenant, start, source and
    destination): stores are upserts. `public_id` names the call in URLs, so that recording links cannot
    be guessed; every lookup also filters by the tenant. A recording is a link to fetch
    (`recording_url`), or with FTP delivery only a file name; `recording_audio` caches a fetched one.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="spikon_calls")
    started_at = models.DateTimeField(_("start"))
    source = models.CharField(_("from number"), max_length=64)
    destination = models.CharField(_("to number"), max_length=64)
    duration_seconds = models.PositiveIntegerField(_("duration"))
    state = models.CharField(_("state"), max_length=64)
    direction = models.PositiveSmallIntegerField(
        _("direction"), choices=CallDirection.choices, null=True, blank=True
    )
    has_recording = models.BooleanField(_("recording"), default=False)
    recording_url = models.CharField(max_length=1000, blank=True)
    recording_file_name = models.CharField(_("recording file (FTP)"), max_length=255, blank=True)
    recording_audio = models.FileField(upload_to=private_media_path, max_length=200, blank=True)
    recording_content_type = models.CharField(max_length=64, blank=True)
    stored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "started_at", "source", "destination"], name="spikon_one_row_per_call"
            )
        ]
        # One index per filter of the history page, each ending in the keyset order (-started_at, -id).
        indexes = [
            models.Index(fields=["tenant", "-started_at", "-id"], name="spikon_calls_time"),
            models.Index(fields=["tenant", "source", "-started_at", "-id"], name="spikon_calls_source"),
            models.Index(fields=["tenant", "destination", "-started_at", "-id"], name="spikon_calls_dest"),
            models.Index(fields=["tenant", "direction", "-started_at", "-id"], name="spikon_calls_direction"),
            models.Index(fields=["tenant", "state", "-started_at", "-id"], name="spikon_calls_state"),
            models.Index(
                fields=["tenant", "-started_at", "-id"],
                condition=Q(has_recording=True),
                name="spikon_calls_recorded",
            ),
        ]
        verbose_name = _("call")
        verbose_name_plural = _("calls")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} {self.source} → {self.destination}"

    @property
    def state_label(self) -> str:
        return call_state_label(self.state)

    @property
    def recording_is_ftp(self) -> bool:
        return bool(self.recording_file_name) and not self.recording_url

    @property
    def duration_text(self) -> str:
        """The duration as a clock: 2:05, or 1:02:05 from an hour on."""
        hours, rest = divmod(self.duration_seconds, 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class TtsLanguage(models.Model):
    """A text-to-speech language (4.7.1) and, through TtsVoice, its voices (4.7.2)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("language"), max_length=16)
    description = models.CharField(_("name"), max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="spikon_one_tts_language")]
        ordering = ["description", "code"]

    def __str__(self) -> str:
        return f"{self.description} ({self.code})"


class TtsVoice(models.Model):
    class Gender(models.TextChoices):
        FEMALE = "F", _("female")
        MALE = "M", _("male")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    language = models.ForeignKey(TtsLanguage, on_delete=models.CASCADE, related_name="voices")
    name = models.CharField(_("voice"), max_length=64)
    gender = models.CharField(_("gender"), max_length=8, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["language", "name"], name="spikon_one_tts_voice")]
        ordering = ["name"]

    def __str__(self) -> str:
        gender = self.Gender(self.gender).label if self.gender in self.Gender.values else self.gender
        return f"{self.name} ({gender})" if gender else self.name


class TtsAnnouncement(PolledJob):
    """A text-to-speech announcement at SPIKON (4.7.3-4.7.8), as generated here or seen by the list sync.

    Generating costs money: a confirmation generates once, ever (an ActionRecord of providers.once, which
    outlives the row), and the call is never repeated. Then tts/status is polled until the provider has
    generated it, and the audio (MP3 to play, WAV PCM 8 kHz to download) is fetched once into media storage.
    """

    class State(models.TextChoices):
        SUBMITTING = "submitting", _("being sent to the provider")
        UNKNOWN = "unknown", _("outcome unknown — check")
        PENDING = "pending", _("being generated")
        READY = "ready", _("generated; downloading the audio")
        STORED = "stored", _("ready")
        FAILED = "failed", _("failed")

    FIRST_POLL_DELAY = timedelta(seconds=2)
    BACKOFF_BASE = timedelta(seconds=2)
    BACKOFF_MAX = timedelta(minutes=10)
    GIVE_UP_AFTER = timedelta(days=1)
    # A generate request still "being sent" after this long died with its process: the outcome is unknown.
    SUBMITTING_GIVES_UP_AFTER = timedelta(minutes=2)
    # The stored audio's field for each format served.
    AUDIO_FIELDS = {"mp3": "audio_mp3", "wav": "audio_wav"}

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="spikon_announcements")
    provider_id = models.PositiveBigIntegerField(_("ID"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    name = models.CharField(_("name"), max_length=200)
    voice = models.CharField(_("voice"), max_length=64, blank=True)
    text = models.TextField(_("text"), blank=True)
    cost_net = models.DecimalField(_("price net"), max_digits=10, decimal_places=2, null=True, blank=True)
    cost_gross = models.DecimalField(_("price gross"), max_digits=10, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)
    audio_mp3 = models.FileField(upload_to=private_media_path, max_length=200, blank=True)
    audio_wav = models.FileField(upload_to=private_media_path, max_length=200, blank=True)

    class Meta(PolledJob.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "provider_id"], name="spikon_one_row_per_tts"),
        ]
        ordering = ["-created_at", "-id"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self) -> str:
        return self.name

    @property
    def is_in_progress(self) -> bool:
        return self.state in (self.State.SUBMITTING, self.State.PENDING, self.State.READY)


class CallCenterCampaign(models.Model):
    """A call center campaign (4.5.1)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="spikon_campaigns")
    provider_id = models.PositiveBigIntegerField(_("ID"))
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "provider_id"], name="spikon_one_campaign")]
        ordering = ["provider_id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name


class CallCenterAgent(models.Model):
    """A call center agent (4.5.2) and the campaigns (provider ids) they take calls of and make calls for.

    Ids, not foreign keys: the provider may name a campaign its campaign list does not show (4.5.2's own
    example does), and such a membership must survive a sync.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="spikon_agents")
    provider_id = models.PositiveBigIntegerField(_("ID"))
    name = models.CharField(_("name"), max_length=200)
    sip_login = models.CharField(_("SIP login"), max_length=64, blank=True)
    public_number = models.CharField(_("public number"), max_length=32, blank=True)
    incoming_campaign_ids = models.JSONField(_("inbound campaigns"), default=list, blank=True)
    outgoing_campaign_ids = models.JSONField(_("outbound campaigns"), default=list, blank=True)
    default_outgoing_campaign_id = models.PositiveBigIntegerField(
        _("default outbound campaign"), null=True, blank=True
    )
    # Set by every change made here: a sync that read the provider before the change leaves the row alone.
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "provider_id"], name="spikon_one_agent")]
        ordering = ["name", "provider_id"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return self.name


class CampaignMonitorSnapshot(models.Model):
    """The campaign monitor (4.5.8) as a task last read it, for every screen that watches the campaign.

    Pages never ask the provider: a monitor page marks the campaign watched, and while it is, a task
    (spikon.tasks.refresh_campaign_monitor) reads the monitor every few seconds, one provider call however
    many screens watch. When the provider does not answer, the last figures stay, with the error.
    """

    # A campaign stays watched this long after a monitor page last showed it (pages poll every 5 s).
    WATCH_FOR = timedelta(seconds=30)
    # A planned refresh this late did not come (its message was lost): the next page view plans one anew.
    REFRESH_LATE = timedelta(seconds=15)

    campaign = models.OneToOneField(
        CallCenterCampaign, on_delete=models.CASCADE, related_name="monitor_snapshot"
    )
    data = models.JSONField(null=True, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    watched_until = models.DateTimeField(null=True, blank=True)
    # When the next refresh is due; None while no refresh is planned (nobody watches).
    refresh_due_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.campaign} at {self.taken_at}"

    @classmethod
    def watch(cls, campaign: CallCenterCampaign) -> tuple[CampaignMonitorSnapshot, bool]:
        """A screen shows the campaign's monitor: it stays watched for WATCH_FOR. The flag is True when no
        refresh is coming (none planned, or the planned one is late): the caller queues one."""
        snapshot, _created = cls.objects.get_or_create(campaign=campaign)
        now = timezone.now()
        rows = cls.objects.filter(pk=snapshot.pk)
        rows.update(watched_until=now + cls.WATCH_FOR)
        idle = Q(refresh_due_at__isnull=True) | Q(refresh_due_at__lt=now - cls.REFRESH_LATE)
        start = rows.filter(idle).update(refresh_due_at=now)
        snapshot.refresh_from_db()
        return snapshot, bool(start)
