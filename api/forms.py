from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role

TOKEN_ROLES = (Role.VIEWER, Role.OPERATOR, Role.ADMIN)  # a token never manages members or the tenant


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("What the token is for, e.g. the script or the machine that uses it."),
    )
    role = forms.TypedChoiceField(
        label=_("Role"),
        coerce=int,
        help_text=_("The token can do what a member of this role can, never more than you."),
    )
    expires_on = forms.DateField(
        label=_("Valid until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The last day the token works. Empty: until it is revoked."),
    )

    def __init__(self, *args, creator_role: Role, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [
            (role.value, role.label) for role in TOKEN_ROLES if role <= creator_role
        ]
        self.fields["role"].initial = Role.VIEWER

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later day."))
        return day

    @property
    def expires_at(self) -> datetime | None:
        """The end of the chosen day in the tenant's time zone (the view runs in it)."""
        day = self.cleaned_data["expires_on"]
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
