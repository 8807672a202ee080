"""Forms of the SPIKON pages: account, click-to-call, phonebooks, CSV import, SMS, call history and
announcements.

The limits come from the provider document (spikon.client); the provider checks them too, the forms say
it first and in the operator's words.
"""

from __future__ import annotations

import math
import re

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, ngettext_lazy, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.forms import CalendarDateField
from accounts.ids import RowsChoiceField
from provider_api.parsing import ParseError, normalise_polish_number
from providers.accounts import ProviderAccountForm, secret_field
from providers.once import KEY_MAX_LENGTH
from spikon.client import (
    CALL_HISTORY_MAX_DAYS,
    PHONE_BOOK_ENTRY_NAME_MAX_LENGTH,
    PHONE_BOOK_NAME_MAX_LENGTH,
    PHONE_NUMBER_MAX_LENGTH,
    SMS_MESSAGE_MAX_LENGTH,
    SMS_SENDERS,
    SMS_TWO_WAY_SENDER,
    TTS_TEXT_MAX_LENGTH,
)
from spikon.models import (
    CallDirection,
    PhoneAccount,
    PhoneBook,
    PhoneBookEntry,
    SpikonAccount,
    TtsLanguage,
    TtsVoice,
)

# Separators people type inside numbers ("601 234-567", "(58) 300 11 00"), dropped before checking.
NUMBER_SEPARATORS = re.compile(r"[\s\-().]")
PHONE_NUMBER = re.compile(r"\+?[0-9]{2,}")
FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
# The most recipients of one submission: each is one request to the provider while the operator waits.
SMS_MAX_RECIPIENTS = 100
# Recipients are separated by commas, semicolons or line breaks; spaces may sit inside a number.
RECIPIENT_SPLIT = re.compile(r"[,;\n\r]+")


def normalize_phone_number(value: str) -> str:
    """A dialable number: digits with an optional leading "+", separators removed, at most 25 characters."""
    compact = NUMBER_SEPARATORS.sub("", value)
    if not PHONE_NUMBER.fullmatch(compact):
        raise forms.ValidationError(
            _("Enter a phone number: digits, optionally starting with +."), code="number"
        )
    if len(compact) > PHONE_NUMBER_MAX_LENGTH:
        raise forms.ValidationError(
            _("A phone number has at most %(max)d characters.") % {"max": PHONE_NUMBER_MAX_LENGTH},
            code="number_length",
        )
    return compact


def polish_sms_number(value: str) -> str:
    """The 9 digits the provider takes for an SMS (4.6.1), from "601234567", "+48 601 234 567" or "0048…"."""
    try:
        return normalise_polish_number(value)
    except ParseError:
        raise forms.ValidationError(
            _("“%(value)s” is not a Polish number of 9 digits (SMS go only to Polish numbers).")
            % {"value": value[:40]},
            code="sms_number",
        ) from None


class PhoneNumberField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 40)  # separators included; the number itself is checked below
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return normalize_phone_number(value) if value else value


class FormKeyField(forms.CharField):
    """The key of one confirmation, issued with the form (providers.once.new_action_key)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=KEY_MAX_LENGTH, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not FORM_KEY.fullmatch(value):
            raise forms.ValidationError(_("This form is damaged; reload the page."), code="form_key")
        return value


# Account ---------------------------------------------------------------------------------------------------


class AccountForm(ProviderAccountForm):
    """The API key (write-only: an empty field keeps the saved one) and the API address."""

    SECRET_FIELDS = ("api_key",)

    api_key = secret_field(
        _("API key"),
        help_text=_("Made in the SPIKON client panel: Ustawienia i dodatki → API - ustawienia."),
        required_message=_("Enter the API key."),
    )

    class Meta:
        model = SpikonAccount
        fields = ["api_key", "base_url"]

    def clean_api_key(self) -> str:
        key = self.cleaned_data["api_key"]
        if key and not re.fullmatch(r"[\x21-\x7e]+", key):
            raise forms.ValidationError(_("An API key has no spaces and no accented letters."))
        return key


# Click-to-call ---------------------------------------------------------------------------------------------


class PhoneAccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PhoneAccount) -> str:
        return str(obj)


class ClickToCallForm(forms.Form):
    form_key = FormKeyField()
    phone_account = PhoneAccountChoiceField(
        label=_("From phone account"),
        queryset=PhoneAccount.objects.none(),
        empty_label=_("Choose the phone account that rings first"),
    )
    destination = PhoneNumberField(
        label=_("Destination number"),
        help_text=format_lazy(
            _("Digits, optionally starting with +; at most {max} characters."), max=PHONE_NUMBER_MAX_LENGTH
        ),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def __init__(self, *args, tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone_account"].queryset = PhoneAccount.objects.filter(tenant=tenant)


# Phonebooks ------------------------------------------------------------------------------------------------


class PhoneBookForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the new phonebook"),
        max_length=PHONE_BOOK_NAME_MAX_LENGTH,
        help_text=format_lazy(_("At most {max} characters; unique."), max=PHONE_BOOK_NAME_MAX_LENGTH),
    )

    def __init__(self, *args, tenant, **kwargs) -> None:
        self.tenant = tenant
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if PhoneBook.objects.filter(tenant=self.tenant, name=name).exists():
            raise forms.ValidationError(_("A phonebook with this name exists already: choose another name."))
        return name


class EntryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=PHONE_BOOK_ENTRY_NAME_MAX_LENGTH)
    number = PhoneNumberField(label=_("Number"), widget=forms.TextInput(attrs={"inputmode": "tel"}))


class DeleteBookForm(forms.Form):
    confirm = forms.CharField(label=_("Type the phonebook's name to confirm"), max_length=200, strip=True)

    def __init__(self, *args, book: PhoneBook, **kwargs) -> None:
        self.book = book
        super().__init__(*args, **kwargs)

    def clean_confirm(self) -> str:
        if self.cleaned_data["confirm"] != self.book.name:
            raise forms.ValidationError(_("Type the name exactly as shown to delete the phonebook."))
        return self.cleaned_data["confirm"]


IMPORT_MAX_BYTES = 1024 * 1024
IMPORT_MAX_ROWS = 5000


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=format_lazy(
            _(
                "Two columns: name and number (a header line is optional); separated by commas or "
                "semicolons; UTF-8 or Windows-1250; at most {rows} lines and 1 MB."
            ),
            rows=IMPORT_MAX_ROWS,
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB: split it into smaller files."))
        return upload


# SMS -------------------------------------------------------------------------------------------------------

# GSM 03.38: the basic alphabet (one septet each) and the extension table (an escape and a septet: two).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def sms_parts(text: str) -> tuple[str, int, int]:
    """(encoding, length in its units, number of SMS parts): the rule the counter in the browser shows.

    GSM-7: 160 septets in one SMS, 153 per part when longer. Otherwise UCS-2: 70 UTF-16 units in one
    SMS, 67 per part (an emoji takes two units).
    """
    if all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in text):
        units = sum(2 if char in GSM7_EXTENDED else 1 for char in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "Unicode"
    if units == 0:
        return encoding, 0, 0
    return encoding, units, 1 if units <= single else math.ceil(units / multi)


class EntryChoiceField(RowsChoiceField):
    def label_from_instance(self, obj: PhoneBookEntry) -> str:
        return f"{obj.name} ({obj.number})"


def sender_choices() -> list[tuple[str, str]]:
    labels = {SMS_TWO_WAY_SENDER: _("2way (the recipient can reply)")}
    return [(sender, labels.get(sender, sender)) for sender in SMS_SENDERS]


class SmsForm(forms.Form):
    form_key = FormKeyField()
    sender = forms.ChoiceField(
        label=_("Sender name"),
        choices=sender_choices,
        help_text=_("A sender name of your own is registered through SPIKON's customer service."),
    )
    recipients = forms.CharField(
        label=_("Recipients"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "inputmode": "tel"}),
        help_text=format_lazy(
            _("Polish numbers of 9 digits, separated by commas or new lines; at most {max} recipients."),
            max=SMS_MAX_RECIPIENTS,
        ),
    )
    entries = EntryChoiceField(
        label=_("From the phonebook"),
        required=False,
        queryset=PhoneBookEntry.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    message = forms.CharField(
        label=_("Message"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": SMS_MESSAGE_MAX_LENGTH}),
        help_text=format_lazy(
            _(
                "At most {max} characters (6 standard SMS). One SMS takes 160 characters without Polish "
                "letters, 70 with them; a longer text is sent in parts."
            ),
            max=SMS_MESSAGE_MAX_LENGTH,
        ),
    )

    def __init__(self, *args, tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Any entry of the tenant may be picked (the picker shows one book at a time).
        self.fields["entries"].queryset = PhoneBookEntry.objects.filter(tenant=tenant).select_related("book")

    def clean_recipients(self) -> list[str]:
        typed = [
            part.strip() for part in RECIPIENT_SPLIT.split(self.cleaned_data["recipients"]) if part.strip()
        ]
        numbers, errors = [], []
        for part in typed:
            try:
                numbers.append(polish_sms_number(part))
            except forms.ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise forms.ValidationError(errors[:5])
        return numbers

    def clean_message(self) -> str:
        # Browsers send a textarea's line breaks as CRLF; the counter and the provider count one character.
        text = self.cleaned_data["message"].replace("\r\n", "\n").replace("\r", "\n")
        if not text.strip():
            raise forms.ValidationError(_("Write the message."))
        if len(text) > SMS_MESSAGE_MAX_LENGTH:
            raise forms.ValidationError(
                ngettext_lazy(
                    "The message has %(count)d character; at most %(max)d are allowed.",
                    "The message has %(count)d characters; at most %(max)d are allowed.",
                    "count",
                )
                % {"count": len(text), "max": SMS_MESSAGE_MAX_LENGTH}
            )
        return text

    def clean(self):
        cleaned = super().clean()
        recipients: dict[str, str] = {}  # number -> name, in the order given, each number once
        for number in cleaned.get("recipients") or []:
            recipients.setdefault(number, "")
        bad_entries = []
        for entry in cleaned.get("entries") or []:
            try:
                number = polish_sms_number(entry.number)
            except forms.ValidationError:
                bad_entries.append(entry.name)
                continue
            if not recipients.get(number):
                recipients[number] = entry.name
        if bad_entries:
            self.add_error(
                "entries",
                _("These entries have no Polish mobile number of 9 digits: %(names)s.")
                % {"names": ", ".join(bad_entries[:5])},
            )
        elif "recipients" in cleaned and "entries" in cleaned and not recipients:
            self.add_error("recipients", _("Give at least one recipient."))
        elif len(recipients) > SMS_MAX_RECIPIENTS:
            self.add_error(
                "recipients",
                _("At most %(max)d recipients at once; this has %(count)d.")
                % {"max": SMS_MAX_RECIPIENTS, "count": len(recipients)},
            )
        cleaned["recipient_list"] = list(recipients.items())
        return cleaned


# --- Call history (4.4.1) and its filter ----------------------------------------------------------------------

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
POLISH_NUMBER = re.compile(r"(?:\+?48|0048)?([0-9]{9})")


class ReportOrderForm(forms.Form):
    direction = forms.TypedChoiceField(
        label=gettext_lazy("Direction"),
        choices=CallDirection.choices,
        coerce=int,
        initial=CallDirection.BOTH,
    )
    date_start = CalendarDateField(label=gettext_lazy("From"), widget=DATE_INPUT)
    date_end = CalendarDateField(label=gettext_lazy("To"), widget=DATE_INPUT)
    recordings_only = forms.BooleanField(
        label=gettext_lazy("Only calls with recordings"), required=False, initial=True
    )
    number = PhoneNumberField(
        label=gettext_lazy("Number (optional)"),
        required=False,
        help_text=gettext_lazy("Only calls from or to this number."),
    )

    def clean_number(self) -> str:
        """A Polish number goes as its 9 digits, the way the provider writes numbers in its reports."""
        number = self.cleaned_data["number"]
        polish = POLISH_NUMBER.fullmatch(number)
        return polish.group(1) if polish else number

    def clean(self):
        data = super().clean()
        start, end = data.get("date_start"), data.get("date_end")
        if start is None or end is None:
            return data
        if end < start:
            self.add_error("date_end", _("The end date is before the start date."))
        elif (end - start).days + 1 > CALL_HISTORY_MAX_DAYS:
            # The provider counts both ends of the range (spikon.client.CALL_HISTORY_MAX_DAYS).
            self.add_error(
                "date_end",
                _("A report covers at most %(days)d days; this range has %(range)d.")
                % {"days": CALL_HISTORY_MAX_DAYS, "range": (end - start).days + 1},
            )
        if start > timezone.localdate():
            self.add_error("date_start", _("The start date is in the future."))
        return data


class CallFilterForm(forms.Form):
    DIRECTION_UNKNOWN = "unknown"

    date_from = CalendarDateField(label=gettext_lazy("From"), required=False, widget=DATE_INPUT)
    date_to = CalendarDateField(label=gettext_lazy("To"), required=False, widget=DATE_INPUT)
    number = PhoneNumberField(label=gettext_lazy("Number"), required=False)
    direction = forms.ChoiceField(
        label=gettext_lazy("Direction"),
        required=False,
        choices=[
            ("", gettext_lazy("any")),
            (str(CallDirection.INCOMING), CallDirection.INCOMING.label),
            (str(CallDirection.OUTGOING), CallDirection.OUTGOING.label),
            (DIRECTION_UNKNOWN, pgettext_lazy("call direction", "not known")),
        ],
    )
    state = forms.CharField(label=gettext_lazy("State"), required=False, max_length=64)
    recording = forms.ChoiceField(
        label=pgettext_lazy("call", "Recording"),
        required=False,
        choices=[
            ("", pgettext_lazy("calls with or without a recording", "any")),
            ("yes", gettext_lazy("with")),
            ("no", gettext_lazy("without")),
        ],
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


# --- Announcements (4.7.3) -----------------------------------------------------------------------------------

PREFERRED_LANGUAGE = "pl-PL"
ANNOUNCEMENT_NAME_MAX_LENGTH = 200


class AnnouncementForm(forms.Form):
    """Language, voice (of that language), name and text of a new announcement (4.7.3)."""

    language = forms.ChoiceField(label=gettext_lazy("Language"))
    voice = forms.ChoiceField(label=gettext_lazy("Voice"))
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=ANNOUNCEMENT_NAME_MAX_LENGTH,
        help_text=gettext_lazy("How the announcement is listed, here and in the SPIKON panel."),
    )
    text = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": TTS_TEXT_MAX_LENGTH, "data-text-counter": ""}),
        strip=True,
    )

    def __init__(self, *args, tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        languages = list(TtsLanguage.objects.filter(tenant=tenant).order_by("description", "code"))
        self.fields["language"].choices = [(language.code, str(language)) for language in languages]
        code = self.data.get("language") if self.is_bound else self.initial.get("language")
        if code not in {language.code for language in languages}:
            code = self.initial["language"] = default_language(languages)
        self.voices = list(TtsVoice.objects.filter(tenant=tenant, language__code=code).order_by("name"))
        self.fields["voice"].choices = [(voice.name, str(voice)) for voice in self.voices]

    def clean_text(self) -> str:
        # Browsers send line breaks as CRLF; the provider, like the counter on the page, counts one character.
        text = self.cleaned_data["text"].replace("\r\n", "\n")
        if len(text) > TTS_TEXT_MAX_LENGTH:
            raise forms.ValidationError(
                ngettext_lazy(
                    "The text has %(length)d character; an announcement has at most %(max)d.",
                    "The text has %(length)d characters; an announcement has at most %(max)d.",
                    "length",
                )
                % {"length": len(text), "max": TTS_TEXT_MAX_LENGTH}
            )
        return text


def default_language(languages: list[TtsLanguage]) -> str | None:
    codes = [language.code for language in languages]
    if PREFERRED_LANGUAGE in codes:
        return PREFERRED_LANGUAGE
    return codes[0] if codes else None
