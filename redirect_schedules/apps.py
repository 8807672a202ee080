from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RedirectSchedulesConfig(AppConfig):
    name = "redirect_schedules"
    verbose_name = _("Redirect schedules")
