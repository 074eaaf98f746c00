"""The landing page: signs people in or sends them to their own home."""

from flask import Blueprint, redirect, render_template, url_for
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
