import logging
import socket

from celery import shared_task
from django.utils import timezone

from accounts import housekeeping as housekeeping_rules
from accounts.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


@shared_task
def record_worker_heartbeat() -> None:
    """Proves a worker is consuming the queue: /healthz reports how long ago it last ran."""
    WorkerHeartbeat.objects.update_or_create(
        name="default", defaults={"seen_at": timezone.now(), "hostname": socket.gethostname()}
    )


@shared_task
def housekeeping() -> None:
    """Daily: expired sessions and invitations, login attempts and audit events past keeping."""
    removed = housekeeping_rules.clean_up()
    logger.info("housekeeping removed %s", ", ".join(f"{count} {kind}" for kind, count in removed.items()))
