"""When a schedule sends calls where: the setting in force at a moment, and the switches between two
moments, in the tenant's time zone across daylight-saving changes.

Precedence on a day: the tenant's closed day, then a Polish public holiday (when the schedule has a
holiday target), then the weekly windows, then the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from redirect_schedules.models import RedirectSchedule, Switch

# A switch in force is looked for this far back: every weekly window starts or ends within it.
LOOKBACK = timedelta(days=8)
MIDNIGHT = time(0, 0)


@dataclass(frozen=True)
class Setting:
    target: str
    presentation: str
    announcement: bool
    reason: str  # Switch.Reason
    detail: str = ""

    @property
    def redirect(self) -> tuple[str, str, bool]:
        """What the provider is told: a switch is a change of this."""
        return (self.target, self.presentation, self.announcement)


@lru_cache(maxsize=64)
def polish_holidays(year: int, language: str = "pl") -> dict[date, str]:
    return dict(holidays.Poland(years=year, language=language))


def holiday_name(day: date, language: str) -> str:
    return polish_holidays(day.year, "pl" if language.startswith("pl") else "en_US").get(day, "")


class Timetable:
    def __init__(self, schedule: RedirectSchedule, time_zone: str) -> None:
        self.schedule = schedule
        self.zone = ZoneInfo(time_zone)
        self.windows = list(schedule.windows.all())
        self.closed = {closed.day: closed for closed in schedule.closed_days.all()}
        self.default = Setting(
            schedule.target, schedule.presentation, schedule.announcement, Switch.Reason.DEFAULT
        )

    @classmethod
    def of(cls, schedule: RedirectSchedule) -> Timetable:
        return cls(schedule, schedule.tenant.time_zone)

    def setting_at(self, moment: datetime) -> Setting:
        local = moment.astimezone(self.zone)
        day, clock = local.date(), local.time().replace(tzinfo=None, fold=0)
        closed = self.closed.get(day)
        if closed is not None:
            return Setting(
                closed.target, closed.presentation, closed.announcement, Switch.Reason.CLOSED, closed.name
            )
        schedule = self.schedule
        if schedule.holiday_target and day in polish_holidays(day.year):
            return Setting(
                schedule.holiday_target,
                schedule.holiday_presentation,
                schedule.holiday_announcement,
                Switch.Reason.HOLIDAY,
                day.isoformat(),
            )
        for window in self.windows:
            if (
                day.weekday() in window.days
                and window.starts <= clock
                and (window.ends == MIDNIGHT or clock < window.ends)
            ):
                return Setting(
                    window.target,
                    window.presentation,
                    window.announcement,
                    Switch.Reason.WINDOW,
                    f"{window.starts:%H:%M}–{window.ends:%H:%M}",
                )
        return self.default

    def switches(self, start: datetime, end: datetime) -> list[tuple[datetime, Setting]]:
        """Each moment in (start, end] at which the redirect changes, with the setting from then on."""
        found = []
        for moment in sorted(self._boundaries(start, end)):
            if start < moment <= end:
                setting = self.setting_at(moment)
                if setting.redirect != self.setting_at(moment - timedelta(seconds=1)).redirect:
                    found.append((moment, setting))
        return found

    def in_force(self, now: datetime) -> tuple[datetime, Setting]:
        """The switch whose setting holds now: (when it was due, the setting). With no change within
        LOOKBACK (a schedule of one setting), it has held since the schedule was made."""
        changes = self.switches(now - LOOKBACK, now)
        if changes:
            return changes[-1]
        return self.schedule.created_at.replace(second=0, microsecond=0), self.setting_at(now)

    def _boundaries(self, start: datetime, end: datetime) -> set[datetime]:
        """Every moment a setting may begin: each local midnight and window edge (both readings of a wall
        time that a clock change makes ambiguous) and each change of the zone's offset."""
        clocks = {MIDNIGHT} | {w.starts for w in self.windows} | {w.ends for w in self.windows}
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date() + timedelta(days=1)
        moments = set()
        while day <= last:
            for clock in clocks:
                for fold in (0, 1):
                    moments.add(
                        datetime.combine(day, clock, tzinfo=self.zone).replace(fold=fold).astimezone(UTC)
                    )
            following = day + timedelta(days=1)
            change = self._offset_change(day, following)
            if change is not None:
                moments.add(change)
            day = following
        return moments

    def _offset_change(self, day: date, following: date) -> datetime | None:
        """The moment between the two local midnights at which the offset changes (to the second)."""
        low = datetime.combine(day, MIDNIGHT, tzinfo=self.zone).astimezone(UTC)
        high = datetime.combine(following, MIDNIGHT, tzinfo=self.zone).astimezone(UTC)
        offset = low.astimezone(self.zone).utcoffset()
        if high.astimezone(self.zone).utcoffset() == offset:
            return None
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            if middle.astimezone(self.zone).utcoffset() == offset:
                low = middle
            else:
                high = middle
        return high.replace(microsecond=0)
