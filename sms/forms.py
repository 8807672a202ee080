from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant
from providers.accounts import ProviderAccountForm, secret_field
from sms.client import LOGIN_PATTERN, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from sms.models import MessageType, SerwerSmsAccount, Subaccount

# The most messages a limit may be set to here: far above any real need, far below the database's limit.
MAX_LIMIT = 100_000_000


class AccountForm(ProviderAccountForm):
    """The account's credentials; secrets are write-only (an empty field keeps the saved one)."""

    SECRET_FIELDS = ("api_token", "api_password")

    auth_method = forms.ChoiceField(
        label=_("Sign in with"), choices=SerwerSmsAccount.AuthMethod.choices, widget=forms.RadioSelect
    )
    api_token = secret_field(
        _("API token"),
        max_length=500,
        help_text=_("Made in the SerwerSMS.pl client panel (Ustawienia API → Tokeny API)."),
        required_message=_("Enter the API token."),
    )
    api_username = forms.CharField(
        label=_("API user login"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("An API user's login; the provider's API user logins start with “webapi_”."),
    )
    api_password = secret_field(
        _("API user password"), strip=False, required_message=_("Enter the API user's password.")
    )

    class Meta:
        model = SerwerSmsAccount
        fields = ["auth_method", "api_token", "api_username", "api_password", "base_url"]

    def secret_needed(self, name: str) -> bool:
        token = self.cleaned_data.get("auth_method") == SerwerSmsAccount.AuthMethod.TOKEN
        return token if name == "api_token" else not token

    def clean(self):
        method = self.data.get("auth_method")
        username = self.data.get("api_username", "").strip()
        if method == SerwerSmsAccount.AuthMethod.API_USER and username != self.instance.api_username:
            # A stored password belongs to the login it was entered with: another login needs its own.
            self.stored["api_password"] = ""
        cleaned = super().clean()
        if method == SerwerSmsAccount.AuthMethod.API_USER and not cleaned.get("api_username"):
            self.add_error("api_username", _("Enter the API user's login."))
        return cleaned

    def save(self, commit: bool = True) -> SerwerSmsAccount:
        """The secret of the sign-in method not chosen is dropped: a credential nobody uses is a liability."""
        account = super().save(commit=False)
        if account.auth_method == SerwerSmsAccount.AuthMethod.TOKEN:
            account.api_username = account.api_password = ""
        else:
            account.api_token = ""
        if commit:
            account.save()
        return account


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Subaccount) -> str:
        label = f"{obj.login} (ID {obj.provider_id})"
        return f"{label} – {obj.name}" if obj.name else label


def validate_login(value: str) -> None:
    if not LOGIN_PATTERN.fullmatch(value):
        raise forms.ValidationError(_("Use 3–20 characters: letters a-z and A-Z, digits, and _ @ . -"))


phone_pattern = re.compile(r"\+?[0-9]{9,15}")


class SubaccountCreateForm(forms.Form):
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    template = TemplateChoiceField(
        label=_("Template subaccount"),
        queryset=Subaccount.objects.none(),
        empty_label=_("Choose the subaccount to copy"),
        help_text=_(
            "Its permissions and settings (e.g. delivery reports, ECO+ replies) are copied to the new subaccount."
        ),
    )
    login = forms.CharField(
        label=_("Login"),
        min_length=3,
        max_length=20,
        validators=[validate_login],
        help_text=_("3–20 characters: letters a-z and A-Z, digits, and _ @ . -"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    password = forms.CharField(
        label=_("Password"),
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        help_text=_("3–20 characters. Shown once after creating; it is not stored here."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    name = forms.CharField(label=_("Name"), required=False, max_length=100)
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=25,
        help_text=_("E.g. 500600700 or +48500600700."),
    )
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["template"].queryset = Subaccount.objects.filter(tenant=tenant).order_by("login")

    def clean_login(self) -> str:
        login = self.cleaned_data["login"]
        if Subaccount.objects.filter(tenant=self.tenant, login__iexact=login).exists():
            raise forms.ValidationError(_("A subaccount with this login exists already."))
        return login

    def clean_phone(self) -> str:
        phone = re.sub(r"[\s\-()]", "", self.cleaned_data["phone"])
        if phone and not phone_pattern.fullmatch(phone):
            raise forms.ValidationError(_("Enter 9–15 digits, optionally after a +."))
        return phone


class LimitForm(forms.Form):
    message_type = forms.ChoiceField(label=_("Message type"), choices=MessageType.choices)
    value = forms.IntegerField(
        label=_("Limit (messages)"),
        min_value=0,
        max_value=MAX_LIMIT,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class DeleteForm(forms.Form):
    confirm_login = forms.CharField(label=_("Type the login to confirm"), max_length=200)

    def __init__(self, *args, login: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.login = login

    def clean_confirm_login(self) -> str:
        typed = self.cleaned_data["confirm_login"].strip()
        if typed != self.login:
            raise forms.ValidationError(_("Type the subaccount's login exactly to confirm."))
        return typed
