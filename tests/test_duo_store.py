"""Duo account mode in the models layer: Duo makes, counts and checks the codes.

The portal's duo_client calls go over HTTPS to the development stand-in for
Duo (duoapi/devduo/), served by gunicorn with a self-signed certificate for
DNS:localhost that DUO_CA_CERTS names, as production trusts Duo's.
"""

import json
import secrets
import threading
import time

import pytest

from bypass.models import GONE, SUPERSEDED, BypassCode, CardCheck, one_change_at_a_time
from bypass.stores import CodeStoreRefusedPerson, CodeStoreUnavailable
from duoportal import helpdesk as helpdesk_actions
from duoportal.models import AuditEvent, CULinkCard, ProofLock, User
from duoportal.results import Reason
from rescue.models import RescueCode
from tests.devsite import free_port

pytestmark = pytest.mark.django_db(transaction=True)

ALICE = "alice@example.edu"


def card_check(person):
    """A passed check of the person's card (made here, without the card screen): its token."""
    card = person.cards.filter(status="active").first()
    card = card or CULinkCard.objects.create(user=person, serial=f"5100{person.pk:04d}")
    return CardCheck.objects.create(user=person, card=card, token=secrets.token_urlsafe(24)).token


def duo_codes(stand_in, username=ALICE):
    """The user's codes as Duo's Admin API lists them (never the codes themselves)."""
    admin = stand_in.admin()
    [user] = admin.get_users_by_name(username)
    return list(admin.get_user_bypass_codes(user["user_id"]))


def test_the_card_path_makes_one_duo_code_of_20_uses_and_12_hours(duo_account, alice):
    admin = duo_account.admin()
    [user] = admin.get_users_by_name(ALICE)
    admin.add_user_bypass_codes(user["user_id"], count=3, preserve_existing=False)

    code, plaintext = BypassCode.objects.issue_with_card_check(alice, card_check(alice))

    [made] = duo_codes(duo_account)
    assert (made["reuse_count"], made["expiration"] - made["created"]) == (20, 12 * 3600)
    assert code.remote_id == f"{user['user_id']}/{made['bypass_code_id']}"
    assert (code.max_uses, int(code.expires_at.timestamp())) == (20, made["expiration"])
    assert len(plaintext) == 9 and plaintext.isdigit()
    # Duo keeps the code: not even its hash is stored here.
    assert code.code_hash == ""


def test_the_rescue_path_makes_one_duo_code_and_spends_the_rescue_code(duo_account, alice):
    [first, second, *_] = RescueCode.objects.generate(alice)

    result, (code, _) = BypassCode.objects.issue_with_rescue_code(alice, first)

    assert result.accepted and code.via == "rescue"
    assert len(duo_codes(duo_account)) == 1
    assert not BypassCode.objects.issue_with_rescue_code(alice, first)[0]
    assert BypassCode.objects.issue_with_rescue_code(alice, second)[0]


def test_a_new_code_replaces_the_earlier_one_in_duo_and_here(duo_account, alice):
    old, old_plaintext = BypassCode.objects.issue(alice, via="culink")
    new, plaintext = BypassCode.objects.issue(alice, via="culink")

    [made] = duo_codes(duo_account)
    assert new.remote_id.endswith(made["bypass_code_id"])
    old.refresh_from_db()
    assert old.revoked_at is not None
    assert BypassCode.objects.check_passcode(alice, old_plaintext)[0].reason == Reason.WRONG_CODE
    assert BypassCode.objects.check_passcode(alice, plaintext)[0]


def test_a_code_with_a_leading_zero_keeps_it(duo_account, alice):
    duo_account.control(next_code="012345678")

    _, plaintext = BypassCode.objects.issue(alice, via="culink")

    assert plaintext == "012345678"
    assert BypassCode.objects.check_passcode(alice, "012 345 678")[0]


def test_the_portals_prompt_asks_duo_and_the_21st_use_is_refused(duo_account, alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")

    results = [BypassCode.objects.check_passcode(alice, plaintext) for _ in range(21)]

    assert [method for _, method in results] == ["duo"] * 21
    assert all(result for result, _ in results[:20])
    assert results[20][0].reason == Reason.WRONG_CODE
    events = AuditEvent.objects.filter(action="duo_passcode")
    assert [e.outcome for e in events.order_by("pk")][-2:] == ["accepted", "wrong_code"]


def test_a_wrong_passcode_is_refused_and_counted_toward_the_lock(duo_account, alice):
    BypassCode.objects.issue(alice, via="culink")

    result, _ = BypassCode.objects.check_passcode(alice, "000000000")

    assert (result.reason, result.tries_left) == (Reason.WRONG_CODE, 9)


def test_it_reads_the_state_from_duo_and_revokes_there(duo_account, alice):
    code, plaintext = BypassCode.objects.issue(alice, via="culink")
    BypassCode.objects.check_passcode(alice, plaintext)

    state = BypassCode.objects.remote_state(code)

    assert state.reuse_count == 19  # The stand-in counts down; Duo does not document which.
    assert int(state.expires_at.timestamp()) == int(code.expires_at.timestamp())
    assert BypassCode.objects.revoke(alice, by=alice, reason="lost it")
    assert duo_codes(duo_account) == []
    assert not BypassCode.objects.check_passcode(alice, plaintext)[0]


def test_a_code_duo_no_longer_has_is_shown_as_gone(duo_account, alice):
    code, _ = BypassCode.objects.issue(alice, via="culink")
    duo_account.admin().delete_bypass_code_by_id(code.remote_id.split("/")[1])

    assert BypassCode.objects.remote_state(code) is None

    code.refresh_from_db()
    assert (code.revoked_reason, code.status) == (GONE, "no longer in Duo")
    assert BypassCode.objects.live_for(alice) is None


@pytest.fixture(params=["down", "slow", "500", "429", "wrong key", "malformed"])
def duo_failing(request, duo_account, settings):
    """Duo unreachable, slower than the portal waits, answering 500, 429, an error, or
    an answer of the wrong shape.

    Yields a function that makes Duo answer again.
    """
    account = settings.DUO_ACCOUNT
    if request.param == "down":
        closed = f"localhost:{free_port()}"
        hosts = {"DUO_ADMIN_API_HOST": closed, "DUO_AUTH_API_HOST": closed}
        settings.DUO_ACCOUNT = {**account, **hosts}
    elif request.param == "slow":
        duo_account.control(fail="slow", seconds=settings.DUO_TIMEOUT_SECONDS + 1)
    elif request.param == "wrong key":
        settings.DUO_ACCOUNT = {**account, "DUO_ADMIN_SKEY": "x" * 40, "DUO_AUTH_SKEY": "x" * 40}
    else:
        duo_account.control(fail=request.param)

    def recover():
        settings.DUO_ACCOUNT = account
        duo_account.control(fail="", seconds=0)

    return recover


def test_when_duo_fails_the_card_check_is_given_back(duo_failing, duo_account, alice):
    token = card_check(alice)
    started = time.monotonic()

    with pytest.raises(CodeStoreUnavailable):
        BypassCode.objects.issue_with_card_check(alice, token)

    # 429: duo_client's back-off is capped, so a person waits seconds, not a minute.
    assert time.monotonic() - started < 10
    assert not BypassCode.objects.filter(user=alice).exists()
    assert CardCheck.objects.is_fresh(alice, token)
    event = AuditEvent.objects.get(action="bypass_issue")
    assert event.outcome == "duo_unavailable"
    assert "x" * 40 not in str(event.detail) and "secret" not in str(event.detail)
    duo_failing()
    assert BypassCode.objects.issue_with_card_check(alice, token)


def test_when_duo_fails_the_rescue_code_is_given_back(duo_failing, duo_account, alice):
    [rescue, *rest] = RescueCode.objects.generate(alice)

    with pytest.raises(CodeStoreUnavailable):
        BypassCode.objects.issue_with_rescue_code(alice, rescue)

    assert RescueCode.objects.unused_count(alice) == 1 + len(rest)
    assert not BypassCode.objects.filter(user=alice).exists()
    duo_failing()
    assert BypassCode.objects.issue_with_rescue_code(alice, rescue)[1]


def test_when_duo_fails_a_passcode_is_neither_checked_nor_counted(duo_failing, alice):
    with pytest.raises(CodeStoreUnavailable):
        BypassCode.objects.check_passcode(alice, "123456789")

    lock = ProofLock.objects.get(user=alice, kind="passcode")
    assert (lock.failures, lock.in_flight) == (0, 0)
    assert AuditEvent.objects.get(action="duo_passcode").outcome == "duo_unavailable"


def test_a_person_duo_does_not_know_gets_no_code(duo_account, db):
    zoe = User.objects.create_user("zoe@example.edu")
    token = card_check(zoe)

    with pytest.raises(CodeStoreRefusedPerson) as refused:
        BypassCode.objects.issue_with_card_check(zoe, token)

    assert refused.value.why == "unknown"
    assert CardCheck.objects.is_fresh(zoe, token)
    assert AuditEvent.objects.get(action="bypass_issue").outcome == "duo_user_unknown"


def test_with_local_names_only_people_of_the_duo_domain_have_a_duo_user(
    duo_account, alice, settings
):
    # alice@students.example.edu is not Duo's "alice", who is alice@example.edu.
    settings.DUO_USERNAME_FORMAT, settings.DUO_USERNAME_DOMAIN = "{local}", "example.edu"
    duo_account.add_people([{"username": "alice"}])
    student = User.objects.create_user("alice@students.example.edu")

    with pytest.raises(CodeStoreRefusedPerson) as refused:
        BypassCode.objects.issue(student, via="culink")
    assert refused.value.why == "unknown" and duo_codes(duo_account, "alice") == []

    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    assert len(duo_codes(duo_account, "alice")) == 1
    with pytest.raises(CodeStoreRefusedPerson):
        BypassCode.objects.check_passcode(student, plaintext)
    assert BypassCode.objects.check_passcode(alice, plaintext)[0]


@pytest.mark.parametrize(
    ("status", "why"), [("locked out", "locked_out"), ("disabled", "disabled")]
)
def test_a_person_locked_out_or_disabled_in_duo_gets_no_code(duo_account, bob, status, why):
    duo_account.set_status(bob.username, status)
    try:
        with pytest.raises(CodeStoreRefusedPerson) as refused:
            BypassCode.objects.issue(bob, via="culink")
    finally:
        duo_account.set_status(bob.username, "active")

    assert refused.value.why == why
    assert not BypassCode.objects.filter(user=bob).exists()


def answer(response):
    return json.dumps({"stat": "OK", "response": response})


@pytest.mark.parametrize(
    "only, body",
    [
        ("GET /admin/v1/users?", ""),  # [null]: a user that is not an object
        ("GET /admin/v1/users?", answer([{"user_id": "DU1", "status": ["active"]}])),
        ("GET /admin/v1/users?", answer([{"user_id": "DU1/DB2", "status": "active"}])),
        ("GET /admin/v1/users?", answer([{"user_id": "DU" + "1" * 40, "status": "active"}])),
        ("POST /admin/v1/users/", ""),  # [null] for the code made
        ("POST /admin/v1/users/", answer("123456789")),
    ],
)
def test_an_answer_of_the_wrong_shape_is_duo_not_answering(duo_account, alice, only, body):
    # Never a 500, never a code shown.
    duo_account.control(fail="malformed", only=only, body=body)
    token = card_check(alice)

    with pytest.raises(CodeStoreUnavailable) as failure:
        BypassCode.objects.issue_with_card_check(alice, token)

    assert failure.value.detail.endswith("malformed answer")
    assert CardCheck.objects.is_fresh(alice, token)
    assert AuditEvent.objects.get(action="bypass_issue").outcome == "duo_unavailable"


@pytest.mark.parametrize(
    "body",
    [
        "",  # [null]: a code that is not an object
        answer(None),  # duo_client pages through null
        answer([{"bypass_code_id": "DB1/2", "expiration": None, "reuse_count": 1}]),
        answer([{"bypass_code_id": "DB1", "expiration": "soon", "reuse_count": 1}]),
        answer([{"bypass_code_id": "DB1", "expiration": None, "reuse_count": -1}]),
    ],
)
def test_my_account_survives_duo_listing_codes_of_the_wrong_shape(duo_account, alice, body):
    code, _ = BypassCode.objects.issue(alice, via="culink")
    duo_account.control(fail="malformed", only="GET /admin/v1/users/", body=body)

    with pytest.raises(CodeStoreUnavailable) as failure:
        BypassCode.objects.remote_state(code)

    assert failure.value.detail == "get_user_bypass_codes: malformed answer"
    assert BypassCode.objects.live_for(alice) == code


def test_a_code_is_read_in_one_call_however_many_pages_duo_promises(duo_account, alice):
    # duo_client pages on `next_offset` for as long as Duo sends one: never-ending here.
    code, _ = BypassCode.objects.issue(alice, via="culink")
    listed = {"bypass_code_id": code.remote_id.split("/")[1], "expiration": None, "reuse_count": 7}
    endless = {"stat": "OK", "response": [listed], "metadata": {"next_offset": 1}}
    duo_account.control(fail="malformed", only="GET /admin/v1/users/", body=json.dumps(endless))

    reading, results = in_a_thread(lambda: BypassCode.objects.remote_state(code))
    reading.join(timeout=5)

    assert not reading.is_alive() and results[0].reuse_count == 7


def test_a_code_made_while_duo_listed_nonsense_is_still_shown(duo_account, alice):
    duo_account.control(fail="malformed", only="GET /admin/v1/users/", body=answer(None))

    code, plaintext = BypassCode.objects.issue(alice, via="culink")

    assert code.remote_id.endswith("/") and BypassCode.objects.live_for(alice) == code
    duo_account.control(fail="", only="", body="")
    assert BypassCode.objects.check_passcode(alice, plaintext)[0]


def test_a_code_duo_made_is_shown_even_when_its_id_cannot_be_read_back(duo_account, alice):
    # Duo has already cleared the earlier code: "try again" would leave the person with none.
    earlier, _ = BypassCode.objects.issue(alice, via="culink")
    duo_account.control(fail="500", only="GET /admin/v1/users/")

    code, plaintext = BypassCode.objects.issue(alice, via="culink")

    code_id = code.remote_id.split("/")[1]
    assert code_id == "" and BypassCode.objects.live_for(alice) == code
    duo_account.control(fail="", only="")
    # Duo holds one code, the new one: it works, and it is found again without its id.
    assert [c["reuse_count"] for c in duo_codes(duo_account)] == [20]
    assert BypassCode.objects.check_passcode(alice, plaintext)[0]
    assert BypassCode.objects.remote_state(code).reuse_count == 19
    assert BypassCode.objects.revoke(alice, by=alice, reason="lost it")
    assert duo_codes(duo_account) == []
    earlier.refresh_from_db()
    assert earlier.revoked_reason == SUPERSEDED


def issue_without_reading_its_id_back(duo_account, person):
    """A code Duo made whose id could not be read back: its remote_id is "<user id>/"."""
    duo_account.control(fail="500", only="GET /admin/v1/users/")
    code, plaintext = BypassCode.objects.issue(person, via="culink")
    duo_account.control(fail="", only="")
    assert code.remote_id.endswith("/")
    return code, plaintext


def test_a_code_without_its_id_among_two_in_duo_is_neither_guessed_nor_left_usable(
    duo_account, alice
):
    code, plaintext = issue_without_reading_its_id_back(duo_account, alice)
    # A Duo admin gives the person a second code: which is the portal's is not known.
    [user] = duo_account.admin().get_users_by_name(ALICE)
    duo_account.admin().add_user_bypass_codes(user["user_id"], count=1, preserve_existing=True)

    with pytest.raises(CodeStoreUnavailable):
        BypassCode.objects.remote_state(code)
    assert BypassCode.objects.live_for(alice) == code  # not "no longer in Duo"

    assert BypassCode.objects.revoke(alice, by=alice, reason="lost it")
    assert duo_codes(duo_account) == []
    assert not BypassCode.objects.check_passcode(alice, plaintext)[0]


def test_a_code_without_its_id_whose_duo_user_is_gone_is_revoked(duo_account, alice):
    code, _ = issue_without_reading_its_id_back(duo_account, alice)
    duo_account.admin().delete_user(code.remote_id.split("/")[0])
    try:
        assert BypassCode.objects.revoke(alice, by=alice, reason="lost it")
    finally:
        duo_account.add_people()

    assert BypassCode.objects.live_for(alice) is None
    assert AuditEvent.objects.filter(action="bypass_revoke", outcome="revoked").exists()


def test_duo_slowing_the_portal_down_is_retried_within_the_pages_time(duo_account, alice, settings):
    # Back-off alone would allow three retries (1, 2 and 4 s): only those that fit in the
    # page's 4 s are made, and the page then says "try again".
    settings.DUO_TIMEOUT_SECONDS, settings.DUO_MAX_BACKOFF_SECONDS = 4, 4
    duo_account.control(fail="429")
    started = time.monotonic()

    with pytest.raises(CodeStoreUnavailable) as failure:
        BypassCode.objects.issue(alice, via="culink")

    took = time.monotonic() - started
    assert 1 <= took < 4 + 0.3  # It waited at least once, and never past the page's time.
    assert "HTTP 429" in failure.value.detail


def test_a_page_waits_for_duo_no_longer_than_duo_timeout_seconds_in_all(duo_account, alice):
    # Three calls of 1.2 s each, every one within the timeout: the second gets only what is
    # left of the page's 2 s and gives up (before, the page took 3.6 s).
    duo_account.control(fail="slow", seconds=1.2)
    started = time.monotonic()

    with pytest.raises(CodeStoreUnavailable):
        BypassCode.objects.issue(alice, via="culink")

    assert time.monotonic() - started < 2 + 0.5  # DUO_TIMEOUT_SECONDS is 2 here.
    # The stand-in still makes the code it was asked for: not in the next test's time.
    time.sleep(1.5)


def test_a_second_issue_for_one_person_waits_for_the_first(duo_account, alice, helen):
    # Duo keeps one code per person, and an issue clears the earlier code before it reads
    # the new one's id: two at once (the person and the helpdesk) would each clear the
    # other's, and one would be shown a code Duo no longer has.
    from django.db import connection

    made = []

    def helpdesk_issues():
        made.append(BypassCode.objects.issue(alice, via="helpdesk", issued_by=helen))
        connection.close()

    helpdesk = threading.Thread(target=helpdesk_issues)
    with one_change_at_a_time(alice):
        helpdesk.start()
        time.sleep(1)
        assert helpdesk.is_alive() and not BypassCode.objects.filter(user=alice).exists()
    helpdesk.join(timeout=10)

    [(code, plaintext)] = made
    assert BypassCode.objects.live_for(alice) == code
    assert BypassCode.objects.check_passcode(alice, plaintext)[0]


def in_a_thread(work):
    """Start `work` in a thread of its own, with its own database connection; its results."""
    from django.db import connection

    results = []

    def run():
        try:
            results.append(work())
        except Exception as error:
            results.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, results


def test_disabling_a_person_during_their_issue_deletes_the_code_made(duo_account, alice, helen):
    # An issue holds the lock until its code is written: the revoke waits, then deletes it.
    BypassCode.objects.issue(alice, via="culink")
    with one_change_at_a_time(alice):  # as though that issue were still writing its code
        helpdesk, results = in_a_thread(
            lambda: helpdesk_actions.set_active(alice, False, by=helen, reason="stolen phone")
        )
        time.sleep(1)
        assert helpdesk.is_alive() and len(duo_codes(duo_account)) == 1
    helpdesk.join(timeout=10)

    assert results == [True]
    assert duo_codes(duo_account) == [] and BypassCode.objects.live_for(alice) is None


def test_a_slow_mail_server_holds_up_no_issue(duo_account, alice, helen, monkeypatch):
    # The revoke's e-mail goes out after it gives its turn back.
    from duoportal import notifications

    BypassCode.objects.issue(alice, via="culink")
    sending = threading.Event()

    def slow_send(*args):
        sending.set()
        time.sleep(4)  # an SMTP server taking its time

    monkeypatch.setattr(notifications, "_send", slow_send)
    revoking, _ = in_a_thread(
        lambda: BypassCode.objects.revoke(alice, by=helen, reason="INC-1 phone stolen")
    )
    assert sending.wait(10)

    code, _ = BypassCode.objects.issue(alice, via="culink")

    revoking.join(15)
    assert BypassCode.objects.live_for(alice) == code
    BypassCode.objects.revoke(alice, by=alice, reason="done")  # Duo as the next test expects.


def test_an_issue_that_waited_while_the_person_was_disabled_makes_no_code(duo_account, alice):
    with one_change_at_a_time(alice):  # the helpdesk disabling the person
        person, results = in_a_thread(lambda: BypassCode.objects.issue(alice, via="culink"))
        time.sleep(0.5)
        User.objects.filter(pk=alice.pk).update(is_active=False)
    person.join(timeout=10)

    [refused] = results
    assert isinstance(refused, CodeStoreRefusedPerson) and refused.why == "disabled"
    assert duo_codes(duo_account) == [] and not BypassCode.objects.filter(user=alice).exists()


def test_an_issue_that_cannot_have_its_turn_in_time_is_audited_and_makes_nothing(
    duo_account, alice
):
    token = card_check(alice)
    with one_change_at_a_time(alice):  # a change that never ends (a stuck app server)
        started = time.monotonic()
        with pytest.raises(CodeStoreUnavailable):
            BypassCode.objects.issue_with_card_check(alice, token)
        waited = time.monotonic() - started

    assert 2 + 1 <= waited < 2 + 1 + 1  # DUO_TIMEOUT_SECONDS (2 here), and a second.
    event = AuditEvent.objects.get(action="bypass_issue")
    assert (event.outcome, event.detail["error"]) == (
        "duo_unavailable",
        "another change of this person's code did not end in time",
    )
    assert duo_codes(duo_account) == [] and CardCheck.objects.is_fresh(alice, token)


def test_an_issue_goes_on_without_its_lock_when_the_cache_does_not_answer(
    duo_account, alice, settings, caplog
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }

    _, plaintext = BypassCode.objects.issue(alice, via="culink")

    assert BypassCode.objects.check_passcode(alice, plaintext)[0]
    assert "without a lock: the cache does not answer" in caplog.text
