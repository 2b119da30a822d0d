from django.apps import AppConfig


class DevDuoConfig(AppConfig):
    name = "duoapi.devduo"
    label = "devduo"
    verbose_name = "Development stand-in for Duo"
