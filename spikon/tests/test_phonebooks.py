"""Phonebooks: list, search, add and delete books and entries, CSV export and import."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent
from providers.formatting import phone
from providers.texts import shown
from spikon import sync, tasks
from spikon.models import PhoneBook, PhoneBookEntry, PhoneBookImport, PhoneBookImportRow
from spikon.sandbox import HOSTILE_SCRIPT
from spikon.views.phonebooks import ENTRIES_PER_PAGE, classify_rows

pytestmark = pytest.mark.django_db


def url(tenant, name: str, **kwargs) -> str:
    return reverse(f"spikon:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


@pytest.fixture
def books(spikon_account):
    sync.sync_phonebooks(spikon_account.tenant_id)
    return {book.provider_id: book for book in PhoneBook.objects.filter(tenant=spikon_account.tenant)}


def sandbox_entries(sandbox, book_id: int) -> list[tuple[str, str]]:
    with sandbox._lock:
        return sorted((name, number) for book, name, number in sandbox._entries.values() if book == book_id)


# --- the books ---------------------------------------------------------------------------------------------


def test_the_list_shows_every_book_with_its_entry_count(books, login, viewer):
    page = login(viewer).get(url(books[0].tenant, "phonebooks")).content.decode()
    assert "Książka główna" in page and "Klienci VIP" in page and "Dostawcy" in page
    assert "Dodaj książkę" not in page  # a viewer reads only


def test_the_list_query_count_does_not_grow_with_books(books, login, operator, django_assert_max_num_queries):
    client = login(operator)
    tenant = books[0].tenant
    with django_assert_max_num_queries(20) as few:
        client.get(url(tenant, "phonebooks"))
    for provider_id in range(10, 40):
        book = PhoneBook.objects.create(tenant=tenant, provider_id=provider_id, name=f"Book {provider_id}")
        PhoneBookEntry.objects.create(tenant=tenant, book=book, name="A", number="600000000")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url(tenant, "phonebooks")).status_code == 200


def test_operator_adds_a_book(books, sandbox, login, operator):
    tenant = books[0].tenant

    response = login(operator).post(url(tenant, "phonebook-add"), {"name": "Partnerzy"})

    book = PhoneBook.objects.get(tenant=tenant, name="Partnerzy")
    assert response.status_code == 302 and response["Location"] == url(tenant, "phonebook", book_id=book.pk)
    assert "Partnerzy" in sandbox._books.values() and book.provider_id == 3
    assert AuditEvent.objects.get(action="spikon.phonebook.add").changes == {"name": [None, "Partnerzy"]}


def test_a_name_the_provider_already_has_gets_a_clear_message(books, sandbox, login, operator):
    with sandbox._lock:
        sandbox._books[9] = "Nowa"  # made in the SPIKON panel since the last sync

    response = login(operator).post(url(books[0].tenant, "phonebook-add"), {"name": "Nowa"})

    assert response.status_code == 400
    assert "SPIKON ma już książkę o tej nazwie" in response.content.decode()
    assert not PhoneBook.objects.filter(name="Nowa").exists()


@pytest.mark.parametrize(
    ("name", "error"),
    [("", "To pole jest wymagane"), ("x" * 26, "co najwyżej 25 znaków"), ("Dostawcy", "już istnieje")],
)
def test_bad_book_names_get_a_clear_error(books, sandbox, login, operator, name, error):
    response = login(operator).post(url(books[0].tenant, "phonebook-add"), {"name": name})
    assert response.status_code == 400 and error in response.content.decode()
    assert sandbox.request_count("/api/phone_book/add") == 0


def test_deleting_a_book_needs_its_name_typed(books, sandbox, login, operator):
    client = login(operator)
    book = books[2]
    delete_url = url(book.tenant, "phonebook-delete", book_id=book.pk)

    page = client.get(delete_url).content.decode()
    assert 'data-confirm-word="Dostawcy"' in page and "4 wpisy" in page
    wrong = client.post(delete_url, {"confirm": "dostawcy"})
    assert wrong.status_code == 400 and PhoneBook.objects.filter(pk=book.pk).exists()
    assert sandbox.request_count("/api/phone_book/delete") == 0

    right = client.post(delete_url, {"confirm": "Dostawcy"})

    assert right.status_code == 302
    assert not PhoneBook.objects.filter(pk=book.pk).exists() and not PhoneBookEntry.objects.filter(
        book_id=book.pk
    )
    assert 2 not in sandbox._books
    assert AuditEvent.objects.get(action="spikon.phonebook.delete").changes == {
        "name": ["Dostawcy", None],
        "entries": [4, None],
    }


def test_the_main_book_cannot_be_deleted(books, sandbox, login, operator):
    main = books[0]
    response = login(operator).post(
        url(main.tenant, "phonebook-delete", book_id=main.pk), {"confirm": "Książka główna"}
    )
    assert response.status_code == 400 and "Głównej książki nie można usunąć" in response.content.decode()
    assert PhoneBook.objects.filter(pk=main.pk).exists()
    assert sandbox.request_count("/api/phone_book/delete") == 0


def test_a_provider_error_on_delete_keeps_the_book(books, sandbox, login, operator):
    sandbox.set_fault("/api/phone_book/delete", "500")
    book = books[1]
    response = login(operator).post(
        url(book.tenant, "phonebook-delete", book_id=book.pk), {"confirm": book.name}
    )
    assert response.status_code == 400 and "HTTP 500" in response.content.decode()
    assert PhoneBook.objects.filter(pk=book.pk).exists()


def test_another_tenants_book_is_not_found(books, other_tenant, login, operator, outsider):
    foreign = PhoneBook.objects.create(tenant=other_tenant, provider_id=1, name="Cudza")
    client = login(operator)
    tenant = books[0].tenant
    for name, method in (
        ("phonebook", "get"),
        ("phonebook-delete", "post"),
        ("entry-add", "post"),
        ("phonebook-export", "get"),
        ("phonebook-import", "get"),
    ):
        assert getattr(client, method)(url(tenant, name, book_id=foreign.pk)).status_code == 404, name
    assert login(outsider).get(url(tenant, "phonebook", book_id=books[1].pk)).status_code == 404


# --- entries -----------------------------------------------------------------------------------------------


def test_the_book_shows_its_entries_with_a_search(books, login, viewer):
    client = login(viewer)
    book = books[2]
    page = client.get(url(book.tenant, "phonebook", book_id=book.pk)).content.decode()
    assert "Hurtownia Bałtyk" in page and "Transport Kaszuby" in page
    assert "Dodaj wpis" not in page and "Usuń" not in page

    found = client.get(
        url(book.tenant, "phonebook", book_id=book.pk),
        {"q": "kasz"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="entry-list",
    )
    assert "Transport Kaszuby" in found.content.decode() and "Hurtownia" not in found.content.decode()
    number = book.entries.first().number
    by_number = client.get(url(book.tenant, "phonebook", book_id=book.pk), {"q": number[-4:]})
    assert phone(number) in by_number.content.decode()


def test_a_long_book_is_paged_in_name_order_and_a_search_keeps_its_pages(books, login, viewer):
    book = books[1]
    book.entries.all().delete()
    PhoneBookEntry.objects.bulk_create(
        PhoneBookEntry(
            tenant=book.tenant, book=book, provider_id=7000 + i, name=f"Klient {i:03d}", number=f"6{i:08d}"
        )
        for i in range(ENTRIES_PER_PAGE * 2 + 7)
    )
    client = login(viewer)
    book_url = url(book.tenant, "phonebook", book_id=book.pk)

    first = client.get(book_url)
    last = client.get(book_url, {"page": 3})

    assert [e.name for e in first.context["page"].object_list] == [
        f"Klient {i:03d}" for i in range(ENTRIES_PER_PAGE)
    ]
    assert "Strona 1 z 3" in first.content.decode() and 'href="?page=2"' in first.content.decode()
    assert len(last.context["page"].object_list) == 7 and "Klient 106" in last.content.decode()
    assert client.get(book_url, {"page": 99}).context["page"].number == 3  # beyond the end: the last page
    assert client.get(book_url, {"page": "x"}).context["page"].number == 1
    searched = client.get(book_url, {"q": "Klient 0"}).content.decode()  # 000 to 099
    assert "Strona 1 z 2" in searched and 'href="?q=Klient%200&amp;page=2"' in searched


def test_operator_adds_an_entry_inline(books, sandbox, login, operator):
    book = books[1]

    response = login(operator).post(
        url(book.tenant, "entry-add", book_id=book.pk),
        {"name": "Zofia Nowak", "number": "+48 601 000 111"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200 and "Zofia Nowak" in response.content.decode()
    entry = PhoneBookEntry.objects.get(book=book, name="Zofia Nowak")
    assert entry.number == "+48601000111" and entry.provider_id is not None
    assert ("Zofia Nowak", "+48601000111") in sandbox_entries(sandbox, 1)
    assert AuditEvent.objects.get(action="spikon.phonebook_entry.add").outcome == "success"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "", "number": "601000111"}, "To pole jest wymagane"),
        ({"name": "x" * 121, "number": "601000111"}, "co najwyżej 120 znaków"),
        ({"name": "Jan", "number": "abc"}, "cyfry"),
        ({"name": "Jan", "number": "1" * 26}, "najwyżej 25 znaków"),
    ],
)
def test_bad_entries_get_a_clear_error(books, sandbox, login, operator, data, error):
    book = books[1]
    response = login(operator).post(
        url(book.tenant, "entry-add", book_id=book.pk), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422 and error in response.content.decode()
    assert sandbox.request_count("/api/phone_book_element/add") == 0


def test_without_js_an_added_entry_redirects_back(books, login, operator):
    book = books[1]
    response = login(operator).post(
        url(book.tenant, "entry-add", book_id=book.pk), {"name": "Ala", "number": "600100200"}
    )
    assert response.status_code == 302 and response["Location"] == url(
        book.tenant, "phonebook", book_id=book.pk
    )


def test_operator_deletes_an_entry(books, sandbox, login, operator):
    book = books[1]
    entry = book.entries.first()

    response = login(operator).post(
        url(book.tenant, "entry-delete", book_id=book.pk, entry_id=entry.pk), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert not PhoneBookEntry.objects.filter(pk=entry.pk).exists()
    assert entry.provider_id not in sandbox._entries
    assert AuditEvent.objects.get(action="spikon.phonebook_entry.delete").changes["name"] == [
        entry.name,
        None,
    ]


def test_an_entry_already_gone_at_the_provider_goes_here_too(books, sandbox, login, operator):
    book = books[1]
    entry = book.entries.first()
    with sandbox._lock:
        del sandbox._entries[entry.provider_id]

    login(operator).post(url(book.tenant, "entry-delete", book_id=book.pk, entry_id=entry.pk))

    assert not PhoneBookEntry.objects.filter(pk=entry.pk).exists()


def test_an_entry_without_provider_id_cannot_be_deleted(books, sandbox, login, operator):
    book = books[1]
    entry = PhoneBookEntry.objects.create(tenant=book.tenant, book=book, name="Bez ID", number="600")
    response = login(operator).post(
        url(book.tenant, "entry-delete", book_id=book.pk, entry_id=entry.pk), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422 and "nie podał identyfikatora" in response.content.decode()
    assert PhoneBookEntry.objects.filter(pk=entry.pk).exists()


def test_an_entry_of_another_book_is_not_found(books, login, operator):
    entry = books[2].entries.first()
    response = login(operator).post(
        url(books[1].tenant, "entry-delete", book_id=books[1].pk, entry_id=entry.pk)
    )
    assert response.status_code == 404 and PhoneBookEntry.objects.filter(pk=entry.pk).exists()


def test_the_book_query_count_does_not_grow_with_entries(
    books, login, operator, django_assert_max_num_queries
):
    client = login(operator)
    book = books[1]
    with django_assert_max_num_queries(25) as few:
        client.get(url(book.tenant, "phonebook", book_id=book.pk))
    PhoneBookEntry.objects.bulk_create(
        PhoneBookEntry(
            tenant=book.tenant, book=book, provider_id=5000 + i, name=f"N{i}", number=f"600{i:06d}"
        )
        for i in range(80)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url(book.tenant, "phonebook", book_id=book.pk)).status_code == 200


def test_entry_changes_need_an_operator(books, login, viewer):
    book = books[1]
    entry = book.entries.first()
    client = login(viewer)
    assert (
        client.post(
            url(book.tenant, "entry-add", book_id=book.pk), {"name": "A", "number": "600"}
        ).status_code
        == 403
    )
    assert (
        client.post(url(book.tenant, "entry-delete", book_id=book.pk, entry_id=entry.pk)).status_code == 403
    )
    assert client.post(url(book.tenant, "phonebook-add"), {"name": "X"}).status_code == 403
    assert client.get(url(book.tenant, "entry-add", book_id=book.pk)).status_code in (403, 405)


def test_wrong_methods(books, login, operator):
    book = books[1]
    client = login(operator)
    assert client.get(url(book.tenant, "entry-add", book_id=book.pk)).status_code == 405
    assert client.get(url(book.tenant, "phonebook-add")).status_code == 405
    assert client.post(url(book.tenant, "phonebook", book_id=book.pk)).status_code == 405
    assert client.post(url(book.tenant, "phonebook-export", book_id=book.pk)).status_code == 405


# --- CSV export --------------------------------------------------------------------------------------------


def test_export_is_csv_a_spreadsheet_cannot_run(books, login, operator):
    book = books[1]
    for name, number in (('=HYPERLINK("http://x")', "601"), ("@SUM(A1)", "+48601000222"), ("-2+3", "602")):
        PhoneBookEntry.objects.create(tenant=book.tenant, book=book, name=name, number=number)

    response = login(operator).get(url(book.tenant, "phonebook-export", book_id=book.pk))

    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="klienci-vip-1.csv"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["nazwa", "numer"]
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert ['\'=HYPERLINK("http://x")', "601"] in rows and ["'@SUM(A1)", "'+48601000222"] in rows

    raw = login(operator).get(url(book.tenant, "phonebook-export", book_id=book.pk), {"variant": "raw"})
    assert 'filename="klienci-vip-1-raw.csv"' in raw["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(raw.streaming_content).decode("utf-8"))))
    assert rows[0] == ["name", "number"] and ["'@SUM(A1)", "'+48601000222"] in rows


def test_export_needs_an_operator(books, login, viewer):
    assert login(viewer).get(url(books[1].tenant, "phonebook-export", book_id=books[1].pk)).status_code == 403


# --- CSV import --------------------------------------------------------------------------------------------

GOOD_AND_BAD = (
    "nazwa;numer\n"
    "Zofia Nowak;601 000 111\n"
    ";601000112\n"  # no name
    "Adam Kowal;abc\n"  # not a number
    "Zofia Nowak bis;601000111\n"  # the same number again
    "'=Formuła;'+48601000113\n"  # as our export writes it
    "Dostawca;{existing}\n"  # already in the book
)


def upload(client, book, content: bytes, name: str = "kontakty.csv"):
    return client.post(
        url(book.tenant, "phonebook-import", book_id=book.pk),
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


def test_import_previews_then_adds_and_reports(
    books, sandbox, login, operator, django_capture_on_commit_callbacks
):
    client = login(operator)
    book = books[1]
    existing = book.entries.first().number

    response = upload(client, book, GOOD_AND_BAD.format(existing=existing).encode("cp1250"))

    job = PhoneBookImport.objects.get()
    assert response.status_code == 302 and response["Location"] == url(
        book.tenant, "phonebook-import-detail", import_id=job.pk
    )
    preview = client.get(response["Location"]).content.decode()
    assert "Dodaj 2 wpisy do „Klienci VIP”" in preview or "Dodaj 2 wpisy" in preview
    statuses = dict(job.rows.values_list("line", "status"))
    assert statuses == {2: "to_add", 3: "invalid", 4: "invalid", 5: "duplicate", 6: "to_add", 7: "duplicate"}
    assert "nazwa jest pusta" in preview and "cyfry" in preview
    assert sandbox.request_count("/api/phone_book_element/add") == 0  # nothing sent before the confirmation

    with django_capture_on_commit_callbacks() as callbacks:
        started = client.post(url(book.tenant, "phonebook-import-start", import_id=job.pk))
        again = client.post(url(book.tenant, "phonebook-import-start", import_id=job.pk))
    assert started.status_code == again.status_code == 302
    assert len(callbacks) == 1  # the second click started nothing
    tasks.run_phonebook_import(job.pk)  # what the worker does with the queued task

    job.refresh_from_db()
    assert (job.stage, job.poll_status) == ("done", "finished")
    assert sandbox.request_count("/api/phone_book_element/add") == 2
    assert ("=Formuła", "+48601000113") in sandbox_entries(sandbox, 1)
    assert PhoneBookEntry.objects.filter(book=book, name="Zofia Nowak", number="601000111").exists()
    report = client.get(url(book.tenant, "phonebook-import-detail", import_id=job.pk)).content.decode()
    assert (
        "2 wpisy dodane" in report and "2 duplikaty pominięte" in report and "2 wiersze z błędami" in report
    )
    event = AuditEvent.objects.get(action="spikon.phonebook.import")
    assert event.changes == {"entries": [None, 2]} and event.outcome == "success"


def test_why_a_line_is_not_imported_reads_in_the_viewers_language(books, login, operator):
    client = login(operator)
    book = books[1]
    existing = book.entries.first().number
    content = GOOD_AND_BAD.format(existing=existing).encode("cp1250")
    response = client.post(
        url(book.tenant, "phonebook-import", book_id=book.pk),
        {"file": SimpleUploadedFile("kontakty.csv", content, content_type="text/csv")},
        HTTP_ACCEPT_LANGUAGE="pl",  # uploaded by someone reading Polish
    )

    polish = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    english = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "nazwa jest pusta" in polish and "the name is empty" not in polish
    assert "ten numer jest już w książce" in polish
    assert "the name is empty" in english and "this number is already in the phonebook" in english


def test_import_rows_the_provider_refuses_are_reported(books, sandbox, login, operator):
    client = login(operator)
    book = books[1]
    upload(client, book, b"Jan;601000500\nEwa;601000501\n")
    job = PhoneBookImport.objects.get()
    client.post(url(book.tenant, "phonebook-import-start", import_id=job.pk))
    with sandbox._lock:
        del sandbox._books[1]  # the book was deleted in the SPIKON panel meanwhile

    tasks.run_phonebook_import(job.pk)

    rows = list(job.rows.values_list("status", flat=True))
    assert rows == ["failed", "failed"]
    assert "Could not find phonebook" in job.rows.first().message


def test_an_unreachable_provider_pauses_the_import_without_losing_rows(
    books, sandbox, login, operator, fast_timeouts
):
    client = login(operator)
    book = books[1]
    upload(client, book, b"Jan;601000500\nEwa;601000501\n")
    job = PhoneBookImport.objects.get()
    client.post(url(book.tenant, "phonebook-import-start", import_id=job.pk))
    sandbox.set_fault("/api/phone_book_element/add", "timeout", times=1)

    tasks.run_phonebook_import(job.pk)

    job.refresh_from_db()
    assert dict(job.rows.values_list("line", "status")) == {1: "unknown", 2: "to_add"}
    assert job.poll_status == "waiting" and job.next_poll_at is not None and job.last_error
    PhoneBookImport.objects.filter(pk=job.pk).update(next_poll_at=job.created_at)
    tasks.run_phonebook_import(job.pk)
    assert dict(job.rows.values_list("line", "status")) == {1: "unknown", 2: "added"}
    assert sandbox.request_count("/api/phone_book_element/add") == 2  # the unknown row was not sent again


def test_a_dead_worker_leaves_its_row_unknown_and_the_sweeper_resumes(books, sandbox, login, operator):
    client = login(operator)
    book = books[1]
    upload(client, book, b"Jan;601000500\nEwa;601000501\n")
    job = PhoneBookImport.objects.get()
    client.post(url(book.tenant, "phonebook-import-start", import_id=job.pk))
    # A worker claimed the job, marked the first row "sending" and died: its claim has run out.
    claimed = PhoneBookImport.claim(job.pk)
    job.rows.filter(line=1).update(status=PhoneBookImportRow.Status.SENDING)
    PhoneBookImport.objects.filter(pk=job.pk).update(claimed_until=claimed.last_polled_at)

    assert job.pk in PhoneBookImport.overdue().values_list("pk", flat=True)
    tasks.run_phonebook_import(job.pk)

    assert dict(job.rows.values_list("line", "status")) == {1: "unknown", 2: "added"}
    assert sandbox.request_count("/api/phone_book_element/add") == 1


def test_import_can_be_cancelled_before_it_starts(books, sandbox, login, operator):
    client = login(operator)
    book = books[1]
    upload(client, book, b"Jan;601000500\n")
    job = PhoneBookImport.objects.get()

    response = client.post(url(book.tenant, "phonebook-import-cancel", import_id=job.pk))

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.stage == "cancelled"
    client.post(url(book.tenant, "phonebook-import-start", import_id=job.pk))
    tasks.run_phonebook_import(job.pk)
    assert sandbox.request_count("/api/phone_book_element/add") == 0


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", "Wysłany plik jest pusty"),
        (b"\x00\x01\x02binary", "nie jest plikiem CSV"),
        (b"nazwa;numer\n", "nie ma wpisów"),
        (b"\xff\xfe\x00b\x00a\x00d", "nie jest plikiem CSV"),
        (b"x;601000000\n" * 5002, "więcej niż 5000"),
    ],
)
def test_bad_files_get_a_clear_error(books, login, operator, content, error):
    response = upload(login(operator), books[1], content)
    assert response.status_code == 400 and error in response.content.decode()
    assert not PhoneBookImport.objects.exists()


def test_a_too_large_file_is_refused(books, login, operator):
    response = upload(login(operator), books[1], b"x" * (1024 * 1024 + 1))
    assert response.status_code == 400 and "większy niż 1 MB" in response.content.decode()


def test_the_progress_poll_stops_when_the_import_is_done(books, login, operator):
    client = login(operator)
    book = books[1]
    upload(client, book, b"Jan;601000500\n")
    job = PhoneBookImport.objects.get()
    client.post(url(book.tenant, "phonebook-import-start", import_id=job.pk))
    detail = url(book.tenant, "phonebook-import-detail", import_id=job.pk)
    polling = client.get(detail, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="import-progress")
    assert polling.status_code == 200 and 'hx-trigger="every 2s"' in polling.content.decode()

    tasks.run_phonebook_import(job.pk)

    done = client.get(detail, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="import-progress")
    assert done.status_code == 286 and "every 2s" not in done.content.decode()


def test_another_tenants_import_is_not_found(books, other_tenant, login, operator):
    foreign_book = PhoneBook.objects.create(tenant=other_tenant, provider_id=1, name="Cudza")
    job = PhoneBookImport.objects.create(tenant=other_tenant, book=foreign_book, file_name="x.csv")
    client = login(operator)
    tenant = books[0].tenant
    assert client.get(url(tenant, "phonebook-import-detail", import_id=job.pk)).status_code == 404
    assert client.post(url(tenant, "phonebook-import-start", import_id=job.pk)).status_code == 404
    assert client.post(url(tenant, "phonebook-import-cancel", import_id=job.pk)).status_code == 404


def test_hostile_names_are_escaped_on_the_book_page(spikon_account, sandbox, login, viewer):
    sandbox.seed_demo(hostile=True)
    sync.sync_phonebooks(spikon_account.tenant_id)
    book = PhoneBook.objects.get(provider_id=2)
    page = login(viewer).get(url(book.tenant, "phonebook", book_id=book.pk)).content.decode()
    assert HOSTILE_SCRIPT not in page and "&lt;script&gt;" in page


def test_duplicates_say_where_the_number_already_is(books):
    book = books[1]
    existing = book.entries.first().number
    rows = classify_rows(book, [(1, ["A", existing]), (2, ["B", "601000900"]), (3, ["C", "601 000 900"])])
    assert [(row.status, shown(row.message)) for row in rows] == [
        ("duplicate", "ten numer jest już w książce"),
        ("to_add", ""),
        ("duplicate", "ten numer jest już we wcześniejszym wierszu"),
    ]
