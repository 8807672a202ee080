from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and tenants")

    def ready(self) -> None:
        # Each app says in its audit_messages.py how the audit log reads its actions.
        autodiscover_modules("audit_messages")
