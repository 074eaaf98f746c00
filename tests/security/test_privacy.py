"""Privacy: export everything about one learner, erase it (aggregates unchanged), retention."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

from sqlalchemy import func, select

from quizapp import accounts, privacy
from quizapp.extensions import db
from quizapp.models import (
    Assignment,
    Attempt,
    LessonProgress,
    Quiz,
    Response,
    SchoolClass,
    SetupToken,
    SignInFailure,
    User,
)
from quizapp.models._types import utcnow
from quizapp.teaching import results
from tests.helpers import STAFF_PASSWORD, STUDENT_PASSWORD, csrf_token, sign_in
from tests.security.conftest import login_as

NAME = "Aylin Məmmədova"


def _failures(app, world, n=2):
    with app.app_context():
        for _ in range(n):
            accounts.record_sign_in_failure(db.session, world.student, "203.0.113.9")
            accounts.record_sign_in_failure(db.session, world.other_student, "198.51.100.1")
        db.session.commit()


def _aggregates(app, world):
    """Mean score per assignment, each student's mean, topic mastery and item facility."""
    with app.app_context():
        school_class = db.session.get(SchoolClass, world.class_id)
        data = results.load_gradebook(db.session, school_class, utcnow())
        assignment = db.session.get(Assignment, world.assignment_id)
        analysis = results.load_item_analysis(db.session, assignment, world.quiz_id)
        return {
            "columns": [(s.done, s.mean_percent) for s in data.gradebook.summaries],
            "rows": sorted(r.mean_percent or 0 for r in data.gradebook.rows),
            "mastery": [(m.topic_id, m.mastery, m.responses, m.students) for m in data.mastery],
            "facility": [(i.item.key, i.n, i.facility) for i in analysis.items],
            "mean_total": analysis.mean_total,
            "scores": sorted(
                (a.score, a.max_score)
                for a in db.session.scalars(
                    select(Attempt).where(Attempt.assignment_id == world.assignment_id)
                )
            ),
        }


def test_export_holds_the_learners_data_and_nobody_elses(app, world):
    _failures(app, world)
    with app.app_context():
        user = db.session.get(User, world.student_id)
        data = privacy.export_learner(db.session, user)
        text = json.dumps(data, ensure_ascii=False)
        other = db.session.get(User, world.other_student_id)
        classmate = db.session.get(User, world.classmate_id)
        hash_ = user.password_hash
    assert data["account"]["display_name"] == NAME and data["account"]["username"] == world.student
    assert (
        "password_hash" not in json.dumps(data["account"])
        and hash_ not in text
        and "scrypt" not in text
    )
    assert [e["class_name"] for e in data["enrolments"]] == ["9A History"]
    [attempt] = data["attempts"]
    assert attempt["id"] == world.attempt and attempt["state"] == "submitted"
    assert attempt["score"] is not None and attempt["class_name"] == "9A History"
    answered = [r for r in attempt["responses"] if r["answer"] is not None]
    assert answered and all(r["question_prompt"] for r in attempt["responses"])
    assert all(r["fraction"] is not None for r in attempt["responses"])
    [progress] = data["lesson_progress"]
    assert progress["check_answers"][0]["question"] == "ex-decree-body"
    assert progress["check_answers"][0]["answer"] is not None
    assert len(data["sign_in_failures"]) == 2
    assert {f["sign_in_name"] for f in data["sign_in_failures"]} == {world.student}
    for someone in (other, classmate):
        assert someone.display_name not in text and someone.username not in text
    assert world.classmate_attempt not in text and world.other_attempt not in text
    assert "198.51.100.1" not in text


def test_csv_export_is_a_zip_of_utf8_bom_files(app, world):
    with app.app_context():
        user = db.session.get(User, world.student_id)
        body = privacy.export_csv_zip(db.session, user)
    archive = zipfile.ZipFile(io.BytesIO(body))
    names = set(archive.namelist())
    assert {"account.csv", "attempts.csv", "responses.csv", "enrolments.csv"} <= names
    for name in names:
        assert archive.read(name).startswith(b"\xef\xbb\xbf"), name
    account = list(csv.DictReader(io.StringIO(archive.read("account.csv").decode("utf-8-sig"))))
    assert account[0]["display_name"] == NAME
    responses = list(csv.DictReader(io.StringIO(archive.read("responses.csv").decode("utf-8-sig"))))
    # A public id may start with '-', which the formula guard prefixes with a quote.
    assert responses and {r["attempt"].removeprefix("'") for r in responses} == {world.attempt}
    assert "password_hash" not in archive.read("account.csv").decode("utf-8-sig")


def test_csv_export_neutralises_formulas(app, world):
    with app.app_context():
        user = db.session.get(User, world.student_id)
        user.display_name = '=HYPERLINK("http://evil.example")'
        db.session.commit()
        body = privacy.export_csv_zip(db.session, user)
    account = zipfile.ZipFile(io.BytesIO(body)).read("account.csv").decode("utf-8-sig")
    assert ",=HYPERLINK" not in account and "'=HYPERLINK" in account


def test_erase_removes_identity_and_answers_but_keeps_aggregates(app, world, client):
    with app.app_context():
        user = db.session.get(User, world.student_id)
        accounts.create_setup_token(db.session, user)
        db.session.commit()
    # A signed-in session of the learner, to be ended by the erasure.
    learner = app.test_client()
    login_as(learner, world.student)
    assert learner.get("/learn/").status_code == 200
    _failures(app, world)  # after the sign-in, which clears the account's failures
    before = _aggregates(app, world)
    with app.app_context():
        report = privacy.erase_learner(db.session, db.session.get(User, world.student_id))
        db.session.commit()
    assert report.answers_cleared > 0 and report.sign_in_failures_deleted == 2
    assert report.lesson_checks_cleared == 1 and report.setup_links_deleted == 1
    after = _aggregates(app, world)
    assert after == before
    with app.app_context():
        user = db.session.get(User, world.student_id)
        assert user.display_name == privacy.ERASED_NAME and user.email is None
        assert user.username != world.student and not user.is_active
        assert not accounts.verify_password(user, STUDENT_PASSWORD)
        assert db.session.scalar(select(func.count()).where(User.display_name == NAME)) == 0
        answers = list(
            db.session.scalars(
                select(Response.answer)
                .join(Attempt, Attempt.id == Response.attempt_id)
                .where(Attempt.student_id == world.student_id)
            )
        )
        assert answers and all(a is None for a in answers)
        fractions = list(
            db.session.scalars(
                select(Response.fraction)
                .join(Attempt, Attempt.id == Response.attempt_id)
                .where(Attempt.student_id == world.student_id)
            )
        )
        assert all(f is not None for f in fractions)
        progress = db.session.scalar(
            select(LessonProgress).where(LessonProgress.student_id == world.student_id)
        )
        assert all(r["answer"] is None for r in progress.check_answers.values())
        assert progress.completed_at is None or progress.completed_at  # completion kept as is
        keys = [world.student]
        assert (
            db.session.scalar(select(func.count()).where(SignInFailure.account_key.in_(keys))) == 0
        )
        assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == 2  # others'
        assert (
            db.session.scalar(select(func.count()).where(SetupToken.user_id == world.student_id))
            == 0
        )
        export = json.dumps(privacy.export_learner(db.session, user), ensure_ascii=False)
    assert NAME not in export and world.student not in export
    # The open session is over and the learner cannot sign in again.
    assert learner.get("/learn/").status_code == 302
    failed = sign_in(client, world.student, STUDENT_PASSWORD)
    assert failed.status_code == 200 and "do not match" in failed.get_data(as_text=True)
    # The name appears nowhere a teacher or admin looks.
    login_as(client, world.teacher)
    pages = [
        f"/teach/classes/{world.class_id}",
        f"/teach/classes/{world.class_id}/gradebook",
        f"/teach/classes/{world.class_id}/gradebook.csv",
        f"/teach/classes/{world.class_id}/students/{world.student_id}",
        f"/teach/assignments/{world.assignment_id}",
        f"/teach/assignments/{world.assignment_id}/analysis",
        "/teach/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert NAME not in body and world.student not in body, path
    assert privacy.ERASED_NAME in client.get(f"/teach/classes/{world.class_id}/gradebook").get_data(
        as_text=True
    )


def test_erase_refuses_staff_accounts(app, world):
    with app.app_context():
        teacher = db.session.get(User, world.teacher_id)
        try:
            privacy.erase_learner(db.session, teacher)
        except ValueError:
            pass
        else:
            raise AssertionError("a teacher was erased as a learner")


def _age(app, public_id, days):
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        attempt.started_at = utcnow() - timedelta(days=days, minutes=30)
        attempt.submitted_at = utcnow() - timedelta(days=days)
        db.session.commit()


def test_purge_removes_only_old_attempts(app, world):
    _age(app, world.attempt, 400)
    _age(app, world.classmate_attempt, 10)
    with app.app_context():
        # An abandoned practice attempt started long ago, and the student's old review quiz.
        student = db.session.get(User, world.student_id)
        quiz = db.session.get(Quiz, world.quiz_id)
        from quizapp.quizzes import attempts as attempt_service

        abandoned = attempt_service.start_attempt(db.session, quiz, student, None)
        abandoned.started_at = utcnow() - timedelta(days=500)
        review = Quiz(title="Review", kind="review", owner_id=student.id, published=False)
        review.created_at = utcnow() - timedelta(days=500)
        db.session.add(review)
        db.session.commit()
        responses_before = db.session.scalar(select(func.count()).select_from(Response))
        dry = privacy.purge_old_attempts(db.session, utcnow() - timedelta(days=365), dry_run=True)
        db.session.rollback()
        assert dry.attempts == 2 and dry.review_quizzes == 1
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 4
        report = privacy.purge_old_attempts(db.session, utcnow() - timedelta(days=365))
        db.session.commit()
        assert report.attempts == 2 and report.responses > 0 and report.review_quizzes == 1
        left = set(db.session.scalars(select(Attempt.public_id)))
        assert left == {world.classmate_attempt, world.other_attempt}
        assert (
            db.session.scalar(select(func.count()).select_from(Response))
            == responses_before - report.responses
        )
        assert db.session.get(Quiz, world.quiz_id) is not None  # the real quiz stays
        assert db.session.scalar(select(func.count()).where(Quiz.kind == "review")) == 0


def test_purge_cli_uses_the_retention_setting(app, world, runner):
    _age(app, world.attempt, 40)
    app.config["RETENTION_DAYS"] = 0
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0 and "nothing deleted" in result.output
    app.config["RETENTION_DAYS"] = 30
    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0 and "Deleted 1 attempt" in dry.output, dry.output
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0 and "Deleted 1 attempt" in result.output, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 2
    again = runner.invoke(args=["privacy", "purge", "--days", "30"])
    assert "Deleted 0 attempt" in again.output


def test_export_and_erase_cli(app, world, runner, tmp_path):
    result = runner.invoke(args=["privacy", "export", world.student])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["account"]["display_name"] == NAME
    target = tmp_path / "out.zip"
    result = runner.invoke(
        args=["privacy", "export", world.student, "--format", "csv", "-o", str(target)]
    )
    assert result.exit_code == 0 and zipfile.is_zipfile(target)
    missing = runner.invoke(args=["privacy", "export", "nobody-here"])
    assert missing.exit_code != 0 and "No learner" in missing.output
    staff = runner.invoke(args=["privacy", "erase", world.teacher, "--yes"])
    assert staff.exit_code != 0
    refused = runner.invoke(args=["privacy", "erase", world.student], input="n\n")
    assert refused.exit_code != 0
    result = runner.invoke(args=["privacy", "erase", world.student, "--yes"])
    assert result.exit_code == 0 and "erased" in result.output
    with app.app_context():
        assert db.session.get(User, world.student_id).display_name == privacy.ERASED_NAME


def test_admin_pages_search_export_and_erase_with_password(app, world, client):
    for who in (world.teacher, world.student):
        someone = app.test_client()
        login_as(someone, who)
        assert someone.get("/admin/privacy/").status_code == 403
        assert (
            someone.get(f"/admin/privacy/learners/{world.student_id}/export.json").status_code
            == 403
        )
    assert client.get("/admin/privacy/").status_code == 302
    login_as(client, world.admin)
    found = client.get("/admin/privacy/?q=aylin").get_data(as_text=True)
    assert NAME in found and f"/admin/privacy/learners/{world.student_id}" in found
    assert "Zaur" not in found
    assert "No learner matches" in client.get("/admin/privacy/?q=%25").get_data(as_text=True)
    # Staff accounts are not learners here.
    assert client.get(f"/admin/privacy/learners/{world.teacher_id}").status_code == 404
    page = client.get(f"/admin/privacy/learners/{world.student_id}")
    assert page.status_code == 200 and "9A History" in page.get_data(as_text=True)
    as_json = client.get(f"/admin/privacy/learners/{world.student_id}/export.json")
    assert as_json.status_code == 200 and as_json.mimetype == "application/json"
    assert "attachment" in as_json.headers["Content-Disposition"]
    assert as_json.get_json()["account"]["username"] == world.student
    as_zip = client.get(f"/admin/privacy/learners/{world.student_id}/export.zip")
    assert as_zip.status_code == 200 and zipfile.is_zipfile(io.BytesIO(as_zip.data))
    url = f"/admin/privacy/learners/{world.student_id}/erase"
    token = csrf_token(client, url)
    wrong = client.post(url, data={"csrf_token": token, "password": "not my password"})
    assert wrong.status_code == 400 and "not your password" in wrong.get_data(as_text=True)
    empty = client.post(url, data={"csrf_token": token})
    assert empty.status_code == 400
    no_csrf = client.post(url, data={"password": STAFF_PASSWORD})
    assert no_csrf.status_code == 400
    with app.app_context():
        assert db.session.get(User, world.student_id).display_name == NAME
    done = client.post(url, data={"csrf_token": token, "password": STAFF_PASSWORD})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(User, world.student_id).display_name == privacy.ERASED_NAME
    assert NAME not in client.get("/admin/privacy/?q=aylin").get_data(as_text=True)
