from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

HELPDESK_GROUP = "Helpdesk"
# What helpdesk staff may do in admin: find people, keep the card register,
# see codes' state and unlock proofs. Never delete the audit trail.
HELPDESK_PERMISSIONS = [
    ("duoportal", "view_user"),
    ("duoportal", "change_user"),
    ("duoportal", "view_culinkcard"),
    ("duoportal", "add_culinkcard"),
    ("duoportal", "change_culinkcard"),
    ("duoportal", "view_prooflock"),
    ("duoportal", "change_prooflock"),
    ("duoportal", "view_auditevent"),
    ("bypass", "view_bypasscode"),
    ("bypass", "change_bypasscode"),
    ("bypass", "view_bypasscodeuse"),
    ("rescue", "view_rescuecode"),
]


def ensure_helpdesk_group(using=None, **kwargs):
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    group, _ = Group.objects.using(using).get_or_create(name=HELPDESK_GROUP)
    wanted = Q()
    for app_label, codename in HELPDESK_PERMISSIONS:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.add(*Permission.objects.using(using).filter(wanted))


def record_sign_in(sender, request, user, **kwargs):
    from duoportal.models import AuditEvent

    AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=user, actor=user, outcome="ok")


class DuoportalConfig(AppConfig):
    name = "duoportal"
    verbose_name = _("People and cards")

    def ready(self):
        from duoportal import checks  # noqa: F401 (registers the system checks)

        # After every app's migrations (not only ours): the permissions of
        # apps migrated after this one exist only by then.
        post_migrate.connect(ensure_helpdesk_group)
        user_logged_in.connect(record_sign_in)
