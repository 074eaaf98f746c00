"""Assignments, extensions and the gradebook numbers, with attempts made by the attempt engine."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import Assignment, Attempt, Lesson, Quiz
from quizapp.models._types import utcnow
from quizapp.questions import get_type
from quizapp.quizzes.attempts import (
    AttemptError,
    save_answer,
    start_attempt,
    student_rules,
    submit_attempt,
    versions_for,
)
from quizapp.quizzes.rules import combine_scores
from quizapp.teaching import assignments as service
from quizapp.teaching import classes as class_service
from quizapp.teaching.results import load_gradebook, load_item_analysis, load_student_record
from tests.helpers import gen_class, gen_student, gen_teacher, import_curated_content


def values(target, **overrides):
    base = {
        "target": target,
        "title": "",
        "instructions": "",
        "open_at": None,
        "due_at": None,
        "close_at": None,
        "time_limit_minutes": None,
        "attempts_allowed": 3,
        "grading_method": "highest",
        "shuffle_questions": False,
        "shuffle_options": True,
        "review_score": "after_submit",
        "review_correctness": "after_submit",
        "review_answers": "after_due",
        "review_feedback": "after_due",
    }
    base.update(overrides)
    return base


@pytest.fixture
def world(ctx):
    import_curated_content()
    teacher = gen_teacher()
    school_class = gen_class(teacher)
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "example-quiz"))
    return {"teacher": teacher, "class": school_class, "quiz": quiz}


def take(student, assignment, quiz, right: int, when):
    """One submitted attempt with the first ``right`` slots answered correctly."""
    attempt = start_attempt(db.session, quiz, student, assignment, now=when)
    versions = versions_for(db.session, attempt)
    for entry in attempt.layout[:right]:
        version = versions[entry["version_id"]]
        answer = get_type(version.qtype).correct_answer(version.body)
        save_answer(db.session, attempt, entry["slot"], answer, seq=None, grace_seconds=5, now=when)
    submitted = submit_attempt(db.session, attempt, now=when + timedelta(minutes=5))
    db.session.commit()
    return submitted


def test_validation_names_each_field(world):
    teacher, quiz = world["teacher"], world["quiz"]
    now = utcnow()
    problems = service.assignment_problems(
        db.session,
        teacher,
        values(
            f"quiz:{quiz.id}",
            open_at=now,
            due_at=now - timedelta(days=1),
            close_at=now - timedelta(days=2),
            time_limit_minutes=601,
            attempts_allowed=21,
        ),
    )
    assert set(problems) == {"due_at", "close_at", "time_limit_minutes", "attempts_allowed"}
    assert service.assignment_problems(db.session, teacher, values("quiz:999999"))["target"]
    assert service.assignment_problems(db.session, teacher, values("essay:1"))["target"]
    assert service.assignment_problems(
        db.session, teacher, values(f"quiz:{quiz.id}", time_limit_minutes=0)
    )
    assert not service.assignment_problems(
        db.session, teacher, values(f"quiz:{quiz.id}", time_limit_minutes=600, attempts_allowed=0)
    )


def test_another_teachers_quiz_cannot_be_assigned(world):
    other = gen_teacher()
    own = Quiz(title="Private quiz", owner_id=other.id)
    db.session.add(own)
    db.session.commit()
    assert service.resolve_target(db.session, world["teacher"], f"quiz:{own.id}") is None
    assert service.resolve_target(db.session, other, f"quiz:{own.id}") is not None
    groups = service.assignable_choices(db.session, world["teacher"])
    assert f"quiz:{own.id}" not in [v for v, _ in groups["Quizzes"]]
    assert f"quiz:{world['quiz'].id}" in [v for v, _ in groups["Quizzes"]]


def test_create_uses_the_target_title_and_target_locks_after_attempts(world):
    assignment = service.create_assignment(
        db.session, world["class"], world["teacher"], values(f"quiz:{world['quiz'].id}")
    )
    db.session.commit()
    assert assignment.title == world["quiz"].title and assignment.kind == "quiz"
    lesson = db.session.scalar(select(Lesson).limit(1))
    assert not service.assignment_problems(
        db.session, world["teacher"], values(f"lesson:{lesson.id}"), existing=assignment
    )
    take(gen_student(world["class"]), assignment, world["quiz"], 1, utcnow())
    problems = service.assignment_problems(
        db.session, world["teacher"], values(f"lesson:{lesson.id}"), existing=assignment
    )
    assert "already started" in problems["target"]


def test_extension_changes_the_students_rules(world):
    now = utcnow()
    assignment = service.create_assignment(
        db.session,
        world["class"],
        world["teacher"],
        values(
            f"quiz:{world['quiz'].id}",
            open_at=now - timedelta(days=3),
            due_at=now - timedelta(days=2),
            close_at=now - timedelta(days=1),
            time_limit_minutes=20,
        ),
    )
    late, other = gen_student(world["class"]), gen_student(world["class"])
    assert service.extension_problems(assignment, None, None, None)
    assert service.extension_problems(assignment, None, now - timedelta(days=3), None)["close_at"]
    service.set_extension(
        db.session, assignment, late, now + timedelta(days=1), now + timedelta(days=2), 10
    )
    db.session.commit()
    rules = student_rules(db.session, assignment, late)
    assert rules.due_at == now + timedelta(days=1)
    assert rules.time_limit == timedelta(minutes=30)
    assert rules.is_open(now)
    assert not student_rules(db.session, assignment, other).is_open(now)
    start_attempt(db.session, world["quiz"], late, assignment, now=now)
    with pytest.raises(AttemptError):
        start_attempt(db.session, world["quiz"], other, assignment, now=now)
    db.session.rollback()
    assert service.remove_extension(db.session, assignment, late.id)
    assert not student_rules(db.session, assignment, late).is_open(now)


@pytest.mark.parametrize("method", ["highest", "first", "last", "average"])
def test_gradebook_matches_attempts_for_each_grading_method(world, method):
    assignment = service.create_assignment(
        db.session,
        world["class"],
        world["teacher"],
        values(f"quiz:{world['quiz'].id}", grading_method=method, attempts_allowed=3),
    )
    student = gen_student(world["class"], name="Aylin Məmmədova")
    idle = gen_student(world["class"], name="Şəhla Əliyeva")
    start = utcnow() - timedelta(hours=3)
    made = [
        take(student, assignment, world["quiz"], right, start + timedelta(minutes=30 * i))
        for i, right in enumerate((2, 9, 5))
    ]
    percents = [a.percent for a in made]
    assert len(set(percents)) == 3  # the methods give different answers
    expected = {
        "highest": max(percents),
        "first": percents[0],
        "last": percents[-1],
        "average": round(sum(percents) / 3, 1),
    }[method]
    data = load_gradebook(db.session, world["class"], utcnow())
    rows = {row.student.name: row for row in data.gradebook.rows}
    cell = rows["Aylin Məmmədova"].cells[0]
    assert cell.percent == pytest.approx(expected)
    assert cell.status == "submitted" and cell.attempts_used == 3
    assert rows["Şəhla Əliyeva"].cells[0].status == "not_started"
    assert rows["Şəhla Əliyeva"].cells[0].percent is None
    assert idle.id == rows["Şəhla Əliyeva"].student.id
    # combine_scores is the single source of the rule
    assert expected == combine_scores(method, [_summary(a) for a in made])
    assert data.mastery and all(0 <= m.mastery <= 1 for m in data.mastery)


def _summary(attempt):
    from quizapp.quizzes.rules import AttemptSummary

    return AttemptSummary(attempt.state, attempt.started_at, attempt.submitted_at, attempt.percent)


def test_student_record_shows_each_answer_and_the_right_one(world):
    assignment = service.create_assignment(
        db.session, world["class"], world["teacher"], values(f"quiz:{world['quiz'].id}")
    )
    student = gen_student(world["class"])
    attempt = take(student, assignment, world["quiz"], 1, utcnow() - timedelta(hours=1))
    record = load_student_record(db.session, world["class"], student, utcnow())
    [item] = record.assignments
    [rec] = item.attempts
    assert rec.attempt.id == attempt.id
    assert rec.answers[0].verdict == "right"
    assert rec.answers[0].answer == rec.answers[0].correct
    assert rec.answers[1].verdict == "wrong" and rec.answers[1].answer == "(no answer)"
    assert len(rec.answers) == len(attempt.layout)


def test_item_analysis_uses_each_students_first_attempt(world):
    assignment = service.create_assignment(
        db.session, world["class"], world["teacher"], values(f"quiz:{world['quiz'].id}")
    )
    start = utcnow() - timedelta(hours=5)
    for i, right in enumerate((9, 7, 5, 3, 1)):
        student = gen_student(world["class"])
        take(student, assignment, world["quiz"], right, start + timedelta(minutes=i))
        if i == 0:  # a second, worse attempt does not count
            take(student, assignment, world["quiz"], 0, start + timedelta(hours=1))
    report = load_item_analysis(db.session, assignment, world["quiz"].id)
    assert report.attempts == 5 and report.enough_data
    assert report.items[0].facility == pytest.approx(1.0)  # everybody got the first slot right
    assert report.items[-1].facility == pytest.approx(0.2)  # only the first student got the last
    assert report.reliability is not None
    choice = [s for s in report.items if s.item.qtype in ("single_choice", "true_false")]
    assert choice and all(sum(o.count for o in s.options) <= s.n for s in choice)


def test_delete_class_removes_assignments_and_attempts_but_keeps_students(world):
    assignment = service.create_assignment(
        db.session, world["class"], world["teacher"], values(f"quiz:{world['quiz'].id}")
    )
    student = gen_student(world["class"])
    take(student, assignment, world["quiz"], 1, utcnow())
    class_service.delete_class(db.session, world["class"])
    db.session.commit()
    assert db.session.scalar(select(Assignment.id)) is None
    assert db.session.scalar(select(Attempt.id)) is None
    assert db.session.get(type(student), student.id) is not None
