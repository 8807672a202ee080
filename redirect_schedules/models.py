"""Schedules that switch the redirects of 70x numbers by the week, Polish public holidays and the
tenant's own closed days, and the record of each switch made."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Tenant
from premium.client import Prezentacja
from premium.models import PRESENTATION_CHOICES, PRESENTATION_SHORT, PremiumNumber
from snapshots.models import Snapshot

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class RedirectSetting(models.Model):
    """Where calls go: a target with its presentation and announcement (what setRedirect sets)."""

    target = models.CharField(_("redirect to"), max_length=16)
    presentation = models.CharField(
        _("number shown to the target"),
        max_length=16,
        choices=PRESENTATION_CHOICES,
        default=Prezentacja.HIDDEN.value,
    )
    announcement = models.BooleanField(_("play the announcement"), default=False)

    class Meta:
        abstract = True

    @property
    def presentation_short(self) -> str:
        return str(PRESENTATION_SHORT.get(self.presentation, ""))


class RedirectSchedule(RedirectSetting):
    """A schedule for some of the tenant's numbers; its own target fields are the default, used outside
    the weekly windows. A number follows at most one schedule."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="redirect_schedules")
    name = models.CharField(_("name"), max_length=100)
    numbers = models.ManyToManyField(
        PremiumNumber, related_name="redirect_schedules", verbose_name=_("numbers")
    )
    # Polish public holidays: blank = they follow the weekly windows like any other day.
    holiday_target = models.CharField(_("on public holidays, redirect to"), max_length=16, blank=True)
    holiday_presentation = models.CharField(
        _("on public holidays, number shown to the target"),
        max_length=16,
        choices=PRESENTATION_CHOICES,
        default=Prezentacja.HIDDEN.value,
    )
    holiday_announcement = models.BooleanField(_("on public holidays, play the announcement"), default=False)
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    # Made or last run again: after a pause, the switch in force is made anew (numbers may have been
    # changed by hand meanwhile).
    running_since = models.DateTimeField(default=timezone.now, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class Window(RedirectSetting):
    """A weekly time window, in the tenant's time zone: from `starts` to `ends` on each of `days`
    (0 = Monday); `ends` at 00:00 means until midnight."""

    schedule = models.ForeignKey(RedirectSchedule, on_delete=models.CASCADE, related_name="windows")
    days = models.JSONField(_("days"), default=list)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["starts", "id"]

    def __str__(self) -> str:
        return f"{self.day_names} {self.starts:%H:%M}–{self.ends:%H:%M} → {self.target}"

    @property
    def day_names(self) -> str:
        names = dict(WEEKDAYS)
        return ", ".join(str(names[day]) for day in sorted(self.days))


class ClosedDay(RedirectSetting):
    """A day the tenant is closed (its own, not a public holiday), the whole day with its own target."""

    schedule = models.ForeignKey(RedirectSchedule, on_delete=models.CASCADE, related_name="closed_days")
    day = models.DateField(_("day"))
    name = models.CharField(_("why closed"), max_length=100)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["schedule", "day"], name="schedule_closed_day_once")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name} → {self.target}"


class Switch(models.Model):
    """One switch made by the schedule: the setting set on its numbers, then read back.

    `results` has one entry per number: {"number": ..., "state": one of NumberState, "problem": the
    provider's words}.
    """

    class State(models.TextChoices):
        APPLYING = "applying", pgettext_lazy("switch", "being made")
        VERIFIED = "verified", _("made and verified")
        FAILED = "failed", pgettext_lazy("switch", "failed")

    class NumberState(models.TextChoices):
        VERIFIED = "verified", _("verified")
        REFUSED = "refused", pgettext_lazy("switch of a number", "refused by the provider")
        UNKNOWN = "unknown", _("outcome unknown")
        NOT_READ = "not_read", _("set, but could not be read back")
        DIFFERENT = "different", _("read back with another target")

    class Reason(models.TextChoices):
        DEFAULT = "default", _("outside the windows")
        WINDOW = "window", _("window")
        HOLIDAY = "holiday", _("public holiday")
        CLOSED = "closed", _("closed day")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    schedule = models.ForeignKey(RedirectSchedule, on_delete=models.CASCADE, related_name="switches")
    due_at = models.DateTimeField(_("due"))
    reason = models.CharField(max_length=8, choices=Reason.choices)
    detail = models.CharField(
        max_length=100, blank=True
    )  # the window's hours, the holiday's date, the day's name
    target = models.CharField(_("redirect to"), max_length=16)
    presentation = models.CharField(max_length=16)
    announcement = models.BooleanField()
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.APPLYING)
    results = models.JSONField(default=list)
    snapshot = models.ForeignKey(Snapshot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    made_at = models.DateTimeField(_("made"), default=timezone.now)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)

    class Meta:
        ordering = ["-made_at", "-id"]
        indexes = [models.Index(fields=["schedule", "made_at"], name="schedule_switch_recent")]

    def __str__(self) -> str:
        return f"{self.schedule} → {self.target} ({self.state})"

    # A switch still being made this long after it began lost its worker: its outcome is unknown (it is
    # never made again: the next switch sets the numbers anew).
    INTERRUPTED_AFTER = timedelta(minutes=10)

    @property
    def is_interrupted(self) -> bool:
        return self.state == self.State.APPLYING and timezone.now() - self.made_at > self.INTERRUPTED_AFTER

    @property
    def problems(self) -> list[dict]:
        return [result for result in self.results if result["state"] != self.NumberState.VERIFIED]
