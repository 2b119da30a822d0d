from django.apps import AppConfig


class DevIdpConfig(AppConfig):
    name = "duoportal.devidp"
    label = "devidp"
    verbose_name = "Development identity provider"
