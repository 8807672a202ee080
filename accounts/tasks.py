import socket

from celery import shared_task
from django.utils import timezone

from accounts.models import WorkerHeartbeat


@shared_task
def record_worker_heartbeat() -> None:
    """Proves a worker is consuming the queue: /healthz reports how long ago it last ran."""
    WorkerHeartbeat.objects.update_or_create(
        name="default", defaults={"seen_at": timezone.now(), "hostname": socket.gethostname()}
    )
