"""Student pages: home, assignments, lessons, taking quizzes, review and progress."""

from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from quizapp import accounts
from quizapp.extensions import db
from quizapp.learning import lessons as lesson_service
from quizapp.learning.catalogue import (
    practice_items,
    student_catalogue,
    withheld,
)
from quizapp.learning.question_views import add_review, build_views
from quizapp.learning.student_progress import (
    load_history,
    mastery_by_topic,
    questions_to_review,
    review_question_ids,
    visible_history,
)
from quizapp.models import Enrolment, Lesson, Quiz, QuizItem, Response, SchoolClass, Source
from quizapp.models._types import utcnow
from quizapp.questions import get_type
from quizapp.quizzes import attempts as attempt_service
from quizapp.quizzes.progress import load_assignments, outcomes
from quizapp.quizzes.rules import STATUS_LABELS, review_visibility
from quizapp.rendering import markdown_to_html
from quizapp.web.access import assignment_for_student, attempt_for_student, student_class_ids
from quizapp.web.forms import EmptyForm
from quizapp.web.security import student_required
from quizapp.web.student.forms import AttemptPageForm, JoinClassCodeForm

bp = Blueprint("student", __name__, url_prefix="/learn")
QUESTIONS_PER_PAGE = 5


def _grace() -> int:
    return current_app.config["ATTEMPT_GRACE_SECONDS"]


@bp.route("/")
@student_required
def home():
    """The student's assignments by class, with status and released scores, and practice."""
    attempt_service.finalise_expired_attempts(db.session, grace_seconds=_grace())
    db.session.commit()
    class_ids = student_class_ids()
    classes = (
        list(
            db.session.scalars(
                select(SchoolClass).where(SchoolClass.id.in_(class_ids)).order_by(SchoolClass.name)
            )
        )
        if class_ids
        else []
    )
    assignments = load_assignments(db.session, class_ids)
    now = utcnow()
    results = outcomes(db.session, assignments, [current_user.id], now)
    by_class = {c.id: [] for c in classes}
    for assignment in assignments:
        by_class[assignment.class_id].append(results[(assignment.id, current_user.id)])
    lessons, quizzes = practice_items(db.session, current_user.id)
    return render_template(
        "student/home.html",
        classes=classes,
        by_class=by_class,
        status_labels=STATUS_LABELS,
        lessons=lessons,
        quizzes=quizzes,
        join_form=JoinClassCodeForm(),
        form=EmptyForm(),
        now=now,
    )


@bp.route("/join", methods=["GET", "POST"])
@student_required
def join_class():
    """Join another class with its code."""
    form = JoinClassCodeForm()
    if form.validate_on_submit():
        code = accounts.normalise_join_code(form.join_code.data)
        school_class = db.session.scalar(select(SchoolClass).where(SchoolClass.join_code == code))
        if school_class is None or not school_class.joining_open or school_class.archived:
            form.join_code.errors.append("No class is open for joining with this code.")
        else:
            exists = db.session.scalar(
                select(Enrolment.id).where(
                    Enrolment.class_id == school_class.id, Enrolment.student_id == current_user.id
                )
            )
            if exists is None:
                db.session.add(Enrolment(class_id=school_class.id, student_id=current_user.id))
                db.session.commit()
                flash(f"You joined {school_class.name}.", "success")
            else:
                flash(f"You are already in {school_class.name}.", "info")
            return redirect(url_for("student.home"))
    return render_template("student/join.html", form=form)


@bp.route("/assignments/<int:assignment_id>")
@student_required
def assignment(assignment_id: int):
    """One assignment: its rules, the student's attempts, and how to start or resume."""
    item = assignment_for_student(assignment_id)
    attempt_service.finalise_expired_attempts(db.session, grace_seconds=_grace())
    db.session.commit()
    now = utcnow()
    outcome = outcomes(db.session, [item], [current_user.id], now)[(item.id, current_user.id)]
    progress = {}
    if item.kind == "module":
        lesson_ids = [s.lesson_id for s in item.module.items if s.lesson_id]
        for lesson_id in lesson_ids:
            lesson = db.session.get(Lesson, lesson_id)
            progress[lesson_id] = lesson_service.progress_for(db.session, current_user.id, lesson)
    return render_template(
        "student/assignment.html",
        assignment=item,
        outcome=outcome,
        status_labels=STATUS_LABELS,
        form=EmptyForm(),
        now=now,
        lesson_progress=progress,
    )


@bp.route("/assignments/<int:assignment_id>/start", methods=["POST"])
@student_required
def start_assignment(assignment_id: int):
    """Start (or resume) the assignment's quiz — for a module, the quiz step named in the form."""
    item = assignment_for_student(assignment_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    quiz_id = item.quiz_id
    if item.kind == "module":
        quiz_id = request.form.get("quiz_id", type=int)
        if quiz_id not in [s.quiz_id for s in item.module.items if s.quiz_id]:
            abort(404)
    elif item.kind != "quiz":
        abort(404)
    quiz = db.session.get(Quiz, quiz_id)
    try:
        attempt = attempt_service.start_attempt(db.session, quiz, current_user, item)
    except attempt_service.AttemptError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("student.assignment", assignment_id=item.id))
    db.session.commit()
    return redirect(
        url_for("student.attempt", public_id=attempt.public_id, page=attempt.current_page + 1)
    )


@bp.route("/practice/<int:quiz_id>/start", methods=["POST"])
@student_required
def start_practice(quiz_id: int):
    """Practise a quiz of one's classes again; practice never touches the gradebook."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    quiz = db.session.get(Quiz, quiz_id)
    allowed = quiz is not None and (
        quiz.id in student_catalogue(db.session, current_user.id).quiz_ids
        or (quiz.kind == "review" and quiz.owner_id == current_user.id)
    )
    if not allowed:
        abort(404)
    if quiz.id in withheld(db.session, current_user.id, utcnow()).quiz_ids:
        flash("You can practise this quiz once your teacher releases its answers.", "info")
        return redirect(url_for("student.home"))
    attempt = attempt_service.start_attempt(db.session, quiz, current_user, None)
    db.session.commit()
    return redirect(url_for("student.attempt", public_id=attempt.public_id))


def _visible_progress():
    """The student's history, limited to what their assignments' review options release now;
    questions of quizzes still withheld are never offered for review practice."""
    now = utcnow()
    attempts, responses = load_history(db.session, current_user.id)
    held = withheld(db.session, current_user.id, now)
    shown, mastery_rows, review_rows = visible_history(
        attempts, responses, held.score_assignment_ids, held.answer_assignment_ids
    )
    if held.quiz_ids:
        blocked = set(
            db.session.scalars(
                select(QuizItem.question_id).where(QuizItem.quiz_id.in_(held.quiz_ids))
            )
        )
        review_rows = [r for r in review_rows if r.question_id not in blocked]
    return shown, mastery_rows, review_rows


@bp.route("/practice/review", methods=["POST"])
@student_required
def practise_mistakes():
    """A practice quiz of the questions the student should review next."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    _, _, review_rows = _visible_progress()
    ids = review_question_ids(db.session, questions_to_review(review_rows))
    if not ids:
        flash("Nothing to review: every question you answered last time was right.", "info")
        return redirect(url_for("student.progress"))
    quiz = Quiz(
        title="Review: questions to practise",
        kind="review",
        owner_id=current_user.id,
        published=False,
    )
    quiz.items = [QuizItem(position=n, question_id=qid) for n, qid in enumerate(ids, start=1)]
    db.session.add(quiz)
    db.session.flush()
    attempt = attempt_service.start_attempt(db.session, quiz, current_user, None)
    db.session.commit()
    return redirect(url_for("student.attempt", public_id=attempt.public_id))


def _attempt_context(attempt):
    versions = attempt_service.versions_for(db.session, attempt)
    responses = {
        r.slot: r
        for r in db.session.scalars(select(Response).where(Response.attempt_id == attempt.id))
    }
    views = build_views(attempt.layout, versions, responses)
    return versions, responses, views


@bp.route("/attempts/<public_id>", methods=["GET", "POST"])
@student_required
def attempt(public_id: str):
    """Take a quiz, a page at a time. Every POST saves the page's answers before moving."""
    attempt_row = attempt_for_student(public_id)
    if attempt_service.finalise_if_expired(db.session, attempt_row, grace_seconds=_grace()):
        db.session.commit()
        flash("Time was up, so your saved answers were submitted.", "info")
    if attempt_row.state == "submitted":
        return redirect(url_for("student.review", public_id=public_id))
    # The page's autosaves come next, usually to this process: keep the layout they need.
    attempt_service.remember_layout(public_id, attempt_row.id, attempt_row.layout)
    versions, responses, views = _attempt_context(attempt_row)
    pages = max(1, math.ceil(len(views) / QUESTIONS_PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    on_page = views[(page - 1) * QUESTIONS_PER_PAGE : page * QUESTIONS_PER_PAGE]
    rules = attempt_service.student_rules(db.session, attempt_row.assignment, current_user)
    instant = rules.review_correctness == "during"
    form = AttemptPageForm()
    checked_slot = None
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(
                "This page was open too long to save safely. Your earlier answers are kept; please answer again.",
                "error",
            )
            return redirect(url_for("student.attempt", public_id=public_id, page=page))
        go = request.form.get("go", "next")
        try:
            _save_page(attempt_row, on_page, versions, responses)
        except attempt_service.AttemptError as error:
            db.session.rollback()
            if error.code == "time_up":
                attempt_service.submit_attempt(db.session, attempt_row, by="timer")
                db.session.commit()
                flash("Time was up. Your answers saved before the deadline were submitted.", "info")
                return redirect(url_for("student.review", public_id=public_id))
            flash(error.message, "error")
            return redirect(url_for("student.attempt", public_id=public_id, page=page))
        if go.startswith("check-") and instant:
            checked_slot = int(go.split("-", 1)[1]) if go.split("-", 1)[1].isdigit() else None
            _lock_checked(attempt_row, checked_slot)
        target = {"next": page + 1, "prev": page - 1}.get(go, page)
        if go.startswith("page-") and go[5:].isdigit():
            target = int(go[5:])
        target = min(max(target, 1), pages)
        attempt_service.set_current_page(db.session, attempt_row, target - 1)
        db.session.commit()
        if go == "finish":
            return redirect(url_for("student.confirm_submit", public_id=public_id))
        if checked_slot is None:
            return redirect(
                url_for("student.attempt", public_id=public_id, page=target)
                + ("#main" if target != page else "")
            )
        versions, responses, views = _attempt_context(attempt_row)
        on_page = views[(page - 1) * QUESTIONS_PER_PAGE : page * QUESTIONS_PER_PAGE]
    locked = {slot for slot, r in responses.items() if (r.detail or {}).get("checked")}
    if instant:
        visibility = review_visibility(rules, submitted=False, now=utcnow())
        for view in on_page:
            if view.slot in locked or view.slot == checked_slot:
                add_review(
                    view,
                    versions[_version_id(attempt_row, view.slot)],
                    None,
                    visibility,
                    _source_titles(versions),
                )
    return render_template(
        "student/attempt.html",
        attempt=attempt_row,
        views=on_page,
        all_views=views,
        page=page,
        pages=pages,
        form=form,
        instant=instant,
        locked=locked,
        per_page=QUESTIONS_PER_PAGE,
        grace=_grace(),
    )


def _version_id(attempt_row, slot: int) -> int:
    return next(e["version_id"] for e in attempt_row.layout if e["slot"] == slot)


def _save_page(attempt_row, views, versions, responses) -> None:
    locked = {slot for slot, r in responses.items() if (r.detail or {}).get("checked")}
    for view in views:
        if view.slot in locked:
            continue
        version = versions[_version_id(attempt_row, view.slot)]
        answer = get_type(version.qtype).parse_form(request.form, view.field_name, version.body)
        seq = request.form.get(f"seq{view.slot}", type=int)
        attempt_service.save_answer(
            db.session,
            attempt_row,
            view.slot,
            answer,
            seq=seq,
            grace_seconds=_grace(),
            versions=versions,
        )


def _lock_checked(attempt_row, slot: int | None) -> None:
    """A checked answer is final (else checking would reveal the answer by trial and error)."""
    if slot is None:
        return
    response = db.session.scalar(
        select(Response).where(Response.attempt_id == attempt_row.id, Response.slot == slot)
    )
    if response is None:
        response = Response(
            attempt_id=attempt_row.id,
            slot=slot,
            version_id=_version_id(attempt_row, slot),
            answer=None,
            client_seq=1,
            saved_at=utcnow(),
        )
        db.session.add(response)
    response.detail = {**(response.detail or {}), "checked": True}


def _source_titles(versions) -> dict[str, str]:
    keys = {ref.split(":")[0] for v in versions.values() for ref in v.source_refs}
    return (
        dict(db.session.execute(select(Source.key, Source.title).where(Source.key.in_(keys))).all())
        if keys
        else {}
    )


@bp.route("/attempts/<public_id>/submit", methods=["GET", "POST"])
@student_required
def confirm_submit(public_id: str):
    """Show what is answered and submit. Submitting twice grades once."""
    attempt_row = attempt_for_student(public_id)
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        attempt_service.submit_attempt(db.session, attempt_row, by="student")
        db.session.commit()
        flash("Your answers are submitted.", "success")
        return redirect(url_for("student.review", public_id=public_id))
    if attempt_row.state == "submitted":
        return redirect(url_for("student.review", public_id=public_id))
    _, _, views = _attempt_context(attempt_row)
    return render_template(
        "student/confirm_submit.html",
        attempt=attempt_row,
        views=views,
        form=form,
        per_page=QUESTIONS_PER_PAGE,
    )


@bp.route("/attempts/<public_id>/review")
@student_required
def review(public_id: str):
    """What the review options allow: score, right/wrong, right answers, feedback, sources."""
    attempt_row = attempt_for_student(public_id)
    if attempt_row.state != "submitted":
        return redirect(url_for("student.attempt", public_id=public_id))
    versions, responses, views = _attempt_context(attempt_row)
    rules = attempt_service.student_rules(db.session, attempt_row.assignment, current_user)
    visibility = review_visibility(rules, submitted=True, now=utcnow())
    titles = _source_titles(versions)
    for view in views:
        add_review(
            view,
            versions[_version_id(attempt_row, view.slot)],
            responses.get(view.slot),
            visibility,
            titles,
        )
    return render_template(
        "student/review.html", attempt=attempt_row, views=views, visibility=visibility, rules=rules
    )


@bp.route("/lessons/<int:lesson_id>", methods=["GET", "POST"])
@student_required
def lesson(lesson_id: int):
    """Read a lesson section by section, answer its checks, resume where one left off."""
    item = db.session.get(Lesson, lesson_id)
    if (
        item is None
        or item.id not in student_catalogue(db.session, current_user.id).lesson_ids
        or not item.sections
    ):
        abort(404)
    progress = lesson_service.progress_for(db.session, current_user.id, item, create=True)
    section_count = len(item.sections)
    index = request.args.get("section", type=int)
    index = progress.current_section if index is None else index - 1
    index = min(max(index, 0), section_count - 1)
    checks = lesson_service.check_versions(db.session, item, index)
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        go = request.form.get("go", "")
        if go.startswith("check-"):
            slug = go[6:]
            version = next((v for v in checks if v.question.slug == slug), None)
            if version is None:
                abort(400)
            answer = get_type(version.qtype).parse_form(request.form, f"c-{slug}", version.body)
            lesson_service.answer_check(progress, slug, version, answer)
            db.session.commit()
            return redirect(
                url_for("student.lesson", lesson_id=item.id, section=index + 1) + f"#check-{slug}"
            )
        if go == "finish":
            lesson_service.complete_lesson(progress)
            db.session.commit()
            flash(f"Lesson finished: {item.title}.", "success")
            return redirect(url_for("student.lesson_done", lesson_id=item.id))
        target = index + (1 if go == "next" else -1 if go == "prev" else 0)
        lesson_service.move_to_section(progress, target, item)
        db.session.commit()
        return redirect(
            url_for("student.lesson", lesson_id=item.id, section=progress.current_section + 1)
        )
    lesson_service.move_to_section(progress, index, item)
    db.session.commit()
    check_views = []
    for number, version in enumerate(checks, start=1):
        slug = version.question.slug
        record = (progress.check_answers or {}).get(slug)
        check_views.append(_check_view(version, slug, number, record))
    section = item.sections[index]
    return render_template(
        "student/lesson.html",
        lesson=item,
        section=section,
        body_html=markdown_to_html(section["body"]),
        index=index,
        count=section_count,
        checks=check_views,
        progress=progress,
        form=form,
    )


def _check_view(version, slug, number, record):
    import random

    from quizapp.learning.question_views import QuestionView
    from quizapp.quizzes.rules import ReviewVisibility

    qtype = get_type(version.qtype)
    view = QuestionView(
        slot=0,
        number=number,
        qtype=version.qtype,
        prompt=version.prompt,
        view=qtype.public_view(version.body, random.Random(f"{slug}-{version.id}")),
        points=version.points,
        stimulus=version.stimulus,
        answer=record["answer"] if record else None,
        prefix=f"c-{slug}",
        slug=slug,
    )
    if record:
        add_review(
            view,
            version,
            None,
            ReviewVisibility(score=False, correctness=True, answers=True, feedback=True),
        )
    return view


@bp.route("/lessons/<int:lesson_id>/done")
@student_required
def lesson_done(lesson_id: int):
    """The end of a lesson: what comes next."""
    item = db.session.get(Lesson, lesson_id)
    if item is None or item.id not in student_catalogue(db.session, current_user.id).lesson_ids:
        abort(404)
    lesson_quiz = db.session.scalar(select(Quiz).where(Quiz.lesson_id == item.id))
    progress = lesson_service.progress_for(db.session, current_user.id, item)
    answered = (progress.check_answers or {}) if progress else {}
    right = sum(1 for r in answered.values() if r["fraction"] >= 0.999)
    return render_template(
        "student/lesson_done.html",
        lesson=item,
        lesson_quiz=lesson_quiz,
        answered=len(answered),
        right=right,
        form=EmptyForm(),
    )


@bp.route("/progress")
@student_required
def progress():
    """Scores over time, mastery per topic, and the questions to review next."""
    attempts, mastery_rows, review_rows = _visible_progress()
    mastery = mastery_by_topic(mastery_rows)
    to_review = questions_to_review(review_rows)
    return render_template(
        "student/progress.html",
        attempts=attempts,
        mastery=mastery,
        to_review=to_review,
        form=EmptyForm(),
    )
