from __future__ import annotations

import re

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant
from accounts.validators import clean_provider_base_url
from sms.client import BASE_URL, LOGIN_PATTERN, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from sms.models import MessageType, SerwerSmsAccount, Subaccount

# The most messages a limit may be set to here: far above any real need, far below the database's limit.
MAX_LIMIT = 100_000_000


class AccountForm(forms.Form):
    """The account's credentials; secrets are write-only (an empty field keeps the saved one)."""

    auth_method = forms.ChoiceField(
        label=_("Sign in with"), choices=SerwerSmsAccount.AuthMethod.choices, widget=forms.RadioSelect
    )
    api_token = forms.CharField(
        label=_("API token"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("Made in the SerwerSMS.pl client panel (Ustawienia API → Tokeny API)."),
    )
    api_username = forms.CharField(
        label=_("API user login"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("An API user's login; the provider's API user logins start with “webapi_”."),
    )
    api_password = forms.CharField(
        label=_("API user password"),
        required=False,
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    base_url = forms.URLField(
        label=_("API base URL"),
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=format_lazy(
            _("Leave empty for the real provider ({url}); set it to point the account at a sandbox."),
            url=BASE_URL,
        ),
    )

    def __init__(self, *args, account: SerwerSmsAccount | None, **kwargs) -> None:
        self.account = account
        if account is not None:
            kwargs.setdefault(
                "initial",
                {
                    "auth_method": account.auth_method,
                    "api_username": account.api_username,
                    "base_url": account.base_url,
                },
            )
        else:
            kwargs.setdefault("initial", {"auth_method": SerwerSmsAccount.AuthMethod.TOKEN})
        super().__init__(*args, **kwargs)
        if account is not None and account.api_token:
            self.fields["api_token"].help_text = _("Saved; leave empty to keep it, or type a new one.")
        if account is not None and account.api_password:
            self.fields["api_password"].help_text = _("Saved; leave empty to keep it, or type a new one.")

    def clean_base_url(self) -> str:
        return clean_provider_base_url(self.cleaned_data["base_url"], official=BASE_URL)

    def clean(self):
        cleaned = super().clean()
        method = cleaned.get("auth_method")
        saved = self.account
        if method == SerwerSmsAccount.AuthMethod.TOKEN:
            if not cleaned.get("api_token") and not (saved and saved.api_token):
                self.add_error("api_token", _("Enter the API token."))
        elif method == SerwerSmsAccount.AuthMethod.API_USER:
            username = cleaned.get("api_username", "")
            if not username:
                self.add_error("api_username", _("Enter the API user's login."))
            same_user = saved is not None and saved.api_username == username and saved.api_password
            if not cleaned.get("api_password") and not same_user:
                self.add_error("api_password", _("Enter the API user's password."))
        return cleaned


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
