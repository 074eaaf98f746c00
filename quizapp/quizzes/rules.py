"""The rules of an assignment for one student, and what follows from them. Pure functions.

Everything here takes plain values (no session, no request), so the student home, the quiz
page, the gradebook and the tests all read the same answer to "may this student still
answer?", "what is their status?" and "what may they see in review?".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import mean
from typing import Any

STATUS_LABELS = {
    "upcoming": "Not open yet",
    "not_started": "Not started",
    "in_progress": "In progress",
    "submitted": "Submitted",
    "overdue": "Overdue",
    "closed": "Closed",
    "completed": "Completed",
}


@dataclass(frozen=True)
class Rules:
    """How one student may take one assignment (after any extension)."""

    open_at: datetime | None = None
    due_at: datetime | None = None
    close_at: datetime | None = None
    time_limit: timedelta | None = None
    attempts_allowed: int = 1  # 0 = unlimited
    grading_method: str = "highest"
    shuffle_questions: bool = False
    shuffle_options: bool = True
    review_score: str = "after_submit"
    review_correctness: str = "after_submit"
    review_answers: str = "after_due"
    review_feedback: str = "after_due"
    practice: bool = False

    def is_open(self, now: datetime) -> bool:
        """Whether a new attempt may start now."""
        return (self.open_at is None or now >= self.open_at) and (
            self.close_at is None or now < self.close_at
        )


PRACTICE_RULES = Rules(
    attempts_allowed=0,
    shuffle_options=True,
    review_score="during",
    review_correctness="during",
    review_answers="after_submit",
    review_feedback="during",
    practice=True,
)


def rules_for(assignment: Any, extension: Any | None = None) -> Rules:
    """The rules of ``assignment`` for a student with ``extension`` (or none)."""
    due, close = assignment.due_at, assignment.close_at
    limit = (
        timedelta(minutes=assignment.time_limit_minutes) if assignment.time_limit_minutes else None
    )
    if extension is not None:
        due = extension.due_at or due
        close = extension.close_at or close
        if close is not None and due is not None and close < due:
            close = due
        if limit is not None and extension.extra_minutes:
            limit += timedelta(minutes=extension.extra_minutes)
    return Rules(
        open_at=assignment.open_at,
        due_at=due,
        close_at=close,
        time_limit=limit,
        attempts_allowed=assignment.attempts_allowed,
        grading_method=assignment.grading_method,
        shuffle_questions=assignment.shuffle_questions,
        shuffle_options=assignment.shuffle_options,
        review_score=assignment.review_score,
        review_correctness=assignment.review_correctness,
        review_answers=assignment.review_answers,
        review_feedback=assignment.review_feedback,
    )


def attempt_deadline(rules: Rules, started_at: datetime) -> datetime | None:
    """When an attempt started at ``started_at`` must end: its time limit or the close date."""
    candidates = [
        d
        for d in (started_at + rules.time_limit if rules.time_limit else None, rules.close_at)
        if d
    ]
    return min(candidates) if candidates else None


def accepts_answers(deadline: datetime | None, now: datetime, grace: timedelta) -> bool:
    """Answers are accepted until the deadline plus a short grace period (network delays)."""
    return deadline is None or now <= deadline + grace


@dataclass(frozen=True)
class AttemptSummary:
    """What status and grading need to know of one attempt."""

    state: str
    started_at: datetime
    submitted_at: datetime | None
    percent: float | None


def assignment_status(rules: Rules, attempts: list[AttemptSummary], now: datetime) -> str:
    """not_started, in_progress, submitted, overdue, closed or upcoming."""
    if any(a.state == "in_progress" for a in attempts):
        return "in_progress"
    if any(a.state == "submitted" for a in attempts):
        return "submitted"
    if rules.open_at and now < rules.open_at:
        return "upcoming"
    if rules.close_at and now >= rules.close_at:
        return "closed"
    if rules.due_at and now > rules.due_at:
        return "overdue"
    return "not_started"


def attempts_left(rules: Rules, attempts_used: int) -> int | None:
    """How many more attempts may start (None = unlimited)."""
    if rules.attempts_allowed == 0:
        return None
    return max(0, rules.attempts_allowed - attempts_used)


def combine_scores(method: str, attempts: list[AttemptSummary]) -> float | None:
    """The assignment's grade (a percentage) from its submitted attempts.

    highest: the best attempt; first: the earliest submitted; last: the latest submitted;
    average: the mean of all submitted attempts.
    """
    graded = sorted(
        (a for a in attempts if a.state == "submitted" and a.percent is not None),
        key=lambda a: (a.submitted_at or a.started_at, a.started_at),
    )
    if not graded:
        return None
    if method == "first":
        return graded[0].percent
    if method == "last":
        return graded[-1].percent
    if method == "average":
        return round(mean(a.percent for a in graded), 1)
    return max(a.percent for a in graded)


@dataclass(frozen=True)
class ReviewVisibility:
    """What a student may see of an attempt right now."""

    score: bool = False
    correctness: bool = False
    answers: bool = False
    feedback: bool = False

    @property
    def anything(self) -> bool:
        """Whether the review page has anything beyond the student's own answers."""
        return self.score or self.correctness or self.answers or self.feedback


def _visible(timing: str, submitted: bool, due_passed: bool) -> bool:
    if timing == "during":
        return True
    if timing == "after_submit":
        return submitted
    if timing == "after_due":
        return submitted and due_passed
    return False


def review_visibility(rules: Rules, submitted: bool, now: datetime) -> ReviewVisibility:
    """What may be shown for an attempt: before submission only what is allowed 'during'."""
    reference = rules.due_at or rules.close_at
    due_passed = reference is None or now >= reference
    return ReviewVisibility(
        score=_visible(rules.review_score, submitted, due_passed),
        correctness=_visible(rules.review_correctness, submitted, due_passed),
        answers=_visible(rules.review_answers, submitted, due_passed),
        feedback=_visible(rules.review_feedback, submitted, due_passed),
    )
