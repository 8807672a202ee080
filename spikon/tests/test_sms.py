"""SMS: compose (review, then send once per form), the log with delivery states, and the counting rules."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from providers.formatting import phone
from providers.once import new_action_key
from spikon import sync, tasks
from spikon.forms import sms_parts
from spikon.models import PhoneBook, PhoneBookEntry, SmsBatch, SmsMessage

pytestmark = pytest.mark.django_db
SEND = "/api/sms/send"


def url(tenant, name: str = "spikon:sms-send") -> str:
    return reverse(name, kwargs={"tenant_slug": tenant.slug})


def compose(recipients: str = "601 000 111", message: str = "Dzień dobry", **extra) -> dict[str, object]:
    return {
        "form_key": new_action_key(),
        "sender": "INFO",
        "recipients": recipients,
        "message": message,
        **extra,
    }


def review_and_send(client, tenant, data: dict[str, object]):
    """What the operator does: Check, then Send with the digest the check gave."""
    review = client.post(url(tenant), {**data, "action": "review"})
    assert review.status_code == 200, review.content.decode()[:2000]
    digest = re.search(r'name="reviewed" value="([0-9a-f]+)"', review.content.decode()).group(1)
    return client.post(url(tenant), {**data, "action": "send", "reviewed": digest})


# --- counting ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("GSM-7", 0, 0)),
        ("a" * 160, ("GSM-7", 160, 1)),
        ("a" * 161, ("GSM-7", 161, 2)),
        ("a" * 918, ("GSM-7", 918, 6)),
        ("€" * 80, ("GSM-7", 160, 1)),  # an extension character takes two septets
        ("€" * 81, ("GSM-7", 162, 2)),
        ("ż" * 70, ("Unicode", 70, 1)),
        ("ż" * 71, ("Unicode", 71, 2)),
        ("Zażółć gęślą jaźń", ("Unicode", 17, 1)),
        ("🙂" * 35, ("Unicode", 70, 1)),  # an emoji takes two UTF-16 units
        ("line\nbreak", ("GSM-7", 10, 1)),
    ],
)
def test_sms_parts(text, expected):
    assert sms_parts(text) == expected


# --- compose -----------------------------------------------------------------------------------------------


def test_review_shows_what_it_costs_before_anything_is_sent(spikon_account, sandbox, login, operator):
    response = login(operator).post(
        url(spikon_account.tenant), {**compose("601000111, 601000112", "ż" * 71), "action": "review"}
    )
    page = " ".join(response.content.decode().split())
    assert response.status_code == 200
    assert "2 odbiorców × 2 części SMS = " in page and "4 SMS do opłacenia" in page
    assert "Wyślij 4 SMS" in page
    assert sandbox.request_count(SEND) == 0


@pytest.mark.parametrize(
    ("length", "said"), [(1, "1 znak,"), (63, "63 znaki,"), (65, "65 znaków,"), (112, "112 znaków,")]
)
def test_the_review_counts_characters_in_polish_plural_forms(spikon_account, login, operator, length, said):
    response = login(operator).post(
        url(spikon_account.tenant), {**compose("601000111", "a" * length), "action": "review"}
    )
    assert said in " ".join(response.content.decode().split())


def test_operator_sends_one_message_per_recipient(
    spikon_account, sandbox, login, operator, django_capture_on_commit_callbacks
):
    client = login(operator)
    with django_capture_on_commit_callbacks(execute=False) as nudges:
        response = review_and_send(
            client, spikon_account.tenant, compose("601000111\n+48 601 000 112\n601000111")
        )

    batch = SmsBatch.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"?batch={batch.pk}")
    assert sandbox.request_count(SEND) == 2  # the repeated number once
    rows = list(batch.messages.order_by("id"))
    assert [(m.recipient, m.send_status, m.poll_status) for m in rows] == [
        ("601000111", "accepted", "waiting"),
        ("601000112", "accepted", "waiting"),
    ]
    assert all(m.provider_id and m.next_poll_at for m in rows)
    assert len(nudges) == 2  # each accepted message's first poll is queued
    event = AuditEvent.objects.get(action="spikon.sms.send")
    assert event.outcome == "success" and event.changes["recipients"] == [None, 2]
    log = client.get(response["Location"]).content.decode()
    assert phone("601000112") in log and "Dzień dobry" in log and "przyjęta, czeka na pierwszy stan" in log


def test_recipients_picked_from_a_phonebook_carry_their_names(spikon_account, sandbox, login, operator):
    sync.sync_phonebooks(spikon_account.tenant_id)
    entry = PhoneBookEntry.objects.filter(book__provider_id=1).first()
    client = login(operator)

    review_and_send(client, spikon_account.tenant, compose("", entries=[entry.pk]))

    message = SmsMessage.objects.get()
    assert (message.recipient, message.recipient_name) == (entry.number, entry.name)


def test_the_picker_lists_a_books_entries_and_keeps_the_picked_ones(spikon_account, login, operator):
    sync.sync_phonebooks(spikon_account.tenant_id)
    vip = PhoneBook.objects.get(provider_id=1)
    supplier = PhoneBookEntry.objects.filter(book__provider_id=2).first()
    client = login(operator)

    partial = client.get(
        url(spikon_account.tenant, "spikon:sms-picker"), {"book": vip.pk, "entries": [supplier.pk]}
    )

    html = partial.content.decode()
    assert all(entry.name in html for entry in vip.entries.all())
    assert f'value="{supplier.pk}" checked' in html
    without_js = client.post(url(spikon_account.tenant), {**compose(""), "book": vip.pk, "action": "pick"})
    assert without_js.status_code == 200 and vip.entries.first().name in without_js.content.decode()


def test_add_every_number_of_a_book(spikon_account, login, operator):
    sync.sync_phonebooks(spikon_account.tenant_id)
    vip = PhoneBook.objects.get(provider_id=1)
    response = login(operator).post(
        url(spikon_account.tenant), {**compose("601000999"), "book": vip.pk, "action": "add-book"}
    )
    html = response.content.decode()
    assert "601000999" in html and all(
        number in html for number in vip.entries.values_list("number", flat=True)
    )


def test_a_double_submit_sends_once(spikon_account, sandbox, login, operator):
    client = login(operator)
    data = compose("601000111")
    first = review_and_send(client, spikon_account.tenant, data)
    second = review_and_send(client, spikon_account.tenant, data)

    assert sandbox.request_count(SEND) == 1
    assert SmsBatch.objects.count() == 1 and SmsMessage.objects.count() == 1
    assert second["Location"] == first["Location"]
    assert "nic nie wysłano ponownie" in client.get(second["Location"]).content.decode()


def test_sending_needs_the_reviewed_content(spikon_account, sandbox, login, operator):
    client = login(operator)
    data = compose("601000111", "Pierwsza wersja")
    review = client.post(url(spikon_account.tenant), {**data, "action": "review"})
    digest = re.search(r'name="reviewed" value="([0-9a-f]+)"', review.content.decode()).group(1)

    changed = client.post(
        url(spikon_account.tenant), {**data, "message": "Inna treść", "action": "send", "reviewed": digest}
    )

    assert changed.status_code == 200 and "Formularz zmienił się" in changed.content.decode()
    assert sandbox.request_count(SEND) == 0


def test_a_timeout_is_unknown_and_the_rest_is_not_sent(
    spikon_account, sandbox, login, operator, fast_timeouts
):
    sandbox.set_fault(SEND, "timeout", times=1)
    client = login(operator)

    response = review_and_send(client, spikon_account.tenant, compose("601000111, 601000112"))

    assert sandbox.request_count(SEND) == 1
    rows = list(SmsMessage.objects.order_by("id"))
    assert [(m.send_status, m.poll_status) for m in rows] == [("unknown", "failed"), ("not_sent", "failed")]
    log = client.get(response["Location"])
    page = log.content.decode()
    assert "nieznany — sprawdź stan" in page and "nie wysłano" in page
    assert "Wyślij ponownie" in page  # an explicit new submission, never a silent resend
    assert AuditEvent.objects.get(action="spikon.sms.send").outcome == "failure"


def test_a_refused_key_stops_the_batch(spikon_account, sandbox, login, operator):
    sandbox.set_fault(SEND, "auth", times=1)
    # An authentication refusal stops the batch: the key is wrong for every message.
    review_and_send(login(operator), spikon_account.tenant, compose("601000111, 601000112"))
    assert [m.send_status for m in SmsMessage.objects.order_by("id")] == ["refused", "not_sent"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (compose(""), "Podaj co najmniej jednego odbiorcę"),
        (compose("12345"), "nie jest polskim numerem 9 cyfr"),
        (compose("601000111", ""), "To pole jest wymagane"),
        (compose("601000111", "   "), "Wpisz treść wiadomości"),
        (compose("601000111", "a" * 919), "Wiadomość ma 919 znaków"),
        (compose("601000111", sender="HACKER"), "Wybierz poprawną wartość"),
        (compose(", ".join(f"601{i:06d}" for i in range(101))), "Najwyżej 100 odbiorców"),
        ({**compose(), "form_key": "short"}, "Ten formularz jest uszkodzony"),
    ],
)
def test_bad_input_gets_a_clear_error(spikon_account, sandbox, login, operator, data, error):
    response = login(operator).post(url(spikon_account.tenant), {**data, "action": "send", "reviewed": "x"})
    assert response.status_code == 400 and error in response.content.decode()
    assert sandbox.request_count(SEND) == 0


def test_crlf_counts_as_one_character(spikon_account, sandbox, login, operator):
    text = ("a" * 458 + "\r\n") * 2  # 918 characters once the line breaks are one each
    review_and_send(login(operator), spikon_account.tenant, compose("601000111", text))
    assert SmsBatch.objects.get().text == text.replace("\r\n", "\n")


def test_an_entry_of_another_tenant_cannot_be_picked(spikon_account, other_tenant, sandbox, login, operator):
    book = PhoneBook.objects.create(tenant=other_tenant, provider_id=1, name="Cudza")
    foreign = PhoneBookEntry.objects.create(tenant=other_tenant, book=book, name="Obcy", number="601000777")
    response = login(operator).post(
        url(spikon_account.tenant), {**compose(""), "entries": [foreign.pk], "action": "review"}
    )
    assert response.status_code == 400 and "Obcy" not in response.content.decode()
    picker = login(operator).get(
        url(spikon_account.tenant, "spikon:sms-picker"), {"book": book.pk, "entries": [foreign.pk]}
    )
    assert "Obcy" not in picker.content.decode()


def test_send_again_prefills_an_earlier_message(spikon_account, login, operator):
    batch = SmsBatch.objects.create(tenant=spikon_account.tenant, sender="OFERTA", text="Promocja!")
    message = SmsMessage.objects.create(tenant=spikon_account.tenant, batch=batch, recipient="601000111")
    page = login(operator).get(url(spikon_account.tenant), {"again": message.pk}).content.decode()
    assert "Promocja!" in page and "601000111" in page and '<option value="OFERTA" selected>' in page


def test_without_an_account_nothing_is_sent(tenant, login, operator):
    response = login(operator).post(url(tenant), {**compose(), "action": "review"})
    assert response.status_code == 400 and "nie ma jeszcze klucza API" in response.content.decode()


def test_sending_needs_an_operator_and_the_log_a_member(spikon_account, login, viewer, outsider):
    tenant = spikon_account.tenant
    assert login(viewer).get(url(tenant)).status_code == 403
    assert login(viewer).post(url(tenant), compose()).status_code == 403
    assert login(viewer).get(url(tenant, "spikon:sms-picker")).status_code == 403
    assert login(viewer).get(url(tenant, "spikon:sms-log")).status_code == 200
    assert login(outsider).get(url(tenant, "spikon:sms-log")).status_code == 404
    assert login(outsider).get(url(tenant)).status_code == 404


def test_wrong_methods(spikon_account, login, operator):
    client = login(operator)
    assert client.post(url(spikon_account.tenant, "spikon:sms-log")).status_code == 405
    assert client.post(url(spikon_account.tenant, "spikon:sms-picker")).status_code == 405
    assert client.put(url(spikon_account.tenant)).status_code == 405


# --- the log -----------------------------------------------------------------------------------------------


def make_message(tenant, **fields) -> SmsMessage:
    batch = SmsBatch.objects.create(tenant=tenant, sender="SMS", text="Test")
    return SmsMessage.objects.create(tenant=tenant, batch=batch, recipient="601000111", **fields)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"send_status": "accepted", "delivery": 5, "poll_status": "finished"}, "doręczona"),
        ({"send_status": "accepted", "delivery": 3, "poll_status": "finished"}, "niedoręczona"),
        ({"send_status": "accepted", "delivery": -1, "poll_status": "finished"}, "brak środków"),
        (
            {
                "send_status": "accepted",
                "delivery": 2,
                "poll_status": "finished",
                "delivery_error": "Odrzucona",
            },
            "błąd",
        ),
        ({"send_status": "accepted", "delivery": 1, "poll_status": "waiting"}, "w obsłudze"),
        ({"send_status": "accepted", "delivery": 4, "poll_status": "failed"}, "brak stanu końcowego"),
        ({"send_status": "unknown", "poll_status": "failed"}, "nieznany — sprawdź stan"),
    ],
)
def test_the_log_says_each_state_in_words(spikon_account, login, viewer, fields, words):
    make_message(spikon_account.tenant, **fields)
    assert words in login(viewer).get(url(spikon_account.tenant, "spikon:sms-log")).content.decode()


def test_the_log_in_english(spikon_account, login, viewer):
    make_message(spikon_account.tenant, send_status="accepted", delivery=5, poll_status="finished")
    page = (
        login(viewer)
        .get(url(spikon_account.tenant, "spikon:sms-log"), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "delivered" in page


def test_the_log_polls_until_every_shown_message_is_final(spikon_account, login, viewer):
    client = login(viewer)
    message = make_message(spikon_account.tenant, send_status="accepted", delivery=1, poll_status="waiting")
    log_url = url(spikon_account.tenant, "spikon:sms-log")

    page = client.get(log_url).content.decode()
    assert 'hx-trigger="every 3s"' in page
    still = client.get(log_url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="sms-log")
    assert still.status_code == 200 and "w obsłudze" in still.content.decode()

    SmsMessage.objects.filter(pk=message.pk).update(delivery=5, poll_status="finished")
    final = client.get(log_url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="sms-log")
    assert final.status_code == 286 and "doręczona" in final.content.decode()
    assert "every 3s" not in final.content.decode()


def test_a_send_whose_request_died_is_settled_as_unknown(spikon_account):
    long_ago = timezone.now() - timedelta(minutes=10)
    sending = make_message(spikon_account.tenant, send_status="sending", sent_at=long_ago)
    queued = make_message(spikon_account.tenant, send_status="queued")
    SmsMessage.objects.filter(pk=queued.pk).update(created_at=long_ago)
    assert sending.shown_send_status == "unknown"

    tasks.settle_abandoned_sends()

    sending.refresh_from_db()
    queued.refresh_from_db()
    assert (sending.send_status, sending.poll_status) == ("unknown", "failed")
    assert (queued.send_status, queued.poll_status) == ("not_sent", "failed")


def test_the_log_query_count_does_not_grow_with_messages(
    spikon_account, login, viewer, django_assert_max_num_queries
):
    client = login(viewer)
    make_message(spikon_account.tenant)
    with django_assert_max_num_queries(15) as few:
        client.get(url(spikon_account.tenant, "spikon:sms-log"))
    for _ in range(30):
        make_message(spikon_account.tenant, send_status="accepted", delivery=5, poll_status="finished")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url(spikon_account.tenant, "spikon:sms-log")).status_code == 200


def test_the_log_hides_other_tenants_messages(spikon_account, other_tenant, login, viewer):
    foreign = make_message(other_tenant)
    SmsMessage.objects.filter(pk=foreign.pk).update(recipient="609999999")
    client = login(viewer)
    page = client.get(url(spikon_account.tenant, "spikon:sms-log")).content.decode()
    assert "609999999" not in page
    filtered = client.get(
        url(spikon_account.tenant, "spikon:sms-log"), {"batch": foreign.batch_id}
    ).content.decode()
    assert "609999999" not in filtered


def test_ids_too_large_for_the_database_are_bad_input_not_errors(spikon_account, login, operator):
    client = login(operator)
    huge = "9" * 25
    form = client.post(url(spikon_account.tenant), {**compose(""), "entries": [huge], "action": "review"})
    assert form.status_code == 400 and "nie jest poprawną wartością" in form.content.decode()
    picker = client.get(url(spikon_account.tenant, "spikon:sms-picker"), {"book": huge, "entries": [huge]})
    assert picker.status_code == 200
    for name, params in (("spikon:sms-send", {"again": huge}), ("spikon:sms-log", {"batch": huge})):
        assert client.get(url(spikon_account.tenant, name), params).status_code == 200
