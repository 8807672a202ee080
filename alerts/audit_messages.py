"""How the audit log reads the alerts' actions."""

from django.utils.translation import gettext_lazy as _

from accounts.audit import Sentence, register

register(
    {
        "alert_rule.add": Sentence(
            _("Added the alert rule %(object)s."), _("Could not add the alert rule %(object)s.")
        ),
        "alert_rule.change": Sentence(
            _("Changed the alert rule %(object)s."), _("Could not change the alert rule %(object)s.")
        ),
        "alert_rule.delete": Sentence(
            _("Deleted the alert rule %(object)s."),
            _("Could not delete the alert rule %(object)s."),
            removes=True,
        ),
        "alert_emails.recipients": Sentence(
            _("Changed who gets the alert emails."), _("Could not change who gets the alert emails.")
        ),
        "webhook_endpoint.add": Sentence(
            _("Added the webhook %(object)s."), _("Could not add the webhook %(object)s.")
        ),
        "webhook_endpoint.change": Sentence(
            _("Changed the webhook %(object)s."), _("Could not change the webhook %(object)s.")
        ),
        "webhook_endpoint.delete": Sentence(
            _("Deleted the webhook %(object)s."), _("Could not delete the webhook %(object)s."), removes=True
        ),
        "webhook_endpoint.test": Sentence(
            _("Sent a test to the webhook %(object)s."), _("A test to the webhook %(object)s failed.")
        ),
        "delivery.resend": Sentence(
            _("Sent the alert %(object)s again."), _("Could not send the alert %(object)s again.")
        ),
        "notifications.change": Sentence(
            _("Changed the notification settings."), _("Could not change the notification settings.")
        ),
    },
    areas={
        "alert_rule": _("Alert rules"),
        "alert_emails": _("Alert emails"),
        "webhook_endpoint": _("Webhooks"),
        "delivery": _("Alert deliveries"),
        "notifications": _("Notifications"),
    },
)
