from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from duoportal import cardimport, helpdesk
from duoportal.models import CULinkCard

pytestmark = pytest.mark.django_db

HEADER = "username,serial,status,expires_on\n"


@pytest.fixture
def import_csv(tmp_path, capsys):
    def run(text, encoding="utf-8"):
        path = tmp_path / "cards.csv"
        path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
        try:
            call_command("import_cards", str(path))
        finally:
            run.out, run.err = capsys.readouterr()

    return run


@pytest.fixture
def nightly_import(tmp_path, capsys, mailoutbox):
    """Run import_cards on a bad file as the nightly timer does; return all it said.

    That is stdout, stderr, the error and the helpdesk's e-mail: the journal and
    a mailbox keep all of it, so a serial must be in none of it.
    """

    def run(text):
        path = tmp_path / "cards.csv"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(CommandError) as error:
            call_command("import_cards", str(path), mail_on_failure=["helpdesk@example.edu"])
        out, err = capsys.readouterr()
        [mail] = mailoutbox
        return "\n".join([out, err, str(error.value), mail.subject, mail.body])

    return run


def cards():
    return {
        c.serial: (c.user.username, c.status, c.expires_on)
        for c in CULinkCard.objects.select_related("user")
    }


def test_it_imports_cards(alice, bob, import_csv):
    import_csv(
        HEADER + "alice@example.edu,5100 2345,active,2027-08-31\nBob@Example.edu,51007788,lost,\n"
    )

    assert cards() == {
        "51002345": ("alice@example.edu", "active", date(2027, 8, 31)),
        "51007788": ("bob@example.edu", "lost", None),
    }
    assert "2 card(s): 2 new, 0 updated, 0 unchanged" in import_csv.out


def test_it_reads_a_byte_order_mark_and_crlf(alice, import_csv):
    import_csv(
        (HEADER + "alice@example.edu,51002345,active,\n").replace("\n", "\r\n"),
        encoding="utf-8-sig",
    )
    assert cards() == {"51002345": ("alice@example.edu", "active", None)}


def test_it_is_idempotent(alice, import_csv):
    text = HEADER + "alice@example.edu,51002345,active,\n"
    import_csv(text)
    import_csv(text)
    assert CULinkCard.objects.count() == 1
    assert "0 new, 0 updated, 1 unchanged" in import_csv.out


def test_it_updates_a_card_and_records_it(alice, import_csv):
    import_csv(HEADER + "alice@example.edu,51002345,active,\n")
    import_csv(HEADER + "alice@example.edu,51002345,lost,\n")
    assert cards()["51002345"][1] == "lost"
    assert list(alice.audit_events.values_list("action", "outcome")) == [
        ("card_import", "updated"),
        ("card_import", "created"),
    ]


def test_it_takes_a_replacement_card_in_the_same_file(alice, import_csv):
    import_csv(HEADER + "alice@example.edu,51002345,active,\n")
    import_csv(HEADER + "alice@example.edu,51009999,active,\nalice@example.edu,51002345,lost,\n")
    assert cards()["51009999"][1] == "active"
    assert cards()["51002345"][1] == "lost"


def test_a_line_with_a_nul_byte_is_reported_by_its_line(alice, bob, nightly_import):
    said = nightly_import(
        HEADER + "alice@example.edu,51002345,active,\nbob@example.edu,51007788,\x00\n"
    )
    assert "line 3: contains a NUL byte." in said
    # The line is not read at all, let alone repeated.
    assert "51007788" not in said and not CULinkCard.objects.exists()


def test_a_file_without_its_header_is_reported_without_its_first_line(alice, nightly_import):
    # The card centre's export without its header: line 1 is a card.
    said = nightly_import("alice@example.edu,51002345,active,\n")
    assert "line 1: the header must name the columns username,serial,status,expires_on." in said
    assert "51002345" not in said and not CULinkCard.objects.exists()


def test_an_unclosed_quote_is_reported_by_the_line_it_opens(alice, bob, nightly_import):
    # The quote swallows every line after it, serials and all, until the csv
    # module gives up; the helpdesk needs the line where it opened.
    swallowed = "alice@example.edu,51002345,lost,\n" * 5000
    said = nightly_import(
        HEADER
        + 'alice@example.edu,51002345,active,\nbob@example.edu,"51007788,active,\n'
        + swallowed
    )
    assert "line 3: cannot be read as CSV (field larger than field limit" in said
    assert "51007788" not in said and "51002345" not in said
    assert not CULinkCard.objects.exists()


def test_a_line_with_too_few_columns_is_reported_by_its_line(alice, bob, nightly_import):
    said = nightly_import(HEADER + "alice@example.edu,51002345,active,\nbob@example.edu,51007788\n")
    assert "line 3: expected 4 columns, found 2." in said
    assert "51007788" not in said and not CULinkCard.objects.exists()


def test_an_unknown_person_is_reported_by_username(alice, nightly_import):
    said = nightly_import(
        HEADER + "alice@example.edu,51002345,active,\ncarol@example.edu,51007788,active,\n"
    )
    assert "line 3: no person with username 'carol@example.edu'." in said
    assert "51007788" not in said and not CULinkCard.objects.exists()


def test_a_serial_in_the_username_column_is_not_repeated(alice, bob, nightly_import):
    # A line with its fields out of order: no username is anything but an
    # e-mail address, so what is there is not one and is not repeated.
    said = nightly_import(
        HEADER + "alice@example.edu,51002345,active,\n5100 7788,bob@example.edu,active,\n"
    )
    assert "line 3: the username is not an e-mail address." in said
    assert "5100 7788" not in said and "51007788" not in said
    assert not CULinkCard.objects.exists()


def test_a_malformed_serial_is_reported_by_its_line_not_repeated(alice, bob, nightly_import):
    # One stray character makes it malformed, not any less the person's serial.
    said = nightly_import(
        HEADER + "alice@example.edu,51002345,active,\nbob@example.edu,5100-7788*,active,\n"
    )
    assert "line 3: the serial is not 4 to 32 letters and digits." in said
    assert "5100-7788" not in said and "51007788" not in said
    assert not CULinkCard.objects.exists()


def test_an_unknown_status_is_reported_without_its_value(alice, bob, nightly_import):
    # A field too many (a card type before the serial) moves the serial into
    # the status column, so the value is never repeated.
    said = nightly_import(
        HEADER + "alice@example.edu,51002345,stolen,\nbob@example.edu,CAMPUS,51007788,active\n"
    )
    assert "line 2: unknown status (expected active, lost, revoked)." in said
    assert "line 3: unknown status (expected active, lost, revoked)." in said
    assert "51007788" not in said and "51002345" not in said
    assert not CULinkCard.objects.exists()


def test_a_bad_expiry_date_is_reported_without_its_value(alice, bob, nightly_import):
    # A date in the wrong format, an impossible date, and a serial in the column.
    said = nightly_import(
        HEADER
        + "alice@example.edu,51002345,active,31/08/2027\n"
        + "bob@example.edu,51007788,active,2027-02-30\n"
        + "bob@example.edu,CAMPUS,lost,51009999\n"
    )
    for line in (2, 3, 4):
        assert f"line {line}: expires_on is not a YYYY-MM-DD date." in said
    assert "51002345" not in said and "51007788" not in said and "51009999" not in said
    assert not CULinkCard.objects.exists()


def test_a_serial_twice_in_the_file_is_named_by_its_last_four(alice, bob, nightly_import):
    said = nightly_import(
        HEADER
        + "alice@example.edu,51002345,active,\n"
        + "bob@example.edu,5100-2345,lost,\n"
        + "alice@example.edu,51002345,lost,\n"
    )
    assert "line 3: serial …2345 already appears on line 2 for alice@example.edu." in said
    assert "line 4: serial …2345 already appears on line 2." in said
    assert "51002345" not in said and "5100-2345" not in said
    assert not CULinkCard.objects.exists()


def test_a_second_active_card_in_the_file_is_reported_by_both_lines(alice, nightly_import):
    said = nightly_import(
        HEADER + "alice@example.edu,51002345,active,\nalice@example.edu,51009999,active,\n"
    )
    assert "line 3: alice@example.edu already has an active card on line 2." in said
    assert "51002345" not in said and "51009999" not in said
    assert not CULinkCard.objects.exists()


def test_it_refuses_a_serial_that_belongs_to_someone_else(alice, bob, nightly_import):
    CULinkCard.objects.create(user=alice, serial="51002345")
    said = nightly_import(HEADER + "bob@example.edu,51002345,active,\n")
    assert "line 2: serial …2345 belongs to alice@example.edu." in said
    assert "51002345" not in said
    assert cards() == {"51002345": ("alice@example.edu", "active", None)}


def test_it_refuses_a_second_active_card_for_a_person(alice, nightly_import):
    CULinkCard.objects.create(user=alice, serial="51002345")
    said = nightly_import(HEADER + "alice@example.edu,51009999,active,\n")
    assert "line 2: alice@example.edu already has active card …2345; mark it lost" in said
    assert "51002345" not in said and "51009999" not in said
    assert CULinkCard.objects.count() == 1


def test_it_reports_every_problem_with_its_line(alice, import_csv):
    with pytest.raises(CommandError, match="2 problem"):
        import_csv(HEADER + "x@example.edu,51000001,active,\n\nalice@example.edu,51000002,gone,\n")
    assert "line 2:" in import_csv.err and "line 4:" in import_csv.err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("username,serial\nalice@example.edu,51002345\n", "line 1: the header must name"),
        ("", "line 1: the header must name"),
        (b"username,serial,status,expires_on\n\xff\xfe,1,2,3\n", "is not UTF-8 text"),
    ],
)
def test_it_refuses_a_file_it_cannot_read(alice, import_csv, content, message):
    with pytest.raises(CommandError) as error:
        import_csv(content)
    assert message in str(error.value) + import_csv.err


def test_it_refuses_a_missing_file():
    with pytest.raises(CommandError, match=r"Cannot read /nonexistent\.csv"):
        call_command("import_cards", "/nonexistent.csv")


def test_a_failed_nightly_import_is_e_mailed_to_the_helpdesk(alice, bob, tmp_path, mailoutbox):
    path = tmp_path / "cards.csv"
    path.write_text(
        HEADER + "alice@example.edu,51002345,active,\nnobody@example.edu,51009999,active,\n"
    )

    with pytest.raises(CommandError):
        call_command("import_cards", str(path), mail_on_failure=["helpdesk@example.edu"])

    [mail] = mailoutbox
    assert (mail.to, mail.subject) == (["helpdesk@example.edu"], "The nightly card import failed")
    assert "line 3" in mail.body and "Nothing imported" in mail.body
    assert "51009999" not in mail.body and not CULinkCard.objects.exists()


def test_an_import_the_database_stops_is_e_mailed_without_the_errors_text(
    alice, tmp_path, mailoutbox, monkeypatch
):
    path = tmp_path / "cards.csv"
    path.write_text(HEADER + "alice@example.edu,51002345,active,\n")

    def database_gone(rows, **kwargs):
        raise OperationalError("server closed the connection at (serial)=(51002345)")

    monkeypatch.setattr(cardimport, "apply", database_gone)
    with pytest.raises(OperationalError):
        call_command("import_cards", str(path), mail_on_failure=["helpdesk@example.edu"])

    [mail] = mailoutbox
    assert (mail.to, mail.subject) == (["helpdesk@example.edu"], "The nightly card import failed")
    assert "OperationalError" in mail.body and "Nothing was imported" in mail.body
    assert "51002345" not in mail.body and not CULinkCard.objects.exists()


def test_a_good_import_sends_no_mail(alice, tmp_path, mailoutbox):
    path = tmp_path / "cards.csv"
    path.write_text(HEADER + "alice@example.edu,51002345,active,\n")

    call_command("import_cards", str(path), mail_on_failure=["helpdesk@example.edu"])

    assert not mailoutbox and CULinkCard.objects.count() == 1


def test_a_card_marked_lost_here_stays_lost_when_the_register_says_active(alice, import_csv):
    # The card centre's export lags behind a report of a lost card: a stolen card must not
    # work again after the next nightly import.
    card = CULinkCard.objects.create(user=alice, serial="51002345")
    helpdesk.mark_card_lost(card, by=None, reason="stolen on the bus")

    import_csv(HEADER + "alice@example.edu,51002345,active,2027-08-31\n")

    assert "1 kept lost or revoked" in import_csv.out
    assert cards() == {"51002345": ("alice@example.edu", "lost", None)}
    assert not CULinkCard.objects.verify(alice, "51002345").accepted
    assert alice.audit_events.filter(action="card_import").get().outcome == "kept"


def test_the_nightly_import_goes_on_after_the_helpdesk_replaced_a_card(alice, bob, import_csv):
    # Until the card centre knows of the new card, its export still lists the old one as
    # active; that alone must not stop every night's import.
    old = CULinkCard.objects.create(user=alice, serial="51002345")
    helpdesk.replace_card(old, "51009999", by=None, reason="new card from the card centre")

    import_csv(HEADER + "alice@example.edu,51002345,active,\nbob@example.edu,51007788,active,\n")

    assert "1 new" in import_csv.out and "1 kept lost or revoked" in import_csv.out
    assert cards() == {
        "51002345": ("alice@example.edu", "lost", None),
        "51009999": ("alice@example.edu", "active", None),
        "51007788": ("bob@example.edu", "active", None),
    }


def test_an_export_listing_a_replaced_card_and_its_successor_as_active_goes_in(alice, import_csv):
    # The card centre knows of the new card but not yet that the old one was lost: only the
    # new one can end up active, so the file is no "two active cards" problem.
    old = CULinkCard.objects.create(user=alice, serial="51002345")
    helpdesk.replace_card(old, "51009999", by=None, reason="new card from the card centre")

    import_csv(
        HEADER
        + "alice@example.edu,51002345,active,\n"
        + "alice@example.edu,51009999,active,2031-06-30\n"
    )

    assert "1 updated" in import_csv.out and "1 kept lost or revoked" in import_csv.out
    assert cards() == {
        "51002345": ("alice@example.edu", "lost", None),
        "51009999": ("alice@example.edu", "active", date(2031, 6, 30)),
    }
