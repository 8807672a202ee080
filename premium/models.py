"""The tenant's Numery-Premium.PL account and the local copy of what the provider holds for it.

Pages read these rows; the background syncs (premium.sync) write them; the dashboard's own writes
(redirects, purchases, deletions) update them only after the provider has accepted the change.
"""

from __future__ import annotations

import uuid
from dataclasses import fields as dataclass_fields
from datetime import timedelta
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.fields import EncryptedTextField, secret_hint
from accounts.models import Tenant
from premium.client import DEFAULT_BASE_URL, PROVIDER, PremiumClient, Prezentacja
from provider_api.http import HttpTransport
from providers.accounts import ProviderAccount
from providers.downloads import pdf_name
from providers.jobs import PolledJob

PRESENTATION_CHOICES = [
    (Prezentacja.HIDDEN.value, _("restricted number or +48 22 896 66 67 (the provider's default)")),
    (Prezentacja.CALLER.value, _("the caller's own number")),
]
PRESENTATION_SHORT = {
    Prezentacja.HIDDEN.value: _("restricted"),
    Prezentacja.CALLER.value: _("caller's number"),
}


class PremiumAccount(ProviderAccount):
    """The partner account (email + API key) of one tenant, and the wallet balance last read."""

    PROVIDER = PROVIDER
    OFFICIAL_URL = DEFAULT_BASE_URL

    email = models.EmailField(_("email"))
    api_key = EncryptedTextField(_("API key"), blank=True)
    balance_net = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    balance_vat_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    balance_gross = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    balance_read_at = models.DateTimeField(null=True, blank=True)
    # The tenant's share of what callers pay, per tariff, from its contract: {"6": "40.00"} (percent).
    # The provider does not report earnings; with a share entered, billing shows an estimate.
    earning_shares = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Numery-Premium.PL account")

    def __str__(self) -> str:
        return f"Numery-Premium.PL {self.email}"

    @property
    def api_key_hint(self) -> str:
        return secret_hint(self.api_key)

    @property
    def is_configured(self) -> bool:
        return bool(self.email and self.api_key)

    def secrets(self) -> tuple[str, ...]:
        return (self.api_key,)

    def make_client(self, transport: HttpTransport) -> PremiumClient:
        return PremiumClient(self.email, self.api_key, transport=transport)

    def earning_share(self, tariff: int | None) -> Decimal | None:
        """The percent of what callers pay that the tenant keeps in `tariff`; None when not entered."""
        share = self.earning_shares.get(str(tariff)) if tariff is not None else None
        return Decimal(share) if share not in (None, "") else None


class PremiumNumber(models.Model):
    """A premium number on the account (showNumbers), with the redirect settings we know of.

    showNumbers reports the redirect target but not the presentation or the announcement: those are
    known only when they were set through this dashboard, and are forgotten (None) when the sync sees
    the redirect changed elsewhere.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="premium_numbers")
    number = models.CharField(_("number"), max_length=16)
    tariff = models.PositiveSmallIntegerField(_("tariff"))
    # Null until the first sync after a purchase: addNumber does not say the price.
    price_net = models.DecimalField(_("net price"), max_digits=8, decimal_places=2, null=True)
    vat_percent = models.DecimalField(_("VAT"), max_digits=5, decimal_places=2, null=True)
    redirect_setting = models.CharField(max_length=255, blank=True)  # the provider's raw `appdata`
    redirect_to = models.CharField(_("redirect target"), max_length=16, blank=True)
    presentation = models.CharField(
        _("presentation"), max_length=16, choices=PRESENTATION_CHOICES, blank=True
    )
    announcement = models.BooleanField(_("announcement"), null=True)
    synced_at = models.DateTimeField(_("last synced"), null=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="premium_number_once")]

    def __str__(self) -> str:
        return self.number

    @property
    def presentation_short(self) -> str:
        """The presentation in a word or two, for the list (the form shows the whole choice)."""
        return str(PRESENTATION_SHORT.get(self.presentation, ""))

    @property
    def price_gross(self) -> Decimal | None:
        if self.price_net is None or self.vat_percent is None:
            return None
        return (self.price_net * (100 + self.vat_percent) / 100).quantize(Decimal("0.01"))


class Call(models.Model):
    """One call to a premium number (a billing row), keyed by the provider's 64-bit call id.

    Times are stored in UTC; the provider sends them in Europe/Warsaw. The indexes serve the billing
    page: each filter with the time range and the keyset order (started_at, id).
    """

    class Disposition(models.TextChoices):
        ANSWERED = "ANSWERED", _("answered")
        NO_ANSWER = "NO ANSWER", _("no answer")
        BUSY = "BUSY", _("busy")
        FAILED = "FAILED", _("failed")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="premium_calls")
    call_id = models.BigIntegerField()
    number = models.CharField(_("number"), max_length=16)  # billing `dst`
    caller = models.CharField(_("caller"), max_length=32)  # billing `src`
    redirected_to = models.CharField(_("redirected to"), max_length=32)  # billing `toDst`
    started_at = models.DateTimeField(_("start"))
    answered_at = models.DateTimeField(_("answered"), null=True)
    ended_at = models.DateTimeField(_("end"))
    duration = models.PositiveIntegerField(_("duration"))
    billed_seconds = models.PositiveIntegerField(_("billed seconds"))
    disposition = models.CharField(_("disposition"), max_length=16)
    redirect_cost = models.DecimalField(_("redirect cost"), max_digits=12, decimal_places=4)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "call_id"], name="premium_call_once")]
        indexes = [
            models.Index(fields=["tenant", "started_at", "id"], name="premium_call_time"),
            models.Index(fields=["tenant", "number", "started_at", "id"], name="premium_call_number"),
            models.Index(fields=["tenant", "disposition", "started_at", "id"], name="premium_call_state"),
            models.Index(fields=["tenant", "caller", "started_at", "id"], name="premium_call_caller"),
        ]

    def __str__(self) -> str:
        return f"{self.caller} → {self.number} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def disposition_label(self) -> str:
        try:
            return str(self.Disposition(self.disposition).label)
        except ValueError:
            return self.disposition


class MonthNumberTotal(models.Model):
    """The calls of one number in one call state in one provider month, added up, with what their callers
    paid (the sum of its days' takings, DayNumberTotal.paid) and the number's tariff as they were last
    counted.

    With DayTariffTotal, what the billing page's summaries read: a month of a thousand numbers has at most a
    few thousand of these rows however many calls it has. premium.totals rebuilds a month's rows from
    the calls whenever a sync writes calls of that month, and their takings when a number's price or
    tariff changes.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    number = models.CharField(max_length=16)
    disposition = models.CharField(max_length=16)
    calls = models.PositiveIntegerField()
    billed_seconds = models.PositiveBigIntegerField()
    cost = models.DecimalField(max_digits=16, decimal_places=4)
    tariff = models.PositiveSmallIntegerField(null=True)
    paid = models.DecimalField(max_digits=16, decimal_places=2, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "year", "month", "number", "disposition"], name="premium_month_total_once"
            )
        ]
        indexes = [
            # A month's busiest numbers in one call state, read from the index alone.
            models.Index(
                fields=["tenant", "year", "month", "disposition", "-calls", "number"],
                include=["billed_seconds", "cost", "tariff", "paid"],
                name="premium_month_state_busiest",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.number} {self.disposition}: {self.calls}"


class MonthNumberOverall(models.Model):
    """The calls of one number in one provider month in every call state together, how many of them were
    answered and what their callers paid (as MonthNumberTotal): the billing page's busiest numbers are
    its first rows, with nothing to add up."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    number = models.CharField(max_length=16)
    calls = models.PositiveIntegerField()
    answered = models.PositiveIntegerField()
    billed_seconds = models.PositiveBigIntegerField()
    cost = models.DecimalField(max_digits=16, decimal_places=4)
    tariff = models.PositiveSmallIntegerField(null=True)
    paid = models.DecimalField(max_digits=16, decimal_places=2, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "year", "month", "number"], name="premium_month_overall_once"
            )
        ]
        indexes = [
            # A month's busiest numbers, read from the index alone: no sort of its thousand numbers.
            models.Index(
                fields=["tenant", "year", "month", "-calls", "number"],
                include=["answered", "billed_seconds", "cost", "tariff", "paid"],
                name="premium_month_busiest",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.number}: {self.calls}"


class DayNumberTotal(models.Model):
    """The calls of one number in one call state on one provider day (Europe/Warsaw), added up, with what
    their callers paid.

    What callers paid is the number's price per minute × its billed time, rounded to the grosz here (as
    premium.earnings.Price does), so a day's takings are added up per number: at most 31 × numbers ×
    states rows a month, from which the totals per day and tariff (DayTariffTotal) and the listed
    numbers' takings are counted. `tariff` and `paid` are the number's as it was last counted (None for a
    number no longer on the account, `paid` also for one without a price): premium.totals counts them
    again when its price or tariff changes. The month's other totals are added up from these rows, so
    that every total agrees with them.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    number = models.CharField(max_length=16)
    disposition = models.CharField(max_length=16)
    calls = models.PositiveIntegerField()
    billed_seconds = models.PositiveBigIntegerField()
    cost = models.DecimalField(max_digits=16, decimal_places=4)
    tariff = models.PositiveSmallIntegerField(null=True)
    paid = models.DecimalField(max_digits=16, decimal_places=2, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "number", "disposition"], name="premium_day_number_total_once"
            )
        ]
        # One number's days (its billing filtered by number, the listed numbers' takings) without reading
        # every number's rows; the columns added up are in the index too, so PostgreSQL reads only the
        # index, not a heap page per day (a month in the past: 1,651 rows from 1,725 pages). SQLite
        # ignores `include`.
        indexes = [
            models.Index(
                fields=["tenant", "number", "day"],
                include=["disposition", "calls", "billed_seconds", "cost", "tariff", "paid"],
                name="premium_day_number_takings",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.number} {self.disposition}: {self.calls}"


class DayTariffTotal(models.Model):
    """The calls of one provider day in one call state on the numbers of one tariff, added up, with what
    their callers paid: the days of the billing page and of the home page read at most 31 × states ×
    tariffs of these rows, however many numbers there are.

    `paid` is the sum of the day's numbers' takings (DayNumberTotal.paid: rounded per day, number and
    state, which is per day and number: only answered calls have billed time), None when no number's
    price is known. `tariff` is None for calls of numbers no longer on the account. premium.totals
    rebuilds these rows from DayNumberTotal when a month's calls change and when a number's price or
    tariff does.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    disposition = models.CharField(max_length=16)
    tariff = models.PositiveSmallIntegerField(null=True)
    calls = models.PositiveIntegerField()
    billed_seconds = models.PositiveBigIntegerField()
    cost = models.DecimalField(max_digits=16, decimal_places=4)
    paid = models.DecimalField(max_digits=16, decimal_places=2, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "disposition", "tariff"], name="premium_day_tariff_total_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.disposition} {self.tariff}: {self.calls}"


class Repricing(PolledJob):
    """What callers paid on the days a number has calls, to be counted again because the number was bought
    or deleted here (its price and tariff came or went).

    A worker counts it (premium.tasks.reprice_totals), not the request: every number's totals of those
    days are read again, 4 s for a number with calls over 24 months among a thousand (premium.totals).
    The row is the truth: while it is there, the pages say that what callers paid is being recounted; it
    is deleted once counted, and the one sweeper queues it again when its message was lost.
    """

    FIRST_POLL_DELAY = timedelta(0)
    # Counted in seconds; a worker that holds it longer than this died (the task's limit is 10 minutes).
    CLAIM_LEASE = timedelta(minutes=10)
    # A count that failed this many times is not tried again (the error is in the worker's log).
    MAX_ATTEMPTS = 3

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    number = models.CharField(max_length=16)
    # Due as soon as it is made.
    next_poll_at = models.DateTimeField(_("next check"), null=True, blank=True, default=timezone.now)

    def __str__(self) -> str:
        return f"{self.number} ({self.get_poll_status_display()})"


class WalletEntry(models.Model):
    """One wallet operation (historyWallet). Amounts in zł; the provider sends grosze.

    The provider gives no id: `fingerprint` (a digest of all the fields) keys the upsert.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="premium_wallet_entries")
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("when"))
    description = models.CharField(_("description"), max_length=500)
    credit = models.BooleanField(_("credit"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    balance_after = models.DecimalField(_("balance after"), max_digits=12, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "fingerprint"], name="premium_wallet_entry_once")
        ]
        indexes = [models.Index(fields=["tenant", "created_at", "id"], name="premium_wallet_time")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.description}"


def invoice_file_path(invoice: Invoice, filename: str) -> str:
    """A random name: the path of a stored invoice cannot be guessed from its id or number."""
    return f"premium/invoices/{invoice.tenant_id}/{uuid.uuid4().hex}.pdf"


class Invoice(models.Model):
    """An invoice of the account (invoices); its file is fetched once, on the first download."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="premium_invoices")
    provider_id = models.BigIntegerField()
    title = models.CharField(_("invoice number"), max_length=200)
    amount_net = models.DecimalField(_("net amount"), max_digits=12, decimal_places=2)
    paid = models.BooleanField(_("paid"))
    issued_at = models.DateTimeField(_("issued"))
    file = models.FileField(upload_to=invoice_file_path, blank=True, max_length=200)
    file_name = models.CharField(max_length=200, blank=True)  # the provider's name, for the download
    content_type = models.CharField(max_length=100, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-provider_id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "provider_id"], name="premium_invoice_once")]

    def __str__(self) -> str:
        return self.title

    @property
    def download_name(self) -> str:
        """The name the file is downloaded under, the page's and the API's alike: the provider's, made safe."""
        return pdf_name(self.file_name, f"invoice-{self.title}")


def statement_file_path(statement: Statement, filename: str) -> str:
    """A random name, as for invoices: a stored statement's path cannot be guessed."""
    extension = "pdf" if statement.file_format == Statement.Format.PDF else "csv"
    return f"premium/statements/{statement.tenant_id}/{uuid.uuid4().hex}.{extension}"


class Statement(PolledJob):
    """A PDF statement of a month (and filters): the totals per number, then every call; or the billing
    CSV of a selection too large to stream in one request (premium.billing.csv_streams). Asked for on the
    billing page and made by premium.tasks.render_statement, never in a web request.
    `state` is what the member reads; the PolledJob fields schedule the work, so that the one sweeper
    queues a statement again when its message was lost or its worker died.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RENDERING = "rendering", _("being made")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    class Format(models.TextChoices):
        PDF = "pdf", _("PDF statement")
        CSV = "csv", _("CSV")  # for people, as the billing page's CSV (providers.csv_export)
        CSV_RAW = "csv-raw", _("CSV for programs")

    # Made at once; a worker that holds it longer than this died (the task's own limit is 10 minutes).
    FIRST_POLL_DELAY = timedelta(0)
    CLAIM_LEASE = timedelta(minutes=15)
    # A statement whose worker died this many times is not tried again.
    MAX_ATTEMPTS = 3

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="premium_statements")
    requested_by = models.ForeignKey(
        "accounts.User",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    language = models.CharField(max_length=8, default="pl")  # the requester's: the statement is in it
    # The billing filters (premium.billing.BillingQuery).
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    number = models.CharField(max_length=16, blank=True)
    disposition = models.CharField(max_length=16, blank=True)
    caller = models.CharField(max_length=32, blank=True)
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    file_format = models.CharField(max_length=8, choices=Format.choices, default=Format.PDF)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    calls = models.PositiveIntegerField(default=0)  # calls to list, counted when it starts
    calls_done = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=statement_file_path, blank=True, max_length=200)
    # Due as soon as it is asked for.
    next_poll_at = models.DateTimeField(_("next check"), null=True, blank=True, default=timezone.now)

    class Meta(PolledJob.Meta):
        indexes = [
            *PolledJob.Meta.indexes,
            models.Index(fields=["tenant", "created_at"], name="premium_statement_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} ({self.get_state_display()})"

    @classmethod
    def _claimable(cls, now) -> Q:
        # A statement made or given up is never made again, whatever its scheduling fields say.
        return super()._claimable(now) & Q(state__in=[cls.State.QUEUED, cls.State.RENDERING])

    @property
    def is_final(self) -> bool:
        return self.state in (self.State.READY, self.State.FAILED)

    def billing_query(self):
        from premium.billing import BillingQuery  # premium.billing reads these models

        return BillingQuery(
            **{field.name: getattr(self, field.name) for field in dataclass_fields(BillingQuery)}
        )

    @property
    def is_csv(self) -> bool:
        return self.file_format != self.Format.PDF

    @property
    def download_name(self) -> str:
        """As the billing page names its CSV (premium.views.billing.billing_export)."""
        if not self.is_csv:
            return f"statement-{self.tenant.slug}-{self.year:04d}-{self.month:02d}.pdf"
        raw = "-raw" if self.file_format == self.Format.CSV_RAW else ""
        return f"billing-{self.tenant.slug}-{self.year:04d}-{self.month:02d}{raw}.csv"

    @property
    def content_type(self) -> str:
        return "text/csv; charset=utf-8" if self.is_csv else "application/pdf"

    @property
    def percent_done(self) -> int:
        return min(100, round(100 * self.calls_done / self.calls)) if self.calls else 0
