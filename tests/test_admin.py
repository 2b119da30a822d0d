import pytest

from bypass.models import BypassCode
from duoportal.models import ProofLock
from rescue.models import RescueCode

pytestmark = pytest.mark.django_db


def test_it_shows_helpdesk_a_code_without_its_hash(client, alice, helen):
    code, _ = BypassCode.objects.issue(alice, via="culink")
    client.force_login(helen)

    for url in ["/admin/bypass/bypasscode/", f"/admin/bypass/bypasscode/{code.pk}/change/"]:
        response = client.get(url)
        assert response.status_code == 200
        assert "alice@example.edu" in response.content.decode()
        assert code.code_hash.encode() not in response.content
        assert b"argon2" not in response.content


def test_it_shows_rescue_codes_without_hash_or_selector(client, alice, helen):
    codes = RescueCode.objects.generate(alice)
    row = RescueCode.objects.first()
    client.force_login(helen)

    response = client.get(f"/admin/rescue/rescuecode/{row.pk}/change/")
    assert response.status_code == 200
    assert b"argon2" not in response.content
    assert not any(code[:4].encode() in response.content for code in codes)


def test_it_keeps_the_audit_trail_read_only(client, alice, helen):
    BypassCode.objects.issue(alice, via="culink")
    client.force_login(helen)
    assert client.get("/admin/duoportal/auditevent/").status_code == 200
    assert client.get("/admin/duoportal/auditevent/add/").status_code == 403


def test_it_keeps_people_out_of_admin(client, alice):
    client.force_login(alice)
    assert client.get("/admin/bypass/bypasscode/").status_code == 302


def test_it_lets_helpdesk_unlock_a_proof(client, alice, helen):
    for _ in range(10):
        BypassCode.objects.redeem(alice, "000000000")
    lock = ProofLock.objects.get(user=alice, kind="passcode")
    client.force_login(helen)

    response = client.post(
        "/admin/duoportal/prooflock/",
        {"action": "unlock", "_selected_action": [lock.pk]},
        follow=True,
    )

    assert "1 unlocked." in response.content.decode()
    assert ProofLock.objects.locked_until(alice, "passcode") is None
    assert alice.audit_events.get(action="proof_unlock").actor == helen
