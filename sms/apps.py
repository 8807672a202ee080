from django.apps import AppConfig


class SmsConfig(AppConfig):
    name = "sms"
    verbose_name = "SerwerSMS.pl"

    def ready(self) -> None:
        from accounts import sync

        sync.register("sms", "subaccounts", "sms.tasks.sync_subaccounts")
        sync.register("sms", "account", "sms.tasks.sync_account")
