"""The one Polish-number form field of the provider apps."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from provider_api.parsing import ParseError, normalise_polish_number


class PolishNumberField(forms.CharField):
    """What people type ("+48 601 123 456", "0048601123456", "601-123-456") -> the 9 digits "601123456"."""

    default_error_messages = {
        "invalid_number": _("Enter a Polish number of 9 digits, e.g. 601 123 456 or +48 601 123 456."),
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 32)  # separators included; the number itself is checked below
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return normalise_polish_number(value)
        except ParseError:
            raise forms.ValidationError(
                self.error_messages["invalid_number"], code="invalid_number"
            ) from None
