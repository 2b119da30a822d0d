from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DuoportalConfig(AppConfig):
    name = "duoportal"
    verbose_name = _("People and cards")
