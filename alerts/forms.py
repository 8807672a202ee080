"""The forms of the alerts app: a rule, a webhook endpoint, who gets alert emails, a member's own settings."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.validators import internal_addresses
from alerts.models import WEBHOOK_EVENTS, AlertRule, MemberNotifications, RuleKind, WebhookEndpoint

POOL_TYPES = [("eco", "SMS ECO"), ("full", "SMS FULL"), ("voice", "VOICE"), ("mms", "MMS"), ("hlr", "HLR")]


class RuleForm(forms.ModelForm):
    message_type = forms.ChoiceField(
        label=_("Message type (messages-left rules)"), choices=[("", "—"), *POOL_TYPES], required=False
    )

    class Meta:
        model = AlertRule
        fields = ["kind", "threshold", "message_type", "enabled"]

    def clean(self):
        cleaned = super().clean()
        kind, threshold = cleaned.get("kind"), cleaned.get("threshold")
        if kind == RuleKind.SMS_POOL_BELOW and not cleaned.get("message_type"):
            self.add_error("message_type", _("Choose the message type whose pool is watched."))
        if kind != RuleKind.SMS_POOL_BELOW:
            cleaned["message_type"] = ""
        # Only the invoice rule counts days before the due date (negative); every other threshold is 0 or more.
        if threshold is not None and threshold < 0 and kind != RuleKind.INVOICE_UNPAID:
            self.add_error("threshold", _("Enter 0 or more."))
        if kind == RuleKind.REVENUE_DROP and threshold is not None and threshold > 100:
            self.add_error("threshold", _("Enter a percentage from 0 to 100."))
        return cleaned


def clean_webhook_url(value: str) -> str:
    """https:// only, except in development, where http:// is allowed too (a receiver on this machine).

    The server posts to this address, so outside development it never points into a private network
    (the same rule as the providers' addresses: this machine only while sandboxes are allowed)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        raise forms.ValidationError(_("Enter an address such as https://example.pl/webhooks.")) from None
    if parts.username or parts.password:
        raise forms.ValidationError(_("Give the address without a login in it."))
    allowed = ("https", "http") if settings.DEBUG else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise forms.ValidationError(_("Use an https:// address."))
    if not settings.PROVIDER_SANDBOXES_ALLOWED and internal_addresses(parts.hostname):
        raise forms.ValidationError(
            _(
                "Use a public address on the internet: this server does not send to itself or to private "
                "networks (localhost, 127.x, 10.x, 172.16–31.x, 192.168.x, 169.254.x, fc00::/7, fe80::/10)."
            )
        )
    return value


class EndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WEBHOOK_EVENTS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None chosen: every event."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events"]

    def clean_url(self) -> str:
        return clean_webhook_url(self.cleaned_data["url"])


class EndpointChangeForm(forms.ModelForm):
    """What can change on an endpoint: never its URL, the one its secret was made for."""

    events = EndpointForm.base_fields["events"]

    class Meta:
        model = WebhookEndpoint
        fields = ["description", "events", "enabled"]
        labels = {"enabled": _("On (a switched-off endpoint is sent nothing)")}


class RecipientsForm(forms.Form):
    members = forms.ModelMultipleChoiceField(
        label=_("Members who get alert emails"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = User.objects.filter(memberships__tenant=tenant).order_by("username")
        self.fields["members"].label_from_instance = lambda user: (
            f"{user.get_username()} ({user.email})"
            if user.email
            else f"{user.get_username()} — {_('no email')}"
        )


class MyNotificationsForm(forms.ModelForm):
    class Meta:
        model = MemberNotifications
        fields = ["weekly_digest", "language"]
        labels = {"weekly_digest": _("Send me the weekly digest"), "language": _("Language of my emails")}
