"""The attempt lifecycle against a real database (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import Assignment, Attempt, Response
from quizapp.models._types import utcnow
from quizapp.questions import get_type
from quizapp.quizzes.attempts import (
    AttemptError,
    finalise_expired_attempts,
    save_answer,
    start_attempt,
    submit_attempt,
    versions_for,
)
from tests.helpers import gen_class, gen_student, gen_teacher, import_examples


@pytest.fixture
def setting(ctx):
    quiz = import_examples()
    teacher = gen_teacher()
    school_class = gen_class(teacher)
    student = gen_student(school_class)
    assignment = Assignment(
        class_id=school_class.id,
        kind="quiz",
        quiz_id=quiz.id,
        title=quiz.title,
        attempts_allowed=2,
        grading_method="highest",
        shuffle_options=True,
    )
    db.session.add(assignment)
    db.session.commit()
    return {
        "student": student,
        "quiz": quiz,
        "assignment": assignment,
        "class": school_class,
        "teacher": teacher,
    }


def perfect_answers(attempt):
    versions = versions_for(db.session, attempt)
    for entry in attempt.layout:
        version = versions[entry["version_id"]]
        yield entry["slot"], get_type(version.qtype).correct_answer(version.body)


def test_start_resumes_the_open_attempt(setting):
    first = start_attempt(db.session, setting["quiz"], setting["student"], setting["assignment"])
    db.session.commit()
    again = start_attempt(db.session, setting["quiz"], setting["student"], setting["assignment"])
    assert again.id == first.id
    assert len(first.layout) == len(setting["quiz"].items)


def test_perfect_answers_score_full_marks_and_submit_is_idempotent(setting):
    attempt = start_attempt(db.session, setting["quiz"], setting["student"], setting["assignment"])
    for slot, answer in perfect_answers(attempt):
        assert save_answer(db.session, attempt, slot, answer, seq=None, grace_seconds=5).applied
    db.session.commit()
    submitted = submit_attempt(db.session, attempt)
    db.session.commit()
    assert submitted.score == submitted.max_score == len(attempt.layout)
    again = submit_attempt(db.session, attempt)
    assert again.submitted_at == submitted.submitted_at and again.score == submitted.score
    assert db.session.scalar(
        select(func.count()).select_from(Response).where(Response.attempt_id == attempt.id)
    ) == len(attempt.layout)


def test_out_of_order_save_never_overwrites_newer(setting):
    attempt = start_attempt(db.session, setting["quiz"], setting["student"], setting["assignment"])
    versions = versions_for(db.session, attempt)
    slot = next(
        e["slot"] for e in attempt.layout if versions[e["version_id"]].qtype == "short_answer"
    )
    assert save_answer(db.session, attempt, slot, "newer", seq=5, grace_seconds=5).applied
    assert not save_answer(db.session, attempt, slot, "older", seq=4, grace_seconds=5).applied
    assert not save_answer(db.session, attempt, slot, "replay", seq=5, grace_seconds=5).applied
    db.session.commit()
    stored = db.session.scalar(
        select(Response).where(Response.attempt_id == attempt.id, Response.slot == slot)
    )
    assert stored.answer == "newer" and stored.client_seq == 5


def test_no_saves_after_deadline_and_grace(setting):
    setting["assignment"].time_limit_minutes = 10
    db.session.commit()
    start = utcnow() - timedelta(minutes=20)
    attempt = start_attempt(
        db.session, setting["quiz"], setting["student"], setting["assignment"], now=start
    )
    db.session.commit()
    with pytest.raises(AttemptError) as error:
        save_answer(db.session, attempt, 1, None, seq=None, grace_seconds=5)
    assert error.value.code == "time_up"


def test_expired_attempt_finalised_by_sweeper_with_saved_answers(setting):
    setting["assignment"].time_limit_minutes = 10
    db.session.commit()
    start = utcnow() - timedelta(minutes=9)
    attempt = start_attempt(
        db.session, setting["quiz"], setting["student"], setting["assignment"], now=start
    )
    slot, answer = next(iter(perfect_answers(attempt)))
    save_answer(db.session, attempt, slot, answer, seq=None, grace_seconds=5)
    db.session.commit()
    assert (
        finalise_expired_attempts(db.session, now=utcnow() + timedelta(minutes=5), grace_seconds=5)
        == 1
    )
    db.session.commit()
    db.session.refresh(attempt)
    assert attempt.state == "submitted" and attempt.submitted_by == "timer" and attempt.score == 1.0


def test_attempts_allowed_is_enforced(setting):
    for _ in range(2):
        attempt = start_attempt(
            db.session, setting["quiz"], setting["student"], setting["assignment"]
        )
        submit_attempt(db.session, attempt)
        db.session.commit()
    with pytest.raises(AttemptError) as error:
        start_attempt(db.session, setting["quiz"], setting["student"], setting["assignment"])
    assert error.value.code == "no_attempts_left"


def test_attempt_keeps_its_version_after_an_edit(setting):
    from quizapp.content.importer import write_question_version
    from quizapp.content.specs import QuestionSpec
    from quizapp.models import Question

    attempt = start_attempt(db.session, setting["quiz"], setting["student"], setting["assignment"])
    db.session.commit()
    question = db.session.scalar(select(Question).where(Question.slug == "ex-saturday"))
    old_version = question.current_version
    spec = QuestionSpec(
        id="ex-saturday",
        type="true_false",
        topic=old_version.topic.slug,
        difficulty=1,
        cognitive="remember",
        prompt="Edited: 20 January 1990 was a Sunday.",
        body={"answer": False},
        explanation="It was a Saturday.",
        sources=["LAT-27"],
        tags=["dates"],
    )
    write_question_version(db.session, question, spec, old_version.topic, None)
    db.session.commit()
    slot = next(e["slot"] for e in attempt.layout if e["version_id"] == old_version.id)
    save_answer(db.session, attempt, slot, True, seq=None, grace_seconds=5)
    graded = submit_attempt(db.session, attempt)
    db.session.commit()
    response = db.session.scalar(
        select(Response).where(Response.attempt_id == graded.id, Response.slot == slot)
    )
    assert response.version_id == old_version.id and response.fraction == 1.0


def test_practice_attempt_is_separate_from_assignment(setting):
    practice = start_attempt(db.session, setting["quiz"], setting["student"], None)
    graded = start_attempt(db.session, setting["quiz"], setting["student"], setting["assignment"])
    db.session.commit()
    assert practice.id != graded.id and practice.is_practice and not graded.is_practice
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 2


def _option_orders(attempt):
    from quizapp.learning.question_views import build_views

    views = build_views(attempt.layout, versions_for(db.session, attempt), {})
    return [
        [o["key"] for o in v.view.get("options", [])]
        for v in views
        if v.qtype in ("single_choice", "multiple_response")
    ]


def test_options_shuffled_per_attempt_only_when_asked(setting):
    setting["assignment"].attempts_allowed = 0
    db.session.commit()
    orders = set()
    for _ in range(6):
        attempt = start_attempt(
            db.session, setting["quiz"], setting["student"], setting["assignment"]
        )
        orders.add(tuple(map(tuple, _option_orders(attempt))))
        submit_attempt(db.session, attempt)
        db.session.commit()
    assert len(orders) > 1
    setting["assignment"].shuffle_options = False
    db.session.commit()
    fixed = start_attempt(db.session, setting["quiz"], setting["student"], setting["assignment"])
    versions = versions_for(db.session, fixed)
    stored = [
        [o["key"] for o in versions[e["version_id"]].body["options"]]
        for e in fixed.layout
        if versions[e["version_id"]].qtype in ("single_choice", "multiple_response")
    ]
    assert _option_orders(fixed) == stored


def test_a_save_during_submission_waits_and_is_refused(setting, app):
    """A save that arrives while the attempt is being graded waits for the grading to finish,
    then is refused: no answer changes after it was graded."""
    import threading
    import time

    from sqlalchemy.orm import Session

    attempt = start_attempt(db.session, setting["quiz"], setting["student"], setting["assignment"])
    db.session.flush()
    attempt_id = attempt.id
    slot, answer = next(perfect_answers(attempt))
    db.session.commit()
    db.session.close()  # this test's own session holds no transaction while the others run
    engine = db.engine
    outcome: dict = {}

    def late_save():
        with app.app_context(), Session(engine) as other:
            try:
                save_answer(
                    other, other.get(Attempt, attempt_id), slot, answer, seq=99, grace_seconds=5
                )
                other.commit()
                outcome["result"] = "saved"
            except AttemptError as error:
                outcome["result"] = error.code

    with Session(engine) as grading:
        locked = grading.scalar(select(Attempt).where(Attempt.id == attempt_id).with_for_update())
        submit_attempt(grading, locked)
        saver = threading.Thread(target=late_save)
        saver.start()
        time.sleep(0.5)
        assert saver.is_alive()  # the save waits for the grading transaction
        grading.commit()
    saver.join(timeout=20)
    assert outcome == {"result": "submitted"}
    with Session(engine) as check:
        stored = check.scalar(
            select(Response).where(Response.attempt_id == attempt_id, Response.slot == slot)
        )
        assert stored.client_seq == 0 and stored.answer is None and stored.score == 0


class LateSave:
    """An attempt just started, one right answer for one of its slots, and a save of that
    answer made in another request (its own session) when ``land()`` is called."""

    def __init__(self, setting, app):
        attempt = start_attempt(
            db.session, setting["quiz"], setting["student"], setting["assignment"]
        )
        db.session.commit()
        self.app = app
        self.attempt_id, self.public_id = attempt.id, attempt.public_id
        self.slot, self.answer = next(perfect_answers(attempt))
        self.points = next(e["points"] for e in attempt.layout if e["slot"] == self.slot)
        self.saved: list[bool] = []
        db.session.close()  # this test's own session holds no transaction while others run

    def land(self) -> None:
        """Save the answer in another request, now, and wait for it."""
        import threading

        from sqlalchemy.orm import Session

        def save_in_another_request():
            with self.app.app_context(), Session(db.engine) as other:
                attempt = other.get(Attempt, self.attempt_id)
                result = save_answer(other, attempt, self.slot, self.answer, 1, grace_seconds=5)
                other.commit()
                self.saved.append(result.applied)

        saver = threading.Thread(target=save_in_another_request)
        saver.start()
        saver.join(timeout=20)

    def land_after_the_first_grading(self, monkeypatch, read_with_the_attempt=False) -> None:
        """Make the save land right after the submission's first grading (``attempts._grade``);
        ``read_with_the_attempt``: that grading must have used the answers read with the
        attempt."""
        from quizapp.quizzes import attempts

        graded_first = attempts._grade

        def grading_then_the_save_lands(connection, target, stored=None):
            grading = graded_first(connection, target, stored)
            if not self.saved:
                assert stored is not None or not read_with_the_attempt
                self.land()
            return grading

        monkeypatch.setattr(attempts, "_grade", grading_then_the_save_lands)

    def assert_graded_with_it(self) -> None:
        """The late answer is stored, graded and counted in the attempt's score."""
        from sqlalchemy.orm import Session

        assert self.saved == [True]  # the save landed between the grading and the closing
        with Session(db.engine) as check:
            stored = check.scalar(
                select(Response).where(
                    Response.attempt_id == self.attempt_id, Response.slot == self.slot
                )
            )
            closed = check.get(Attempt, self.attempt_id)
            assert (stored.client_seq, stored.answer) == (1, self.answer)
            assert stored.score == self.points and stored.fraction == 1
            assert closed.state == "submitted" and closed.score == self.points
            graded = check.scalar(
                select(func.count()).where(
                    Response.attempt_id == self.attempt_id, Response.max_score.is_not(None)
                )
            )
            assert graded == len(closed.layout)


def test_an_answer_saved_between_grading_and_closing_is_graded(setting, app, monkeypatch):
    """A submission grades before it takes the write lock; an autosave that lands in between
    is not lost from the grade: the attempt is graded again once it is closed."""
    from quizapp.quizzes import attempts

    late = LateSave(setting, app)
    graded_first = attempts.begin_write_phase

    def grading_done_then_a_save_lands(session):
        graded_first(session)
        late.land()

    monkeypatch.setattr(attempts, "begin_write_phase", grading_done_then_a_save_lands)
    # The API's submission, as a request runs it (on SQLite its reads begin deferred).
    with app.test_request_context(f"/api/attempts/{late.public_id}/submit", method="POST"):
        submit_attempt(db.session, db.session.get(Attempt, late.attempt_id))
        db.session.commit()
    late.assert_graded_with_it()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_one_statement_submission_grades_an_answer_saved_after_its_grading(
    setting, app, monkeypatch
):
    """PostgreSQL's API submission (close and grades in one statement): an autosave that lands
    between the grading and the close is seen as a grade not written, and the attempt is
    graded again from the answers the close froze — score and grades both rewritten."""
    from quizapp.database import autocommit_connection
    from quizapp.quizzes import attempts
    from quizapp.web.access import own_attempt_for_autosave

    student = (setting["student"].id, setting["student"].session_generation)
    late = LateSave(setting, app)
    late.land_after_the_first_grading(monkeypatch)
    with app.app_context(), autocommit_connection() as connection:
        target = own_attempt_for_autosave(connection, late.public_id, sign_in=student)
        attempts.submit_in_one_statement(connection, target)
        again = own_attempt_for_autosave(connection, late.public_id, sign_in=student)
        attempts.submit_in_one_statement(connection, again)  # closed: nothing more happens
    late.assert_graded_with_it()


def test_a_submission_read_with_its_answers_grades_an_answer_saved_after_the_read(
    setting, app, monkeypatch
):
    """The fast path's submission reads the attempt and its answers in one query
    (``own_attempt_with_answers``) and grades from them: an autosave that lands after that
    read is still graded, because the grading after the close reads the answers again."""
    from quizapp.quizzes import attempts
    from quizapp.web.access import own_attempt_with_answers

    student = (setting["student"].id, setting["student"].session_generation)
    late = LateSave(setting, app)
    late.land_after_the_first_grading(monkeypatch, read_with_the_attempt=True)
    with app.app_context():
        known = (late.attempt_id, db.session.get(Attempt, late.attempt_id).layout)
        db.session.close()

        def read(connection):
            return own_attempt_with_answers(connection, late.public_id, known, student)

        assert attempts.submit_as_read(read) is True
    late.assert_graded_with_it()
