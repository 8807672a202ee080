"""The subaccount list, one subaccount's page, its limits and deleting it, against the sandbox over HTTP."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, SyncStatus
from sms.models import Subaccount, SubaccountLimit
from sms.sandbox import DEMO_TOKEN
from sms.sync import sync_subaccounts

LIMIT = "/subaccounts/limit.json"
DELETE = "/subaccounts/delete.json"


def index_url(tenant) -> str:
    return reverse("sms:index", kwargs={"tenant_slug": tenant.slug})


def sub_url(tenant, subaccount: Subaccount, name: str = "sms:subaccount") -> str:
    return reverse(name, kwargs={"tenant_slug": tenant.slug, "subaccount_id": subaccount.pk})


def sub(tenant, provider_id: int) -> Subaccount:
    return Subaccount.objects.get(tenant=tenant, provider_id=provider_id)


# --- the list --------------------------------------------------------------------------------------------


def test_the_list_shows_every_column_to_a_viewer(login, tenant, viewer, synced):
    response = login(viewer).get(index_url(tenant))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("1194", "wojtek", "Wojciech Kowalski", "+48730856000", "wojtek@example.pl", "Last synced"):
        assert text in page
    assert reverse("sms:subaccount-create", kwargs={"tenant_slug": tenant.slug}) not in page
    assert reverse("sms:account", kwargs={"tenant_slug": tenant.slug}) not in page


def test_the_list_offers_admins_creation_and_the_account_page(login, tenant, tenant_admin, synced):
    page = login(tenant_admin).get(index_url(tenant)).content.decode()
    assert reverse("sms:subaccount-create", kwargs={"tenant_slug": tenant.slug}) in page
    assert reverse("sms:account", kwargs={"tenant_slug": tenant.slug}) in page


def test_the_list_without_an_account_says_how_to_set_it_up(login, tenant, tenant_admin, viewer):
    page = login(tenant_admin).get(index_url(tenant)).content.decode()
    assert (
        "No SerwerSMS.pl account" in page
        and reverse("sms:account", kwargs={"tenant_slug": tenant.slug}) in page
    )
    assert "An admin can set it up" in login(viewer).get(index_url(tenant)).content.decode()


def test_the_list_hides_other_tenants_subaccounts(login, tenant, other_tenant, viewer, synced):
    Subaccount.objects.create(tenant=other_tenant, provider_id=7777, login="cudzy-login")
    page = login(viewer).get(index_url(tenant)).content.decode()
    assert "cudzy-login" not in page and "7777" not in page


def test_provider_markup_is_escaped(login, tenant, viewer, sms_account, sandbox):
    sandbox.seed_demo(hostile=True)
    sync_subaccounts(tenant.pk)
    page = login(viewer).get(index_url(tenant)).content.decode()
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    detail = login(viewer).get(sub_url(tenant, sub(tenant, 1215))).content.decode()
    assert "<b>Małgorzata</b>" not in detail and "&lt;b&gt;Małgorzata&lt;/b&gt;" in detail


def test_the_list_shows_a_failing_sync(login, tenant, viewer, synced, sandbox):
    sandbox.set_fault("/subaccounts/index.json", "500")
    sync_subaccounts(tenant.pk)
    page = login(viewer).get(index_url(tenant)).content.decode()
    assert "Provider not answering since" in page and "wojtek" in page


def test_search_filters_the_list_and_swaps_it_under_htmx(login, tenant, viewer, synced):
    client = login(viewer)
    page = client.get(index_url(tenant), {"q": "kraków"}).content.decode()
    assert "biuro.krakow" in page and "wojtek" not in page
    partial = client.get(
        index_url(tenant), {"q": "1233"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="subaccount-list"
    )
    text = partial.content.decode()
    assert "sklep-gdansk" in text and "wojtek" not in text and "<html" not in text
    assert "No subaccount matches" in client.get(index_url(tenant), {"q": "zzz"}).content.decode()


def test_the_list_pages_newest_first(login, tenant, viewer, sms_account, monkeypatch):
    monkeypatch.setattr("sms.views.subaccounts.PER_PAGE", 2)
    for provider_id in range(1, 6):
        Subaccount.objects.create(tenant=tenant, provider_id=provider_id, login=f"konto{provider_id}")
    client = login(viewer)
    first = client.get(index_url(tenant))
    assert first.context["page"].items[0].login == "konto5"
    cursor = first.context["page"].next_cursor
    second = client.get(index_url(tenant), {"after": cursor})
    assert [row.login for row in second.context["page"].items] == ["konto3", "konto2"]
    assert client.get(index_url(tenant), {"after": "!!nonsense"}).status_code == 200


def test_the_list_query_count_does_not_grow_with_rows(
    login, tenant, viewer, sms_account, django_assert_max_num_queries
):
    client = login(viewer)
    Subaccount.objects.bulk_create(
        Subaccount(tenant=tenant, provider_id=i, login=f"k{i}", name="n", phone="1", email="e@x.pl")
        for i in range(3)
    )
    client.get(index_url(tenant))  # the first view makes the sync status row
    with django_assert_max_num_queries(10) as few:
        client.get(index_url(tenant))
    Subaccount.objects.bulk_create(
        Subaccount(tenant=tenant, provider_id=i, login=f"k{i}") for i in range(100, 160)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(index_url(tenant)).context["page"].items) == 50


# --- one subaccount ----------------------------------------------------------------------------------------


def test_the_subaccount_page_shows_details_and_no_limits_yet(login, tenant, viewer, synced):
    response = login(viewer).get(sub_url(tenant, sub(tenant, 1194)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Wojciech Kowalski" in page and "not set from this dashboard" in page
    assert "Set limit" not in page and "Delete subaccount" not in page


def test_another_tenants_subaccount_is_not_found(login, tenant, other_tenant, tenant_admin, synced, sandbox):
    theirs = Subaccount.objects.create(tenant=other_tenant, provider_id=1194, login="wojtek")
    client = login(tenant_admin)
    assert client.get(sub_url(tenant, theirs)).status_code == 404
    assert (
        client.post(
            sub_url(tenant, theirs, "sms:subaccount-limit"), {"message_type": "eco", "value": 5}
        ).status_code
        == 404
    )
    assert (
        client.post(sub_url(tenant, theirs, "sms:subaccount-delete"), {"confirm_login": "wojtek"}).status_code
        == 404
    )
    assert sandbox.request_count(LIMIT) == 0 and sandbox.request_count(DELETE) == 0
    assert Subaccount.objects.filter(pk=theirs.pk).exists()


def test_an_unknown_subaccount_id_is_not_found(login, tenant, viewer):
    assert login(viewer).get(f"/t/{tenant.slug}/sms/subaccounts/999999/").status_code == 404
    assert login(viewer).get(f"/t/{tenant.slug}/sms/subaccounts/abc/").status_code == 404


# --- limits -------------------------------------------------------------------------------------------------


def test_admin_sets_two_limits_and_the_page_shows_what_when_and_who(
    login, tenant, tenant_admin, synced, sandbox
):
    wojtek = sub(tenant, 1194)
    client = login(tenant_admin)
    first = client.post(
        sub_url(tenant, wojtek, "sms:subaccount-limit"), {"message_type": "eco", "value": "250"}
    )
    assert first.status_code == 302
    second = client.post(
        sub_url(tenant, wojtek, "sms:subaccount-limit"),
        {"message_type": "mms", "value": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert second.status_code == 200
    assert 'id="limits"' in second.content.decode() and "<html" not in second.content.decode()
    assert sandbox.limits(1194) == {"eco": 250, "full": 500, "mms": 0}
    saved = {limit.message_type: limit for limit in SubaccountLimit.objects.filter(subaccount=wojtek)}
    assert saved["eco"].value == 250 and saved["mms"].value == 0
    assert saved["eco"].set_by == tenant_admin and saved["eco"].set_at <= timezone.now()
    page = client.get(sub_url(tenant, wojtek)).content.decode()
    assert "250" in page and tenant_admin.username in page
    events = AuditEvent.objects.filter(action="sms.subaccount.limit").order_by("id")
    assert [event.changes for event in events] == [{"limit eco": [None, 250]}, {"limit mms": [None, 0]}]


def test_changing_a_limit_records_the_previous_value(login, tenant, tenant_admin, synced):
    wojtek = sub(tenant, 1194)
    client = login(tenant_admin)
    for value in ("10", "20"):
        client.post(sub_url(tenant, wojtek, "sms:subaccount-limit"), {"message_type": "full", "value": value})
    assert SubaccountLimit.objects.get(subaccount=wojtek, message_type="full").value == 20
    assert AuditEvent.objects.filter(action="sms.subaccount.limit").first().changes == {
        "limit full": [10, 20]
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"message_type": "eco", "value": "-1"}, "greater than or equal to 0"),
        ({"message_type": "eco", "value": "dużo"}, "Enter a whole number"),
        ({"message_type": "eco", "value": "100000001"}, "less than or equal to"),
        ({"message_type": "fax", "value": "5"}, "Select a valid choice"),
        ({}, "This field is required"),
    ],
)
def test_bad_limits_are_refused_before_the_provider(
    login, tenant, tenant_admin, synced, sandbox, data, message
):
    response = login(tenant_admin).post(sub_url(tenant, sub(tenant, 1194), "sms:subaccount-limit"), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert sandbox.request_count(LIMIT) == 0 and not SubaccountLimit.objects.exists()


def test_a_limit_for_a_subaccount_gone_at_the_provider_is_shown_inline(
    login, tenant, tenant_admin, synced, sandbox, django_capture_on_commit_callbacks
):
    wojtek = sub(tenant, 1194)
    synced.client(in_request=False).delete(1194)
    with django_capture_on_commit_callbacks() as callbacks:
        response = login(tenant_admin).post(
            sub_url(tenant, wojtek, "sms:subaccount-limit"),
            {"message_type": "eco", "value": "5"},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 422
    text = response.content.decode()
    assert "The provider does not know this item" in text and "success: false" in text
    assert not SubaccountLimit.objects.exists()
    event = AuditEvent.objects.get(action="sms.subaccount.limit")
    assert event.outcome == "failure" and "success: false" in event.message
    assert len(callbacks) == 1  # a sync to correct the list


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("auth", "1001 InvalidUser: Nieprawidłowy użytkownik lub hasło"),
        ("500", "server answered with an error. The outcome is unknown — check whether it was done"),
        ("timeout", "did not answer in time. The outcome is unknown — check whether it was done"),
    ],
)
def test_provider_failures_on_limits_are_shown_inline(
    login, tenant, tenant_admin, synced, sandbox, fault, words
):
    sandbox.set_fault(LIMIT, fault, times=1)
    response = login(tenant_admin).post(
        sub_url(tenant, sub(tenant, 1194), "sms:subaccount-limit"), {"message_type": "hlr", "value": "7"}
    )
    assert response.status_code == 422 and words in response.content.decode()
    assert sandbox.request_count(LIMIT) == 1  # never retried
    assert not SubaccountLimit.objects.exists()
    assert DEMO_TOKEN not in response.content.decode()


def test_limits_need_an_admin(login, tenant, operator, synced, sandbox):
    response = login(operator).post(
        sub_url(tenant, sub(tenant, 1194), "sms:subaccount-limit"), {"message_type": "eco", "value": "5"}
    )
    assert response.status_code == 403 and sandbox.request_count(LIMIT) == 0


# --- delete -------------------------------------------------------------------------------------------------


def test_admin_deletes_after_typing_the_login(login, tenant, tenant_admin, synced, sandbox):
    wojtek = sub(tenant, 1194)
    SubaccountLimit.objects.create(
        tenant=tenant, subaccount=wojtek, message_type="eco", value=1, set_at=timezone.now()
    )
    client = login(tenant_admin)
    page = client.get(sub_url(tenant, wojtek)).content.decode()
    assert 'data-confirm-word="wojtek"' in page
    response = client.post(sub_url(tenant, wojtek, "sms:subaccount-delete"), {"confirm_login": " wojtek "})
    assert response.status_code == 302 and response["Location"] == index_url(tenant)
    assert sandbox.subaccount(1194) is None
    assert not Subaccount.objects.filter(pk=wojtek.pk).exists() and not SubaccountLimit.objects.exists()
    event = AuditEvent.objects.get(action="sms.subaccount.delete")
    assert event.outcome == "success" and event.changes["login"] == ["wojtek", None]
    assert "wojtek" in client.get(index_url(tenant)).content.decode()  # the message names it
    assert "wojtek@example.pl" not in client.get(index_url(tenant)).content.decode()


@pytest.mark.parametrize("typed", ["", "Wojtek", "wojte", "1194"])
def test_delete_checks_the_typed_login_on_the_server(login, tenant, tenant_admin, synced, sandbox, typed):
    response = login(tenant_admin).post(
        sub_url(tenant, sub(tenant, 1194), "sms:subaccount-delete"), {"confirm_login": typed}
    )
    assert response.status_code == 400
    assert sandbox.request_count(DELETE) == 0 and sandbox.subaccount(1194) is not None
    assert Subaccount.objects.filter(tenant=tenant, provider_id=1194).exists()


def test_delete_of_a_subaccount_gone_at_the_provider_is_shown_inline(
    login, tenant, tenant_admin, synced, sandbox
):
    wojtek = sub(tenant, 1194)
    synced.client(in_request=False).delete(1194)
    response = login(tenant_admin).post(
        sub_url(tenant, wojtek, "sms:subaccount-delete"), {"confirm_login": "wojtek"}
    )
    assert response.status_code == 422
    assert "The provider does not know this item" in response.content.decode()
    assert Subaccount.objects.filter(pk=wojtek.pk).exists()  # the next sync removes it
    assert AuditEvent.objects.get(action="sms.subaccount.delete").outcome == "failure"


def test_delete_with_a_lost_answer_says_the_outcome_is_unknown(login, tenant, tenant_admin, synced, sandbox):
    sandbox.set_fault(DELETE, "timeout", times=1)
    response = login(tenant_admin).post(
        sub_url(tenant, sub(tenant, 1194), "sms:subaccount-delete"), {"confirm_login": "wojtek"}
    )
    assert response.status_code == 422
    assert (
        "The outcome is unknown — check whether it was done before trying again" in response.content.decode()
    )
    assert sandbox.request_count(DELETE) == 1
    assert SyncStatus.objects.get(tenant=tenant, provider="sms").queued_at is not None


def test_delete_with_refused_credentials(login, tenant, tenant_admin, synced, sandbox):
    synced.api_token = "zly-token-1234"
    synced.save()
    response = login(tenant_admin).post(
        sub_url(tenant, sub(tenant, 1194), "sms:subaccount-delete"), {"confirm_login": "wojtek"}
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "does not know this API user or token" in text and "1001 InvalidUser" in text
    assert "zly-token-1234" not in text


def test_delete_needs_an_admin_and_post(login, tenant, operator, tenant_admin, synced, sandbox):
    wojtek = sub(tenant, 1194)
    assert (
        login(operator)
        .post(sub_url(tenant, wojtek, "sms:subaccount-delete"), {"confirm_login": "wojtek"})
        .status_code
        == 403
    )
    assert login(tenant_admin).get(sub_url(tenant, wojtek, "sms:subaccount-delete")).status_code == 405
    assert login(tenant_admin).get(sub_url(tenant, wojtek, "sms:subaccount-limit")).status_code == 405
    assert login(tenant_admin).post(index_url(tenant)).status_code == 405
    assert sandbox.request_count(DELETE) == 0


def test_the_subaccount_page_in_polish(login, tenant, tenant_admin, synced, settings):
    client = login(tenant_admin)
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    page = client.get(sub_url(tenant, sub(tenant, 1194))).content.decode()
    assert "Limity wiadomości" in page and "Usuń subkonto" in page
