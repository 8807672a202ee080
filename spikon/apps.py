from django.apps import AppConfig


class SpikonConfig(AppConfig):
    name = "spikon"
    verbose_name = "SPIKON"

    def ready(self) -> None:
        from accounts import sync
        from providers.jobs import register_job
        from spikon.models import (
            CallHistoryReport,
            PhoneBookImport,
            SmsMessage,
            SpikonAccount,
            TtsAnnouncement,
        )

        # What is synced (spikon.sync.RESOURCES): balance and phone accounts (4.2), phonebooks with their
        # entries (4.3), call center campaigns and agents (4.5), announcements, languages and voices (4.7).
        sync.register("spikon", "account", "spikon.tasks.sync_account")
        sync.register("spikon", "phonebooks", "spikon.tasks.sync_phonebooks")
        sync.register("spikon", "callcenter", "spikon.tasks.sync_call_center")
        sync.register("spikon", "announcements", "spikon.tasks.sync_announcements")
        sync.register("spikon", "voices", "spikon.tasks.sync_voices")
        # Their jobs, recovered by the one sweeper (providers.tasks.sweep_jobs); those stopped by refused
        # credentials go on after a successful Test connection of the SPIKON account.
        register_job(
            SmsMessage,
            "spikon.tasks.poll_sms_state",
            account=SpikonAccount,
            settle="spikon.tasks.settle_abandoned_sends",
            batch=5000,
        )
        register_job(PhoneBookImport, "spikon.tasks.run_phonebook_import", account=SpikonAccount, batch=500)
        register_job(CallHistoryReport, "spikon.tasks.poll_call_history_report", account=SpikonAccount)
        register_job(
            TtsAnnouncement,
            "spikon.tasks.poll_announcement",
            account=SpikonAccount,
            settle="spikon.tasks.settle_abandoned_generations",
        )
