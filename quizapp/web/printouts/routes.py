"""PDF downloads for staff and the progress of class-set jobs.

Every route is staff-only and checks the object: a teacher may print curated quizzes and
lessons and their own, and class sets and assignments only of classes they teach; admins may
print anything. Someone else's object answers 404, as if it did not exist.
"""

from __future__ import annotations

import io
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from quizapp.extensions import db
from quizapp.models import (
    Assignment,
    Lesson,
    PdfJob,
    Question,
    QuestionVersion,
    Quiz,
    QuizItem,
    SchoolClass,
)
from quizapp.pdf import jobs, service
from quizapp.pdf.documents import PrintError
from quizapp.web.printouts.forms import ClassSetForm
from quizapp.web.security import staff_required

bp = Blueprint("printouts", __name__, url_prefix="/print")


def _may_use(owner_id) -> bool:
    return owner_id is None or owner_id == current_user.id or current_user.is_admin


def _quiz_or_404(quiz_id: int) -> Quiz:
    quiz = db.session.scalar(
        select(Quiz)
        .where(Quiz.id == quiz_id)
        .options(
            selectinload(Quiz.items)
            .selectinload(QuizItem.question)
            .selectinload(Question.current_version)
            .selectinload(QuestionVersion.stimulus)
        )
    )
    if quiz is None or not _may_use(quiz.owner_id):
        abort(404)
    return quiz


def _class_or_404(class_id: int) -> SchoolClass:
    school_class = db.session.get(SchoolClass, class_id)
    if school_class is None or not (
        school_class.teacher_id == current_user.id or current_user.is_admin
    ):
        abort(404)
    return school_class


def _options(**overrides) -> service.PrintOptions:
    args = request.args
    try:
        return service.PrintOptions.parse(
            variant=overrides.get("variant", args.get("variant")),
            seed=args.get("seed"),
            size=args.get("size"),
            qr=args.get("qr") in ("1", "on", "true", "yes"),
        )
    except ValueError as exc:
        abort(400, description=str(exc))


def _variants() -> list[str]:
    try:
        return service.parse_variants(request.args.get("variants") or request.args.get("variant"))
    except ValueError as exc:
        abort(400, description=str(exc))


def _cannot_print(error: PrintError):
    return (
        render_template(
            "errors/error.html", status=422, title="This cannot be printed", message=str(error)
        ),
        422,
    )


def _send(printout: service.Printout):
    # Read into memory: documents are small, and no file handle outlives the request.
    response = send_file(
        io.BytesIO(Path(printout.path).read_bytes()),
        mimetype="application/pdf",
        download_name=printout.filename,
        as_attachment=request.args.get("download") == "1",
        conditional=True,
        etag=printout.path.stem,
    )
    response.headers["X-PDF-Cache"] = "hit" if printout.cached else "miss"
    # Keys and class sets carry answers and children's names: no copy in shared browser caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/quiz/<int:quiz_id>/worksheet.pdf")
@staff_required
def quiz_worksheet(quiz_id):
    """A quiz's student worksheet (variant, size, qr and seed in the query)."""
    quiz = _quiz_or_404(quiz_id)
    options = _options()
    try:
        return _send(service.worksheet(quiz, options, qr_url=_online_url(quiz)))
    except PrintError as exc:
        return _cannot_print(exc)


@bp.route("/quiz/<int:quiz_id>/key.pdf")
@staff_required
def quiz_key(quiz_id):
    """A quiz's answer key for one or more variants (``variants=A,B``)."""
    quiz = _quiz_or_404(quiz_id)
    variants = _variants()
    options = _options(variant=variants[0])
    try:
        return _send(service.answer_key(quiz, options, variants))
    except PrintError as exc:
        return _cannot_print(exc)


@bp.route("/lesson/<int:lesson_id>/handout.pdf")
@staff_required
def lesson_handout(lesson_id):
    """A lesson handout."""
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or not _may_use(lesson.owner_id):
        abort(404)
    options = _options()
    try:
        return _send(service.handout(lesson, options.size))
    except PrintError as exc:
        return _cannot_print(exc)


def _assignment_or_404(assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.quiz_id is None:
        abort(404)
    _class_or_404(assignment.class_id)
    return assignment


@bp.route("/assignment/<int:assignment_id>/worksheet.pdf")
@staff_required
def assignment_worksheet(assignment_id):
    """The worksheet of a quiz set for a class, with the class name and due date printed."""
    assignment = _assignment_or_404(assignment_id)
    quiz = _quiz_or_404(assignment.quiz_id)
    options = _options()
    try:
        printout = service.worksheet(
            quiz,
            options,
            class_name=assignment.school_class.name,
            due=assignment.due_at.date() if assignment.due_at else None,
            qr_url=_online_url(quiz),
        )
        return _send(printout)
    except PrintError as exc:
        return _cannot_print(exc)


@bp.route("/assignment/<int:assignment_id>/key.pdf")
@staff_required
def assignment_key(assignment_id):
    """The answer key of an assignment's quiz."""
    assignment = _assignment_or_404(assignment_id)
    quiz = _quiz_or_404(assignment.quiz_id)
    variants = _variants()
    try:
        return _send(service.answer_key(quiz, _options(variant=variants[0]), variants))
    except PrintError as exc:
        return _cannot_print(exc)


@bp.route("/class/<int:class_id>/quiz/<int:quiz_id>/class-set", methods=["GET", "POST"])
@staff_required
def class_set(class_id, quiz_id):
    """Choose the options of a class set (GET) and start its background job (POST)."""
    school_class = _class_or_404(class_id)
    quiz = _quiz_or_404(quiz_id)
    form = ClassSetForm()
    students = len(service.enrolled_students(school_class))
    if form.validate_on_submit():
        variants = form.variants.data or ["A"]
        options = service.PrintOptions(
            variants[0], form.seed.data, form.size.data, bool(form.qr.data)
        )
        job = jobs.create_class_set_job(current_user, quiz, school_class, variants, options)
        db.session.commit()
        jobs.start(job)
        return redirect(url_for("printouts.job_page", public_id=job.public_id), code=303)
    return render_template(
        "print/class_set_form.html",
        form=form,
        quiz=quiz,
        school_class=school_class,
        students=students,
    )


@bp.route("/class/<int:class_id>/quiz/<int:quiz_id>/class-set-key.pdf")
@staff_required
def class_set_key(class_id, quiz_id):
    """The key of a class set: who received which variant, then the answers."""
    school_class = _class_or_404(class_id)
    quiz = _quiz_or_404(quiz_id)
    variants = _variants()
    try:
        return _send(
            service.class_set_key(quiz, school_class, variants, _options(variant=variants[0]))
        )
    except PrintError as exc:
        return _cannot_print(exc)


def _job_or_404(public_id: str) -> PdfJob:
    job = db.session.scalar(select(PdfJob).where(PdfJob.public_id == public_id))
    if job is None or not (job.owner_id == current_user.id or current_user.is_admin):
        abort(404)
    return job


@bp.route("/jobs/<public_id>")
@staff_required
def job_page(public_id):
    """The progress of a class-set job; reloads itself without JS, polls with JS."""
    job = _job_or_404(public_id)
    params = job.params or {}
    return render_template(
        "print/job.html",
        job=job,
        status=jobs.status(job),
        quiz=db.session.get(Quiz, params.get("quiz_id")),
        school_class=db.session.get(SchoolClass, params.get("class_id")),
        variants=",".join(params.get("variants") or ["A"]),
    )


@bp.route("/jobs/<public_id>/status.json")
@staff_required
def job_status(public_id):
    """The progress of a job as JSON, for the progress page's script."""
    job = _job_or_404(public_id)
    data = jobs.status(job)
    if job.state == "done":
        data["download_url"] = url_for("printouts.job_download", public_id=public_id)
    return jsonify(data)


@bp.route("/jobs/<public_id>/download.pdf")
@staff_required
def job_download(public_id):
    """The finished class set."""
    job = _job_or_404(public_id)
    if job.state != "done" or not job.result_path:
        abort(404)
    path = Path(job.result_path)
    if not path.is_file():
        abort(404)
    school_class = db.session.get(SchoolClass, job.params.get("class_id"))
    quiz = db.session.get(Quiz, job.params.get("quiz_id"))
    name = "class-set.pdf"
    if quiz is not None and school_class is not None:
        name = f"{service.slugify(quiz.slug or quiz.title)}-{service.slugify(school_class.name)}-class-set.pdf"
    return _send(service.Printout(path, name, cached=True))


def _online_url(quiz) -> str:
    """The quiz's page for the QR code: a student route if one exists, else /quizzes/<slug>."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    for endpoint in ("student.quiz", "student.take_quiz", "student.quiz_page"):
        if endpoint in current_app.view_functions:
            try:
                return base + url_for(endpoint, quiz_id=quiz.id)
            except Exception:  # the route takes other arguments
                continue
    return service.online_quiz_url(quiz)
