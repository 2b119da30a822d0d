from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DuoapiConfig(AppConfig):
    """Duo's protocols: integrations, request signing and the Auth API.

    It calls the models layer of the portal and holds no rule of its own;
    the people layer never imports it.
    """

    name = "duoapi"
    verbose_name = _("Duo API")

    def ready(self):
        from duoapi import checks  # noqa: F401 (registers the system checks)
