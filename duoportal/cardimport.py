"""The card centre's CSV register: read, checked whole, previewed, then imported.

Used by `manage.py import_cards` and by the upload in admin. Columns:
username,serial,status,expires_on. The file is checked whole before anything
is written: one problem anywhere and nothing from it is imported.

A serial is one of a person's proofs, and the problems below are mailed to the
helpdesk, printed to the journal and shown in admin: they name a card by its
last four (…2345), and of a bad line, whose serial may sit in any column, they
repeat only a username that is an e-mail address; its line number finds it.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from duoportal.models import CULinkCard, normalize_serial, stays_out_of_use

COLUMNS = ("username", "serial", "status", "expires_on")


@dataclass
class Row:
    line: int
    user: object
    serial: str
    status: str
    expires_on: date | None


@dataclass
class Plan:
    """What importing a file would do: each row as "created", "updated" or "unchanged"."""

    rows: list
    problems: list
    outcomes: dict = field(default_factory=dict)

    def count(self, outcome):
        return sum(1 for row in self.rows if self.outcomes.get(row.line) == outcome)


def decode(data):
    """The file's text (UTF-8, with or without a byte-order mark), or raise UnicodeDecodeError."""
    return data.decode("utf-8-sig")


def plan(text, *, protected=None):
    """Read and check the whole file against the register; say what each row would do.

    `protected(person)`, if given, names people whose cards the importer may not touch.
    """
    rows, problems = read_rows(text)
    problems += check_against_register(rows)
    if protected:
        problems += [
            f"line {row.line}: {row.user.username} has admin access; "
            "only a superuser may change their cards."
            for row in rows
            if protected(row.user)
        ]
    outcomes = {}
    if not problems:
        existing = {
            c.serial: c for c in CULinkCard.objects.filter(serial__in=[r.serial for r in rows])
        }
        for row in rows:
            card = existing.get(row.serial)
            if card is None:
                outcomes[row.line] = "created"
            elif (card.status, card.expires_on) == (row.status, row.expires_on):
                outcomes[row.line] = "unchanged"
            elif stays_out_of_use(card, row.status):
                outcomes[row.line] = "kept"
            else:
                outcomes[row.line] = "updated"
    return Plan(rows, problems, outcomes)


def apply(rows, *, by=None):
    """Import checked rows in one transaction. Returns the count of each outcome."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}
    with transaction.atomic():
        # Cards leaving "active" go first, so a person's replacement card
        # can become active in the same file without two active at once.
        for row in sorted(rows, key=lambda r: r.status == CULinkCard.Status.ACTIVE):
            outcome = CULinkCard.objects.register(
                row.user, row.serial, status=row.status, expires_on=row.expires_on, by=by
            )
            counts[outcome] += 1
    return counts


def read_rows(text):
    """Parse and check each line on its own. Returns (rows, problems)."""
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return [], [f"line {line}: contains a NUL byte."]
    reader = csv.reader(io.StringIO(text, newline=""))
    # `end` is the last line read; a quoted field may span lines, so a record
    # (and a record that cannot be read: an unclosed quote) is named by its first.
    rows, problems, end = [], [], 0
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        if any(column not in header for column in COLUMNS):
            return [], [f"line 1: the header must name the columns {','.join(COLUMNS)}."]
        index = {column: header.index(column) for column in COLUMNS}
        people, end = {}, reader.line_num
        for fields in reader:
            line, end = end + 1, reader.line_num
            if not any(field.strip() for field in fields):
                continue
            row, problem = read_row(line, fields, index, people)
            if problem:
                problems.append(problem)
            else:
                rows.append(row)
    except csv.Error as error:
        problems.append(f"line {end + 1}: cannot be read as CSV ({error}).")
    return rows, problems + check_within_file(rows)


def read_row(line, fields, index, people):
    if len(fields) < len(index):
        return None, f"line {line}: expected {len(COLUMNS)} columns, found {len(fields)}."
    value = {column: fields[i].strip() for column, i in index.items()}

    User = get_user_model()
    username = User.normalize_username(value["username"])
    if username not in people:
        people[username] = User.objects.filter(username=username).first()
    if people[username] is None:
        try:
            # Every username is an e-mail address; anything else (a serial in
            # the wrong column) is not repeated.
            validate_email(username)
        except ValidationError:
            return None, f"line {line}: the username is not an e-mail address."
        return None, f"line {line}: no person with username {value['username']!r}."

    serial = normalize_serial(value["serial"])
    if serial is None:
        return None, f"line {line}: the serial is not 4 to 32 letters and digits."

    status = value["status"].lower()
    if status not in CULinkCard.Status.values:
        return None, (
            f"line {line}: unknown status (expected {', '.join(CULinkCard.Status.values)})."
        )

    expires_on = None
    if value["expires_on"]:
        try:
            expires_on = date.fromisoformat(value["expires_on"])
        except ValueError:
            return None, f"line {line}: expires_on is not a YYYY-MM-DD date."
    return Row(line, people[username], serial, status, expires_on), None


def check_within_file(rows):
    problems, by_serial = [], {}
    for row in rows:
        first = by_serial.setdefault(row.serial, row)
        if first is not row:
            problems.append(
                f"line {row.line}: serial …{row.serial[-4:]} already appears on line {first.line}"
                + (f" for {first.user.username}." if first.user != row.user else ".")
            )
    return problems


def check_against_register(rows):
    """Problems between the file and the cards already registered.

    A person ends with at most one active card: the file's, or the register's.
    A row for a card that stays lost or revoked here (stays_out_of_use) makes
    none active, so an export that still lists a replaced card is no problem.
    """
    problems = []
    in_file = {row.serial: row for row in rows}
    existing = {card.serial: card for card in CULinkCard.objects.filter(serial__in=in_file)}
    active_of = {}
    for row in rows:
        card = existing.get(row.serial)
        if card is not None and card.user_id != row.user.pk:
            problems.append(
                f"line {row.line}: serial …{row.serial[-4:]} belongs to {card.user.username}."
            )
        if row.status != CULinkCard.Status.ACTIVE:
            continue
        if card is not None and stays_out_of_use(card, row.status):
            continue  # It stays lost or revoked (CULinkCardManager.register).
        other = active_of.setdefault(row.user.pk, row)
        if other is not row:
            problems.append(
                f"line {row.line}: {row.user.username} already has an active card "
                f"on line {other.line}."
            )
        for active in CULinkCard.objects.filter(user=row.user, status=CULinkCard.Status.ACTIVE):
            # A card the file also lists is made lost or revoked by it, or is this row's.
            if active.serial not in in_file:
                problems.append(
                    f"line {row.line}: {row.user.username} already has active card "
                    f"…{active.serial[-4:]}; mark it lost or revoked in the same file."
                )
    return problems
