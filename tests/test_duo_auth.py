"""POST /auth/v2/auth and GET /auth/v2/auth_status, as duo_client calls them."""

from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.utils import timezone

from bypass.models import BypassCode
from duoapi.models import Integration
from duoportal.models import AuditEvent, AuthenticatorDevice, ProofLock, User
from tests.conftest import asking_from
from tests.duo import auth_client, refusal

pytestmark = pytest.mark.django_db(transaction=True)

ALICE = "alice@example.edu"


@pytest.fixture
def code(alice):
    """Alice's live bypass code, in plain text."""
    return BypassCode.objects.issue(alice, via="culink")[1]


def test_it_allows_a_bypass_code_and_counts_one_use(duo, alice, code):
    answer = duo.auth("passcode", username=ALICE, passcode=code)

    assert answer == {
        "result": "allow",
        "status": "allow",
        "status_msg": "Success. Logging you in...",
    }
    assert BypassCode.objects.get(user=alice).uses == 1


def test_it_allows_a_code_from_an_authenticator_app(duo, alice):
    device = AuthenticatorDevice.objects.start(alice, "Pixel")
    AuthenticatorDevice.objects.filter(pk=device.pk).update(confirmed=True)

    answer = duo.auth("passcode", username=ALICE, passcode=pyotp.TOTP(device.totp.secret).now())

    assert answer["result"] == "allow"


def test_it_denies_a_wrong_passcode(duo, alice, code):
    wrong = f"{(int(code) + 1) % 10**9:09d}"

    answer = duo.auth("passcode", username=ALICE, passcode=wrong)

    assert (answer["result"], answer["status"]) == ("deny", "deny")
    assert answer["status_msg"] == "Incorrect passcode. Please try again."
    assert BypassCode.objects.get(user=alice).uses == 0


def test_it_denies_an_unknown_person_as_a_wrong_passcode(duo, code):
    answer = duo.auth("passcode", username="nobody@example.edu", passcode=code)

    assert answer["status_msg"] == "Incorrect passcode. Please try again."


def test_it_refuses_the_twenty_first_use(duo, alice, code):
    answers = [duo.auth("passcode", username=ALICE, passcode=code) for _ in range(21)]

    assert [a["result"] for a in answers] == ["allow"] * 20 + ["deny"]
    assert "used up" in answers[-1]["status_msg"]


def test_it_refuses_a_code_after_twelve_hours(duo, code):
    with time_machine.travel(timezone.now() + timedelta(hours=12, seconds=1)):
        answer = duo.auth("passcode", username=ALICE, passcode=code)

    assert answer["result"] == "deny"
    assert "expired" in answer["status_msg"]


def test_it_locks_after_ten_wrong_passcodes(duo, alice, code):
    for _ in range(9):
        duo.auth("passcode", username=ALICE, passcode="000000000")
    tenth = duo.auth("passcode", username=ALICE, passcode="000000000")
    right = duo.auth("passcode", username=ALICE, passcode=code)

    assert (tenth["result"], tenth["status"]) == ("deny", "locked_out")
    assert right["result"] == "deny"
    assert "Too many wrong passcodes" in right["status_msg"]
    assert BypassCode.objects.get(user=alice).uses == 0


def test_it_shares_the_lock_with_the_portals_own_prompt(duo, alice, code):
    for _ in range(10):
        BypassCode.objects.check_passcode(alice, "000000000")

    assert duo.auth("passcode", username=ALICE, passcode=code)["result"] == "deny"


def test_it_answers_asynchronously_with_a_final_status(duo, alice, code):
    txid = duo.auth("passcode", username=ALICE, passcode=code, async_txn=True)["txid"]

    status = duo.auth_status(txid)

    assert status["waiting"] is False
    assert status["success"] is True
    assert BypassCode.objects.get(user=alice).uses == 1


def test_it_answers_asynchronously_however_long_the_portals_address(duo, code, settings):
    settings.PORTAL_URL = "https://" + "portal." * 30 + "example.edu/"
    User.objects.create_user("nocode@example.edu")

    txid = duo.auth("passcode", username="nocode@example.edu", passcode=code, async_txn=True)

    assert settings.PORTAL_URL in duo.auth_status(txid["txid"])["status_msg"]


def test_it_answers_a_wrong_passcode_asynchronously(duo, code):
    txid = duo.auth("passcode", username=ALICE, passcode="000000000", async_txn=True)["txid"]

    assert duo.auth_status(txid)["success"] is False


def test_it_shows_a_transaction_only_to_the_integration_that_made_it(duo, live_server, code):
    txid = duo.auth("passcode", username=ALICE, passcode=code, async_txn=True)["txid"]
    other, secret = Integration.objects.create_integration("Wiki")
    wiki = auth_client(live_server.url, other.ikey, secret)

    status, error = refusal(lambda: wiki.auth_status(txid))

    assert (status, error["code"]) == (400, 40002)


@pytest.mark.parametrize("factor", ["auto", "push", "phone", "sms", "bogus"])
def test_it_refuses_factors_that_need_a_phone(duo, code, factor):
    status, error = refusal(lambda: duo.auth(factor, username=ALICE, device="auto"))

    assert (status, error["code"], error["message_detail"]) == (400, 40002, "factor")


@pytest.mark.parametrize(
    "params",
    [
        {"factor": "passcode", "username": ALICE},
        {"factor": "passcode", "passcode": "123456789"},
        {"factor": "prompt", "username": ALICE},
        {"factor": "passcode", "username": ALICE, "passcode": "1" * 65},
        {"factor": "passcode", "username": ALICE, "passcode": "1", "async": "maybe"},
        {"factor": "passcode", "user_id": "9" * 65, "passcode": "123456789"},
    ],
)
def test_it_refuses_missing_or_malformed_parameters(duo, code, params):
    status, error = refusal(lambda: duo.json_api_call("POST", "/auth/v2/auth", params))

    assert (status, error["code"]) == (400, 40002)


@pytest.mark.parametrize("user_id", ["999999", "9" * 40, "١٢"])
def test_an_unknown_or_impossible_stable_id_is_nobody(duo, code, user_id):
    answer = duo.auth("passcode", user_id=user_id, passcode=code)

    assert answer["result"] == "deny"


def test_it_records_each_auth_once_without_the_passcode(duo, alice, code):
    duo.auth("passcode", username=ALICE, passcode=code, ipaddr="198.51.100.7")
    duo.auth("passcode", username=ALICE, passcode="000000000", ipaddr="2001:db8::1")
    duo.auth("passcode", username="nobody@example.edu", passcode=code)

    # A checked passcode is one event of the models layer, with what the application sent.
    events = list(AuditEvent.objects.filter(action="bypass_use").order_by("pk"))
    assert [(e.outcome, e.ip) for e in events] == [
        ("accepted", "198.51.100.7"),
        ("wrong_code", "2001:db8::1"),
    ]
    assert [(e.detail["application"], e.detail["factor"]) for e in events] == [
        ("VPN", "passcode"),
        ("VPN", "passcode"),
    ]
    assert [(e.detail["username"], e.detail["ipaddr"]) for e in events] == [
        (ALICE, "198.51.100.7"),
        (ALICE, "2001:db8::1"),
    ]
    # One the models layer never saw (nobody to check it for) is the API's own.
    unknown = AuditEvent.objects.get(action="duo_auth")
    assert (unknown.outcome, unknown.detail["reason"], unknown.detail["username"]) == (
        "deny",
        "unknown user",
        "nobody@example.edu",
    )
    assert AuditEvent.objects.filter(detail__application="VPN").count() == 3
    for event in AuditEvent.objects.all():
        assert code not in str(event.detail) and "000000000" not in str(event.detail)


def test_it_works_with_version_2_signatures(live_server, vpn, code):
    integration, secret = vpn
    client = auth_client(live_server.url, integration.ikey, secret, sig_version=2)

    assert client.preauth(username=ALICE)["result"] == "auth"
    assert client.auth("passcode", username=ALICE, passcode=code)["result"] == "allow"


def test_a_rotated_secret_and_the_old_one_both_work_until_it_is_retired(
    duo, live_server, vpn, code
):
    integration, _ = vpn
    new = integration.rotate_secret()
    renewed = auth_client(live_server.url, integration.ikey, new)

    assert duo.auth("passcode", username=ALICE, passcode=code)["result"] == "allow"
    assert renewed.auth("passcode", username=ALICE, passcode=code)["result"] == "allow"

    integration.retire_previous_secret()
    assert renewed.check()
    assert refusal(duo.check)[1]["code"] == 40103


def test_it_tells_the_person_when_an_application_uses_their_code_from_a_new_network(
    duo, alice, mailoutbox
):
    with asking_from("192.0.2.10"):
        code_row, code = BypassCode.objects.issue(alice, via="culink")
    mailoutbox.clear()

    duo.auth("passcode", username=ALICE, passcode=code, ipaddr="198.51.100.7")
    duo.auth("passcode", username=ALICE, passcode=code, ipaddr="198.51.100.8")

    [mail] = mailoutbox
    assert "VPN" in mail.body and "198.51.100.7" in mail.body and code not in mail.body
    uses = BypassCode.objects.uses_of(code_row)
    assert [(u.application, u.ip) for u in uses] == [
        ("VPN", "198.51.100.8"),
        ("VPN", "198.51.100.7"),
    ]


def test_it_asks_to_try_again_when_ten_checks_are_already_running(duo, alice, code, settings):
    settings.PROOF_BUSY_WAIT = timedelta(0)
    ProofLock.objects.create(user=alice, kind="passcode", in_flight=10, reserved_at=timezone.now())

    answer = duo.auth("passcode", username=ALICE, passcode=code)

    assert answer["result"] == "deny"
    assert (
        answer["status_msg"] == "Other passcodes of yours are being checked. Try again in a moment."
    )
    assert ProofLock.objects.get(user=alice).failures == 0
