from allauth.account.auth_backends import AuthenticationBackend


class MicrosoftSignInBackend(AuthenticationBackend):
    """Sessions and permissions (helpdesk's group), but no password sign-in.

    allauth signs a person in after Microsoft 365 with `login()`, which needs
    no `authenticate()`. Refusing every credential here means no form, old or
    new, can ever sign anyone in with a password.
    """

    def authenticate(self, request, **credentials):
        return None
