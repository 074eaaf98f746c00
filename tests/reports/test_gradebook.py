"""The gradebook arrangement, topic mastery and the CSV writer (pure, no database)."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import pytest

from quizapp.reports.gradebook import (
    AssignmentColumn,
    StudentRow,
    TopicResponse,
    build_gradebook,
    gradebook_csv,
    safe_cell,
    topic_mastery,
    write_csv,
)


def outcome(status, percent=None, attempts=0):
    return SimpleNamespace(
        status=status, percent=percent, attempts_used=attempts, steps_done=0, steps_total=1
    )


@pytest.fixture
def book():
    students = [
        StudentRow(1, "Aylin Məmmədova", "aylin.memmedova"),
        StudentRow(2, "Şəhla Əliyeva", "shehla"),
    ]
    columns = [
        AssignmentColumn(10, "Quiz: 20 January", "quiz"),
        AssignmentColumn(11, "=cmd|' /C calc'!A0", "lesson"),
    ]
    outcomes = {
        (10, 1): outcome("submitted", 80.0, 2),
        (10, 2): outcome("overdue"),
        (11, 1): outcome("completed"),
        (11, 2): outcome("in_progress"),
    }
    return build_gradebook(students, columns, outcomes)


def test_rows_and_summaries(book):
    assert [c.status for c in book.rows[0].cells] == ["submitted", "completed"]
    assert book.rows[0].mean_percent == 80.0 and book.rows[1].mean_percent is None
    assert book.rows[1].cells[0].status_label == "Overdue"
    assert [s.done for s in book.summaries] == [1, 1]
    assert book.summaries[0].mean_percent == 80.0


def test_csv_is_utf8_with_bom_crlf_and_keeps_diacritics(book):
    data = gradebook_csv(book, "9A Tarix")
    assert data.startswith(b"\xef\xbb\xbf")
    assert "Aylin Məmmədova".encode() in data and "Şəhla Əliyeva".encode() in data
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0][:3] == ["Student", "Sign-in name", "Class"]
    assert rows[0][3] == "Quiz: 20 January (%)"
    # A title that a spreadsheet would run as a formula is neutralised.
    assert rows[0][5] == "'=cmd|' /C calc'!A0 (%)"
    assert rows[1][3:5] == ["80.0", "Submitted"]
    assert rows[2][3:5] == ["", "Overdue"]


def test_semicolon_csv(book):
    data = gradebook_csv(book, "9A", delimiter=";")
    assert data.decode("utf-8-sig").splitlines()[0].startswith("Student;Sign-in name;Class;")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+7", "'+7"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Aylin", "Aylin"),
        (-2.5, -2.5),
        (None, ""),
    ],
)
def test_formula_guard(value, expected):
    assert safe_cell(value) == expected


def test_quoting_of_commas_quotes_and_newlines():
    data = write_csv(["a"], [['He said "hi", then left\nearly']])
    assert data.decode("utf-8-sig") == 'a\r\n"He said ""hi"", then left\nearly"\r\n'


def test_topic_mastery_is_the_mean_fraction_weakest_first():
    rows = [
        TopicResponse(1, "The night", 1, 1.0),
        TopicResponse(1, "The night", 2, 0.0),
        TopicResponse(1, "The night", 2, 0.5),
        TopicResponse(2, "Aftermath", 1, 1.0),
    ]
    mastery = topic_mastery(rows)
    assert [m.title for m in mastery] == ["The night", "Aftermath"]
    assert mastery[0].mastery == pytest.approx(0.5) and mastery[0].responses == 3
    assert mastery[0].students == 2 and mastery[0].percent == 50.0
