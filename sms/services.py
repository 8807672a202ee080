"""Changes made from the pages: the provider is called once, from the request, and only its success
touches the local copy. Every change, and every failed attempt at one, writes an audit event.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop, ngettext

from accounts import audit
from accounts.models import AuditEvent, Tenant, User
from provider_api.errors import NotFoundError, ProviderError, UnavailableError
from providers import accounts as provider_accounts
from providers import events
from providers.accounts import record_failure
from providers.downloads import store_once
from providers.once import ActionRecord, start_action
from providers.texts import later
from sms import sync
from sms.forms import AccountForm
from sms.models import Payment, SerwerSmsAccount, Subaccount, SubaccountCreation, SubaccountLimit

CREATE_ACTION = "sms.subaccount.create"
# Forms opened but never sent are forgotten after this long.
UNSENT_FORMS_KEPT = timedelta(days=1)


def _secret_change(before: str, after: str) -> tuple[str, str]:
    """What the audit log gets for a secret: only that it was set or replaced (the log masks it anyway)."""
    return ("set" if before else "", "set" if after else "")


def save_account(tenant: Tenant, user: User, form: AccountForm) -> SerwerSmsAccount:
    """Save a valid AccountForm (secrets left empty stay as they were) and audit what changed."""
    with transaction.atomic():
        stored = SerwerSmsAccount.objects.select_for_update().filter(tenant=tenant).first()
        created = stored is None
        before = {
            "sign-in method": None if created else stored.get_auth_method_display(),
            "API user login": "" if created else stored.api_username,
            "API base URL": "" if created else stored.base_url,
        }
        old_token = "" if created else stored.api_token
        old_password = "" if created else stored.api_password
        account = form.save(commit=False)
        account.tenant = tenant
        account.updated_at = timezone.now()
        account.save()
        after = {
            "sign-in method": account.get_auth_method_display(),
            "API user login": account.api_username,
            "API base URL": account.base_url,
        }
        changes = {field: (before[field], after[field]) for field in after if before[field] != after[field]}
        if old_token != account.api_token:
            changes["API token"] = _secret_change(old_token, account.api_token)
        if old_password != account.api_password:
            changes["API user password"] = _secret_change(old_password, account.api_password)
        if changes:
            audit.record(
                tenant,
                user,
                "sms.account",
                object_type="sms.account",
                object_id=str(account.pk),
                object_label="SerwerSMS.pl",
                changes=changes,
            )
            sync.queue(tenant)
    return account


def test_connection(account: SerwerSmsAccount) -> provider_accounts.TestOutcome:
    """Test connection: list the subaccounts with the saved credentials (a read; changes nothing)."""

    def describe(found: list) -> str:
        return ngettext(
            "Connection works: the provider lists %(count)s subaccount.",
            "Connection works: the provider lists %(count)s subaccounts.",
            len(found),
        ) % {"count": len(found)}

    return provider_accounts.test_connection(account, lambda client: client.index(), describe)


test_connection.__test__ = False  # a page's action, not a test


def issue_creation_form(tenant: Tenant, user: User) -> SubaccountCreation:
    """A fresh one-time token for the "create a subaccount" form."""
    SubaccountCreation.objects.filter(
        tenant=tenant, status=SubaccountCreation.Status.NEW, issued_at__lt=timezone.now() - UNSENT_FORMS_KEPT
    ).delete()
    return SubaccountCreation.objects.create(tenant=tenant, issued_to=user, username=user.get_username())


def claim_creation(creation: SubaccountCreation, user: User, login: str, template: Subaccount) -> bool:
    """Start the form's action (its token is the act-once key): only the one request that does so may call
    the provider, whatever is deleted or synced later; any other sees the outcome."""
    if start_action(creation.tenant, creation.form_token, CREATE_ACTION, user=user) is None:
        return False
    SubaccountCreation.objects.filter(pk=creation.pk).update(
        status=SubaccountCreation.Status.SENDING,
        sent_at=timezone.now(),
        login=login,
        template_label=str(template),
    )
    creation.refresh_from_db()
    return True


def create_subaccount(
    creation: SubaccountCreation,
    account: SerwerSmsAccount,
    user: User,
    *,
    template: Subaccount,
    password: str,
    name: str,
    phone: str,
    email: str,
) -> Subaccount:
    """Create the subaccount of a claimed form. Sent once; never retried, whatever happens.

    On failure the form is marked REFUSED or, when the provider may have acted, UNKNOWN (and a sync is
    queued so that the list soon shows whether it exists); the error is raised for the page to show.
    """
    tenant = account.tenant
    details = {"name": name, "phone": phone, "email": email}
    try:
        provider_id = account.client(in_request=True).add(
            subaccount_username=creation.login,
            subaccount_password=password,
            subaccount_id=template.provider_id,
            **{key: value or None for key, value in details.items()},
        )
    except ProviderError as error:
        unknown = isinstance(error, UnavailableError) and error.outcome_unknown
        explanation = account.explain_later(error, extra=(password,))
        with transaction.atomic():
            SubaccountCreation.objects.filter(pk=creation.pk).update(
                status=SubaccountCreation.Status.UNKNOWN if unknown else SubaccountCreation.Status.REFUSED,
                finished_at=timezone.now(),
                error=explanation,
            )
            _action(creation).settle(
                ActionRecord.State.UNKNOWN if unknown else ActionRecord.State.FAILED,
                creation_id=creation.pk,
                message=explanation,
            )
            audit.record(
                tenant,
                user,
                "sms.subaccount.create",
                object_type="sms.subaccount",
                object_label=creation.login,
                changes={"login": (None, creation.login), "template": (None, str(template))},
                outcome=AuditEvent.Outcome.FAILURE,
                message=explanation,
            )
            if unknown:
                sync.queue(tenant)
        raise
    now = timezone.now()
    with transaction.atomic():
        subaccount, _created = Subaccount.objects.update_or_create(
            tenant=tenant,
            provider_id=provider_id,
            defaults={"login": creation.login, **details, "details_synced_at": now},
        )
        SubaccountCreation.objects.filter(pk=creation.pk).update(
            status=SubaccountCreation.Status.CREATED, provider_id=provider_id, finished_at=now
        )
        _action(creation).settle(ActionRecord.State.DONE, creation_id=creation.pk, provider_id=provider_id)
        # The provider refuses a login that is taken, so an earlier attempt of unknown outcome with the
        # same login did not create it.
        SubaccountCreation.objects.filter(
            tenant=tenant, login__iexact=creation.login, status=SubaccountCreation.Status.UNKNOWN
        ).update(
            status=SubaccountCreation.Status.REFUSED,
            error=later(
                gettext_noop("Not created: the same login was free when it was created later (ID %(id)s)."),
                id=provider_id,
            ),
        )
        audit.record(
            tenant,
            user,
            "sms.subaccount.create",
            target=subaccount,
            changes={
                "login": (None, creation.login),
                "template": (None, str(template)),
                **{field: (None, value) for field, value in details.items() if value},
            },
        )
        events.announce(tenant.pk, "subaccount.created", id=provider_id, login=creation.login)
    return subaccount


def _action(creation: SubaccountCreation) -> ActionRecord:
    return ActionRecord.objects.get(tenant_id=creation.tenant_id, key=creation.form_token)


def set_limit(
    account: SerwerSmsAccount, subaccount: Subaccount, user: User, message_type: str, value: int
) -> SubaccountLimit:
    """Set one message type's limit at the provider, then remember it (the API cannot read it back)."""
    previous = SubaccountLimit.objects.filter(subaccount=subaccount, message_type=message_type).first()
    field = f"limit {message_type}"
    try:
        account.client(in_request=True).limit(subaccount.provider_id, message_type=message_type, value=value)
    except ProviderError as error:
        record_failure(
            account, user, "sms.subaccount.limit", error, target=subaccount, changes={field: (None, value)}
        )
        if isinstance(error, NotFoundError):
            sync.queue(account.tenant)  # the list shows a subaccount the provider does not have
        raise
    with transaction.atomic():
        limit, _created = SubaccountLimit.objects.update_or_create(
            subaccount=subaccount,
            message_type=message_type,
            defaults={
                "tenant": account.tenant,
                "value": value,
                "set_at": timezone.now(),
                "set_by": user,
                "set_by_username": user.get_username(),
            },
        )
        audit.record(
            account.tenant,
            user,
            "sms.subaccount.limit",
            target=subaccount,
            changes={field: (previous.value if previous else None, value)},
        )
    return limit


def delete_subaccount(account: SerwerSmsAccount, subaccount: Subaccount, user: User) -> None:
    """Delete the subaccount at the provider, then from the local copy (with its limits)."""
    try:
        account.client(in_request=True).delete(subaccount.provider_id)
    except ProviderError as error:
        record_failure(
            account,
            user,
            "sms.subaccount.delete",
            error,
            target=subaccount,
            changes={"login": (subaccount.login, None)},
        )
        unknown = isinstance(error, UnavailableError) and error.outcome_unknown
        if unknown or isinstance(error, NotFoundError):
            sync.queue(account.tenant)  # the next list shows whether it still exists
        raise
    with transaction.atomic():
        audit.record(
            account.tenant,
            user,
            "sms.subaccount.delete",
            target=subaccount,
            changes={"login": (subaccount.login, None), "name": (subaccount.name or None, None)},
        )
        events.announce(
            account.tenant_id, "subaccount.deleted", id=subaccount.provider_id, login=subaccount.login
        )
        subaccount.delete()


def fetch_invoice(account: SerwerSmsAccount, payment: Payment) -> Payment:
    """Fetch the payment's invoice (PDF) from the provider once and store it; later downloads reuse it."""
    if payment.invoice:
        return payment
    pdf = account.client(in_request=True).invoice(payment.provider_id)
    return store_once(payment, "invoice", ContentFile(pdf), invoice_fetched_at=timezone.now())
