"""How the audit log reads the SerwerSMS.pl actions."""

from django.utils.translation import gettext_lazy as _

from accounts.audit import Sentence, register

register(
    {
        "sms.account": Sentence(
            _("Changed the SerwerSMS.pl account."), _("Could not change the SerwerSMS.pl account.")
        ),
        "sms.subaccount.create": Sentence(
            _("Created the subaccount %(object)s."), _("Could not create the subaccount %(object)s.")
        ),
        "sms.subaccount.limit": Sentence(
            _("Changed a message limit of the subaccount %(object)s."),
            _("Could not change a message limit of the subaccount %(object)s."),
        ),
        "sms.subaccount.delete": Sentence(
            _("Deleted the subaccount %(object)s."),
            _("Could not delete the subaccount %(object)s."),
            removes=True,
        ),
    },
    areas={"sms": "SerwerSMS.pl"},
    fields={
        "sign-in method": _("sign-in method"),
        "API user login": _("API user login"),
        "API base URL": _("API address"),
        "API token": _("API token"),
        "API user password": _("API user password"),
        "login": _("login"),
        "template": _("template subaccount"),
        "name": _("name"),
        "phone": _("phone"),
        "email": _("email"),
        "limit eco": _("ECO messages limit"),
        "limit full": _("FULL messages limit"),
        "limit voice": _("voice messages limit"),
        "limit mms": _("MMS limit"),
        "limit hlr": _("HLR queries limit"),
    },
    links={"sms.subaccount": ("sms:subaccount", "subaccount_id")},
)
