"""Phonebooks (4.3): the books, one book's entries with a search, adding and deleting books and entries,
CSV import (preview, then added in the background) and CSV export.

Pages read the local copy; changes go through spikon.services.
"""

from __future__ import annotations

import codecs
import csv
import io
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from accounts.models import Role
from accounts.tenancy import TenantRequest, tenant_view
from provider_api.errors import AlreadyExistsError, ProviderError
from providers.csv_export import FORMULA_STARTS, Column, csv_response
from providers.queueing import queue_after_commit
from providers.texts import joined, later
from spikon import services
from spikon.client import PHONE_BOOK_ENTRY_NAME_MAX_LENGTH, PHONE_NUMBER_MAX_LENGTH
from spikon.forms import (
    IMPORT_MAX_ROWS,
    DeleteBookForm,
    EntryForm,
    ImportUploadForm,
    PhoneBookForm,
    normalize_phone_number,
)
from spikon.models import PhoneBook, PhoneBookEntry, PhoneBookImport, PhoneBookImportRow
from spikon.sync import PHONEBOOKS
from spikon.tables import entry_rows
from spikon.tasks import run_phonebook_import
from spikon.views.overview import page_context, spikon_account

ENTRIES_PER_PAGE = 50
SEARCH_MAX_LENGTH = 100
IMPORT_ROWS_SHOWN = 500
# normalize_phone_number's refusals (by their code), as an import line stores them.
NUMBER_PROBLEMS = {
    "number": gettext_noop("Enter a phone number: digits, optionally starting with +."),
    "number_length": later(
        gettext_noop("A phone number has at most %(max)d characters."), max=PHONE_NUMBER_MAX_LENGTH
    ),
}
HEADER_WORDS = {"name", "nazwa", "imię i nazwisko", "number", "numer", "telefon", "phone"}


def _book_or_404(request: TenantRequest, book_id: int) -> PhoneBook:
    return get_object_or_404(PhoneBook, pk=book_id, tenant=request.tenant)


def _no_account_error(request: TenantRequest) -> str:
    account = spikon_account(request)
    if account is None or not account.is_configured:
        return _("The SPIKON account has no API key yet: an admin sets it on the Account page.")
    return ""


# --- the books ---------------------------------------------------------------------------------------------


def _books_page(
    request: TenantRequest, form: PhoneBookForm, status: int = 200, error: str = ""
) -> HttpResponse:
    books = PhoneBook.objects.filter(tenant=request.tenant).annotate(entry_count=Count("entries"))
    context = page_context(
        request,
        "phonebooks",
        books=books.order_by("provider_id"),
        form=form,
        error=error,
        account=spikon_account(request),
        sync_resource=PHONEBOOKS,
    )
    return render(request, "spikon/phonebooks.html", context, status=status)


@require_GET
@tenant_view(Role.VIEWER)
def phonebooks(request: TenantRequest) -> HttpResponse:
    return _books_page(request, PhoneBookForm(tenant=request.tenant))


@require_POST
@tenant_view(Role.OPERATOR)
def phonebook_add(request: TenantRequest) -> HttpResponse:
    form = PhoneBookForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        return _books_page(request, form, status=400)
    error = _no_account_error(request)
    if error:
        return _books_page(request, form, status=400, error=error)
    account = spikon_account(request)
    try:
        book = services.add_phone_book(account, request.user, form.cleaned_data["name"])
    except AlreadyExistsError:
        form.add_error("name", _("SPIKON already has a phonebook with this name: choose another name."))
        return _books_page(request, form, status=400)
    except ProviderError as error:
        return _books_page(request, form, status=400, error=account.explain(error))
    messages.success(request, _("Phonebook “%(name)s” added.") % {"name": book.name})
    return redirect("spikon:phonebook", tenant_slug=request.tenant.slug, book_id=book.pk)


@require_http_methods(["GET", "POST"])
@tenant_view(Role.OPERATOR)
def phonebook_delete(request: TenantRequest, book_id: int) -> HttpResponse:
    """GET: what will be lost and "type the name to confirm"; POST: delete at the provider, then here."""
    book = _book_or_404(request, book_id)
    form = DeleteBookForm(request.POST or None, book=book)
    error = ""
    if book.is_main:
        error = _("The main phonebook cannot be deleted (SPIKON keeps it on every account).")
    elif request.method == "POST" and form.is_valid():
        error = _no_account_error(request)
        if not error:
            account = spikon_account(request)
            try:
                services.delete_phone_book(account, request.user, book)
            except ProviderError as provider_error:
                error = account.explain(provider_error)
            else:
                messages.success(request, _("Phonebook “%(name)s” deleted.") % {"name": book.name})
                return redirect("spikon:phonebooks", tenant_slug=request.tenant.slug)
    failed = request.method == "POST"
    context = page_context(
        request, "phonebooks", book=book, form=form, error=error, entry_count=book.entries.count()
    )
    return render(request, "spikon/phonebook_delete.html", context, status=400 if failed else 200)


# --- one book ----------------------------------------------------------------------------------------------


def _entries_context(request: TenantRequest, book: PhoneBook, **extra: object) -> dict[str, object]:
    query = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    entries = PhoneBookEntry.objects.filter(book=book)
    if query:
        compact = query.replace(" ", "").replace("-", "")
        entries = entries.filter(Q(name__icontains=query) | Q(number__contains=compact or query))
    paginator = Paginator(entries.order_by("name", "id"), ENTRIES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    account = spikon_account(request)
    context = page_context(
        request,
        "phonebooks",
        book=book,
        page=page,
        entry_rows=entry_rows(request, book, page.object_list, account),
        query=query,
        entry_form=EntryForm(),
        account=account,
        sync_resource=PHONEBOOKS,
    )
    context.update(extra)
    return context


@require_GET
@tenant_view(Role.VIEWER)
def phonebook(request: TenantRequest, book_id: int) -> HttpResponse:
    book = _book_or_404(request, book_id)
    context = _entries_context(request, book)
    # The search swaps only the entry list; anything else gets the whole page.
    swap_list = request.htmx and request.htmx.target == "entry-list"
    return render(
        request, "spikon/phonebook.html#entry-list" if swap_list else "spikon/phonebook.html", context
    )


def _entry_change_response(
    request: TenantRequest, book: PhoneBook, *, error: str = "", entry_form: EntryForm | None = None
) -> HttpResponse:
    """HTMX: the entry section again (list and form); without JS: back to the book, or the page with errors."""
    failed = bool(error) or (entry_form is not None and entry_form.errors)
    if request.htmx or failed:
        extra = {"error": error}
        if entry_form is not None:
            extra["entry_form"] = entry_form
        template = "spikon/phonebook.html#entries" if request.htmx else "spikon/phonebook.html"
        return render(
            request, template, _entries_context(request, book, **extra), status=400 if failed else 200
        )
    return redirect("spikon:phonebook", tenant_slug=request.tenant.slug, book_id=book.pk)


@require_POST
@tenant_view(Role.OPERATOR)
def entry_add(request: TenantRequest, book_id: int) -> HttpResponse:
    book = _book_or_404(request, book_id)
    form = EntryForm(request.POST)
    if not form.is_valid():
        return _entry_change_response(request, book, entry_form=form)
    error = _no_account_error(request)
    if error:
        return _entry_change_response(request, book, error=error, entry_form=form)
    name, number = form.cleaned_data["name"], form.cleaned_data["number"]
    account = spikon_account(request)
    try:
        entry = services.add_phone_book_entry(account, request.user, book, name, number)
    except ProviderError as provider_error:
        error = account.explain(provider_error)
        return _entry_change_response(request, book, error=error, entry_form=form)
    messages.success(request, _("“%(name)s” added to the phonebook.") % {"name": entry.name})
    return _entry_change_response(request, book)


@require_POST
@tenant_view(Role.OPERATOR)
def entry_delete(request: TenantRequest, book_id: int, entry_id: int) -> HttpResponse:
    book = _book_or_404(request, book_id)
    entry = get_object_or_404(PhoneBookEntry, pk=entry_id, book=book, tenant=request.tenant)
    if entry.provider_id is None:
        error = _(
            "SPIKON gave no ID for this entry, so it cannot be deleted from here; delete it in the SPIKON panel."
        )
        return _entry_change_response(request, book, error=error)
    error = _no_account_error(request)
    if error:
        return _entry_change_response(request, book, error=error)
    account = spikon_account(request)
    try:
        services.delete_phone_book_entry(account, request.user, entry)
    except ProviderError as provider_error:
        return _entry_change_response(request, book, error=account.explain(provider_error))
    messages.success(request, _("“%(name)s” deleted from the phonebook.") % {"name": entry.name})
    return _entry_change_response(request, book)


# --- CSV export --------------------------------------------------------------------------------------------


@require_GET
@tenant_view(Role.OPERATOR)
def phonebook_export(request: TenantRequest, book_id: int) -> HttpResponse:
    """The book as CSV: for people (semicolons, a BOM) or raw; either can be imported again."""
    book = _book_or_404(request, book_id)
    entries = PhoneBookEntry.objects.filter(book=book).order_by("name", "id").values_list("name", "number")
    columns = [Column("name", _("name")), Column("number", _("number"))]
    filename = f"{slugify(book.name) or 'phonebook'}-{book.provider_id}.csv"
    return csv_response(request, filename, columns, entries.iterator())


# --- CSV import --------------------------------------------------------------------------------------------


def decode_upload(raw: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1250: what Polish spreadsheets save."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1250")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not text in UTF-8 or Windows-1250.")) from None


def read_csv_lines(text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of each non-empty line; the delimiter is guessed among "," ";" and tab."""
    if "\x00" in text:
        raise forms.ValidationError(_("The file is not a CSV file."))
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                lines.append((reader.line_num, cells))
            if len(lines) > IMPORT_MAX_ROWS + 1:
                raise forms.ValidationError(
                    _("The file has more than %(max)d lines: split it into smaller files.")
                    % {"max": IMPORT_MAX_ROWS}
                )
    except csv.Error as error:
        raise forms.ValidationError(
            _("The file cannot be read as CSV: %(error)s") % {"error": error}
        ) from None
    if lines and {cell.strip().lower() for cell in lines[0][1]} & HEADER_WORDS:
        lines = lines[1:]
    if not lines:
        raise forms.ValidationError(_("The file has no entries."))
    return lines


def _unquote(cell: str) -> str:
    """A cell as written by our export (providers.csv_export): a leading "'" before a formula character is
    not part of the value."""
    cell = cell.strip()
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def classify_rows(book: PhoneBook, lines: list[tuple[int, list[str]]]) -> list[PhoneBookImportRow]:
    """Each line checked as the entry form would; numbers already in the book or earlier in the file are skipped."""
    known = set(PhoneBookEntry.objects.filter(book=book).values_list("number", flat=True))
    in_file: set[str] = set()
    rows = []
    for line, cells in lines:
        name = _unquote(cells[0]) if cells else ""
        raw_number = _unquote(cells[1]) if len(cells) > 1 else ""
        row = PhoneBookImportRow(
            line=line, name=name[:200], number=raw_number[:40], status=PhoneBookImportRow.Status.TO_ADD
        )
        # What is wrong with a line is stored as codes (providers.texts): whoever looks reads their language.
        problems = []
        if len(cells) > 2 and any(cell.strip() for cell in cells[2:]):
            problems.append(gettext_noop("more than two columns"))
        if not name:
            problems.append(gettext_noop("the name is empty"))
        elif len(name) > PHONE_BOOK_ENTRY_NAME_MAX_LENGTH:
            problems.append(
                later(
                    gettext_noop("the name is longer than %(max)d characters"),
                    max=PHONE_BOOK_ENTRY_NAME_MAX_LENGTH,
                )
            )
        try:
            row.number = normalize_phone_number(raw_number)
        except forms.ValidationError as error:
            problems.append(
                NUMBER_PROBLEMS.get(error.code, NUMBER_PROBLEMS["number"])
                if raw_number
                else gettext_noop("the number is empty")
            )
        if problems:
            row.status, row.message = PhoneBookImportRow.Status.INVALID, joined(problems)
        elif row.number in known:
            row.status, row.message = (
                PhoneBookImportRow.Status.DUPLICATE,
                gettext_noop("this number is already in the phonebook"),
            )
        elif row.number in in_file:
            row.status, row.message = (
                PhoneBookImportRow.Status.DUPLICATE,
                gettext_noop("this number is on an earlier line"),
            )
        else:
            in_file.add(row.number)
        rows.append(row)
    return rows


@require_http_methods(["GET", "POST"])
@tenant_view(Role.OPERATOR)
def phonebook_import(request: TenantRequest, book_id: int) -> HttpResponse:
    """Upload a CSV file: nothing is sent yet, the next page previews what would be added."""
    book = _book_or_404(request, book_id)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            lines = read_csv_lines(decode_upload(upload.read()))
        except forms.ValidationError as error:
            form.add_error("file", error)
        else:
            with transaction.atomic():
                job = PhoneBookImport.objects.create(
                    tenant=request.tenant,
                    book=book,
                    user=request.user,
                    username=request.user.get_username(),
                    file_name=(upload.name or "")[:200],
                )
                rows = classify_rows(book, lines)
                for row in rows:
                    row.row_import = job
                PhoneBookImportRow.objects.bulk_create(rows, batch_size=500)
            return redirect(
                "spikon:phonebook-import-detail", tenant_slug=request.tenant.slug, import_id=job.pk
            )
    status = 400 if request.method == "POST" else 200
    context = page_context(request, "phonebooks", book=book, form=form)
    return render(request, "spikon/phonebook_import.html", context, status=status)


def _import_or_404(request: TenantRequest, import_id: int) -> PhoneBookImport:
    return get_object_or_404(
        PhoneBookImport.objects.select_related("book"), pk=import_id, tenant=request.tenant
    )


def _import_context(request: TenantRequest, job: PhoneBookImport, **extra: object) -> dict[str, object]:
    counts = dict(job.rows.values_list("status").annotate(count=Count("id")).order_by())
    statuses = PhoneBookImportRow.Status
    total = sum(counts.values())
    context = page_context(
        request,
        "phonebooks",
        job=job,
        book=job.book,
        counts={status: counts.get(status, 0) for status in statuses.values},
        total=total,
        rows=job.rows.all()[:IMPORT_ROWS_SHOWN],
        rows_cut=total > IMPORT_ROWS_SHOWN,
        in_progress=job.stage == PhoneBookImport.Stage.IMPORTING,
        stalled=job.stage == PhoneBookImport.Stage.IMPORTING
        and job.last_polled_at is not None
        and timezone.now() - job.last_polled_at > timedelta(minutes=5),
    )
    context.update(extra)
    return context


@require_GET
@tenant_view(Role.OPERATOR)
def phonebook_import_detail(request: TenantRequest, import_id: int) -> HttpResponse:
    """The preview before adding, the progress while adding (polled in place), the report after."""
    job = _import_or_404(request, import_id)
    context = _import_context(request, job)
    if request.htmx and request.htmx.target == "import-progress":
        response_class = HttpResponse if context["in_progress"] else HttpResponseStopPolling
        return response_class(
            render_to_string("spikon/phonebook_import_detail.html#import-progress", context, request)
        )
    return render(request, "spikon/phonebook_import_detail.html", context)


@require_POST
@tenant_view(Role.OPERATOR)
def phonebook_import_start(request: TenantRequest, import_id: int) -> HttpResponse:
    """Start adding the previewed rows; a second click (or a double submit) finds it started already."""
    job = _import_or_404(request, import_id)
    error = _no_account_error(request)
    if error:
        messages.error(request, error)
    elif not job.rows.filter(status=PhoneBookImportRow.Status.TO_ADD).exists():
        messages.error(request, _("There is nothing to add from this file."))
    else:
        now = timezone.now()
        started = PhoneBookImport.objects.filter(pk=job.pk, stage=PhoneBookImport.Stage.PREVIEW).update(
            stage=PhoneBookImport.Stage.IMPORTING,
            poll_status=PhoneBookImport.PollStatus.WAITING,
            next_poll_at=now,
            created_at=now,
        )
        if started:
            queue_after_commit(run_phonebook_import, job.pk)
            messages.success(request, _("Adding the entries; this page follows the progress."))
    return redirect("spikon:phonebook-import-detail", tenant_slug=request.tenant.slug, import_id=job.pk)


@require_POST
@tenant_view(Role.OPERATOR)
def phonebook_import_cancel(request: TenantRequest, import_id: int) -> HttpResponse:
    job = _import_or_404(request, import_id)
    cancelled = PhoneBookImport.objects.filter(pk=job.pk, stage=PhoneBookImport.Stage.PREVIEW).update(
        stage=PhoneBookImport.Stage.CANCELLED, poll_status=PhoneBookImport.PollStatus.FINISHED
    )
    if cancelled:
        messages.info(request, _("Import cancelled; nothing was added."))
    else:
        messages.error(request, _("This import has already started; it can no longer be cancelled."))
    return redirect("spikon:phonebook", tenant_slug=request.tenant.slug, book_id=job.book_id)
