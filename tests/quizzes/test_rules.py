"""Pure rules: deadlines, status, combining attempts, review visibility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from quizapp.quizzes.rules import (
    AttemptSummary,
    Rules,
    accepts_answers,
    assignment_status,
    attempt_deadline,
    combine_scores,
    review_visibility,
    rules_for,
)

T0 = datetime(2026, 1, 19, 9, 0, tzinfo=UTC)


def attempt(percent, minutes, state="submitted"):
    return AttemptSummary(
        state, T0 + timedelta(minutes=minutes), T0 + timedelta(minutes=minutes + 5), percent
    )


@pytest.mark.parametrize(
    ("method", "expected"), [("highest", 90.0), ("first", 40.0), ("last", 70.0), ("average", 66.7)]
)
def test_combine_scores(method, expected):
    attempts = [
        attempt(70.0, 30),
        attempt(40.0, 0),
        attempt(90.0, 10),
        attempt(None, 50, "in_progress"),
    ]
    assert combine_scores(method, attempts) == expected


def test_combine_scores_without_submissions():
    assert combine_scores("highest", [attempt(None, 0, "in_progress")]) is None


def test_deadline_is_time_limit_or_close_date_whichever_first():
    rules = Rules(time_limit=timedelta(minutes=20), close_at=T0 + timedelta(minutes=10))
    assert attempt_deadline(rules, T0) == T0 + timedelta(minutes=10)
    assert attempt_deadline(Rules(time_limit=timedelta(minutes=20)), T0) == T0 + timedelta(
        minutes=20
    )
    assert attempt_deadline(Rules(), T0) is None


def test_grace_period():
    deadline = T0
    assert accepts_answers(deadline, T0 + timedelta(seconds=29), timedelta(seconds=30))
    assert not accepts_answers(deadline, T0 + timedelta(seconds=31), timedelta(seconds=30))


def test_extension_moves_dates_and_adds_time():
    assignment = SimpleNamespace(
        due_at=T0,
        close_at=T0 + timedelta(days=1),
        time_limit_minutes=30,
        attempts_allowed=1,
        grading_method="highest",
        shuffle_questions=False,
        shuffle_options=True,
        open_at=None,
        review_score="after_submit",
        review_correctness="after_submit",
        review_answers="after_due",
        review_feedback="after_due",
    )
    extension = SimpleNamespace(due_at=T0 + timedelta(days=3), close_at=None, extra_minutes=15)
    rules = rules_for(assignment, extension)
    assert rules.due_at == T0 + timedelta(days=3)
    assert rules.close_at == T0 + timedelta(days=3)  # never closes before the new due date
    assert rules.time_limit == timedelta(minutes=45)


def test_status():
    rules = Rules(due_at=T0, close_at=T0 + timedelta(days=2))
    assert assignment_status(rules, [], T0 - timedelta(hours=1)) == "not_started"
    assert assignment_status(rules, [], T0 + timedelta(hours=1)) == "overdue"
    assert assignment_status(rules, [], T0 + timedelta(days=3)) == "closed"
    assert assignment_status(rules, [attempt(None, 0, "in_progress")], T0) == "in_progress"
    assert assignment_status(rules, [attempt(50.0, 0)], T0 + timedelta(hours=1)) == "submitted"
    assert assignment_status(Rules(open_at=T0), [], T0 - timedelta(minutes=1)) == "upcoming"


def test_review_visibility_follows_timings():
    rules = Rules(
        due_at=T0,
        review_score="after_submit",
        review_correctness="during",
        review_answers="after_due",
        review_feedback="never",
    )
    before = review_visibility(rules, submitted=False, now=T0 - timedelta(hours=1))
    assert (before.score, before.correctness, before.answers, before.feedback) == (
        False,
        True,
        False,
        False,
    )
    submitted_early = review_visibility(rules, submitted=True, now=T0 - timedelta(hours=1))
    assert (submitted_early.score, submitted_early.answers) == (True, False)
    after_due = review_visibility(rules, submitted=True, now=T0 + timedelta(minutes=1))
    assert (after_due.answers, after_due.feedback) == (True, False)
