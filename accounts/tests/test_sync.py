from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts import sync
from accounts.models import SyncStatus
from provider_api.errors import UnavailableError
from providers.texts import shown


@pytest.fixture
def registered():
    sync.register("testprov", "things", "accounts.tasks.record_worker_heartbeat")


def test_a_successful_sync_records_its_time(tenant):
    with sync.syncing(tenant.pk, "testprov", "things") as status:
        assert status.is_running
    status = SyncStatus.objects.get()
    assert status.last_success_at is not None and not status.is_running
    assert status.last_error == "" and status.failing_since is None


def test_a_provider_error_is_recorded_with_backoff_and_not_raised(tenant):
    for expected_failures in (1, 2, 3):
        with sync.syncing(tenant.pk, "testprov", "things"):
            raise UnavailableError("connection failed", provider="SPIKON")
        status = SyncStatus.objects.get()
        assert status.consecutive_failures == expected_failures
    assert "SPIKON: connection failed" in status.last_error and status.failure_unreachable
    assert status.next_retry_at - status.last_attempt_at >= timedelta(minutes=4)
    first_failure = status.failing_since
    with sync.syncing(tenant.pk, "testprov", "things"):
        pass
    status.refresh_from_db()
    assert first_failure is not None and status.failing_since is None and status.consecutive_failures == 0


def test_other_exceptions_are_recorded_and_raised(tenant):
    with pytest.raises(KeyError), sync.syncing(tenant.pk, "testprov", "things"):
        raise KeyError("boom")
    status = SyncStatus.objects.get()
    assert not status.is_running and not status.failure_unreachable
    # A sentence for people in their language, not the program's exception (that goes to the log).
    assert "KeyError" not in status.last_error
    with translation.override("en"):
        english = shown(status.last_error)
    with translation.override("pl"):
        polish = shown(status.last_error)
    assert english.startswith("An error in this dashboard stopped the sync") and polish != english


def test_two_syncs_of_one_resource_never_overlap(tenant):
    with sync.syncing(tenant.pk, "testprov", "things"):
        with pytest.raises(sync.SyncSkipped), sync.syncing(tenant.pk, "testprov", "things"):
            pass
        with sync.syncing(tenant.pk, "testprov", "other"):
            pass


def test_a_stale_running_sync_is_taken_over(tenant):
    SyncStatus.objects.create(
        tenant=tenant,
        provider="testprov",
        resource="things",
        running_since=timezone.now() - timedelta(hours=1),
    )
    with sync.syncing(tenant.pk, "testprov", "things"):
        pass
    assert SyncStatus.objects.get().last_success_at is not None


def test_queue_sync_does_not_pile_up(tenant, registered, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert sync.queue_sync(tenant, "testprov", "things") is True
        assert sync.queue_sync(tenant, "testprov", "things") is False
    assert len(callbacks) == 1


def test_scheduled_syncs_wait_for_the_backoff_but_refresh_does_not(tenant, registered):
    SyncStatus.objects.create(
        tenant=tenant,
        provider="testprov",
        resource="things",
        next_retry_at=timezone.now() + timedelta(minutes=5),
        last_attempt_at=timezone.now(),
    )
    assert sync.queue_sync(tenant, "testprov", "things", scheduled=True) is False
    assert sync.queue_sync(tenant, "testprov", "things") is True


def test_unknown_sync_is_refused(tenant):
    with pytest.raises(LookupError):
        sync.queue_sync(tenant, "nobody", "nothing")


def test_sync_status_view_shows_state_and_queues_a_refresh(login, tenant, operator, viewer, registered):
    url = reverse(
        "sync-status", kwargs={"tenant_slug": tenant.slug, "provider": "testprov", "resource": "things"}
    )
    assert f'hx-post="{url}"' in login(operator).get(url).text
    assert f'hx-post="{url}"' not in login(viewer).get(url).text
    response = login(viewer).post(url)
    assert response.status_code == 403
    response = login(operator).post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in response.text
    assert SyncStatus.objects.get().queued_at is not None


def test_polling_stops_with_286_when_the_sync_ended(login, tenant, operator, registered):
    SyncStatus.objects.create(
        tenant=tenant, provider="testprov", resource="things", last_success_at=timezone.now()
    )
    url = reverse(
        "sync-status", kwargs={"tenant_slug": tenant.slug, "provider": "testprov", "resource": "things"}
    )
    response = login(operator).get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 286 and response["HX-Refresh"] == "true"


def test_failing_sync_says_since_when(login, tenant, operator, registered):
    since = timezone.now() - timedelta(hours=2)
    SyncStatus.objects.create(
        tenant=tenant, provider="testprov", resource="things", failing_since=since, last_error="SPIKON -5: IP"
    )
    url = reverse(
        "sync-status", kwargs={"tenant_slug": tenant.slug, "provider": "testprov", "resource": "things"}
    )
    text = login(operator).get(url).text
    assert "SPIKON -5: IP" in text and timezone.localtime(since).strftime("%Y-%m-%d %H:%M") in text


def test_unknown_sync_view_is_404_and_refresh_redirects_only_to_this_site(
    login, tenant, operator, registered
):
    client = login(operator)
    bad = reverse("sync-status", kwargs={"tenant_slug": tenant.slug, "provider": "x", "resource": "y"})
    assert client.get(bad).status_code == 404
    url = reverse(
        "sync-status", kwargs={"tenant_slug": tenant.slug, "provider": "testprov", "resource": "things"}
    )
    response = client.post(url, HTTP_REFERER="https://evil.example.net/")
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_a_resources_status_is_made_once_and_then_read(tenant, other_tenant, django_assert_num_queries):
    made = sync.get_status(tenant, "testprov", "things")
    assert SyncStatus.objects.get().pk == made.pk and not made.is_running and made.last_success_at is None
    SyncStatus.objects.filter(pk=made.pk).update(last_error="broken")
    with django_assert_num_queries(1):
        read = sync.get_status(tenant, "testprov", "things")
        assert read.tenant == tenant  # no second query for the tenant
    assert (read.pk, read.last_error, read.provider, read.resource) == (
        made.pk,
        "broken",
        "testprov",
        "things",
    )
    # Another tenant's or resource's status is another row.
    assert sync.get_status(other_tenant, "testprov", "things").pk != made.pk
    assert sync.get_status(tenant, "testprov", "other").pk != made.pk
    assert SyncStatus.objects.count() == 3
