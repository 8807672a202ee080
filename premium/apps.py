from django.apps import AppConfig


class PremiumConfig(AppConfig):
    name = "premium"
    verbose_name = "Numery-Premium.PL"

    def ready(self) -> None:
        from accounts import sync

        for resource in ("numbers", "balance", "billing", "wallet", "invoices"):
            sync.register("premium", resource, f"premium.tasks.sync_{resource}")
