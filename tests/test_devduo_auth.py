"""The stand-in's Auth API: a bypass code passes while it has uses left and has not expired."""

from tests.duo import refusal


def user_id(devduo, username):
    return devduo.admin().get_users_by_name(username)[0]["user_id"]


def auth(devduo, username, passcode):
    return devduo.auth().auth("passcode", username=username, passcode=passcode)["result"]


def test_it_counts_uses_down_and_refuses_the_21st(devduo):
    admin = devduo.admin()
    uid = user_id(devduo, "helen@example.edu")
    [code] = admin.add_user_bypass_codes(
        uid, count=1, remaining_uses=20, valid_secs=43200, preserve_existing=False
    )
    assert auth(devduo, "helen@example.edu", code) == "allow"
    assert admin.get_user_bypass_codes(uid)[0]["reuse_count"] == 19
    results = [auth(devduo, "helen@example.edu", code) for _ in range(19)]
    assert results == ["allow"] * 19
    assert auth(devduo, "helen@example.edu", code) == "deny"
    # Used up: Duo no longer has it.
    assert admin.get_user_bypass_codes(uid) == []


def test_it_allows_an_unlimited_code_again_and_again(devduo):
    uid = user_id(devduo, "helen@example.edu")
    [code] = devduo.admin().add_user_bypass_codes(
        uid, codes="000000042", remaining_uses=0, preserve_existing=False
    )
    assert [auth(devduo, "helen@example.edu", code) for _ in range(3)] == ["allow"] * 3
    assert devduo.admin().get_user_bypass_codes(uid)[0]["reuse_count"] is None


def test_it_refuses_a_wrong_passcode(devduo):
    uid = user_id(devduo, "helen@example.edu")
    devduo.admin().add_user_bypass_codes(uid, codes="111111111", preserve_existing=False)
    assert auth(devduo, "helen@example.edu", "111111112") == "deny"
    assert auth(devduo, "helen@example.edu", "11111111") == "deny"


def test_it_keeps_another_persons_code_to_them(devduo):
    uid = user_id(devduo, "helen@example.edu")
    devduo.admin().add_user_bypass_codes(uid, codes="222222222", preserve_existing=False)
    assert auth(devduo, "bob@example.edu", "222222222") == "deny"


def test_it_refuses_an_expired_code(normal_devduo):
    devduo = normal_devduo
    uid = user_id(devduo, "helen@example.edu")
    [code] = devduo.admin().add_user_bypass_codes(
        uid, count=1, remaining_uses=20, valid_secs=43200, preserve_existing=False
    )
    # A minute before it ends (the real clock moves on meanwhile, by seconds
    # on a loaded machine), then at its end.
    devduo.control(clock_offset=43200 - 60)
    assert auth(devduo, "helen@example.edu", code) == "allow"
    devduo.control(clock_offset=43200)
    assert auth(devduo, "helen@example.edu", code) == "deny"


def test_it_checks_a_code_by_user_id(devduo):
    uid = user_id(devduo, "helen@example.edu")
    devduo.admin().add_user_bypass_codes(uid, codes="333333333", preserve_existing=False)
    assert devduo.auth().auth("passcode", user_id=uid, passcode="333333333")["result"] == "allow"


def test_it_refuses_an_unknown_user(devduo):
    status, body = refusal(lambda: auth(devduo, "nobody@example.edu", "123456789"))
    assert (status, body["code"]) == (400, 40002)


def test_it_refuses_a_factor_other_than_passcode(devduo):
    status, body = refusal(
        lambda: devduo.auth().auth("push", username="helen@example.edu", device="auto")
    )
    assert (status, body["code"], body["message_detail"]) == (400, 40002, "factor")
