"""Admin privacy pages: find a learner, download everything stored about them, erase it."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from quizapp import privacy
from quizapp.extensions import db
from quizapp.models import User
from quizapp.web.forms import password_confirmed
from quizapp.web.privacy.forms import EraseForm, SearchForm
from quizapp.web.security import admin_required

bp = Blueprint("privacy", __name__, url_prefix="/admin/privacy")


def _learner(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role != "student":
        abort(404)
    return user


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/")
@admin_required
def index():
    """Search for a learner by name or sign-in name."""
    form = SearchForm(request.args)
    query = (form.q.data or "").strip()[:120]
    learners = privacy.find_learners(db.session, query) if query else []
    return render_template("privacy/index.html", form=form, query=query, learners=learners)


@bp.route("/learners/<int:user_id>")
@admin_required
def learner(user_id: int):
    """What is stored about one learner, with the export and erase actions."""
    user = _learner(user_id)
    export = privacy.export_learner(db.session, user)
    return render_template(
        "privacy/learner.html",
        user=user,
        export=export,
        summary=privacy.learner_summary(db.session, user),
        erased=privacy.is_erased(user),
    )


@bp.route("/learners/<int:user_id>/export.json")
@admin_required
def export_json(user_id: int):
    """Everything stored about the learner, as JSON."""
    user = _learner(user_id)
    return _download(
        privacy.export_json(db.session, user),
        "application/json",
        f"learner-{user.id}.json",
    )


@bp.route("/learners/<int:user_id>/export.zip")
@admin_required
def export_csv(user_id: int):
    """Everything stored about the learner, as a zip of CSV files."""
    user = _learner(user_id)
    return _download(
        privacy.export_csv_zip(db.session, user), "application/zip", f"learner-{user.id}-csv.zip"
    )


@bp.route("/learners/<int:user_id>/erase", methods=["GET", "POST"])
@admin_required
def erase(user_id: int):
    """Erase the learner's identity and answers, after the admin's own password."""
    user = _learner(user_id)
    form = EraseForm()
    if form.validate_on_submit() and password_confirmed(form.password):
        report = privacy.erase_learner(db.session, user)
        db.session.commit()
        flash(report.summary(), "success")
        return redirect(url_for(".learner", user_id=user.id))
    status = 400 if request.method == "POST" else 200
    return render_template("privacy/erase.html", user=user, form=form), status
