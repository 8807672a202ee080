from django.apps import AppConfig


class PremiumConfig(AppConfig):
    name = "premium"
    verbose_name = "Numery-Premium.PL"

    def ready(self) -> None:
        from accounts import sync
        from premium.models import Repricing, Statement
        from providers.jobs import register_job

        for resource in ("numbers", "balance", "wallet", "invoices"):
            sync.register("premium", resource, f"premium.tasks.sync_{resource}")
        # One month of billing: billing-2026-11.
        sync.register(
            "premium", "billing", "premium.tasks.sync_billing", pattern=r"billing-\d{4}-(0[1-9]|1[0-2])"
        )
        # PDF statements, recovered by the one sweeper (providers.tasks.sweep_jobs).
        register_job(Statement, "premium.tasks.render_statement")
        # What callers paid, recounted after a number was bought or deleted here.
        register_job(Repricing, "premium.tasks.reprice_totals")
