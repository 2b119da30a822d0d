from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q

from duoportal.models import one_by


class MicrosoftSignInBackend(AuthenticationBackend):
    """Sessions and permissions (helpdesk's group), but no password sign-in.

    allauth signs a person in after Microsoft 365 with `login()`, which needs
    no `authenticate()`. Refusing every credential here means no form, old or
    new, can ever sign anyone in with a password.
    """

    def authenticate(self, request, **credentials):
        return None

    def get_user(self, user_id):
        """ModelBackend's: the signed-in person, unless disabled. Read by hand (one_by):
        every signed-in page asks, and the ORM's compiler is most of the cost."""
        user = one_by(get_user_model(), "id", user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        """ModelBackend's answer, in one query instead of two (own, then groups').

        Every admin page asks, so this is one query less on each.
        """
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            granted = Permission.objects.all()
            if not user_obj.is_superuser:
                granted = granted.filter(Q(user=user_obj) | Q(group__user=user_obj))
            names = granted.values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in names.distinct()}
        return user_obj._perm_cache
