from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BypassConfig(AppConfig):
    name = "bypass"
    verbose_name = _("Bypass codes")
