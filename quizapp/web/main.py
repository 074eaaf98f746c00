"""The landing page: signs people in or sends them to their own home."""

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    """Send signed-in users to their home; show everyone else how to start."""
    if current_user.is_authenticated:
        if current_user.role == "student":
            return redirect(url_for("student.home"))
        return redirect(url_for("teacher.dashboard"))
    return render_template("index.html")


@bp.route("/healthz")
def health():
    """Liveness and database check for load balancers."""
    from sqlalchemy import text

    from quizapp.extensions import db

    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/quizzes/<ref>")
def open_quiz(ref: str):
    """Where a worksheet's QR code points: the quiz online, for whoever scans it."""
    from flask import abort
    from sqlalchemy import select

    from quizapp.extensions import db
    from quizapp.learning.catalogue import student_catalogue
    from quizapp.models import Assignment, Enrolment, Quiz
    from quizapp.web.forms import EmptyForm

    if not current_user.is_authenticated:
        from quizapp.extensions import login_manager

        return login_manager.unauthorized()
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == ref)) or (
        db.session.get(Quiz, int(ref)) if ref.isdigit() else None
    )
    if quiz is None:
        abort(404)
    if current_user.role != "student":
        endpoint = (
            "builders.quiz"
            if "builders.quiz" in current_app.view_functions
            else "teacher.dashboard"
        )
        return redirect(
            url_for(endpoint, quiz_id=quiz.id)
            if endpoint != "teacher.dashboard"
            else url_for(endpoint)
        )
    class_ids = select(Enrolment.class_id).where(Enrolment.student_id == current_user.id)
    assignment = db.session.scalar(
        select(Assignment)
        .where(Assignment.class_id.in_(class_ids), Assignment.quiz_id == quiz.id)
        .order_by(Assignment.id.desc())
    )
    if assignment is not None:
        return redirect(url_for("student.assignment", assignment_id=assignment.id))
    if quiz.id not in student_catalogue(db.session, current_user.id).quiz_ids:
        abort(404)
    return render_template("student/practice_start.html", quiz=quiz, form=EmptyForm())
