from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from providers.once import KEY_MAX_LENGTH
from snapshots.models import Part, Snapshot

# SerwerSMS.pl limits are set by admins (sms views): restoring them needs the same role.
ADMIN_PARTS = {Part.SMS_LIMITS}


class CompareForm(forms.Form):
    """Two snapshots, or (`to` empty) a snapshot and now."""

    since = forms.ModelChoiceField(
        label=_("From the snapshot"), queryset=Snapshot.objects.none(), empty_label=_("choose a snapshot")
    )
    to = forms.ModelChoiceField(
        label=_("To the snapshot"), queryset=Snapshot.objects.none(), required=False, empty_label=_("now")
    )

    def __init__(self, *args, tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("since", "to"):
            self.fields[name].queryset = Snapshot.objects.filter(tenant=tenant)
            self.fields[name].label_from_instance = _snapshot_label

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("since") and cleaned.get("since") == cleaned.get("to"):
            raise forms.ValidationError(_("Choose two different snapshots, or a snapshot and now."))
        return cleaned


def _snapshot_label(snapshot: Snapshot) -> str:
    from django.utils import timezone
    from django.utils.formats import date_format

    return f"{date_format(timezone.localtime(snapshot.taken_at), 'SHORT_DATETIME_FORMAT')} · {snapshot.get_reason_display()}"


class PartsForm(forms.Form):
    parts = forms.MultipleChoiceField(
        label=_("What to restore"), choices=Part.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, role: Role, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if role < Role.ADMIN:
            self.fields["parts"].choices = [
                (value, label) for value, label in Part.choices if value not in ADMIN_PARTS
            ]
            self.fields["parts"].help_text = _("Restoring SerwerSMS.pl limits needs an admin.")


class ConfirmForm(PartsForm):
    confirmation = forms.CharField(widget=forms.HiddenInput, max_length=KEY_MAX_LENGTH)
