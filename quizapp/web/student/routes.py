"""Student pages: home, lessons, quizzes, review, progress."""

from flask import Blueprint, render_template

from quizapp.web.security import student_required

bp = Blueprint("student", __name__, url_prefix="/learn")


@bp.route("/")
@student_required
def home():
    """The student's assignments and practice."""
    return render_template("student/home.html")


@bp.route("/join", methods=["GET", "POST"])
@student_required
def join_class():
    """Join another class with its code."""
    return render_template("student/home.html")
