from datetime import date

import pytest
from django.core.management import CommandError, call_command

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


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "carol@example.edu,51000001,active,",
            "line 3: no person with username 'carol@example.edu'",
        ),
        ("bob@example.edu,51000001,stolen,", "line 3: unknown status 'stolen'"),
        ("bob@example.edu,51000001,active,31/08/2027", "line 3: expires_on '31/08/2027'"),
        ("bob@example.edu,51000001,active,2027-02-30", "line 3: expires_on '2027-02-30'"),
        ("bob@example.edu,51*01,active,", "line 3: serial '51*01' is not 4 to 32"),
        ("bob@example.edu,51000001", "line 3: expected 4 columns, found 2"),
        ("bob@example.edu,51002345,lost,", "line 3: serial 51002345 already appears on line 2"),
        ("alice@example.edu,51000001,active,", "line 3: alice@example.edu already has an active"),
        ("bob@example.edu,5100\x000001,active,", "line 3: contains a NUL byte"),
    ],
)
def test_it_reports_bad_lines_and_imports_nothing(alice, bob, import_csv, row, message):
    with pytest.raises(CommandError, match="Nothing imported: 1 problem"):
        import_csv(HEADER + "alice@example.edu,51002345,active,\n" + row + "\n")
    assert message in import_csv.err
    assert CULinkCard.objects.count() == 0


def test_it_refuses_a_serial_that_belongs_to_someone_else(alice, bob, import_csv):
    CULinkCard.objects.create(user=alice, serial="51002345")
    with pytest.raises(CommandError):
        import_csv(HEADER + "bob@example.edu,51002345,active,\n")
    assert "line 2: serial 51002345 belongs to alice@example.edu" in import_csv.err
    assert cards() == {"51002345": ("alice@example.edu", "active", None)}


def test_it_refuses_a_second_active_card_for_a_person(alice, import_csv):
    CULinkCard.objects.create(user=alice, serial="51002345")
    with pytest.raises(CommandError):
        import_csv(HEADER + "alice@example.edu,51009999,active,\n")
    assert "already has active card …2345; mark it lost or revoked" in import_csv.err


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


def test_a_good_import_sends_no_mail(alice, tmp_path, mailoutbox):
    path = tmp_path / "cards.csv"
    path.write_text(HEADER + "alice@example.edu,51002345,active,\n")

    call_command("import_cards", str(path), mail_on_failure=["helpdesk@example.edu"])

    assert not mailoutbox and CULinkCard.objects.count() == 1
