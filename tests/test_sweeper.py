"""The expired-attempt sweeper: its CLI for cron, and that it stays off in tests and CLI."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import Assignment, Attempt
from quizapp.models._types import utcnow
from quizapp.quizzes import sweeper
from quizapp.quizzes.attempts import start_attempt
from tests.helpers import gen_class, gen_student, gen_teacher, import_examples


def test_attempts_sweep_submits_expired_attempts_only(app, runner, ctx):
    quiz = import_examples()
    school_class = gen_class(gen_teacher())
    late, on_time = gen_student(school_class), gen_student(school_class)
    assignment = Assignment(
        class_id=school_class.id, kind="quiz", quiz_id=quiz.id, title="Timed", time_limit_minutes=10
    )
    db.session.add(assignment)
    db.session.commit()
    expired = start_attempt(db.session, quiz, late, assignment, now=utcnow() - timedelta(hours=1))
    running = start_attempt(db.session, quiz, on_time, assignment)
    db.session.commit()

    result = runner.invoke(args=["attempts", "sweep"])

    assert result.exit_code == 0, result.output
    assert "Submitted 1 attempt(s)" in result.output
    db.session.expire_all()
    states = dict(db.session.execute(select(Attempt.id, Attempt.submitted_by)).all())
    assert states == {expired.id: "timer", running.id: None}
    db.session.commit()  # end this session's SQLite write transaction before the next run
    assert runner.invoke(args=["attempts", "sweep"]).output.startswith("Submitted 0 attempt(s)")


def test_no_sweeper_thread_in_tests(app):
    assert app.config["ATTEMPT_SWEEP_SECONDS"] == 0
    assert sweeper.start(app) is None
