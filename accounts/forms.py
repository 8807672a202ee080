from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, Tenant

User = get_user_model()


class TenantCreateForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ["name", "slug", "time_zone"]
        help_texts = {"slug": _("Used in addresses: /t/<address name>/. Lowercase letters, digits, hyphens.")}


class TenantSettingsForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ["name", "time_zone", "two_factor_required"]


class OtpTokenForm(forms.Form):
    token = forms.RegexField(
        label=_("Code from the authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6 digits the app shows.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 8}
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


def assignable_roles(actor_role: Role) -> list[tuple[int, str]]:
    """An owner gives any role; an admin gives roles below admin."""
    return [(role.value, role.label) for role in Role if actor_role == Role.OWNER or role < Role.ADMIN]


class MemberAddForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("An existing user is added as they are; a new user is created with a one-time password."),
    )
    email = forms.EmailField(label=_("Email (for a new user)"), required=False)
    role = forms.TypedChoiceField(label=_("Role"), coerce=int)

    def __init__(self, *args, actor_role: Role, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = assignable_roles(actor_role)
        self.fields["role"].initial = Role.VIEWER


class MemberRoleForm(forms.Form):
    role = forms.TypedChoiceField(label=_("Role"), coerce=int)

    def __init__(self, *args, actor_role: Role, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = assignable_roles(actor_role)


class CalendarDateField(forms.DateField):
    """A date in the years a filter can mean: the date arithmetic of a filter stays in Python's calendar."""

    FIRST, LAST = date(2000, 1, 1), date(2099, 12, 31)

    def validate(self, value: date | None) -> None:
        super().validate(value)
        if value is not None and not self.FIRST <= value <= self.LAST:
            raise forms.ValidationError(_("Enter a date in the years 2000–2099."), code="out_of_range")


class AuditFilterForm(forms.Form):
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    date_from = CalendarDateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = CalendarDateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("“From” must not be after “To”."))
        return cleaned
