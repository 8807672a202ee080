"""How the audit log reads the tenant's and its members' actions."""

from django.utils.translation import gettext_lazy as _

from accounts.audit import Sentence, register

register(
    {
        "tenant.create": Sentence(
            _("Created the tenant %(object)s."), _("Could not create the tenant %(object)s.")
        ),
        "tenant.settings": Sentence(
            _("Changed the settings of the tenant %(object)s."),
            _("Could not change the settings of the tenant %(object)s."),
        ),
        "members.add": Sentence(_("Added %(object)s as %(role_after)s."), _("Could not add %(object)s.")),
        "members.invite": Sentence(
            _("Invited %(object)s as %(role_after)s."), _("Could not invite %(object)s.")
        ),
        "members.invite-again": Sentence(
            _("Sent the invitation to %(object)s again."),
            _("Could not send the invitation to %(object)s again."),
        ),
        "members.revoke": Sentence(
            _("Revoked the invitation of %(object)s (%(role_before)s)."),
            _("Could not revoke the invitation of %(object)s."),
            removes=True,
        ),
        "members.join": Sentence(
            _("Accepted the invitation: %(object)s as %(role_after)s."),
            _("Could not accept the invitation: %(object)s."),
        ),
        "login.recovery-code": Sentence(
            _("Signed in with a recovery code (%(recovery_codes_left_after)s left)."),
            _("Could not sign in with a recovery code."),
        ),
        "members.role": Sentence(
            _("Changed the role of %(object)s from %(role_before)s to %(role_after)s."),
            _("Could not change the role of %(object)s."),
        ),
        "members.remove": Sentence(
            _("Removed %(object)s (%(role_before)s)."), _("Could not remove %(object)s."), removes=True
        ),
    },
    areas={"tenant": _("Tenant settings"), "members": _("Members"), "login": _("Sign-in")},
    fields={
        "name": _("name"),
        "time zone": _("time zone"),
        "two-factor required": _("two-step sign-in required"),
        "role": _("role"),
        "new user": _("new user"),
        "invited address": _("invited address"),
        "recovery codes left": _("recovery codes left"),
    },
    values={
        "role": {"owner": _("owner"), "admin": _("admin"), "operator": _("operator"), "viewer": _("viewer")}
    },
)
