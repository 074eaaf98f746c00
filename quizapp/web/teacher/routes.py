"""Teacher pages: bank, builders, classes, assignments, gradebook, item analysis."""

from flask import Blueprint, render_template

from quizapp.web.security import staff_required

bp = Blueprint("teacher", __name__, url_prefix="/teach")


@bp.route("/")
@staff_required
def dashboard():
    """The teacher's classes and recent activity."""
    return render_template("teacher/dashboard.html")
