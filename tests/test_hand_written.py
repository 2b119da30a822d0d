"""The hand-written SQL of the passcode check's hot path reads and writes what the ORM would."""

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from bypass.models import BypassCode
from duoapi.models import Integration
from duoportal.models import (
    AuditEvent,
    ProofLock,
    User,
    hand_written,
    hand_written_first,
    hand_written_insert,
    one_by,
)

pytestmark = pytest.mark.django_db


def assert_same_as_the_orms(found):
    expected = type(found).objects.get(pk=found.pk)
    for field in type(found)._meta.concrete_fields:
        mine, theirs = getattr(found, field.attname), getattr(expected, field.attname)
        # Types too: SQLite gives 0 and 1 for booleans and text for dates.
        assert (mine, type(mine)) == (theirs, type(theirs)), field.name
    assert not found._state.adding


def test_it_reads_a_person_as_the_orm_does(alice):
    alice.last_login = timezone.now()
    alice.save()

    assert_same_as_the_orms(one_by(User, "username", "alice@example.edu"))


def test_it_reads_an_integration_and_a_code_as_the_orm_does(alice):
    integration, _secret = Integration.objects.create_integration("VPN")
    BypassCode.objects.issue(alice, via="culink")

    assert_same_as_the_orms(one_by(Integration, "ikey", integration.ikey))
    sql = "SELECT {columns} FROM {table} WHERE user_id = %s"
    assert_same_as_the_orms(hand_written_first(BypassCode, sql, [alice.pk]))


def test_it_finds_nobody_for_an_unknown_key(alice):
    assert one_by(User, "username", "nobody@example.edu") is None


def test_it_writes_an_event_as_the_orm_reads_it(alice):
    detail = {"application": "VPN", "nested": [1, "two"]}
    event = AuditEvent(action="duo_auth", subject=alice, ip="2001:db8::1", detail=detail)

    hand_written_insert(event)

    assert_same_as_the_orms(event)
    assert AuditEvent.objects.get(detail__application="VPN").subject == alice


def test_a_failed_statement_spoils_its_transaction_as_the_orms_do(alice):
    with transaction.atomic():
        with pytest.raises(DatabaseError):
            hand_written(ProofLock, "UPDATE {table} SET no_such_column = 1", [])

        assert transaction.get_connection().needs_rollback


def test_it_refuses_an_event_about_someone_not_saved(alice):
    with pytest.raises(ValueError, match="unsaved"):
        hand_written_insert(AuditEvent(action="duo_auth", subject=User(username="x@example.edu")))

    assert not AuditEvent.objects.exists()
