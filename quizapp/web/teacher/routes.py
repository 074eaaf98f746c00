"""Teacher pages: dashboard, classes and rosters, assignments, gradebook, item analysis."""

from __future__ import annotations

from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from jinja2 import TemplateNotFound
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from quizapp.extensions import db
from quizapp.models import Extension, SchoolClass, User
from quizapp.models._types import utcnow
from quizapp.quizzes.progress import load_assignments, quiz_ids_of
from quizapp.quizzes.rules import STATUS_LABELS
from quizapp.reports.gradebook import gradebook_csv
from quizapp.teaching import assignments as assignment_service
from quizapp.teaching import classes as class_service
from quizapp.teaching import results
from quizapp.teaching.cards import seal, unseal
from quizapp.teaching.roster_import import MAX_ROWS, import_roster
from quizapp.web.access import assignment_for_staff, class_for_staff, student_for_staff
from quizapp.web.forms import ConfirmPasswordForm, EmptyForm, password_confirmed
from quizapp.web.security import staff_required
from quizapp.web.teacher.forms import (
    AssignmentForm,
    ClassForm,
    ExtensionForm,
    RosterUploadForm,
    aware,
)

bp = Blueprint("teacher", __name__, url_prefix="/teach")
CARDS_KEY = "login_cards"
PRINT_BUTTONS = "print/_download_buttons.html"


@bp.context_processor
def teacher_helpers():
    """Whether the PDF download buttons exist yet, and the status labels."""
    available = "printouts" in current_app.blueprints
    if available:
        try:
            current_app.jinja_env.get_template(PRINT_BUTTONS)
        except TemplateNotFound:
            available = False
    return {"print_buttons": available, "STATUS_LABELS": STATUS_LABELS}


def _keep_cards(school_class: SchoolClass, credentials: list[tuple[User, str]]) -> None:
    """Remember generated passwords (sealed) until the cards are printed or dismissed."""
    session[CARDS_KEY] = {
        "class_id": school_class.id,
        "sealed": seal([[u.id, pw] for u, pw in credentials], current_app.config["SECRET_KEY"]),
    }


# --- dashboard ---------------------------------------------------------------------------------


@bp.route("/")
@staff_required
def dashboard():
    """The teacher's classes with counts, upcoming due dates and recent submissions."""
    now = utcnow()
    summaries = class_service.class_summaries(db.session, current_user)
    return render_template(
        "teacher/dashboard.html",
        active=[s for s in summaries if not s.school_class.archived],
        archived=[s for s in summaries if s.school_class.archived],
        upcoming=results.upcoming(db.session, current_user, now),
        recent=results.recent_submissions(db.session, current_user),
    )


# --- classes -----------------------------------------------------------------------------------


@bp.route("/classes/new", methods=["GET", "POST"])
@staff_required
def class_new():
    """Create a class with a fresh join code."""
    form = ClassForm()
    if form.validate_on_submit():
        school_class = class_service.create_class(db.session, current_user, form.name.data)
        db.session.commit()
        flash(f"Class created. Its join code is {school_class.join_code}.", "success")
        return redirect(url_for(".class_page", class_id=school_class.id))
    return render_template("teacher/class_form.html", form=form, school_class=None)


@bp.route("/classes/<int:class_id>")
@staff_required
def class_page(class_id: int):
    """A class: join code, roster and assignments."""
    school_class = class_for_staff(class_id)
    return render_template(
        "teacher/class.html",
        school_class=school_class,
        students=class_service.roster(db.session, school_class),
        assignments=load_assignments(db.session, [school_class.id]),
        join_url=url_for("auth.join", code=school_class.join_code, _external=True),
        button=EmptyForm(),
    )


@bp.route("/classes/<int:class_id>/rename", methods=["GET", "POST"])
@staff_required
def class_rename(class_id: int):
    """Rename a class."""
    school_class = class_for_staff(class_id)
    form = ClassForm(obj=school_class)
    if form.validate_on_submit():
        school_class.name = form.name.data.strip()
        db.session.commit()
        flash("Class renamed.", "success")
        return redirect(url_for(".class_page", class_id=class_id))
    return render_template("teacher/class_form.html", form=form, school_class=school_class)


def _class_button(class_id: int, change) -> object:
    """A POST-only class button: apply ``change`` (which returns the message), then go back."""
    school_class = class_for_staff(class_id)
    if EmptyForm().validate_on_submit():
        message = change(school_class)
        db.session.commit()
        flash(message, "success")
    return redirect(url_for(".class_page", class_id=class_id))


@bp.route("/classes/<int:class_id>/code", methods=["POST"])
@staff_required
def class_new_code(class_id: int):
    """Replace the class's join code."""

    def new_code(school_class):
        code = class_service.regenerate_code(db.session, school_class)
        return f"New join code: {code}. The old code no longer works."

    return _class_button(class_id, new_code)


@bp.route("/classes/<int:class_id>/joining", methods=["POST"])
@staff_required
def class_joining(class_id: int):
    """Open or close joining by code."""

    def toggle(school_class):
        class_service.set_joining(school_class, not school_class.joining_open)
        if school_class.joining_open:
            return "Students can join with the code."
        return "Joining is closed: the code no longer admits anyone."

    return _class_button(class_id, toggle)


@bp.route("/classes/<int:class_id>/archive", methods=["POST"])
@staff_required
def class_archive(class_id: int):
    """Archive a class, or bring it back."""

    def toggle(school_class):
        class_service.set_archived(school_class, not school_class.archived)
        return "Class archived." if school_class.archived else "Class restored."

    return _class_button(class_id, toggle)


@bp.route("/classes/<int:class_id>/delete", methods=["GET", "POST"])
@staff_required
def class_delete(class_id: int):
    """Delete a class with its assignments and results, after the teacher's password."""
    school_class = class_for_staff(class_id)
    form = ConfirmPasswordForm()
    if form.validate_on_submit() and password_confirmed(form.password):
        name = school_class.name
        class_service.delete_class(db.session, school_class)
        db.session.commit()
        flash(f"{name} is deleted. Student accounts remain.", "success")
        return redirect(url_for(".dashboard"))
    return render_template(
        "teacher/confirm.html",
        form=form,
        school_class=school_class,
        title=f"Delete {school_class.name}",
        warning="This deletes the class, its assignments and every attempt at them. "
        "Student accounts are kept. This cannot be undone; archiving keeps everything instead.",
        button_label="Delete the class",
        danger=True,
    )


# --- roster ------------------------------------------------------------------------------------


@bp.route("/classes/<int:class_id>/import", methods=["GET", "POST"])
@staff_required
def roster_import(class_id: int):
    """Add students from a CSV of names; every bad row is named and nothing is written."""
    school_class = class_for_staff(class_id)
    form = RosterUploadForm()
    problems = []
    if form.validate_on_submit():
        data = form.file.data.read()
        created, problems = import_roster(db.session, school_class, data)
        if not problems:
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                problems = [
                    "Someone else changed these accounts at the same time; send the file again."
                ]
            else:
                _keep_cards(school_class, created)
                flash(f"{len(created)} students added. Print their login cards now.", "success")
                return redirect(url_for(".login_cards", class_id=class_id))
        db.session.rollback()
    return render_template(
        "teacher/import.html",
        form=form,
        school_class=school_class,
        problems=problems,
        max_rows=MAX_ROWS,
    )


@bp.route("/classes/<int:class_id>/cards")
@staff_required
def login_cards(class_id: int):
    """Printable login cards for passwords just generated (shown once)."""
    school_class = class_for_staff(class_id)
    stored = session.get(CARDS_KEY) or {}
    credentials = []
    if stored.get("class_id") == school_class.id:
        pairs = unseal(stored.get("sealed", ""), current_app.config["SECRET_KEY"]) or []
        passwords = {int(uid): pw for uid, pw in pairs}
        if passwords:
            users = db.session.scalars(select(User).where(User.id.in_(passwords)))
            credentials = sorted(
                ((u, passwords[u.id]) for u in users), key=lambda c: c[0].display_name.casefold()
            )
    return render_template(
        "teacher/cards.html",
        school_class=school_class,
        credentials=credentials,
        sign_in_url=url_for("auth.login", _external=True),
        join_url=url_for("auth.join", code=school_class.join_code, _external=True),
        dismiss=EmptyForm(),
        reset_form=ConfirmPasswordForm(),
    )


@bp.route("/classes/<int:class_id>/cards/dismiss", methods=["POST"])
@staff_required
def login_cards_dismiss(class_id: int):
    """Forget the generated passwords: they cannot be shown again."""
    class_for_staff(class_id)
    if EmptyForm().validate_on_submit():
        session.pop(CARDS_KEY, None)
        flash("The passwords are forgotten. Reset a password to print a new card.", "info")
    return redirect(url_for(".class_page", class_id=class_id))


@bp.route("/classes/<int:class_id>/reset-all", methods=["GET", "POST"])
@staff_required
def reset_all(class_id: int):
    """Reset every student's password and print new cards, after the teacher's password."""
    school_class = class_for_staff(class_id)
    form = ConfirmPasswordForm()
    if form.validate_on_submit() and password_confirmed(form.password):
        students = class_service.roster(db.session, school_class)[:MAX_ROWS]
        credentials = class_service.reset_passwords(students)
        db.session.commit()
        _keep_cards(school_class, credentials)
        flash(f"New passwords for {len(credentials)} students. Print the cards now.", "success")
        return redirect(url_for(".login_cards", class_id=class_id))
    return render_template(
        "teacher/confirm.html",
        form=form,
        school_class=school_class,
        title=f"New passwords for everyone in {school_class.name}",
        warning="Every student of the class gets a new password and must choose their own at "
        "the next sign-in. Their old passwords stop working at once.",
        button_label="Reset passwords and print cards",
        danger=True,
    )


@bp.route(
    "/classes/<int:class_id>/students/<int:student_id>/reset-password", methods=["GET", "POST"]
)
@staff_required
def reset_password(class_id: int, student_id: int):
    """Give one student a new password (they choose their own at the next sign-in)."""
    school_class = class_for_staff(class_id)
    student = student_for_staff(student_id, school_class)
    form = ConfirmPasswordForm()
    if form.validate_on_submit() and password_confirmed(form.password):
        password = class_service.reset_password(student)
        db.session.commit()
        _keep_cards(school_class, [(student, password)])
        flash(f"{student.display_name} has a new password.", "success")
        return redirect(url_for(".login_cards", class_id=class_id))
    return render_template(
        "teacher/confirm.html",
        form=form,
        school_class=school_class,
        title=f"New password for {student.display_name}",
        warning=f"{student.display_name} ({student.username}) gets a new password, shown once on "
        "a login card, and must choose their own at the next sign-in.",
        button_label="Reset the password",
        danger=False,
    )


@bp.route("/classes/<int:class_id>/students/<int:student_id>/remove", methods=["GET", "POST"])
@staff_required
def remove_student(class_id: int, student_id: int):
    """Take a student off the roster, after the teacher's password."""
    school_class = class_for_staff(class_id)
    student = student_for_staff(student_id, school_class)
    form = ConfirmPasswordForm()
    if form.validate_on_submit() and password_confirmed(form.password):
        class_service.remove_student(db.session, school_class, student)
        db.session.commit()
        flash(f"{student.display_name} is no longer in {school_class.name}.", "success")
        return redirect(url_for(".class_page", class_id=class_id))
    return render_template(
        "teacher/confirm.html",
        form=form,
        school_class=school_class,
        title=f"Remove {student.display_name} from {school_class.name}",
        warning="The student leaves the class and its gradebook. Their account and past "
        "attempts are kept; adding them back brings the results back.",
        button_label="Remove from the class",
        danger=True,
    )


@bp.route("/classes/<int:class_id>/students/<int:student_id>")
@staff_required
def student_record(class_id: int, student_id: int):
    """One student's attempts and answers in a class, and their topic mastery."""
    school_class = class_for_staff(class_id)
    student = student_for_staff(student_id, school_class)
    record = results.load_student_record(db.session, school_class, student, utcnow())
    return render_template(
        "teacher/student.html", school_class=school_class, student=student, record=record
    )


# --- assignments -------------------------------------------------------------------------------


def _assignment_form(form: AssignmentForm) -> AssignmentForm:
    form.target.choices = [
        SelectChoice(value, title, optgroup=group)
        for group, pairs in assignment_service.assignable_choices(db.session, current_user).items()
        for value, title in pairs
    ]
    return form


def _attach(form, problems: dict[str, str]) -> None:
    for name, message in problems.items():
        field = getattr(form, name)
        field.errors = [*field.errors, message]


@bp.route("/classes/<int:class_id>/assignments/new", methods=["GET", "POST"])
@staff_required
def assignment_new(class_id: int):
    """Set a lesson, quiz or module for a class."""
    school_class = class_for_staff(class_id)
    form = _assignment_form(AssignmentForm())
    if request.method == "GET" and request.args.get("target"):
        form.target.data = request.args["target"]
    if form.validate_on_submit():
        values = form.values()
        problems = assignment_service.assignment_problems(db.session, current_user, values)
        if not problems:
            assignment = assignment_service.create_assignment(
                db.session, school_class, current_user, values
            )
            db.session.commit()
            flash(f"“{assignment.title}” is set for {school_class.name}.", "success")
            return redirect(url_for(".assignment_page", assignment_id=assignment.id))
        _attach(form, problems)
    return render_template(
        "teacher/assignment_form.html", form=form, school_class=school_class, assignment=None
    )


def _assignment_page(assignment, school_class, form):
    """The assignment page with its extensions (after a GET, or a refused extension)."""
    extensions = list(
        db.session.execute(
            select(Extension, User)
            .join(User, User.id == Extension.student_id)
            .where(Extension.assignment_id == assignment.id)
            .order_by(User.display_name)
        )
    )
    return render_template(
        "teacher/assignment.html",
        assignment=assignment,
        school_class=school_class,
        form=form,
        extensions=extensions,
        quiz_ids=quiz_ids_of(assignment),
        button=EmptyForm(),
    )


@bp.route("/assignments/<int:assignment_id>")
@staff_required
def assignment_page(assignment_id: int):
    """An assignment's settings, its extensions and links to results."""
    assignment = assignment_for_staff(assignment_id)
    school_class = assignment.school_class
    students = class_service.roster(db.session, school_class)
    form = ExtensionForm()
    form.student.choices = [
        SelectChoice(s.id, f"{s.display_name} ({s.username})") for s in students
    ]
    return _assignment_page(assignment, school_class, form)


@bp.route("/assignments/<int:assignment_id>/edit", methods=["GET", "POST"])
@staff_required
def assignment_edit(assignment_id: int):
    """Change an assignment's dates and options."""
    assignment = assignment_for_staff(assignment_id)
    form = _assignment_form(AssignmentForm(obj=assignment))
    if request.method == "GET":
        form.target.data = assignment_service.target_value(assignment)
    if form.validate_on_submit():
        values = form.values()
        problems = assignment_service.assignment_problems(
            db.session, current_user, values, existing=assignment
        )
        if not problems:
            assignment_service.update_assignment(db.session, assignment, current_user, values)
            db.session.commit()
            flash("Assignment saved.", "success")
            return redirect(url_for(".assignment_page", assignment_id=assignment.id))
        _attach(form, problems)
    return render_template(
        "teacher/assignment_form.html",
        form=form,
        school_class=assignment.school_class,
        assignment=assignment,
    )


@bp.route("/assignments/<int:assignment_id>/delete", methods=["GET", "POST"])
@staff_required
def assignment_delete(assignment_id: int):
    """Delete an assignment and its attempts, after the teacher's password."""
    assignment = assignment_for_staff(assignment_id)
    school_class = assignment.school_class
    form = ConfirmPasswordForm()
    if form.validate_on_submit() and password_confirmed(form.password):
        title = assignment.title
        assignment_service.delete_assignment(db.session, assignment)
        db.session.commit()
        flash(f"“{title}” is deleted.", "success")
        return redirect(url_for(".class_page", class_id=school_class.id))
    return render_template(
        "teacher/confirm.html",
        form=form,
        school_class=school_class,
        title=f"Delete “{assignment.title}”",
        warning="This deletes the assignment and every attempt students made at it. "
        "This cannot be undone.",
        button_label="Delete the assignment",
        danger=True,
    )


@bp.route("/assignments/<int:assignment_id>/extensions", methods=["POST"])
@staff_required
def extension_save(assignment_id: int):
    """Give one student more time."""
    assignment = assignment_for_staff(assignment_id)
    school_class = assignment.school_class
    students = class_service.roster(db.session, school_class)
    form = ExtensionForm()
    form.student.choices = [
        SelectChoice(s.id, f"{s.display_name} ({s.username})") for s in students
    ]
    if form.validate_on_submit():
        student = student_for_staff(form.student.data, school_class)
        due, close = aware(form.due_at.data), aware(form.close_at.data)
        problems = assignment_service.extension_problems(
            assignment, due, close, form.extra_minutes.data
        )
        if not problems:
            assignment_service.set_extension(
                db.session, assignment, student, due, close, form.extra_minutes.data
            )
            db.session.commit()
            flash(f"Extension saved for {student.display_name}.", "success")
            return redirect(url_for(".assignment_page", assignment_id=assignment.id))
        _attach(form, problems)
    return _assignment_page(assignment, school_class, form), 400


@bp.route("/assignments/<int:assignment_id>/extensions/<int:student_id>/delete", methods=["POST"])
@staff_required
def extension_delete(assignment_id: int, student_id: int):
    """Withdraw a student's extension."""
    assignment = assignment_for_staff(assignment_id)
    if EmptyForm().validate_on_submit():
        assignment_service.remove_extension(db.session, assignment, student_id)
        db.session.commit()
        flash("Extension withdrawn.", "success")
    return redirect(url_for(".assignment_page", assignment_id=assignment.id))


# --- results -----------------------------------------------------------------------------------


@bp.route("/classes/<int:class_id>/gradebook")
@staff_required
def gradebook(class_id: int):
    """Students × assignments with score and status, and the class's topic mastery."""
    school_class = class_for_staff(class_id)
    data = results.load_gradebook(db.session, school_class, utcnow())
    return render_template("teacher/gradebook.html", school_class=school_class, data=data)


@bp.route("/classes/<int:class_id>/gradebook.csv")
@staff_required
def gradebook_download(class_id: int):
    """The gradebook as a CSV that Excel and LibreOffice open with names intact."""
    school_class = class_for_staff(class_id)
    data = results.load_gradebook(db.session, school_class, utcnow())
    delimiter = ";" if request.args.get("sep") == "semicolon" else ","
    body = gradebook_csv(data.gradebook, school_class.name, delimiter)
    safe_name = "".join(ch if ch.isalnum() else "-" for ch in school_class.name).strip("-")
    filename = f"gradebook-{safe_name or school_class.id}.csv"
    ascii_name = filename.encode("ascii", "ignore").decode() or "gradebook.csv"
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


@bp.route("/assignments/<int:assignment_id>/analysis")
@staff_required
def item_analysis(assignment_id: int):
    """Facility, discrimination, option counts and reliability of a quiz's questions."""
    assignment = assignment_for_staff(assignment_id)
    quiz_ids = quiz_ids_of(assignment)
    if not quiz_ids:
        abort(404)
    quiz_id = request.args.get("quiz", type=int) or quiz_ids[0]
    if quiz_id not in quiz_ids:
        abort(404)
    analysis = results.load_item_analysis(db.session, assignment, quiz_id)
    quizzes = {}
    if assignment.kind == "module" and assignment.module is not None:
        quizzes = {i.quiz_id: i.quiz.title for i in assignment.module.items if i.quiz_id}
    return render_template(
        "teacher/item_analysis.html",
        assignment=assignment,
        school_class=assignment.school_class,
        analysis=analysis,
        quiz_id=quiz_id,
        quizzes=quizzes,
    )
