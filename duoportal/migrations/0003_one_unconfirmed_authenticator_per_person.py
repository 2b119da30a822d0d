from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def keep_each_persons_newest_unconfirmed(apps, schema_editor):
    # Before the constraint, a person could have started any number of apps.
    Device = apps.get_model("duoportal", "AuthenticatorDevice")
    newest = (
        Device.objects.filter(user=OuterRef("user"), confirmed=False)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    Device.objects.filter(confirmed=False).exclude(pk=Subquery(newest)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("duoportal", "0002_no_passwords_and_profile_audit"),
    ]

    operations = [
        migrations.RunPython(keep_each_persons_newest_unconfirmed, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="authenticatordevice",
            constraint=models.UniqueConstraint(
                condition=models.Q(("confirmed", False)),
                fields=("user",),
                name="one_unconfirmed_authenticator_per_person",
            ),
        ),
    ]
