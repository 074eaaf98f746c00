"""Adding students in bulk from a CSV of names: every row checked, nothing half-imported.

The file may have a header row (a "name" column and optionally a "username" column, in any
order) or none (then the first column is the name and a second, if any, the username). It may
be UTF-8 with or without a byte-order mark, comma-, semicolon- or tab-separated (Excel writes
semicolons in locales whose decimal mark is a comma).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quizapp import accounts
from quizapp.models import Enrolment, SchoolClass, User

MAX_ROWS = 60  # the one-time passwords travel in the signed session cookie (about 4 KB)
MAX_NAME = 80
MIN_NAME = 2
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
NAME_HEADERS = {"name", "full name", "student", "student name", "display name", "ad", "ad soyad"}
USERNAME_HEADERS = {"username", "user name", "sign-in name", "login", "istifadəçi adı"}


@dataclass(frozen=True)
class RosterRow:
    """One good row: the row number in the file, the name and the wanted username (if any)."""

    line: int
    name: str
    username: str | None


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one row (row 0: the file as a whole)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"Row {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class ParsedRoster:
    """The rows of a file and the problems found; importable only without problems."""

    rows: list[RosterRow]
    problems: list[RowProblem]

    @property
    def ok(self) -> bool:
        """Every row is good (and there is at least one)."""
        return not self.problems and bool(self.rows)


def decode(data: bytes) -> str:
    """UTF-8 text, without a byte-order mark. ValueError when it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(
            "The file is not UTF-8 text. In Excel choose “Save as… CSV UTF-8”; in LibreOffice "
            "choose the character set “Unicode (UTF-8)”."
        ) from None


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_roster(data: bytes) -> ParsedRoster:
    """Read a roster file into rows, checking what can be checked without the database."""
    try:
        text = decode(data)
    except ValueError as exc:
        return ParsedRoster([], [RowProblem(0, str(exc))])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        records = [(number, [c.strip() for c in row]) for number, row in enumerate(reader, 1)]
    except csv.Error as exc:
        return ParsedRoster([], [RowProblem(0, f"The file cannot be read as CSV: {exc}.")])
    records = [(n, row) for n, row in records if any(row)]  # blank lines are not rows
    if not records:
        return ParsedRoster([], [RowProblem(0, "The file has no names in it.")])

    name_col, user_col = 0, 1
    first = [c.casefold() for c in records[0][1]]
    if any(c in NAME_HEADERS for c in first):
        name_col = next(i for i, c in enumerate(first) if c in NAME_HEADERS)
        user_col = next((i for i, c in enumerate(first) if c in USERNAME_HEADERS), None)
        records = records[1:]
    if len(records) > MAX_ROWS:
        return ParsedRoster(
            [],
            [
                RowProblem(
                    0,
                    f"The file has {len(records)} students; import at most {MAX_ROWS} at a time.",
                )
            ],
        )

    rows: list[RosterRow] = []
    problems: list[RowProblem] = []
    seen_names: dict[str, int] = {}
    seen_users: dict[str, int] = {}
    for number, cells in records:
        name = " ".join(cells[name_col].split()) if name_col < len(cells) else ""
        username = (
            cells[user_col].casefold() if user_col is not None and user_col < len(cells) else ""
        )
        row_problems = []
        if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in name + username):
            row_problems.append("the row contains control or invisible characters; retype the name")
        elif not name:
            row_problems.append("the name is empty")
        elif len(name) < MIN_NAME:
            row_problems.append(f"the name {name!r} is too short (at least {MIN_NAME} characters)")
        elif len(name) > MAX_NAME:
            row_problems.append(
                f"the name is too long ({len(name)} characters; at most {MAX_NAME})"
            )
        elif name.casefold() in seen_names:
            row_problems.append(f"{name} is already on row {seen_names[name.casefold()]}")
        if username:
            if not USERNAME_RE.match(username):
                row_problems.append(
                    f"the username {username!r} may use only a–z, 0–9, dot, dash and underscore "
                    "(2–40 characters, starting with a letter or digit)"
                )
            elif username in seen_users:
                row_problems.append(
                    f"the username {username} is already on row {seen_users[username]}"
                )
        if name:
            seen_names.setdefault(name.casefold(), number)
        if username:
            seen_users.setdefault(username, number)
        problems += [RowProblem(number, message) for message in row_problems]
        if not row_problems:
            rows.append(RosterRow(number, name, username or None))
    return ParsedRoster(rows, problems)


def check_against_database(
    session: Session, school_class: SchoolClass, parsed: ParsedRoster
) -> ParsedRoster:
    """Add the problems only the database can tell: usernames taken, names already enrolled."""
    wanted = [r.username for r in parsed.rows if r.username]
    taken: set[str] = set()
    if wanted:
        taken = set(
            session.scalars(
                select(func.lower(User.username)).where(func.lower(User.username).in_(wanted))
            )
        )
    enrolled = {
        name.casefold()
        for name in session.scalars(
            select(User.display_name)
            .join(Enrolment, Enrolment.student_id == User.id)
            .where(Enrolment.class_id == school_class.id)
        )
    }
    problems = list(parsed.problems)
    rows = []
    for row in parsed.rows:
        row_problems = []
        if row.username and row.username in taken:
            row_problems.append(
                f"the username {row.username} is taken; choose another or leave it empty"
            )
        if row.name.casefold() in enrolled:
            row_problems.append(
                f"{row.name} is already in this class (add an initial to tell two students apart)"
            )
        problems += [RowProblem(row.line, m) for m in row_problems]
        if not row_problems:
            rows.append(row)
    problems.sort(key=lambda p: p.line)
    return ParsedRoster(rows, problems)


def import_roster(
    session: Session, school_class: SchoolClass, data: bytes
) -> tuple[list[tuple[User, str]], list[RowProblem]]:
    """Create and enrol every student of the file, or none: ((student, password) …, problems).

    Generated passwords must be changed at first sign-in; they are returned once, to print.
    """
    parsed = check_against_database(session, school_class, parse_roster(data))
    if not parsed.ok:
        return [], parsed.problems or [RowProblem(0, "The file has no names in it.")]
    created = []
    for row in parsed.rows:
        password = accounts.generate_password()
        student = accounts.create_student(
            session, row.name, password, school_class, username=row.username
        )
        student.must_change_password = True
        created.append((student, password))
    session.flush()
    return created, []
