"""The emails the dashboard sends to people: invitations and warnings about their sign-in.

Sent through Django's email backend (SMTP in production, the console in development). A failure
to send is the caller's to report; nothing here retries.
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Invitation, User

logger = logging.getLogger(__name__)


class EmailNotSent(Exception):
    """The email server refused the message or could not be reached."""


class EmailOff(EmailNotSent):
    """This installation sends no email (no EMAIL_URL in production)."""


def _send(subject_template: str, body_template: str, context: dict[str, object], to: str) -> None:
    if not settings.EMAIL_ENABLED:
        raise EmailOff
    subject = " ".join(render_to_string(subject_template, context).split())
    body = render_to_string(body_template, context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("email to %s not sent: %s", to.split("@")[-1], error.__class__.__name__)
        raise EmailNotSent from None


def send_invitation(request: HttpRequest, invitation: Invitation, token: str) -> None:
    """The invitation's link, to the invited address (the only place the link exists)."""
    context = {
        "tenant": invitation.tenant,
        "role": invitation.get_role_display(),
        "inviter": request.user.get_username(),
        "link": request.build_absolute_uri(reverse("invitation", args=[token])),
        "expires_at": invitation.expires_at,
    }
    _send("accounts/email/invitation_subject.txt", "accounts/email/invitation.txt", context, invitation.email)


def send_recovery_code_warning(request: HttpRequest, user: User, codes_left: int) -> None:
    """Tells the user that one of their recovery codes was just used to log in."""
    if not user.email:
        return
    context = {
        "user": user,
        "codes_left": codes_left,
        "two_factor_link": request.build_absolute_uri(reverse("two-factor")),
        "reset_link": request.build_absolute_uri(reverse("password_reset")),
    }
    _send(
        "accounts/email/recovery_code_used_subject.txt",
        "accounts/email/recovery_code_used.txt",
        context,
        user.email,
    )
