"""The gradebook of a class: students × assignments, topic mastery, and its CSV. Pure.

The cells come from ``quizapp.quizzes.progress.outcomes`` (the same numbers the student sees);
this module only arranges them, averages them and writes them out.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from quizapp.quizzes.rules import STATUS_LABELS

# Cells a spreadsheet would run as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class StudentRow:
    """What the gradebook needs of a student."""

    id: int
    name: str
    username: str


@dataclass(frozen=True)
class AssignmentColumn:
    """What the gradebook needs of an assignment."""

    id: int
    title: str
    kind: str
    due_at: Any = None


@dataclass(frozen=True)
class Cell:
    """One student's standing on one assignment."""

    status: str
    percent: float | None
    attempts_used: int = 0
    steps_done: int = 0
    steps_total: int = 0

    @property
    def status_label(self) -> str:
        """The status in words."""
        return STATUS_LABELS.get(self.status, self.status)


@dataclass
class ColumnSummary:
    """How the class did on one assignment."""

    done: int = 0
    mean_percent: float | None = None


@dataclass
class GradebookRow:
    """A student and their cells, in column order, and their mean over graded cells."""

    student: StudentRow
    cells: list[Cell]
    mean_percent: float | None = None


@dataclass
class Gradebook:
    """The class × assignment table."""

    columns: list[AssignmentColumn]
    rows: list[GradebookRow]
    summaries: list[ColumnSummary] = field(default_factory=list)


DONE_STATUSES = ("submitted", "completed")


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def build_gradebook(
    students: Sequence[StudentRow],
    columns: Sequence[AssignmentColumn],
    outcomes: Mapping[tuple[int, int], Any],
) -> Gradebook:
    """Arrange outcomes (keyed by (assignment id, student id)) into rows and column summaries."""
    rows = []
    for student in students:
        cells = []
        for column in columns:
            outcome = outcomes.get((column.id, student.id))
            if outcome is None:
                cells.append(Cell("not_started", None))
                continue
            cells.append(
                Cell(
                    status=outcome.status,
                    percent=outcome.percent,
                    attempts_used=outcome.attempts_used,
                    steps_done=outcome.steps_done,
                    steps_total=outcome.steps_total,
                )
            )
        rows.append(
            GradebookRow(student, cells, _mean([c.percent for c in cells if c.percent is not None]))
        )
    summaries = []
    for index, _column in enumerate(columns):
        cells = [row.cells[index] for row in rows]
        summaries.append(
            ColumnSummary(
                done=sum(c.status in DONE_STATUSES for c in cells),
                mean_percent=_mean([c.percent for c in cells if c.percent is not None]),
            )
        )
    return Gradebook(list(columns), rows, summaries)


@dataclass(frozen=True)
class TopicResponse:
    """One graded response of a submitted, non-practice attempt, with its question's topic."""

    topic_id: int
    topic_title: str
    student_id: int
    fraction: float


@dataclass(frozen=True)
class TopicMastery:
    """The mean fraction scored on a topic's questions."""

    topic_id: int
    title: str
    mastery: float  # 0..1
    responses: int
    students: int

    @property
    def percent(self) -> float:
        """Mastery as a percentage."""
        return round(100 * self.mastery, 1)


def topic_mastery(rows: Iterable[TopicResponse]) -> list[TopicMastery]:
    """Per topic: mean fraction of every response on it, weakest topic first."""
    sums: dict[int, float] = defaultdict(float)
    counts: dict[int, int] = defaultdict(int)
    students: dict[int, set[int]] = defaultdict(set)
    titles: dict[int, str] = {}
    for row in rows:
        sums[row.topic_id] += row.fraction
        counts[row.topic_id] += 1
        students[row.topic_id].add(row.student_id)
        titles[row.topic_id] = row.topic_title
    result = [
        TopicMastery(t, titles[t], sums[t] / counts[t], counts[t], len(students[t])) for t in sums
    ]
    return sorted(result, key=lambda m: (m.mastery, m.title))


def student_topic_mastery(rows: Iterable[TopicResponse], student_id: int) -> list[TopicMastery]:
    """Topic mastery of one student."""
    return topic_mastery(r for r in rows if r.student_id == student_id)


def safe_cell(value: Any) -> str | float | int:
    """A CSV cell that a spreadsheet will not run as a formula; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def write_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]], delimiter: str = ",") -> bytes:
    """UTF-8 with a byte-order mark and CRLF line ends: Excel and LibreOffice read it right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([safe_cell(v) for v in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def gradebook_csv(gradebook: Gradebook, class_name: str, delimiter: str = ",") -> bytes:
    """The gradebook as CSV: a percent and a status column per assignment."""
    header: list[Any] = ["Student", "Sign-in name", "Class"]
    for column in gradebook.columns:
        header += [f"{column.title} (%)", f"{column.title} (status)"]
    header.append("Mean (%)")
    lines = []
    for row in gradebook.rows:
        line: list[Any] = [row.student.name, row.student.username, class_name]
        for cell in row.cells:
            line += [cell.percent, cell.status_label]
        line.append(row.mean_percent)
        lines.append(line)
    return write_csv(header, lines, delimiter)
