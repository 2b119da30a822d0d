"""The stand-in's Admin API for users and bypass codes, with Duo's documented semantics."""

import re

from tests.duo import refusal


def user_id(devduo, username):
    return devduo.admin().get_users_by_name(username)[0]["user_id"]


def test_it_finds_a_demo_person_by_username(devduo):
    [user] = devduo.admin().get_users_by_name("alice@example.edu")
    assert (user["username"], user["realname"], user["status"]) == (
        "alice@example.edu",
        "Alice Chan",
        "active",
    )
    assert devduo.admin().get_user_by_id(user["user_id"])["username"] == "alice@example.edu"


def test_it_finds_no_one_for_an_unknown_username(devduo):
    assert devduo.admin().get_users_by_name("nobody@example.edu") == []


def test_it_answers_404_for_an_unknown_user_id(devduo):
    status, body = refusal(lambda: devduo.admin().get_user_by_id("DUNOSUCHUSER"))
    assert (status, body["code"]) == (404, 40401)
    status, _ = refusal(lambda: devduo.admin().add_user_bypass_codes("DUNOSUCHUSER", count=1))
    assert status == 404


def test_it_makes_the_portals_code_and_clears_earlier_ones(devduo):
    admin = devduo.admin()
    uid = user_id(devduo, "alice@example.edu")
    earlier = admin.add_user_bypass_codes(uid, count=3, preserve_existing=False)
    assert len(earlier) == 3
    codes = admin.add_user_bypass_codes(
        uid, count=1, remaining_uses=20, valid_secs=43200, preserve_existing=False
    )
    assert len(codes) == 1 and re.fullmatch(r"\d{9}", codes[0])
    [kept] = admin.get_user_bypass_codes(uid)
    assert kept["reuse_count"] == 20
    assert kept["expiration"] == kept["created"] + 43200
    assert kept["admin_email"] and kept["user"]["username"] == "alice@example.edu"
    assert codes[0] not in str(kept)


def test_it_keeps_existing_codes_when_asked(devduo):
    admin = devduo.admin()
    uid = user_id(devduo, "alice@example.edu")
    admin.add_user_bypass_codes(uid, count=2, preserve_existing=False)
    admin.add_user_bypass_codes(uid, count=2, preserve_existing=True)
    assert len(admin.get_user_bypass_codes(uid)) == 4


def test_it_reads_preserve_existing_as_a_string_under_version_2(devduo):
    admin = devduo.admin(sig_version=2)
    uid = user_id(devduo, "alice@example.edu")
    admin.add_user_bypass_codes(uid, count=2, preserve_existing="false")
    admin.add_user_bypass_codes(uid, count=1, preserve_existing="true")
    assert len(admin.get_user_bypass_codes(uid)) == 3


def test_it_makes_ten_codes_by_default_for_one_use_that_never_expire(devduo):
    admin = devduo.admin()
    uid = user_id(devduo, "alice@example.edu")
    assert len(set(admin.add_user_bypass_codes(uid))) == 10
    listed = admin.get_user_bypass_codes(uid)
    assert len(listed) == 10
    assert {(c["reuse_count"], c["expiration"]) for c in listed} == {(1, None)}


def test_it_keeps_a_leading_zero(devduo):
    uid = user_id(devduo, "bob@example.edu")
    assert devduo.admin().add_user_bypass_codes(uid, codes="012345678") == ["012345678"]
    answer = devduo.auth().auth("passcode", username="bob@example.edu", passcode="012345678")
    assert answer["result"] == "allow"


def test_it_refuses_count_and_codes_together_and_more_than_ten(devduo):
    admin = devduo.admin()
    uid = user_id(devduo, "bob@example.edu")
    for call in (
        lambda: admin.add_user_bypass_codes(uid, count=1, codes="123456789"),
        lambda: admin.add_user_bypass_codes(uid, count=11),
        lambda: admin.add_user_bypass_codes(uid, count=0),
        lambda: admin.add_user_bypass_codes(uid, codes="12345"),
        lambda: admin.add_user_bypass_codes(uid, codes="123456789,123456789"),
        lambda: admin.add_user_bypass_codes(uid, preserve_existing="maybe"),
    ):
        status, body = refusal(call)
        assert (status, body["code"]) == (400, 40002)


def test_it_holds_at_most_100_codes_per_user(devduo):
    admin = devduo.admin()
    uid = user_id(devduo, "dave@example.edu")
    hundred = ",".join(f"{n:09d}" for n in range(100))
    assert len(admin.add_user_bypass_codes(uid, codes=hundred, preserve_existing=False)) == 100
    status, body = refusal(
        lambda: admin.add_user_bypass_codes(uid, count=1, preserve_existing=True)
    )
    assert (status, body["code"]) == (400, 40002)
    hundred_and_one = ",".join(f"{n:09d}" for n in range(200, 301))
    status, _ = refusal(lambda: admin.add_user_bypass_codes(uid, codes=hundred_and_one))
    assert status == 400
    # Refused: nothing made, nothing cleared.
    assert len(admin.get_user_bypass_codes(uid)) == 100


def test_it_refuses_a_code_the_user_already_has_when_preserving(devduo):
    admin = devduo.admin()
    uid = user_id(devduo, "bob@example.edu")
    admin.add_user_bypass_codes(uid, codes="444444444", preserve_existing=False)
    status, _ = refusal(
        lambda: admin.add_user_bypass_codes(uid, codes="444444444", preserve_existing=True)
    )
    assert status == 400


def test_it_pages_a_users_codes(devduo):
    admin = devduo.admin()
    uid = user_id(devduo, "bob@example.edu")
    admin.add_user_bypass_codes(uid, count=5, preserve_existing=False)
    page = admin.json_api_call("GET", f"/admin/v1/users/{uid}/bypass_codes", {"limit": "2"})
    assert len(page) == 2
    paged = admin.json_paging_api_call("GET", f"/admin/v1/users/{uid}/bypass_codes", {"limit": "2"})
    assert len({c["bypass_code_id"] for c in paged}) == 5


def test_it_lists_and_deletes_a_code_by_id(devduo):
    admin = devduo.admin()
    uid = user_id(devduo, "bob@example.edu")
    admin.add_user_bypass_codes(uid, codes="555555555", preserve_existing=False)
    [code] = admin.get_user_bypass_codes(uid)
    assert code["bypass_code_id"] in {c["bypass_code_id"] for c in admin.get_bypass_codes()}
    assert admin.delete_bypass_code_by_id(code["bypass_code_id"]) == ""
    assert admin.get_user_bypass_codes(uid) == []
    answer = devduo.auth().auth("passcode", username="bob@example.edu", passcode="555555555")
    assert answer["result"] == "deny"
    status, body = refusal(lambda: admin.delete_bypass_code_by_id(code["bypass_code_id"]))
    assert (status, body["code"]) == (404, 40401)


def test_it_deletes_a_user_with_their_codes_and_twice_is_no_error(devduo):
    admin = devduo.admin()
    uid = user_id(devduo, "bob@example.edu")
    admin.add_user_bypass_codes(uid, count=2)
    try:
        admin.delete_user(uid)
        admin.delete_user(uid)  # "If the user is already deleted, does nothing."

        assert admin.get_users_by_name("bob@example.edu") == []
        status, body = refusal(lambda: admin.get_user_bypass_codes(uid))
        assert (status, body["code"]) == (404, 40401)
    finally:
        devduo.add_people()
    assert user_id(devduo, "bob@example.edu") != uid
