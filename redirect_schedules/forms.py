from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from premium.forms import redirect_target_field
from premium.models import PremiumNumber
from redirect_schedules.models import WEEKDAYS, ClosedDay, RedirectSchedule, Window
from redirect_schedules.timetable import MIDNIGHT

SETTING_FIELDS = ["target", "presentation", "announcement"]


def target_field(label=None, *, required: bool = True, help_text: str = ""):
    """The redirect form's target field (a Polish number typed any common way), labelled for its place."""
    field = redirect_target_field()
    field.label = label or field.label
    field.required = required
    field.help_text = help_text
    return field


class ScheduleForm(forms.ModelForm):
    target = target_field(_("Outside the windows, redirect to"))
    holiday_target = target_field(
        _("On Polish public holidays, redirect to"),
        required=False,
        help_text=_("Empty: public holidays follow the weekly windows like any other day."),
    )

    class Meta:
        model = RedirectSchedule
        fields = [
            "name",
            "numbers",
            *SETTING_FIELDS,
            "holiday_target",
            "holiday_presentation",
            "holiday_announcement",
        ]
        labels = {
            "presentation": _("Outside the windows, number shown to the target"),
            "announcement": _("Outside the windows, play the announcement"),
        }
        widgets = {"numbers": forms.CheckboxSelectMultiple}

    def __init__(self, *args, tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["numbers"].queryset = PremiumNumber.objects.filter(tenant=tenant).order_by("number")

    def clean_numbers(self):
        numbers = self.cleaned_data["numbers"]
        taken = (
            RedirectSchedule.numbers.through.objects.filter(premiumnumber__in=numbers)
            .exclude(redirectschedule_id=self.instance.pk)
            .values_list("premiumnumber__number", flat=True)
        )
        if taken:
            raise forms.ValidationError(
                _("%(numbers)s already follow another schedule: a number follows one schedule at a time.")
                % {"numbers": ", ".join(sorted(taken))}
            )
        return numbers

    def save(self, commit: bool = True) -> RedirectSchedule:
        self.instance.tenant = self.tenant
        return super().save(commit)


class WindowForm(forms.ModelForm):
    days = forms.TypedMultipleChoiceField(
        label=_("Days"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    target = target_field()

    class Meta:
        model = Window
        fields = ["days", "starts", "ends", *SETTING_FIELDS]
        widgets = {
            "starts": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "ends": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {"ends": _("00:00 means until midnight.")}

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts is not None and ends is not None and ends != MIDNIGHT and ends <= starts:
            self.add_error(
                "ends",
                _(
                    "A window ends after it starts on the same day; for the night, add one window until "
                    "00:00 and one from 00:00."
                ),
            )
        return cleaned


class ClosedDayForm(forms.ModelForm):
    target = target_field()

    class Meta:
        model = ClosedDay
        fields = ["day", "name", *SETTING_FIELDS]
        widgets = {"day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, schedule: RedirectSchedule, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.schedule = schedule

    def clean_day(self):
        day = self.cleaned_data["day"]
        if ClosedDay.objects.filter(schedule=self.instance.schedule, day=day).exists():
            raise forms.ValidationError(_("This day is already a closed day of the schedule."))
        return day
