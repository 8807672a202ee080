"""The rows of SPIKON's long tables (call history, a phonebook's entries, the SMS log), joined in Python.

Fifty rows of template tags, filters, translations and a reverse() each took most of these pages' time
(bench/pages.py); here each translation and URL is looked up once per page, and every stored,
provider or translated text is escaped before it is joined.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote
from uuid import UUID

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.tenancy import TenantRequest
from providers.formatting import phone_html
from providers.pages import url_for_each
from providers.texts import shown
from spikon.forms import sms_parts
from spikon.models import CallDirection, CallRecord, PhoneBook, PhoneBookEntry, SmsMessage, SpikonAccount


def call_rows(request: TenantRequest, calls: list[CallRecord]) -> SafeString:
    """The calls' rows, joined here: fifty rows of date filters, URL tags and template lookups took most of
    the page's time. Times in the current (the tenant's) time zone; every stored text escaped."""
    zone = timezone.get_current_timezone()
    play_url = url_for_each(
        "spikon:history-call", "call_id", stand_in=str(UUID(int=0)), tenant_slug=request.tenant.slug
    )
    play = escape(_("Play"))
    ftp = f'<span class="muted" title="{escape(_("Delivered to your FTP server"))}">{escape(_("FTP:"))}'
    directions = {value: escape(str(label)) for value, label in CallDirection.choices}
    rows = []
    for call in calls:
        started = call.started_at.astimezone(zone)
        # As get_direction_display: the label, or the value itself when it has none; "—" for no direction.
        direction = (
            "—" if call.direction is None else directions.get(call.direction, escape(str(call.direction)))
        )
        if call.recording_url:
            url = play_url(call.public_id)
            recording = f'<a href="{url}" hx-get="{url}" hx-target="this" hx-swap="outerHTML" class="spikon-play">{play}</a>'
        elif call.recording_file_name:
            recording = f"{ftp} {escape(call.recording_file_name)}</span>"
        else:
            recording = "—"
        rows.append(
            f'<tr><td><time datetime="{started.isoformat()}">{started:%Y-%m-%d %H:%M:%S}</time></td>'
            f"<td>{direction}</td><td>{phone_html(call.source)}</td>"
            f'<td>{phone_html(call.destination)}</td><td class="numeric">{call.duration_text}</td>'
            f"<td>{escape(call.state_label)}</td><td>{recording}</td></tr>"
        )
    return mark_safe("".join(rows))  # escaped above


def entry_rows(
    request: TenantRequest, book: PhoneBook, entries: list[PhoneBookEntry], account: SpikonAccount | None
) -> SafeString:
    """The entries' rows, joined here: fifty rows of template tags, two translations and a reverse() each
    took most of the page's time. Names and numbers are escaped; the actions are an operator's."""
    can_operate = request.role >= Role.OPERATOR
    slug = request.tenant.slug
    call_url = reverse("spikon:click-to-call", kwargs={"tenant_slug": slug})
    sms_url = reverse("spikon:sms-send", kwargs={"tenant_slug": slug})
    delete_url = url_for_each("spikon:entry-delete", "entry_id", tenant_slug=slug, book_id=book.pk)
    can_delete = account is not None and account.is_configured
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{get_token(request)}">'
    call, sms, delete = escape(_("Call")), escape(_("SMS")), escape(_("Delete"))
    rows = []
    for entry in entries:
        name, number = escape(entry.name), entry.number
        cells = f'<tr id="entry-{entry.pk}"><td>{name}</td><td>{phone_html(number)}</td>'
        if can_operate:
            actions = (
                f'<a href="{call_url}?number={escape(quote(number))}&amp;name={escape(quote(entry.name))}">{call}</a> '
                f'<a href="{sms_url}?to={escape(quote(number))}">{sms}</a>'
            )
            if can_delete:
                url = delete_url(entry.pk)
                confirm = _("Delete “%(name)s” from the phonebook?") % {"name": name}
                label = _("Delete %(name)s") % {"name": name}
                actions += (
                    f' <form method="post" action="{url}" hx-post="{url}" hx-target="#entries" hx-swap="outerHTML" '
                    f'hx-confirm="{confirm}"> {csrf} <button type="submit" class="link-button" '
                    f'aria-label="{label}">{delete}</button> </form>'
                )
            cells += f'<td class="spikon-row-actions">{actions}</td>'
        rows.append(cells + "</tr>")
    return mark_safe("".join(rows))  # escaped above


def log_rows(request: TenantRequest, sms: list[SmsMessage]) -> SafeString:
    """The log's rows, joined here: fifty rows of date filters, tags and translations took most of the
    page's time. Times in the current (the tenant's) time zone; every stored or translated text escaped."""
    zone = timezone.get_current_timezone()
    can_operate = request.role >= Role.OPERATOR
    account_url = reverse("spikon:account", kwargs={"tenant_slug": request.tenant.slug})
    send_url = reverse("spikon:sms-send", kwargs={"tenant_slug": request.tenant.slug})
    waits = _(
        'Its delivery check waits for the SPIKON credentials to be fixed on the <a href="%(account_url)s">'
        "account page</a> (then Test connection)."
    ) % {"account_url": escape(account_url)}
    tried_again = escape(_("The last check failed; it is tried again."))
    send_again = escape(_("Send again…"))
    rows = []
    for message in sms:
        created = message.created_at.astimezone(zone)
        words, kind = message.shown_state
        batch = message.batch
        notes = []
        if message.delivery_error:
            notes.append(f"<br><small>{escape(message.delivery_error)}</small>")
        if message.last_error and message.poll_status == "failed":
            notes.append(f"<br><small>{escape(shown(message.last_error))}</small>")
        if message.waits_for_credentials:
            notes.append(f"<br><small>{waits} {escape(shown(message.last_error))}</small>")
        if message.last_error and message.poll_status == "waiting":
            notes.append(f"<br><small>{tried_again} {escape(shown(message.last_error))}</small>")
        if can_operate and message.poll_status == "failed" and message.send_status != "accepted":
            notes.append(f'<br><small><a href="{send_url}?again={message.pk}">{send_again}</a></small>')
        name = f"<br><small>{escape(message.recipient_name)}</small>" if message.recipient_name else ""
        delivery = "" if message.delivery is None else message.delivery
        rows.append(
            f'<tr id="sms-{message.pk}"><td><time datetime="{created.isoformat()}">'
            f"{created:%Y-%m-%d %H:%M:%S}</time></td><td>{phone_html(message.recipient)}{name}</td>"
            f'<td>{escape(batch.sender)}</td><td class="spikon-sms-text" title="{escape(batch.text)}">'
            f'{escape(Truncator(batch.text).chars(80))}</td><td class="numeric">{sms_parts(batch.text)[2]}</td>'
            f'<td><span class="badge badge-{escape(kind)}" data-sms-state="{escape(message.send_status)}/'
            f'{escape(str(delivery))}">{escape(words)}</span>{"".join(notes)}</td>'
            f"<td>{escape(batch.username)}</td></tr>"
        )
    return mark_safe("".join(rows))  # escaped above
