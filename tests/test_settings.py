"""Settings as a deployment sees them: read in a fresh process from its environment."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DUOPORTAL_ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret-key-for-the-tests-only",
    "ALLOWED_HOSTS": "duo.example.edu",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "EMAIL_URL": "smtp://mail.example.edu:25",
    "DEFAULT_FROM_EMAIL": "duo@example.edu",
    "RECAPTCHA_PUBLIC_KEY": "public-key-from-the-recaptcha-console",
    "RECAPTCHA_PRIVATE_KEY": "private-key-from-the-recaptcha-console",
    "MICROSOFT_TENANT_ID": "8f2b6c1e-0d4a-4b7e-9c3f-5a1d2e3f4b5c",
    "MICROSOFT_CLIENT_ID": "0c8a7e3d-1f2b-4c5d-8e9f-a0b1c2d3e4f5",
    "MICROSOFT_CLIENT_SECRET": "client-secret-from-entra",
    "TOTP_ENCRYPTION_KEYS": "q3yTj4c5fJ0hY7Y2rW8bq1mU3x6Zk9dA4sV0pL2nE5g=",
}
PRINT = (
    "from django.conf import settings as s;"
    "print(s.DEBUG, s.DATABASES['default']['ENGINE'].rsplit('.', 1)[1],"
    " s.CACHES['default']['BACKEND'].rsplit('.', 1)[1], s.EMAIL_BACKEND.rsplit('.', 2)[1],"
    " s.DEVELOPMENT_MODE)"
)


def run(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION
        and k
        not in ("DEBUG", "DJANGO_SETTINGS_MODULE", "CONN_MAX_AGE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=60,
        check=False,
    )


def test_it_defaults_to_the_embedded_development_setup():
    result = run("shell", "--no-imports", "-c", PRINT)
    assert result.stdout.split() == ["True", "sqlite3", "LocMemCache", "console", "True"]


def test_a_mail_server_that_does_not_answer_is_waited_for_ten_seconds_at_most():
    result = run(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.EMAIL_TIMEOUT)",
        **PRODUCTION,
    )
    assert result.stdout.strip() == "10"


def test_it_uses_sqlite_with_immediate_transactions():
    result = run(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s;print(s.DATABASES['default']['OPTIONS'])",
    )
    assert "'transaction_mode': 'IMMEDIATE'" in result.stdout
    assert "'timeout': 20" in result.stdout


def test_it_lets_sqlite_read_while_one_writes(tmp_path):
    result = run(
        "shell",
        "--no-imports",
        "-c",
        "from django.db import connection as c;"
        "print(c.cursor().execute('PRAGMA journal_mode').fetchone()[0])",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.stdout.strip() == "wal"


CONNECTIONS = (
    "from django.conf import settings as s;"
    "d = s.DATABASES['default'];print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
)


def test_it_keeps_database_connections_open():
    result = run("shell", "--no-imports", "-c", CONNECTIONS)
    assert result.stdout.split() == ["600", "True"]
    result = run("shell", "--no-imports", "-c", CONNECTIONS, **PRODUCTION)
    assert result.stdout.split() == ["600", "True"]


def test_it_takes_the_connection_age_from_the_environment():
    result = run("shell", "--no-imports", "-c", CONNECTIONS, CONN_MAX_AGE="30")
    assert result.stdout.split() == ["30", "True"]


def test_it_respects_the_connection_options_of_database_url():
    url = f"{PRODUCTION['DATABASE_URL']}?conn_max_age=0&conn_health_checks=false"
    result = run("shell", "--no-imports", "-c", CONNECTIONS, CONN_MAX_AGE="30", DATABASE_URL=url)
    assert result.stdout.split() == ["0", "False"]


def test_it_switches_the_database_with_database_url():
    result = run("shell", "--no-imports", "-c", PRINT, DATABASE_URL=PRODUCTION["DATABASE_URL"])
    assert result.stdout.split()[:2] == ["True", "postgresql"]


@pytest.mark.parametrize("url", ["", "127.0.0.1:5432/test"])
def test_it_refuses_a_database_url_that_names_no_database(url):
    result = run("check", DATABASE_URL=url)
    assert "ImproperlyConfigured: DATABASE_URL: not a database URL" in result.stderr


def test_it_runs_in_production_with_every_setting():
    result = run("check", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    result = run("shell", "--no-imports", "-c", PRINT, **PRODUCTION)
    assert result.stdout.split() == ["False", "postgresql", "RedisCache", "smtp", "False"]


@pytest.mark.parametrize("missing", sorted(set(PRODUCTION) - {"DUOPORTAL_ENV"}))
def test_it_fails_loudly_in_production_without(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = run("check", **env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_it_refuses_googles_test_keys_in_production():
    result = run(
        "check",
        **{
            **PRODUCTION,
            "RECAPTCHA_PUBLIC_KEY": "6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI",
            "RECAPTCHA_PRIVATE_KEY": "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe",
        },
    )
    assert result.returncode != 0
    assert "recaptcha_test_key_error" in result.stderr


def test_it_refuses_an_unknown_environment_name():
    result = run("check", DUOPORTAL_ENV="prod")
    assert result.returncode != 0
    assert "DUOPORTAL_ENV must be" in result.stderr


# What duoportal/checks.py refuses in production: manage.py and the app server alike
# (tests/test_deploy.py).
UNSAFE_SIGN_IN = [
    ("MICROSOFT_LOGIN_URL", "http://127.0.0.1:8001", "duoportal.E001"),
    ("MICROSOFT_GRAPH_URL", "http://localhost:8001", "duoportal.E001"),
    ("MICROSOFT_TENANT_ID", "common", "duoportal.E002"),
    ("MICROSOFT_TENANT_ID", "9188040d-6c67-4c5b-b112-36a304b66dad", "duoportal.E002"),
    ("MICROSOFT_TENANT_ID", "x?a=common", "duoportal.E002"),
    ("TOTP_ENCRYPTION_KEYS", "not-a-key", "duoportal.E003"),
    ("RECAPTCHA_PUBLIC_KEY", "", "duoportal.E004"),
]


@pytest.mark.parametrize(("name", "value", "error"), UNSAFE_SIGN_IN)
def test_it_refuses_unsafe_sign_in_settings_in_production(name, value, error):
    result = run("check", **{**PRODUCTION, name: value})
    assert result.returncode != 0
    assert error in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEBUG", "true"), ("ALLOWED_HOSTS", "*"), ("ALLOWED_HOSTS", "duo.example.edu,*")]
    + [("TOTP_ENCRYPTION_KEYS", value) for value in ("", ",", " ")]
    + [
        ("SECRET_KEY", value)
        for value in (
            "development-only-secret-key-never-use-in-production",
            "change-me-to-50-random-characters",  # deploy/duoportal.env.example's
            "x" * 60,
        )
    ],
)
def test_it_refuses_to_start_in_production_with(name, value):
    result = run("check", **{**PRODUCTION, name: value})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {name}:" in result.stderr


# "1 or more": 0 or a negative would switch a protection off. "A whole number": the
# screens say "20 times within 12 hours" and "within 5 minutes".
ONE_OR_MORE, WHOLE = "must be 1 or more", "must be a whole number"


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("PROOF_LOCKOUT_MINUTES", "0", ONE_OR_MORE),
        ("PROOF_MAX_FAILURES", "0", ONE_OR_MORE),
        ("BYPASS_CODE_MAX_USES", "-5", ONE_OR_MORE),
        ("HELPDESK_CODE_MAX_USES", "0", ONE_OR_MORE),
        ("HELPDESK_CODE_LIFETIME_MINUTES", "0", ONE_OR_MORE),
        ("RESCUE_CODE_COUNT", "0", ONE_OR_MORE),
        ("RESCUE_CODE_COUNT", "1000", ONE_OR_MORE),
        ("BYPASS_CODE_LIFETIME_HOURS", "1.5", WHOLE),
        ("BYPASS_CODE_LIFETIME_HOURS", "0", WHOLE),
        ("CARD_CHECK_LIFETIME_MINUTES", "0.4", WHOLE),
        ("CARD_CHECK_LIFETIME_MINUTES", "-5", WHOLE),
    ],
)
def test_it_refuses_a_number_that_breaks_a_rule(name, value, said):
    result = run("check", **{name: value})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {name}: {said}" in result.stderr


def test_it_refuses_argon2_below_owasps_least_cost_in_production():
    result = run("check", **{**PRODUCTION, "ARGON2_MEMORY_COST": "8", "ARGON2_TIME_COST": "1"})
    assert result.returncode != 0
    assert "ImproperlyConfigured: ARGON2_MEMORY_COST:" in result.stderr


def test_it_makes_superusers_without_a_usable_password(tmp_path):
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    run("migrate", "--noinput", DATABASE_URL=database)
    result = run(
        "createsuperuser",
        "--noinput",
        "--username=root@example.edu",
        "--email=root@example.edu",
        DATABASE_URL=database,
        DJANGO_SUPERUSER_PASSWORD="root-password",
    )
    assert result.returncode == 0, result.stderr
    result = run(
        "shell",
        "--no-imports",
        "-c",
        "from duoportal.models import User;print(User.objects.get().has_usable_password())",
        DATABASE_URL=database,
    )
    assert result.stdout.strip() == "False"


DUO_ACCOUNT = {
    "DUO_ADMIN_API_HOST": "api-1234abcd.duosecurity.com",
    "DUO_ADMIN_IKEY": "DIADMIN0000000000000",
    "DUO_ADMIN_SKEY": "a" * 40,
    "DUO_AUTH_API_HOST": "api-1234abcd.duosecurity.com",
    "DUO_AUTH_IKEY": "DIAUTH00000000000000",
    "DUO_AUTH_SKEY": "b" * 40,
}
STORE = "from django.conf import settings as s; print(s.BYPASS_CODE_STORE)"


def test_all_six_duo_settings_run_the_portal_in_duo_account_mode():
    assert run("shell", "--no-imports", "-c", STORE, **DUO_ACCOUNT).stdout.split() == [
        "duoapi.duostore.DuoStore"
    ]
    assert run("shell", "--no-imports", "-c", STORE).stdout.split() == ["bypass.stores.LocalStore"]


@pytest.mark.parametrize("given", [{"DUO_ADMIN_IKEY"}, set(DUO_ACCOUNT) - {"DUO_AUTH_SKEY"}])
def test_a_partial_set_of_duo_settings_refuses_to_start_naming_what_is_missing(given):
    result = run("check", **{name: DUO_ACCOUNT[name] for name in given})

    assert result.returncode != 0
    missing = ", ".join(name for name in DUO_ACCOUNT if name not in given)
    assert f"ImproperlyConfigured: {missing}: missing" in result.stderr


def test_production_never_talks_to_duo_over_plain_http():
    result = run("check", **PRODUCTION, **DUO_ACCOUNT, DUO_CA_CERTS="HTTP")
    assert result.returncode != 0
    assert "ImproperlyConfigured: DUO_CA_CERTS:" in result.stderr


def test_check_deploy_refuses_malformed_duo_settings(tmp_path):
    wrong = {
        "DUO_ADMIN_API_HOST": "https://api-1234abcd.duosecurity.com/",
        "DUO_AUTH_IKEY": "di-lowercase",
        "DUO_ADMIN_SKEY": "short",
        "DUO_CA_CERTS": str(tmp_path / "missing.pem"),
    }
    result = run("check", "--deploy", **PRODUCTION, **{**DUO_ACCOUNT, **wrong})

    assert result.returncode != 0
    for error in ("duoapi.E001", "duoapi.E002", "duoapi.E003", "duoapi.E004"):
        assert error in result.stderr
    # Django's own deployment warnings (HSTS...) are production's issue; none is Duo's.
    assert "duoapi." not in run("check", "--deploy", **PRODUCTION, **DUO_ACCOUNT).stderr


def test_check_deploy_is_clean_but_for_hsts_preload():
    # Submitting the domain to browsers' preload lists is the university's own choice.
    result = run("check", "--deploy", **PRODUCTION)
    warnings = sorted(set(re.findall(r"\((\w+\.[EW]\d+)\)", result.stdout + result.stderr)))
    assert warnings == ["security.W021"], result.stderr
