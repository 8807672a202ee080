"""How the audit log reads the API's actions."""

from django.utils.translation import gettext_lazy as _

from accounts.audit import Sentence, register

register(
    {
        "api.token.create": Sentence(
            _("Created the API token %(object)s."), _("Could not create the API token %(object)s.")
        ),
        "api.token.revoke": Sentence(
            _("Revoked the API token %(object)s."), _("Could not revoke the API token %(object)s.")
        ),
    },
    areas={"api": _("API")},
    fields={"expires": _("expires")},
)
