"""How the audit log reads the redirect schedules' actions."""

from django.utils.translation import gettext_lazy as _

from accounts.audit import Sentence, register

register(
    {
        "redirect_schedules.create": Sentence(
            _("Created the redirect schedule %(object)s."),
            _("Could not create the redirect schedule %(object)s."),
        ),
        "redirect_schedules.change": Sentence(
            _("Changed the redirect schedule %(object)s."),
            _("Could not change the redirect schedule %(object)s."),
        ),
        "redirect_schedules.delete": Sentence(
            _("Deleted the redirect schedule %(object)s."),
            _("Could not delete the redirect schedule %(object)s."),
            removes=True,
        ),
        "redirect_schedules.switch": Sentence(
            _("The schedule %(object)s switched the redirect to %(redirect_after)s."),
            _("The schedule %(object)s could not switch every number to %(redirect_after)s."),
        ),
        "redirect_schedules.pause": Sentence(
            _("Paused the redirect schedule %(object)s."),
            _("Could not pause the redirect schedule %(object)s."),
        ),
        "redirect_schedules.resume": Sentence(
            _("Resumed the redirect schedule %(object)s."),
            _("Could not resume the redirect schedule %(object)s."),
        ),
        "redirect_schedules.window.add": Sentence(
            _("Added a time window to the schedule %(object)s: %(window_after)s."),
            _("Could not add a time window to the schedule %(object)s."),
        ),
        "redirect_schedules.window.delete": Sentence(
            _("Deleted a time window from the schedule %(object)s: %(window_before)s."),
            _("Could not delete a time window from the schedule %(object)s."),
        ),
        "redirect_schedules.closed_day.add": Sentence(
            _("Added a closed day to the schedule %(object)s: %(closed_day_after)s."),
            _("Could not add a closed day to the schedule %(object)s."),
        ),
        "redirect_schedules.closed_day.delete": Sentence(
            _("Deleted a closed day from the schedule %(object)s: %(closed_day_before)s."),
            _("Could not delete a closed day from the schedule %(object)s."),
        ),
    },
    areas={"redirect_schedules": _("Redirect schedules")},
    fields={
        "numbers": _("numbers"),
        "paused": _("paused"),
        "window": _("time window"),
        "closed day": _("closed day"),
    },
    links={"redirect_schedules.redirectschedule": ("redirect_schedules:detail", "schedule_id")},
)
