"""Create (once) the admin user and the demo tenant whose provider accounts use the sandboxes.

Idempotent: the README's start command runs it at every start.
"""

from importlib import import_module
from importlib.util import find_spec

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.crypto import get_random_string

from accounts.models import Membership, Role, Tenant

PROVIDER_APPS = ("premium", "spikon", "sms")


class Command(BaseCommand):
    help = "Create the admin user (once) and the demo tenant pointing at the built-in provider sandboxes."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--sandbox-url", default="http://127.0.0.1:8001", help="Where the sandboxes run.")
        parser.add_argument("--username", default="admin")

    @transaction.atomic
    def handle(self, *args, sandbox_url: str, username: str, **options) -> None:
        users = get_user_model()
        admin = users.objects.filter(username=username).first()
        if admin is None:
            password = get_random_string(16)
            admin = users.objects.create_superuser(username=username, email="", password=password)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Admin user created. Log in as {username!r} with the password: {password}"
                )
            )
            self.stdout.write(
                "It is shown only this once; `python manage.py changepassword admin` sets a new one."
            )
        else:
            self.stdout.write(
                f"Admin user {username!r} exists (`python manage.py changepassword {username}`)."
            )

        tenant, created = Tenant.objects.get_or_create(slug="demo", defaults={"name": "Demo"})
        Membership.objects.get_or_create(user=admin, tenant=tenant, defaults={"role": Role.OWNER})
        for app in PROVIDER_APPS:
            if find_spec(f"{app}.demo") is not None:
                import_module(f"{app}.demo").set_up_demo(tenant, f"{sandbox_url.rstrip('/')}/{app}")
        self.stdout.write(f"Demo tenant {'created' if created else 'ready'}: /t/{tenant.slug}/")
