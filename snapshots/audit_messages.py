"""How the audit log reads the snapshots' actions."""

from django.utils.translation import gettext_lazy as _

from accounts.audit import Sentence, register

register(
    {
        "snapshots.take": Sentence(
            _("Took a snapshot of the settings."), _("Could not take a snapshot of the settings.")
        ),
        "snapshots.rollback.confirm": Sentence(
            _("Started restoring the settings of %(object)s."),
            _("Could not start restoring the settings of %(object)s."),
        ),
        "snapshots.rollback.finish": Sentence(
            _("Restored the settings of %(object)s."),
            _(
                "Restored the settings of %(object)s only in part: %(calls_made_after)s of %(calls_planned_after)s changes made."
            ),
        ),
    },
    areas={"snapshots": _("Snapshots")},
    fields={
        "calls": _("changes to make"),
        "parts": _("parts"),
        "calls made": _("changes made"),
        "calls planned": _("changes planned"),
    },
    links={
        "snapshots.snapshot": ("snapshots:detail", "snapshot_id"),
        "snapshots.rollback": ("snapshots:rollback-detail", "rollback_id"),
    },
)
