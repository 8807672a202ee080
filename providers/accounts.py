"""The provider-account contract every provider app's account model and form follow.

An account belongs to one tenant, holds write-only encrypted secrets, and may point at another address
than the provider's official one (a sandbox). It makes the app's client: in a request ONE attempt with a
short timeout (a page never waits long on a provider, and a slow provider never holds every web worker);
in the background reads retry with backoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from django import forms
from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts import audit
from accounts.models import AuditEvent, Tenant, User
from accounts.provider_errors import explain, explain_later
from accounts.validators import clean_provider_base_url
from provider_api.errors import ProviderError
from provider_api.http import HttpTransport
from provider_api.redaction import redact
from providers.jobs import resume_waiting_for_credentials

# (connect, read) seconds.
IN_REQUEST_TIMEOUT = (3.0, 8.0)
BACKGROUND_TIMEOUT = (5.0, 20.0)
# Background reads retry a refused connection or a 502/503/504 this many times, with backoff.
BACKGROUND_RETRIES = 2
ACCOUNT_SQL = "SELECT * FROM {table} WHERE tenant_id = %s"


class ProviderAccount(models.Model):
    """A tenant's access to one provider. Subclasses set PROVIDER and OFFICIAL_URL, declare their secret
    fields (encrypted) and implement `secrets()` and `make_client(transport)`."""

    PROVIDER: ClassVar[str] = ""  # the provider's name, as its client names it in errors
    OFFICIAL_URL: ClassVar[str] = ""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="%(app_label)s_account")
    base_url = models.URLField(
        _("API address"),
        blank=True,
        help_text=_("Empty: the provider's official address. Set it only to point the account at a sandbox."),
    )

    class Meta:
        abstract = True

    @classmethod
    def of(cls, tenant: Tenant) -> Self | None:
        """The tenant's account, or None when an admin has not set one up yet.

        Every page of the app reads it: written out, as building the same query through the ORM took twice
        as long as the database's answer (bench/).
        """
        sql = ACCOUNT_SQL.format(table=cls._meta.db_table)
        account = next(iter(cls.objects.raw(sql, [tenant.pk])), None)
        if account is not None:
            account.tenant = tenant  # read already: no query when it is asked for
        return account

    @property
    def api_base_url(self) -> str:
        return self.base_url or self.OFFICIAL_URL

    @property
    def is_configured(self) -> bool:
        """True when the provider can be called: every secret the account uses is set."""
        return all(self.secrets())

    def secrets(self) -> tuple[str, ...]:
        """The secrets this account sends to the provider (as its sign-in method needs them)."""
        raise NotImplementedError

    def make_client(self, transport: HttpTransport) -> Any:
        raise NotImplementedError

    def client(self, *, in_request: bool, timeout: tuple[float, float] | None = None) -> Any:
        """The app's client for this account. `in_request`: a member is waiting, so one short attempt.

        `timeout` overrides the (connect, read) timeout for a call known to take longer (a download).
        """
        transport = HttpTransport(
            self.api_base_url,
            provider=self.PROVIDER,
            secrets=self.secrets(),
            timeout=timeout or (IN_REQUEST_TIMEOUT if in_request else BACKGROUND_TIMEOUT),
            retries=0 if in_request else BACKGROUND_RETRIES,
        )
        return self.make_client(transport)

    def redact(self, text: str, *, extra: tuple[str, ...] = ()) -> str:
        """A provider's text with this account's secrets (and `extra`, e.g. a just-chosen password) masked."""
        return redact(text, self.secrets(), extra=extra)

    def explain(self, error: ProviderError, *, extra: tuple[str, ...] = ()) -> str:
        """What the operator reads about a failed call: what happened and what to do, then the provider's
        code and words, this account's secrets (and `extra`) masked."""
        return self.redact(explain(error), extra=extra)

    def explain_later(self, error: ProviderError, *, extra: tuple[str, ...] = ()) -> str:
        """explain() for a text that is stored and read later, by anyone: kept as codes and shown in the
        viewer's language (the `worker_text` filter), the provider's words masked as in explain()."""
        return explain_later(error, lambda text: self.redact(text, extra=extra))


def secret_field(label, *, max_length: int = 200, required_message=None, **kwargs) -> forms.CharField:
    """A secret of an account form (one of its SECRET_FIELDS): ProviderAccountForm makes it write-only and
    decides when it must be typed; `required_message` is what the form says then."""
    error_messages = {"required": required_message} if required_message else {}
    return forms.CharField(
        label=label, required=False, max_length=max_length, error_messages=error_messages, **kwargs
    )


class ProviderAccountForm(forms.ModelForm):
    """The account form of every provider app.

    The secret fields (SECRET_FIELDS) are write-only: never rendered back, and left empty they keep the
    stored secret. A stored secret is never sent to an address it was not entered for: changing the
    address while leaving a stored secret empty is refused.
    """

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ()

    base_url = forms.URLField(label=_("API address"), required=False, max_length=200, assume_scheme="https")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Kept now: validation copies the (empty) fields onto the instance before save() runs.
        self.stored = {name: getattr(self.instance, name) for name in self.SECRET_FIELDS}
        self.stored_base_url = self.instance.base_url if self.instance.pk else None
        for name in self.SECRET_FIELDS:
            field = self.fields[name]
            field.required = False
            field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            if self.stored[name]:
                field.help_text = _("Saved; leave empty to keep it, or type a new one.")
            self.initial.pop(name, None)
        base_url = self.fields["base_url"]
        base_url.help_text = _(
            "Empty: the official address (%(url)s). Set it only to point at a sandbox."
        ) % {"url": self._meta.model.OFFICIAL_URL}

    def clean_base_url(self) -> str:
        url = clean_provider_base_url(self.cleaned_data["base_url"], official=self._meta.model.OFFICIAL_URL)
        return "" if url == self._meta.model.OFFICIAL_URL.rstrip("/") else url

    def secret_needed(self, name: str) -> bool:
        """Whether the account needs this secret with what was entered (a sign-in method may not)."""
        return True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        moved = self.stored_base_url is not None and cleaned.get("base_url", self.stored_base_url) != (
            self.stored_base_url
        )
        for name in self.SECRET_FIELDS:
            if cleaned.get(name) or not self.secret_needed(name):
                continue
            if not self.stored[name]:
                self.add_error(name, self.fields[name].error_messages["required"])
            elif moved:
                self.add_error("base_url", _("A new address needs the key typed again."))
            else:
                cleaned[name] = self.stored[name]
        return cleaned


def record_failure(
    account: ProviderAccount, user: User | None, action: str, error: ProviderError, **about
) -> None:
    """Audit a provider write that failed: what happened (in the reader's language) and the provider's
    words, the secrets masked."""
    audit.record(
        account.tenant,
        user,
        action,
        outcome=AuditEvent.Outcome.FAILURE,
        message=account.explain_later(error),
        **about,
    )


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a test case, whatever pytest makes of the name

    ok: bool
    message: str


def test_connection(account: ProviderAccount, read, describe) -> TestOutcome:
    """Test connection: one in-request read with the stored credentials.

    `read(client)` makes the app's cheapest read; `describe(answer)` says what it proved. A failure is
    explained, with the provider's words redacted. Success proves the credentials work: the tenant's jobs
    that stopped on them go on.
    """
    if not account.is_configured:
        return TestOutcome(False, gettext("Save the credentials first."))
    try:
        answer = read(account.client(in_request=True))
    except ProviderError as error:
        return TestOutcome(False, account.explain(error))
    message = describe(answer)
    resumed = resume_waiting_for_credentials(account)
    if resumed:
        message += " " + ngettext(
            "%(count)d stopped job goes on.", "%(count)d stopped jobs go on.", resumed
        ) % {"count": resumed}
    return TestOutcome(True, message)


test_connection.__test__ = False  # a page's action, not a test
