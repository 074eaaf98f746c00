"""Admin pages: teachers (create, setup links, deactivate) and every class (reassign)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from quizapp import accounts
from quizapp.extensions import db
from quizapp.models import SchoolClass, User
from quizapp.teaching import classes as class_service
from quizapp.teaching.cards import seal, unseal
from quizapp.web.admin.forms import ReassignForm, TeacherForm
from quizapp.web.forms import ConfirmPasswordForm, password_confirmed
from quizapp.web.security import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
SETUP_KEY = "admin_setup_link"


def _staff() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_(("teacher", "admin")))
            .order_by(User.is_active.desc(), func.lower(User.display_name))
        )
    )


def _keep_setup_link(user: User, token: str) -> None:
    """Show the link once, on the next page; sealed in the session until then."""
    link = url_for("auth.setup", token=token, _external=True)
    session[SETUP_KEY] = seal({"user": user.id, "link": link}, current_app.config["SECRET_KEY"])


def _teacher(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role not in ("teacher", "admin"):
        abort(404)
    return user


def _render_index(form: TeacherForm, status: int = 200):
    staff = _staff()
    summaries = class_service.class_summaries(db.session, None)
    reassign = ReassignForm()
    reassign.teacher_id.choices = [SelectChoice(t.id, t.display_name) for t in staff if t.is_active]
    sealed = session.pop(SETUP_KEY, None)
    setup = unseal(sealed, current_app.config["SECRET_KEY"]) if sealed else None
    setup_user = db.session.get(User, setup["user"]) if setup else None
    class_counts = {}
    for summary in summaries:
        teacher_id = summary.school_class.teacher_id
        class_counts[teacher_id] = class_counts.get(teacher_id, 0) + 1
    return render_template(
        "admin/index.html",
        form=form,
        staff=staff,
        summaries=summaries,
        reassign=reassign,
        setup=setup,
        setup_user=setup_user,
        class_counts=class_counts,
    ), status


@bp.route("/", methods=["GET"])
@admin_required
def index():
    """Teachers and every class."""
    return _render_index(TeacherForm())


@bp.route("/teachers", methods=["POST"])
@admin_required
def teacher_create():
    """Create a teacher and show their one-time setup link."""
    form = TeacherForm()
    if form.validate_on_submit() and password_confirmed(form.password):
        email = form.email.data.strip().casefold()
        if db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
            form.email.errors = [*form.email.errors, "Someone already signs in with this email."]
        else:
            user = accounts.create_staff(
                db.session, email, form.display_name.data, role=form.role.data
            )
            token = accounts.create_setup_token(db.session, user)
            db.session.commit()
            _keep_setup_link(user, token)
            flash(f"{user.display_name} can now set a password through the link below.", "success")
            return redirect(url_for(".index") + "#setup-link")
    return _render_index(form, 400)


def _confirm_page(user: User, title: str, warning: str, button: str, form: ConfirmPasswordForm):
    return render_template(
        "admin/confirm.html", user=user, title=title, warning=warning, button=button, form=form
    )


def _confirmed(form: ConfirmPasswordForm) -> bool:
    return form.validate_on_submit() and password_confirmed(form.password)


@bp.route("/teachers/<int:user_id>/setup-link", methods=["GET", "POST"])
@admin_required
def teacher_setup_link(user_id: int):
    """A new one-time setup link (for a teacher who lost their password), after the admin's password."""
    user = _teacher(user_id)
    form = ConfirmPasswordForm()
    if _confirmed(form):
        token = accounts.create_setup_token(db.session, user)
        db.session.commit()
        _keep_setup_link(user, token)
        flash(f"New setup link for {user.display_name}.", "success")
        return redirect(url_for(".index") + "#setup-link")
    return _confirm_page(
        user,
        f"New setup link for {user.display_name}",
        "Whoever opens the link can choose this account's password in the next 48 hours. "
        "Give it to the teacher in person or through the school's own channels.",
        "Make the link",
        form,
    )


@bp.route("/teachers/<int:user_id>/active", methods=["GET", "POST"])
@admin_required
def teacher_active(user_id: int):
    """Deactivate (or reactivate) a staff account, after the admin's password."""
    user = _teacher(user_id)
    if user.id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
        return redirect(url_for(".index"))
    form = ConfirmPasswordForm()
    if _confirmed(form):
        user.is_active = not user.is_active
        user.session_generation += 1  # sign them out everywhere
        db.session.commit()
        flash(
            f"{user.display_name} is {'active again' if user.is_active else 'deactivated and signed out'}.",
            "success",
        )
        return redirect(url_for(".index"))
    action = "Reactivate" if not user.is_active else "Deactivate"
    return _confirm_page(
        user,
        f"{action} {user.display_name}",
        "A deactivated teacher cannot sign in; their classes stay and can be reassigned."
        if user.is_active
        else "The teacher can sign in again with their password.",
        action,
        form,
    )


@bp.route("/classes/<int:class_id>/teacher", methods=["POST"])
@admin_required
def class_reassign(class_id: int):
    """Give a class to another teacher."""
    school_class = db.session.get(SchoolClass, class_id)
    if school_class is None:
        abort(404)
    form = ReassignForm()
    form.teacher_id.choices = [SelectChoice(t.id, t.display_name) for t in _staff() if t.is_active]
    if form.validate_on_submit() and not password_confirmed(form.password):
        flash("The class was not reassigned: that is not your password.", "error")
    elif form.validate_on_submit():
        teacher = _teacher(form.teacher_id.data)
        school_class.teacher_id = teacher.id
        db.session.commit()
        flash(f"{school_class.name} is now taught by {teacher.display_name}.", "success")
    else:
        flash("Choose an active teacher for the class.", "error")
    return redirect(url_for(".index") + f"#class-{class_id}")
