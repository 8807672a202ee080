from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import audit
from accounts.models import TIME_ZONE_CHOICES, Role, Tenant
from accounts.usernames import clean_username

User = get_user_model()


def time_zone_choices() -> list[tuple[str, str]]:
    """The time zones as people read them, with their offset today: "America/New York (UTC-05:00)"; the
    IANA name is what is stored."""
    now = timezone.now()
    choices = []
    for name, _name in TIME_ZONE_CHOICES:
        offset = now.astimezone(ZoneInfo(name)).strftime("%z")
        choices.append((name, f"{name.replace('_', ' ')} (UTC{offset[:3]}:{offset[3:]})"))
    return choices


class TimeZoneChoicesMixin:
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()


class TenantCreateForm(TimeZoneChoicesMixin, forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ["name", "slug", "time_zone"]
        help_texts = {
            "slug": _("Used in the tenant's addresses, e.g. /t/acme/. Lowercase letters, digits and hyphens.")
        }


class TenantSettingsForm(TimeZoneChoicesMixin, forms.ModelForm):
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


class SecondFactorForm(forms.Form):
    """A login's second step: the authenticator's 6 digits, or one of the 8-character recovery codes."""

    token = forms.RegexField(
        label=_("Code from the authenticator app, or a recovery code"),
        regex=r"^\s*(\d{6}|[A-Za-z2-7]{8})\s*$",
        error_messages={"invalid": _("Enter the 6 digits the app shows, or an 8-character recovery code.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "maxlength": 10, "autocapitalize": "none"}
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip().lower()


def assignable_roles(actor_role: Role) -> list[tuple[int, str]]:
    """An owner gives any role; an admin gives roles below admin."""
    return [(role.value, role.label) for role in Role if actor_role == Role.OWNER or role < Role.ADMIN]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    role = forms.TypedChoiceField(label=_("Role"), coerce=int)

    def __init__(self, *args, actor_role: Role, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = assignable_roles(actor_role)
        self.fields["role"].initial = Role.VIEWER

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class MemberRoleForm(forms.Form):
    role = forms.TypedChoiceField(label=_("Role"), coerce=int)

    def __init__(self, *args, actor_role: Role, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = assignable_roles(actor_role)


def _areas() -> list[tuple[str, str]]:
    return [("", _("All")), *sorted(audit.AREAS.items(), key=lambda item: str(item[1]))]


class CalendarDateField(forms.DateField):
    """A date in the years a filter can mean: the date arithmetic of a filter stays in Python's calendar."""

    FIRST, LAST = date(2000, 1, 1), date(2099, 12, 31)

    def validate(self, value: date | None) -> None:
        super().validate(value)
        if value is not None and not self.FIRST <= value <= self.LAST:
            raise forms.ValidationError(_("Enter a date in the years 2000–2099."), code="out_of_range")


class AuditFilterForm(forms.Form):
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Area"), required=False, choices=_areas)
    # "<object type>:<id>", from an object's link "its history": the events about that one object.
    object = forms.RegexField(
        regex=r"^[a-z_]+\.[a-z_]+:[0-9A-Za-z-]{1,64}$", required=False, widget=forms.HiddenInput
    )
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


class SignUpForm(forms.Form):
    """The invitee's own account: a username and a password of their choice (the email is the invitation's)."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters of one alphabet, digits and @ . + - _; used to log in."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password1 = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_username(self) -> str:
        username = clean_username(self.cleaned_data["username"])
        if User.objects.filter(username__iexact=username).exists():
            # Said as a choice, not as a fact about other people's accounts.
            raise forms.ValidationError(_("This username cannot be used; choose another."))
        return username

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first and cleaned.get("username"):
            try:
                password_validation.validate_password(
                    first, User(username=cleaned["username"], email=self.email)
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
