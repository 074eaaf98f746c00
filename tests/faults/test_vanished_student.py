"""A student starts a time-limited attempt, saves some answers and vanishes: the server's
sweeper submits the attempt (by the timer) with the saved answers, with nobody opening it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from bench.support.client import Connection, Student
from quizapp.extensions import db
from quizapp.models import Attempt
from tests.faults.conftest import deploy

pytestmark = pytest.mark.faults


def test_sweeper_submits_the_attempt_of_a_vanished_student(database_url, tmp_path):
    # The assignment closes 15 s after seeding: the attempt's deadline (the time limit is
    # 45 minutes, the close date comes first). Grace 1 s, a sweep every second.
    deployment = deploy(database_url, tmp_path, students=1, close_in=timedelta(seconds=15))
    server = deployment.server(
        QUIZAPP_ATTEMPT_SWEEP_SECONDS="1", QUIZAPP_ATTEMPT_GRACE_SECONDS="1"
    ).start()
    try:
        conn = Connection(server.port)
        student = Student(deployment.scenario.logins[0], deployment.scenario.password)
        student.sign_in(conn)
        token = student.open_assignment(conn, deployment.scenario.assignment_id)
        student.start(conn, deployment.scenario.assignment_id, token)
        student.open_quiz(conn)
        answers = deployment.scenario.answers
        for slot in (1, 2, 3):
            assert student.save(conn, slot, answers[slot], seq=slot).json()["saved"]
        conn.close()  # the laptop closes; no request from anyone after this

        with deployment.app.app_context():
            attempt = db.session.scalar(
                select(Attempt).where(Attempt.public_id == student.attempt_id)
            )
            assert attempt.state == "in_progress" and attempt.deadline_at is not None
            deadline = attempt.deadline_at
            db.session.remove()
            give_up = time.monotonic() + 60
            while time.monotonic() < give_up:
                attempt = db.session.scalar(
                    select(Attempt).where(Attempt.public_id == student.attempt_id)
                )
                if attempt.state == "submitted":
                    break
                db.session.remove()
                time.sleep(0.5)
            assert attempt.state == "submitted", "the sweeper did not submit the attempt in time"
            assert attempt.submitted_by == "timer"
            assert attempt.submitted_at > deadline
            saved = {r.slot: r for r in attempt.responses if r.answer is not None}
            assert sorted(saved) == [1, 2, 3]
            assert all(r.score == r.max_score for r in saved.values())  # graded with its answers
            assert attempt.score == sum(r.score for r in saved.values())
            assert len(attempt.responses) == len(answers)  # unanswered slots graded as blank
            db.session.remove()
        assert "sweeper: submitted 1 attempt" in server.log_tail(200)
    finally:
        server.stop()
        deployment.dispose()
