from __future__ import annotations

import calendar
from datetime import date
from html import escape

from django import forms
from django.utils.dates import MONTHS
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.ids import RowsChoiceField
from accounts.models import Tenant
from premium.client import Prezentacja
from premium.models import PRESENTATION_CHOICES, Call, PremiumAccount, PremiumNumber
from premium.sync import current_month
from provider_api.parsing import ParseError, normalise_polish_number
from providers.accounts import ProviderAccountForm, secret_field
from providers.fields import PolishNumberField

TARIFFS = (4, 5, 6, 7, 8)
MAX_BULK_NUMBERS = 100  # each number is one provider call made while the operator waits


class AccountForm(ProviderAccountForm):
    """Email, API key (write-only: never rendered back) and an optional API address."""

    SECRET_FIELDS = ("api_key",)

    api_key = secret_field(_("API key"), help_text=_("Found in the provider's panel under API → 70x."))

    class Meta:
        model = PremiumAccount
        fields = ["email", "api_key", "base_url"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.stored["api_key"]:
            self.fields["api_key"].help_text = _(
                "A key ending in %(hint)s is set. Leave this empty to keep it."
            ) % {"hint": self.instance.api_key_hint}


def redirect_target_field() -> PolishNumberField:
    """Where a number's calls go: a Polish number typed any common way, stored as its 9 digits."""
    return PolishNumberField(
        label=_("Redirect to"),
        error_messages={
            "invalid_number": _(
                "Enter a Polish number of 9 digits, e.g. 601 123 456 or +48 601 123 456 "
                "(a number abroad can be set only by the provider's office)."
            )
        },
    )


TARIFFS = range(4, 9)  # the document's addNumber: "Min 4 max 8"


class EarningSharesForm(forms.Form):
    """The tenant's share of what callers pay, per tariff (percent, from its contract); blank: not known."""

    def __init__(self, *args, account: PremiumAccount, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for tariff in TARIFFS:
            self.fields[f"tariff_{tariff}"] = forms.DecimalField(
                label=_("Tariff %(tariff)s (%%)") % {"tariff": tariff},
                required=False,
                min_value=0,
                max_value=100,
                decimal_places=2,
                max_digits=5,
                initial=account.earning_share(tariff),
            )

    def shares(self) -> dict[str, str]:
        """The entered shares as PremiumAccount.earning_shares stores them."""
        return {
            str(tariff): f"{self.cleaned_data[f'tariff_{tariff}']:.2f}"
            for tariff in TARIFFS
            if self.cleaned_data[f"tariff_{tariff}"] is not None
        }


class RedirectForm(forms.Form):
    target = redirect_target_field()
    presentation = forms.ChoiceField(
        label=_("Number shown to the redirect target"),
        choices=PRESENTATION_CHOICES,
        initial=Prezentacja.HIDDEN.value,
    )
    announcement = forms.BooleanField(
        label=_("Play the announcement (it must be uploaded in the provider's panel first)"), required=False
    )

    @classmethod
    def for_number(cls, number: PremiumNumber) -> RedirectForm:
        return cls(
            initial={
                "target": number.redirect_to,
                "presentation": number.presentation or Prezentacja.HIDDEN.value,
                "announcement": bool(number.announcement),
            },
            prefix=f"n{number.pk}",
        )


class BulkRedirectForm(forms.Form):
    numbers = RowsChoiceField(
        label=_("Numbers"),
        queryset=PremiumNumber.objects.none(),
        error_messages={"required": _("Select at least one number.")},
    )
    target = redirect_target_field()
    # Sent for numbers whose presentation or announcement is unknown here (showNumbers does not report
    # them); by default what the provider assumes when they are not sent (the API document).
    unknown_presentation = forms.ChoiceField(
        label=_("Number shown, where it is not known"),
        choices=PRESENTATION_CHOICES,
        initial=Prezentacja.HIDDEN.value,
        required=False,
    )
    unknown_announcement = forms.BooleanField(
        label=_("Play the announcement, where it is not known whether it plays"), required=False
    )

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["numbers"].queryset = PremiumNumber.objects.filter(tenant=tenant)

    def clean_numbers(self):
        numbers = self.cleaned_data["numbers"]
        if len(numbers) > MAX_BULK_NUMBERS:
            raise forms.ValidationError(
                _("Select at most %(count)d numbers at once.") % {"count": MAX_BULK_NUMBERS}
            )
        return numbers

    def clean_unknown_presentation(self) -> str:
        return self.cleaned_data["unknown_presentation"] or Prezentacja.HIDDEN.value


class TariffForm(forms.Form):
    tariff = forms.TypedChoiceField(
        label=_("Tariff"),
        coerce=int,
        choices=[(t, t) for t in TARIFFS],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose a tariff from 4 to 8.")},
    )


class BuyForm(TariffForm):
    confirmation = forms.CharField(widget=forms.HiddenInput, max_length=64)


class DeleteNumberForm(forms.Form):
    confirm_number = forms.CharField(label=_("Type the number to confirm"), max_length=32)

    def __init__(self, *args, number: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.number = number

    def clean_confirm_number(self) -> str:
        typed = "".join(self.cleaned_data["confirm_number"].split())
        if typed != self.number:
            raise forms.ValidationError(_("Type the number %(number)s exactly.") % {"number": self.number})
        return typed


def month_choices() -> list[tuple[int, str]]:
    return [(number, MONTHS[number]) for number in range(1, 13)]


class NumberMonthForm(forms.Form):
    """The month of a number's page (default: the current one)."""

    month = forms.TypedChoiceField(label=_("Month"), coerce=int, choices=month_choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    @classmethod
    def from_query(cls, query) -> NumberMonthForm:
        year, month = current_month()
        return cls({"year": query.get("year") or str(year), "month": query.get("month") or str(month)})


class BillingFilterForm(forms.Form):
    """The billing page's filters: a month (default: the current one), narrowed by the others."""

    month = forms.TypedChoiceField(label=_("Month"), coerce=int, choices=month_choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000)
    # Its suggestions: the page's datalist of the tenant's numbers.
    number = forms.CharField(
        label=_("Number"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"list": "premium-billing-numbers"}),
    )
    disposition = forms.ChoiceField(
        label=_("Call state"), required=False, choices=[("", _("any")), *Call.Disposition.choices]
    )
    caller = forms.CharField(label=_("Caller"), required=False, max_length=32)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    FIELDS = ("month", "year", "number", "disposition", "caller", "date_from", "date_to")

    @classmethod
    def from_query(cls, query) -> BillingFilterForm:
        """Bound to the query string, with the current month where it names none."""
        data = query.copy()
        year, month = current_month()
        if not data.get("year"):
            data["year"] = str(year)
        if not data.get("month"):
            data["month"] = str(month)
        return cls(data)

    def clean_number(self) -> str:
        number = "".join(self.cleaned_data["number"].split())
        if number and not (number.isascii() and number.isdigit()):
            raise forms.ValidationError(_("A premium number is digits only, e.g. 708123456."))
        return number

    def clean_caller(self) -> str:
        caller = self.cleaned_data["caller"].strip()
        if not caller:
            return ""
        try:
            return normalise_polish_number(caller)
        except ParseError:
            digits = "".join(ch for ch in caller if ch.isdigit())
            if not digits:
                raise forms.ValidationError(_("A caller's number is made of digits.")) from None
            return digits

    def clean(self):
        cleaned = super().clean()
        year, month = cleaned.get("year"), cleaned.get("month")
        if year is None or month is None:
            return cleaned
        if (year, month) > current_month():
            raise forms.ValidationError(_("That month has not begun yet."))
        first = date(year, month, 1)
        last = date(year, month, calendar.monthrange(year, month)[1])
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        for name, day in (("date_from", start), ("date_to", end)):
            if day is not None and not first <= day <= last:
                self.add_error(name, _("Choose a day of the month shown (or change the month)."))
        if start and end and start > end:
            raise forms.ValidationError(_("“From” must not be after “To”."))
        return cleaned

    def filter_bar(self) -> SafeString:
        """The fields as their widgets write them (templates/forms/field.html) in two rows, joined here: the
        widgets took a seventh of the billing page's time, and the same fields written out in its template a
        fourteenth. test_the_filter_bar_is_what_djangos_widgets_would_write keeps them the same."""
        boxes = [f'<div><div class="field">{self._field_html(name)}</div></div>' for name in self.FIELDS]
        return mark_safe(  # every text escaped in _field_html
            f'<div class="grid">{"".join(boxes[:4])}</div><div class="grid">{"".join(boxes[4:])}</div>'
        )

    def _field_html(self, name: str) -> str:
        """A field's label, widget and errors, attributes in the order its widget writes them."""
        field = self[name]
        widget = field.field.widget
        attrs = field.build_widget_attrs(widget.attrs) | {"id": field.auto_id}
        written = "".join(
            f" {key}" if value is True else f' {key}="{escape(str(value))}"'
            for key, value in attrs.items()
            if value is not False
        )
        value = widget.format_value(field.value())
        if isinstance(widget, forms.Select):
            chosen = set(value)
            options = "".join(
                f'<option value="{escape(str(option))}"{" selected" if str(option) in chosen else ""}>'
                f"{escape(str(label))}</option>"
                for option, label in field.field.choices
            )
            control = f'<select name="{name}"{written}>{options}</select>'
        else:
            shown = "" if value is None else f' value="{escape(value)}"'
            control = f'<input type="{widget.input_type}" name="{name}"{shown}{written}>'
        errors = str(field.errors) if field.errors else ""
        return f'<label for="{field.id_for_label}">{escape(str(field.label))}</label>{control}{errors}'
