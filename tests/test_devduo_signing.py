"""The stand-in checks every signed request with the portal's verifier, as Duo does."""

import email.utils
import time

import requests

from tests.devduo import ADMIN_SKEY, AUTH_IKEY
from tests.duo import refusal


def test_it_answers_a_correctly_signed_call(devduo):
    assert devduo.auth().check()["time"] > 0
    assert devduo.admin().get_users_by_name("alice@example.edu")[0]["username"] == (
        "alice@example.edu"
    )


def test_it_answers_a_version_2_signature(devduo):
    assert devduo.auth(sig_version=2).check()["time"] > 0


def test_it_answers_ping_unsigned(devduo):
    answer = requests.get(devduo.url + "/auth/v2/ping", timeout=10).json()
    assert answer["stat"] == "OK"


def test_it_refuses_a_wrong_secret_key(devduo):
    status, body = refusal(lambda: devduo.admin(skey="x" * 40).get_users_by_name("alice"))
    assert (status, body["code"], body["stat"]) == (401, 40103, "FAIL")


def test_it_refuses_the_auth_integration_on_the_admin_api(devduo):
    status, body = refusal(lambda: devduo.admin(ikey=AUTH_IKEY, skey=ADMIN_SKEY).get_users())
    assert (status, body["code"]) == (401, 40102)


def test_it_refuses_missing_credentials(devduo):
    answer = requests.get(devduo.url + "/auth/v2/check", timeout=10)
    assert (answer.status_code, answer.json()["code"]) == (401, 40101)


def test_it_refuses_a_stale_date(devduo):
    answer = requests.get(
        devduo.url + "/auth/v2/check",
        headers={
            "Authorization": "Basic RElBVVRIOmFiYw==",
            "Date": email.utils.formatdate(time.time() - 3600),
        },
        timeout=10,
    )
    assert (answer.status_code, answer.json()["code"]) == (401, 40105)


def test_it_refuses_bad_parameters_with_40002(devduo):
    user_id = devduo.admin().get_users_by_name("bob@example.edu")[0]["user_id"]
    status, body = refusal(lambda: devduo.admin().add_user_bypass_codes(user_id, count=11))
    assert (status, body["code"]) == (400, 40002)
