from django.conf import settings
from django.db import models

from duoportal.devidp.identity import object_id


class DemoPerson(models.Model):
    """A demo account; its password is shown on the sign-in page on purpose."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="demo")
    display_name = models.CharField(max_length=200)
    demo_password = models.CharField(max_length=128)
    role = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["user__username"]

    def __str__(self):
        return self.user.username

    def graph_profile(self):
        """The person as Microsoft Graph's /v1.0/me describes them."""
        upn = self.user.username
        return {
            "id": object_id(upn),
            "userPrincipalName": upn,
            "mail": self.user.email or upn,
            "displayName": self.display_name,
            "givenName": self.user.first_name,
            "surname": self.user.last_name,
            "mailNickname": upn.partition("@")[0],
        }
