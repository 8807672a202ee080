"""SMS (4.6): compose (review, then send once per form), and the log of every message with its delivery
state, which a Celery poller follows (spikon.tasks.poll_sms_state) and the page shows updating in place.

One message per recipient, each its own request to the provider and its own row (spikon.services.send_sms).
Nothing is ever sent twice by itself: a form's key acts once (a double submit shows the first submission),
and a send whose answer is lost is "unknown — check state".
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseStopPolling

from accounts.ids import row_id, row_ids
from accounts.models import Role
from accounts.pagination import keyset_page
from accounts.tenancy import TenantRequest, tenant_view
from providers.once import new_action_key
from spikon import services
from spikon.forms import SMS_MAX_RECIPIENTS, SmsForm, polish_sms_number, sms_parts
from spikon.models import PhoneBook, PhoneBookEntry, SmsBatch, SmsMessage
from spikon.tables import log_rows
from spikon.views.overview import page_context, spikon_account

LOG_PER_PAGE = 50
PICKER_MAX_ENTRIES = 500


# --- the log -----------------------------------------------------------------------------------------------


@require_GET
@tenant_view(Role.VIEWER)
def sms_log(request: TenantRequest) -> HttpResponse:
    """Every message, newest first; while any shown message may still change, the list polls itself."""
    rows = SmsMessage.objects.filter(tenant=request.tenant).select_related("batch")
    batch_id = row_id(request.GET.get("batch", ""))
    batch = None
    if batch_id is not None:
        batch = SmsBatch.objects.filter(tenant=request.tenant, pk=batch_id).first()
        rows = rows.filter(batch=batch)
    page = keyset_page(rows, request.GET.get("after"), per_page=LOG_PER_PAGE)
    settled = all(message.is_settled for message in page.items)
    context = page_context(
        request,
        "sms",
        page=page,
        log_rows=log_rows(request, page.items),
        batch=batch,
        pager_query=f"batch={batch.pk}" if batch else "",
        settled=settled,
        account=spikon_account(request),
    )
    if request.htmx and request.htmx.target == "sms-log":
        # htmx stops polling once every shown message is final.
        response_class = HttpResponseStopPolling if settled else HttpResponse
        return response_class(render_to_string("spikon/sms_log.html#sms-log", context, request))
    return render(request, "spikon/sms_log.html", context)


# --- compose -----------------------------------------------------------------------------------------------


def _picker_context(request: TenantRequest, book_id: str, picked_ids: list[str]) -> dict[str, object]:
    """The phonebook picker: the entries picked so far (any book) and those of the chosen book."""
    books = PhoneBook.objects.filter(tenant=request.tenant).order_by("provider_id")
    picked_pks = row_ids(picked_ids)[:SMS_MAX_RECIPIENTS]
    picked = list(
        PhoneBookEntry.objects.filter(tenant=request.tenant, pk__in=picked_pks).order_by("name", "id")
    )
    book = books.filter(pk__in=row_ids([book_id])).first()
    entries = []
    if book is not None:
        entries = list(
            PhoneBookEntry.objects.filter(book=book)
            .exclude(pk__in=picked_pks)
            .order_by("name", "id")[: PICKER_MAX_ENTRIES + 1]
        )
    return {
        "books": books,
        "picked_book": book,
        "picked_entries": picked,
        "book_entries": entries[:PICKER_MAX_ENTRIES],
        "book_entries_cut": len(entries) > PICKER_MAX_ENTRIES,
    }


def _compose_page(
    request: TenantRequest, form: SmsForm, *, status: int = 200, review: dict | None = None, error: str = ""
) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    context = page_context(
        request,
        "sms",
        form=form,
        review=review,
        error=error,
        account=spikon_account(request),
        max_recipients=SMS_MAX_RECIPIENTS,
        **_picker_context(request, data.get("book", ""), data.getlist("entries")),
    )
    return render(request, "spikon/sms_send.html", context, status=status)


def _initial(request: TenantRequest) -> dict[str, object]:
    """A new form with its key; `?to=` from a phonebook entry, `?again=<message>` to send a text again."""
    initial: dict[str, object] = {
        "form_key": new_action_key(),
        "sender": "SMS",
        "recipients": request.GET.get("to", "")[:40],
    }
    again = row_id(request.GET.get("again", ""))
    if again is not None:
        earlier = SmsMessage.objects.filter(tenant=request.tenant, pk=again).select_related("batch").first()
        if earlier is not None:
            initial.update(
                sender=earlier.batch.sender, message=earlier.batch.text, recipients=earlier.recipient
            )
    return initial


def _digest(form: SmsForm) -> str:
    """What the operator reviewed: sending needs the same sender, text and recipients."""
    data = form.cleaned_data
    reviewed = "\x1f".join(
        [data["sender"], data["message"], *(number for number, _name in data["recipient_list"])]
    )
    return salted_hmac("spikon.sms.review", reviewed).hexdigest()


def _book_numbers(request: TenantRequest, book_id: str) -> list[str]:
    """The Polish mobile numbers of a book, for "add every number of this book"."""
    book = row_id(book_id)
    if book is None:
        return []
    numbers = []
    for number in PhoneBookEntry.objects.filter(tenant=request.tenant, book_id=book).values_list(
        "number", flat=True
    ):
        try:
            numbers.append(polish_sms_number(number))
        except forms.ValidationError:
            continue  # an entry without a Polish mobile number cannot get an SMS
    return numbers


@require_http_methods(["GET", "POST"])
@tenant_view(Role.OPERATOR)
def sms_send(request: TenantRequest) -> HttpResponse:
    """GET: the form. POST action "pick"/"add-book": the form again with the picker; "review": the summary
    with the number of SMS; "send" (with the reviewed digest): send, then the log of this submission."""
    if request.method == "GET":
        return _compose_page(request, SmsForm(initial=_initial(request), tenant=request.tenant))
    action = request.POST.get("action", "review")
    if action in ("pick", "add-book"):
        data = request.POST.copy()
        if action == "add-book":
            typed = data.get("recipients", "").strip()
            added = "\n".join(dict.fromkeys(_book_numbers(request, data.get("book", ""))))
            data["recipients"] = "\n".join(part for part in (typed, added) if part)
        initial = {key: data.get(key, "") for key in ("form_key", "sender", "recipients", "message")}
        initial["entries"] = data.getlist("entries")
        return _compose_page(request, SmsForm(initial=initial, tenant=request.tenant))
    form = SmsForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        return _compose_page(request, form, status=400)
    account = spikon_account(request)
    if account is None or not account.is_configured:
        error = _("The SPIKON account has no API key yet: an admin sets it on the Account page.")
        return _compose_page(request, form, status=400, error=error)
    digest = _digest(form)
    if action != "send" or not constant_time_compare(request.POST.get("reviewed", ""), digest):
        encoding, _units, parts = sms_parts(form.cleaned_data["message"])
        recipients = form.cleaned_data["recipient_list"]
        review = {
            "digest": digest,
            "encoding": encoding,
            "characters": len(form.cleaned_data["message"]),
            "parts": parts,
            "recipients": recipients,
            "total": parts * len(recipients),
            "changed": action == "send",
        }
        return _compose_page(request, form, review=review)
    sending = services.send_sms(
        account,
        request.user,
        key=form.cleaned_data["form_key"],
        sender=form.cleaned_data["sender"],
        text=form.cleaned_data["message"],
        recipients=form.cleaned_data["recipient_list"],
    )
    if sending.already_sent:
        messages.info(
            request, _("This form was already sent; nothing was sent again. Here is what happened.")
        )
    else:
        _report(request, sending)
    log = reverse("spikon:sms-log", args=[request.tenant.slug])
    return redirect(f"{log}?batch={sending.batch.pk}" if sending.batch else log)


def _report(request: TenantRequest, sending: services.SmsSending) -> None:
    statuses = SmsMessage.SendStatus
    if sending.counts.get(statuses.ACCEPTED, 0) == sum(sending.counts.values()):
        messages.success(request, _("SMS accepted by the provider; the delivery state follows below."))
    elif sending.counts.get(statuses.UNKNOWN):
        messages.warning(
            request,
            _(
                "Some messages are of unknown outcome: the provider did not answer in time. They may have been "
                "sent; check before sending them again."
            )
            + " "
            + sending.summary,
        )
    else:
        messages.error(request, sending.summary)


@require_GET
@tenant_view(Role.OPERATOR)
def sms_picker(request: TenantRequest) -> HttpResponse:
    """The phonebook picker of the compose form, for the chosen book (swapped in place by htmx)."""
    context = page_context(
        request,
        "sms",
        **_picker_context(request, request.GET.get("book", ""), request.GET.getlist("entries")),
    )
    return render(request, "spikon/sms_send.html#picker", context)
