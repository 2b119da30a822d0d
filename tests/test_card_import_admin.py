"""The card register's upload in admin: upload, preview, confirm; nothing saved before."""

import base64
import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from duoportal.models import AuditEvent, CULinkCard, User
from tests.conftest import pass_prompt

pytestmark = pytest.mark.django_db

IMPORT = "/admin/duoportal/culinkcard/import/"
HEADER = "username,serial,status,expires_on\n"


def upload(client, text, name="cards.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data, "text/csv")})


def confirm(client, preview, **changes):
    fields = dict(re.findall(r'name="(content|digest)" value="([^"]*)"', preview.text))
    return client.post(IMPORT, {**fields, **changes, "confirm": "1"})


def test_it_previews_then_imports_on_confirm(helpdesk, helen, alice, bob):
    CULinkCard.objects.create(user=bob, serial="51007788", status="active")
    text = (
        HEADER + "alice@example.edu,5100 2345,active,2027-08-31\nbob@example.edu,51007788,lost,\n"
    )

    preview = upload(helpdesk, text)

    assert "1 new, 1 changed, 0 left alone." in preview.text
    assert "…2345" in preview.text and "51002345" not in preview.text
    assert not CULinkCard.objects.filter(serial="51002345").exists()

    done = confirm(helpdesk, preview)

    assert done["Location"] == "/admin/duoportal/culinkcard/"
    assert {c.serial: (c.user, c.status) for c in CULinkCard.objects.all()} == {
        "51002345": (alice, "active"),
        "51007788": (bob, "lost"),
    }
    assert CULinkCard.objects.get(serial="51002345").expires_on == date(2027, 8, 31)
    events = AuditEvent.objects.filter(action="card_import")
    assert {(e.outcome, e.actor) for e in events} == {("created", helen), ("updated", helen)}


def test_it_shows_every_bad_line_and_imports_nothing(helpdesk, alice):
    text = HEADER + (
        "alice@example.edu,51002345,active,\n"
        "nobody@example.edu,1234,active,\n"
        "alice@example.edu,x,lost,31/12/2027\n"
    )

    preview = upload(helpdesk, text)

    assert "Nothing can be imported: 2 problems in the file." in preview.text
    assert "line 3: no person with username" in preview.text
    assert "line 4: the serial is not 4 to 32 letters and digits." in preview.text
    assert 'name="confirm"' not in preview.text
    assert not CULinkCard.objects.exists()


def test_a_changed_preview_imports_nothing(helpdesk, alice):
    preview = upload(helpdesk, HEADER + "alice@example.edu,51002345,active,\n")
    forged = base64.b64encode(f"{HEADER}alice@example.edu,59999999,active,\n".encode()).decode()

    response = confirm(helpdesk, preview, content=forged)

    assert response["Location"] == IMPORT
    assert not CULinkCard.objects.exists()


def test_it_refuses_a_file_that_is_not_utf8_or_too_large(helpdesk, settings):
    assert "is not UTF-8 text" in upload(helpdesk, b"username\n" + b"\xff\xfe").text

    settings.CARD_IMPORT_MAX_BYTES = 100
    too_large = upload(helpdesk, HEADER + "alice@example.edu,51002345,active,\n" * 10)

    assert "larger than" in too_large.text
    assert not CULinkCard.objects.exists()


def test_helpdesk_cannot_import_the_card_of_someone_with_admin_access(helpdesk, root):
    hank = User.objects.create_user("hank@example.edu", is_staff=True)

    preview = upload(helpdesk, HEADER + "hank@example.edu,51001111,active,\n")

    assert "hank@example.edu has admin access" in preview.text
    assert 'name="confirm"' not in preview.text
    superuser = pass_prompt(Client(), root)
    assert "1 new" in upload(superuser, HEADER + "hank@example.edu,51001111,active,\n").text
    assert not CULinkCard.objects.filter(user=hank).exists()


def test_a_cross_site_post_is_refused(helpdesk):
    helpdesk.handler.enforce_csrf_checks = True

    response = upload(helpdesk, HEADER)

    assert response.status_code == 403


def test_a_confirm_with_garbage_imports_nothing(helpdesk):
    response = helpdesk.post(IMPORT, {"content": "é", "digest": "x", "confirm": "1"})

    assert response["Location"] == IMPORT
    assert not CULinkCard.objects.exists()


def test_the_preview_says_a_lost_card_stays_lost(helpdesk, alice):
    CULinkCard.objects.create(user=alice, serial="51002345", status="lost")

    preview = upload(helpdesk, HEADER + "alice@example.edu,51002345,active,\n")

    assert "1 card the file lists as active stays lost or revoked" in preview.text
    assert confirm(helpdesk, preview).status_code == 302
    assert CULinkCard.objects.get().status == "lost"
