from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SnapshotsConfig(AppConfig):
    name = "snapshots"
    verbose_name = _("Configuration snapshots")

    def ready(self) -> None:
        from providers.jobs import register_job
        from snapshots.models import Rollback

        register_job(Rollback, "snapshots.tasks.run_rollback")
