"""Sign-in, sign-out, joining a class, setup links and password changes."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from quizapp import accounts
from quizapp.database import begin_write_phase
from quizapp.extensions import db
from quizapp.models import Enrolment, SchoolClass
from quizapp.web.auth.forms import ChangePasswordForm, JoinClassForm, SetPasswordForm, SignInForm
from quizapp.web.forms import EmptyForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _start_session(user) -> None:
    """A fresh session at sign-in: nothing from before survives (no fixation)."""
    session.clear()
    login_user(user)
    session.permanent = True
    accounts.touch_login(user)


@bp.route("/sign-in", methods=["GET", "POST"])
def login():
    """Sign in with email (staff) or sign-in name (students)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignInForm()
    if request.args.get("expired"):
        flash(
            "You were signed out after a while without activity. Your saved answers are kept.",
            "info",
        )
    if form.validate_on_submit():
        address = request.remote_addr or "-"
        wait = accounts.sign_in_delay(db.session, form.login.data, address)
        if wait:
            form.login.errors.append(
                f"Too many failed sign-ins. Wait {wait} seconds and try again."
            )
            return render_template("auth/login.html", form=form), 429
        user = accounts.find_user_for_sign_in(db.session, form.login.data)
        verified = accounts.verify_password(user, form.password.data) and user.is_active
        begin_write_phase(db.session)  # the password hash was checked outside the write lock
        if not verified:
            accounts.record_sign_in_failure(db.session, form.login.data, address)
            db.session.commit()
            form.password.errors.append("That sign-in name and password do not match.")
            return render_template("auth/login.html", form=form), 200
        accounts.clear_sign_in_failures(db.session, form.login.data)
        _start_session(user)
        db.session.commit()
        if user.must_change_password:
            return redirect(url_for("auth.change_password"))
        return redirect(_safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/sign-out", methods=["POST"])
def logout():
    """Sign out: this and every other session of the account end."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        current_user.session_generation += 1
        db.session.commit()
        logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/join", methods=["GET", "POST"])
def join():
    """A new student joins a class with its code and chooses a name and password."""
    if current_user.is_authenticated:
        return redirect(
            url_for("student.join_class")
            if current_user.role == "student"
            else url_for("main.index")
        )
    form = JoinClassForm(join_code=request.args.get("code", ""))
    if form.validate_on_submit():
        code = accounts.normalise_join_code(form.join_code.data)
        school_class = db.session.scalar(select(SchoolClass).where(SchoolClass.join_code == code))
        if school_class is None or not school_class.joining_open or school_class.archived:
            form.join_code.errors.append(
                "No class is open for joining with this code. Check it with your teacher."
            )
        else:
            problems = accounts.password_problems(
                form.password.data, "student", names=(form.display_name.data,)
            )
            if problems:
                form.password.errors.extend(problems)
            else:
                user = accounts.create_student(
                    db.session, form.display_name.data, form.password.data, school_class
                )
                _start_session(user)
                db.session.commit()
                flash(
                    f"Welcome! You joined {school_class.name}. Your sign-in name is {user.username} — write it down.",
                    "success",
                )
                return redirect(url_for("student.home"))
    return render_template("auth/join.html", form=form)


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token: str):
    """Choose a password through a one-time setup link (first admin, new teachers)."""
    user = accounts.redeem_setup_token(db.session, token, consume=False)
    if user is None:
        return render_template(
            "errors/error.html",
            status=404,
            title="Link not valid",
            message="This setup link has expired or was already used. Ask an administrator for a new one.",
        ), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        problems = accounts.password_problems(
            form.password.data, user.role, names=(user.display_name, user.sign_in_name)
        )
        if problems:
            form.password.errors.extend(problems)
        else:
            accounts.redeem_setup_token(db.session, token, consume=True)
            accounts.set_password(user, form.password.data)
            _start_session(user)
            db.session.commit()
            flash("Your password is set. Welcome to quizapp.", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/setup.html", form=form, user=user)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password (also used when a teacher-set password must be replaced)."""
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        if not accounts.verify_password(user, form.current.data):
            form.current.errors.append("This is not your current password.")
        else:
            problems = accounts.password_problems(
                form.password.data,
                current_user.role,
                names=(current_user.display_name, current_user.sign_in_name),
            )
            if form.password.data == form.current.data:
                problems.append("Choose a password different from the current one.")
            if problems:
                form.password.errors.extend(problems)
            else:
                accounts.set_password(user, form.password.data)
                _start_session(user)
                db.session.commit()
                flash("Your password is changed. Other devices have been signed out.", "success")
                return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)


def enrol(student, school_class) -> bool:
    """Add a student to a class; False if already a member. The caller commits."""
    exists = db.session.scalar(
        select(Enrolment.id).where(
            Enrolment.class_id == school_class.id, Enrolment.student_id == student.id
        )
    )
    if exists:
        return False
    db.session.add(Enrolment(school_class=school_class, student=student))
    return True
