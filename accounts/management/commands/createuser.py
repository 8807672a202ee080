"""Create a user from the command line, for installations that send no email (no invitations).

The user gets a random one-time password, printed once, and must choose their own at the first
login. With --tenant and --role the user also becomes a member of that tenant.
"""

from __future__ import annotations

import secrets

from django import forms
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Membership, Role, Tenant, User
from accounts.usernames import clean_username

ROLES = {role.name.lower(): role for role in Role}


class Command(BaseCommand):
    help = "Create a user with a one-time password (changed at the first login); optionally add them to a tenant."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--tenant", help="address name (slug) of the tenant to add the user to")
        parser.add_argument("--role", choices=sorted(ROLES), default="viewer")

    def handle(self, *args, **options) -> None:
        try:
            username = clean_username(options["username"])
            email = forms.EmailField(required=False).clean(options["email"])
        except forms.ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"A user named {username} exists already.")
        tenant = None
        if options["tenant"]:
            tenant = Tenant.objects.filter(slug=options["tenant"]).first()
            if tenant is None:
                raise CommandError(f"No tenant has the address name {options['tenant']}.")
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            user.must_change_password = True
            user.save(update_fields=["must_change_password"])
            if tenant is not None:
                Membership.objects.create(user=user, tenant=tenant, role=ROLES[options["role"]])
        where = f" as {options['role']} of {tenant.slug}" if tenant else ""
        self.stdout.write(f"User {username} created{where}.")
        self.stdout.write(f"One-time password (shown only now; changed at the first login): {password}")
