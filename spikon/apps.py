from django.apps import AppConfig


class SpikonConfig(AppConfig):
    name = "spikon"
    verbose_name = "SPIKON"
