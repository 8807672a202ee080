"""How the audit log reads the Numery-Premium.PL actions."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.audit import Sentence, register

register(
    {
        "premium.account.create": Sentence(
            _("Connected the Numery-Premium.PL account %(email_after)s."),
            _("Could not connect the Numery-Premium.PL account."),
        ),
        "premium.account.update": Sentence(
            _("Changed the Numery-Premium.PL account."), _("Could not change the Numery-Premium.PL account.")
        ),
        "premium.account.shares": Sentence(
            _("Changed the shares per tariff used to estimate the earning."),
            _("Could not change the shares per tariff."),
        ),
        "premium.redirect.set": Sentence(
            _("Changed the redirect of number %(object)s from %(redirect_before)s to %(redirect_after)s."),
            _("Could not change the redirect of number %(object)s."),
        ),
        "premium.number.buy": Sentence(
            _("Bought number %(object)s in tariff %(tariff_after)s."),
            _("Could not buy a number in tariff %(tariff_after)s."),
        ),
        "premium.number.delete": Sentence(
            _("Deleted number %(object)s."), _("Could not delete number %(object)s."), removes=True
        ),
    },
    areas={"premium": "Numery-Premium.PL"},
    fields={
        "email": _("email"),
        "api_key": _("API key"),
        "base URL": _("API address"),
        "redirect": _("redirect"),
        "presentation": _("number shown"),
        "announcement": _("announcement"),
        "tariff": _("tariff"),
        "wallet": _("wallet after the purchase"),
        "number": _("number"),
        **{
            f"share in tariff {tariff}": format_lazy(_("share in tariff {tariff}, percent"), tariff=tariff)
            for tariff in range(4, 9)
        },
        "outcome unknown": _("the provider may have bought it: see the list of numbers"),
    },
    values={
        "presentation": {"prezentacjaA": _("restricted number"), "prezentacja": _("caller's number")},
    },
    money_fields=("wallet",),
    links={"premium.premiumnumber": ("premium:number", "number_id")},
)
