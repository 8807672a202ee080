"""SPIKON phonebooks in the browser: add a book and entries, delete an entry, import a CSV file with a bad
row (added by a real worker), delete the book."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEvent, Role, Tenant
from conftest import make_member
from provider_api.wsgi_server import serve_in_thread
from spikon.models import PhoneBook, PhoneBookEntry, SpikonAccount
from spikon.sandbox import DEMO_API_KEY, demo_app
from spikon.sync import sync_phonebooks
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def served():
    sandbox = demo_app()
    with serve_in_thread(sandbox) as url:
        yield sandbox, url


@pytest.fixture
def tenant_with_account(transactional_db, served):
    tenant = Tenant.objects.create(slug="spikon-e2e", name="Firma SPIKON")
    SpikonAccount.objects.create(tenant=tenant, api_key=DEMO_API_KEY, base_url=served[1])
    sync_phonebooks(tenant.pk)
    return tenant


def sandbox_names(sandbox, book_id: int) -> set[str]:
    with sandbox._lock:
        return {name for book, name, _number in sandbox._entries.values() if book == book_id}


@pytest.mark.worker
def test_books_entries_and_a_csv_import(
    live_server, watched_page, served, tenant_with_account, real_worker, tmp_path
):
    sandbox = served[0]
    page = watched_page
    tenant = tenant_with_account
    operator = make_member(tenant, "ola-operator", Role.OPERATOR)
    log_in(page, live_server, operator)
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(f"{live_server.url}/t/{tenant.slug}/spikon/phonebooks/")
    expect(page.locator("main table")).to_contain_text("Klienci VIP")

    # A new book.
    page.fill("input[name=name]", "Partnerzy")
    page.get_by_role("button", name="Dodaj książkę").click()
    page.wait_for_url("**/spikon/phonebooks/*/")
    book = PhoneBook.objects.get(tenant=tenant, name="Partnerzy")
    expect(page.locator("h1")).to_contain_text("Partnerzy")

    # Two entries, each added in place; one deleted again.
    for name, number in (("Zofia Nowak", "601 000 111"), ("Adam Kowal", "+48 601 000 222")):
        page.fill("#entries input[name=name]", name)
        page.fill("#entries input[name=number]", number)
        page.locator("#entries button[type=submit]", has_text="Dodaj wpis").click()
        expect(page.locator("#entry-list")).to_contain_text(name)
    assert sandbox_names(sandbox, book.provider_id) == {"Zofia Nowak", "Adam Kowal"}
    adam = PhoneBookEntry.objects.get(book=book, name="Adam Kowal")
    page.locator(f"#entry-{adam.pk} button", has_text="Usuń").click()
    expect(page.locator(f"#entry-{adam.pk}")).to_have_count(0)
    assert sandbox_names(sandbox, book.provider_id) == {"Zofia Nowak"}

    # Search in place.
    page.fill("input[name=q]", "zof")
    expect(page.locator("#entry-list tbody tr")).to_have_count(1)

    # A CSV import with a bad row: previewed, then added by the worker, then reported.
    csv_file = tmp_path / "kontakty.csv"
    csv_file.write_text(
        "nazwa;numer\nJan Wiśniewski;602 000 333\nBez numeru;\nZofia Nowak;601000111\n", encoding="utf-8"
    )
    page.get_by_role("button", name="Import z CSV").click()
    page.set_input_files("input[type=file]", str(csv_file))
    page.get_by_role("button", name="Podgląd").click()
    expect(page.locator("#import-progress")).to_contain_text("numer jest pusty")
    expect(page.locator("#import-progress")).to_contain_text("duplikat")
    page.get_by_role("button", name="Dodaj 1 wpis do „Partnerzy”").click()
    expect(page.locator("#import-progress")).to_contain_text("1 wpis dodany", timeout=30_000)
    expect(page.locator("#import-progress")).to_contain_text("Zakończono")
    assert sandbox_names(sandbox, book.provider_id) == {"Zofia Nowak", "Jan Wiśniewski"}

    # Delete the book: the button stays disabled until the name is typed.
    page.goto(f"{live_server.url}/t/{tenant.slug}/spikon/phonebooks/{book.pk}/delete/")
    page.fill("input[name=confirm]", "Partner")
    expect(page.locator("button[data-confirm-button]")).to_be_disabled()
    page.fill("input[name=confirm]", "Partnerzy")
    page.locator("button[data-confirm-button]").click()
    page.wait_for_url("**/spikon/phonebooks/")
    assert not PhoneBook.objects.filter(pk=book.pk).exists()
    assert book.provider_id not in sandbox._books
    assert AuditEvent.objects.filter(tenant=tenant, action="spikon.phonebook.delete").exists()

    assert page.problems == [] and page.csp_violations() == []
