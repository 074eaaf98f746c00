"""Quiz, lesson and module builders: thin views over ``quizapp.authoring``."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from quizapp.authoring import bank as bank_service
from quizapp.authoring import modules as module_service
from quizapp.authoring import quizzes as quiz_service
from quizapp.authoring.access import may_edit
from quizapp.authoring.preview import screen_question
from quizapp.authoring.quizzes import BuildError
from quizapp.extensions import db
from quizapp.models import Lesson, Quiz, SchoolClass
from quizapp.questions import QUESTION_TYPES
from quizapp.web.access import class_for_staff, lesson_for_staff, module_for_staff, quiz_for_staff
from quizapp.web.bank.forms import select_choices
from quizapp.web.bank.routes import bank_filter_form, filtered_page
from quizapp.web.builders.forms import (
    AddLessonForm,
    AddQuizForm,
    BlueprintForm,
    ModuleForm,
    QuizForm,
    QuizSettingsForm,
)
from quizapp.web.forms import EmptyForm
from quizapp.web.security import staff_required

bp = Blueprint("builders", __name__, url_prefix="/teach/build")
DIRECTIONS = {"up": -1, "down": 1}


def _post_button() -> bool:
    """Whether a POST-only button carried a valid CSRF token (flashes when not)."""
    if EmptyForm().validate_on_submit():
        return True
    flash("The form expired. Please try again.", "error")
    return False


def _topic_titles() -> dict[str, str]:
    return {t.slug: t.title for t in bank_service.topics(db.session)}


# --- quizzes -----------------------------------------------------------------------------------


@bp.route("/quizzes")
@staff_required
def quizzes():
    """Your quizzes, curated quizzes and lesson quizzes; create a new one."""
    listing = quiz_service.quiz_listing(db.session, current_user)
    return render_template("builders/quizzes.html", listing=listing, form=QuizForm())


@bp.route("/quizzes/new", methods=["POST"])
@staff_required
def new_quiz():
    """Create a quiz and go on to build it."""
    form = QuizForm()
    if not form.validate_on_submit():
        listing = quiz_service.quiz_listing(db.session, current_user)
        return render_template("builders/quizzes.html", listing=listing, form=form), 422
    quiz = quiz_service.create_quiz(
        db.session, current_user, form.title.data, form.description.data or "", form.kind.data
    )
    db.session.commit()
    flash("Quiz created.", "success")
    return redirect(url_for("builders.quiz", quiz_id=quiz.id))


def _class_choices() -> list[tuple[str, str]]:
    classes = db.session.scalars(
        select(SchoolClass)
        .where(SchoolClass.teacher_id == current_user.id, SchoolClass.archived.is_(False))
        .order_by(SchoolClass.name)
    )
    return select_choices(
        [("", "No class: use the whole bank")] + [(str(c.id), c.name) for c in classes]
    )


def blueprint_form(quiz: Quiz, formdata=None) -> BlueprintForm:
    """The blueprint form, filled from the quiz on GET, with two spare rows."""
    if formdata is None and request.method == "GET":
        rows = quiz_service.blueprint_rows(quiz)
        data = {
            "rows": [
                {
                    "count": r.get("count"),
                    "topic": r.get("topic") or "",
                    "difficulty": str(r.get("difficulty") or ""),
                    "types": list(r.get("types") or []),
                }
                for r in rows
            ]
            + [{"count": None, "topic": "", "difficulty": "", "types": []}] * (2 if rows else 3),
            "seed": quiz.seed,
            "exclude_class": str((quiz.blueprint or {}).get("exclude_seen_by_class") or ""),
        }
        form = BlueprintForm(data=data)
    else:
        form = BlueprintForm()
    topic_choices = select_choices(
        [("", "Any topic")] + [(t.slug, t.title) for t in bank_service.topics(db.session)]
    )
    for row in form.rows:
        row.form.topic.choices = topic_choices
    form.exclude_class.choices = _class_choices()
    return form


def _render_quiz(quiz: Quiz, status: int = 200, **forms):
    """The quiz builder page."""
    editable = may_edit(quiz.owner_id, current_user)
    items = quiz_service.quiz_questions(db.session, quiz)
    context = {
        "quiz": quiz,
        "items": items,
        "editable": editable,
        "variants": quiz_service.variants_of(db.session, quiz),
        "parent": db.session.get(Quiz, quiz.parent_id) if quiz.parent_id else None,
        "lesson": db.session.get(Lesson, quiz.lesson_id) if quiz.lesson_id else None,
        "topic_titles": _topic_titles(),
        "describe_row": quiz_service.describe_row,
        "types": QUESTION_TYPES,
        "button": EmptyForm(),
        "can_print": "printouts.quiz_worksheet" in current_app.view_functions,
    }
    if editable:
        filter_form = bank_filter_form()
        page = filtered_page(filter_form)
        context.update(
            settings_form=forms.get("settings_form")
            or QuizSettingsForm(data={"title": quiz.title, "description": quiz.description}),
            blueprint_form=forms.get("blueprint_form") or blueprint_form(quiz),
            filter_form=filter_form,
            page=page,
            page_args={
                "quiz_id": quiz.id,
                **{k: v for k, v in request.args.items() if k != "page" and v},
            },
            in_quiz={item.question_id for item in items},
        )
    return render_template("builders/quiz.html", **context), status


@bp.route("/quizzes/<int:quiz_id>")
@staff_required
def quiz(quiz_id: int):
    """Build a quiz: its questions, order, blueprint, seed and variants."""
    return _render_quiz(quiz_for_staff(quiz_id))


@bp.route("/quizzes/<int:quiz_id>/settings", methods=["POST"])
@staff_required
def quiz_settings(quiz_id: int):
    """Rename a quiz."""
    quiz = quiz_for_staff(quiz_id, edit=True)
    form = QuizSettingsForm()
    if not form.validate_on_submit():
        return _render_quiz(quiz, 422, settings_form=form)
    quiz.title = form.title.data.strip()
    quiz.description = (form.description.data or "").strip()
    db.session.commit()
    flash("Saved.", "success")
    return redirect(url_for("builders.quiz", quiz_id=quiz.id))


@bp.route("/quizzes/<int:quiz_id>/add", methods=["POST"])
@staff_required
def add_questions(quiz_id: int):
    """Add the ticked questions from the bank to the end of the quiz."""
    quiz = quiz_for_staff(quiz_id, edit=True)
    if _post_button():
        ids = [int(i) for i in request.form.getlist("question_id") if i.isdigit()]
        added = quiz_service.add_questions(db.session, current_user, quiz, ids)
        db.session.commit()
        flash(
            f"Added {added} question{'s' if added != 1 else ''}."
            if added
            else "Tick the questions to add.",
            "success" if added else "warning",
        )
    return redirect(url_for("builders.quiz", quiz_id=quiz.id, _anchor="questions"))


def _apply_then_redirect(target, action, endpoint: str, **url_args):
    """Run a builder action for a valid POST; flash its message or its problem; go back."""
    if _post_button():
        try:
            message = action(target)
        except BuildError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            if message:
                flash(message, "success")
    return redirect(url_for(endpoint, **url_args))


def _item_action(quiz_id: int, action) -> object:
    quiz = quiz_for_staff(quiz_id, edit=True)
    return _apply_then_redirect(quiz, action, "builders.quiz", quiz_id=quiz.id, _anchor="questions")


@bp.route("/quizzes/<int:quiz_id>/items/<int:position>/move/<direction>", methods=["POST"])
@staff_required
def move_question(quiz_id: int, position: int, direction: str):
    """Move a question up or down."""
    if direction not in DIRECTIONS:
        abort(404)
    return _item_action(
        quiz_id,
        lambda quiz: quiz_service.move_item(db.session, quiz, position, DIRECTIONS[direction]),
    )


@bp.route("/quizzes/<int:quiz_id>/items/<int:position>/remove", methods=["POST"])
@staff_required
def remove_question(quiz_id: int, position: int):
    """Take a question out of the quiz."""

    def remove(quiz):
        quiz_service.remove_item(db.session, quiz, position)
        return "Question removed."

    return _item_action(quiz_id, remove)


@bp.route("/quizzes/<int:quiz_id>/items/<int:position>/swap", methods=["POST"])
@staff_required
def swap_question(quiz_id: int, position: int):
    """Swap a question for another of the same topic and difficulty."""

    def swap(quiz):
        new = quiz_service.swap_item(db.session, quiz, position)
        return f"Question {position} swapped for {new.slug}."

    return _item_action(quiz_id, swap)


@bp.route("/quizzes/<int:quiz_id>/blueprint", methods=["POST"])
@staff_required
def generate(quiz_id: int):
    """Save the blueprint and generate the quiz with the given (or a new) seed."""
    quiz = quiz_for_staff(quiz_id, edit=True)
    form = blueprint_form(quiz, formdata=request.form)
    if not form.validate_on_submit():
        return _render_quiz(quiz, 422, blueprint_form=form)
    class_id = None
    if form.exclude_class.data:
        if not form.exclude_class.data.isdigit():
            abort(404)
        class_id = class_for_staff(int(form.exclude_class.data)).id
    blueprint = quiz_service.parse_blueprint_rows(
        {
            "count": row.form.count.data,
            "topic": row.form.topic.data,
            "difficulty": row.form.difficulty.data,
            "types": row.form.types.data,
        }
        for row in form.rows
    )
    seed = form.seed.data or quiz_service.random_seed()
    try:
        generated = quiz_service.generate_into(db.session, quiz, blueprint, seed, class_id)
    except BuildError as exc:
        db.session.rollback()
        form.rows.errors = [str(exc)]
        return _render_quiz(quiz, 422, blueprint_form=form)
    db.session.commit()
    _flash_generated(generated, seed)
    return redirect(url_for("builders.quiz", quiz_id=quiz.id, _anchor="questions"))


def _flash_generated(generated, seed: int) -> None:
    flash(f"Generated {len(generated.keys)} questions with seed {seed}.", "success")
    for shortfall in generated.shortfalls:
        flash(f"The blueprint row {shortfall}.", "warning")


@bp.route("/quizzes/<int:quiz_id>/regenerate", methods=["POST"])
@staff_required
def regenerate(quiz_id: int):
    """Generate again from the blueprint with a new seed."""
    quiz = quiz_for_staff(quiz_id, edit=True)
    if _post_button():
        try:
            generated = quiz_service.regenerate(db.session, quiz)
        except BuildError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            _flash_generated(generated, quiz.seed)
    return redirect(url_for("builders.quiz", quiz_id=quiz.id, _anchor="questions"))


@bp.route("/quizzes/<int:quiz_id>/variants", methods=["POST"])
@staff_required
def make_variants(quiz_id: int):
    """Create or refresh variants B and C of the quiz."""
    quiz = quiz_for_staff(quiz_id, edit=True)
    if _post_button():
        try:
            made = quiz_service.make_variants(db.session, quiz)
        except BuildError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"Variants {', '.join(v.variant for v in made)} are ready.", "success")
    return redirect(url_for("builders.quiz", quiz_id=quiz.id, _anchor="variants"))


@bp.route("/quizzes/<int:quiz_id>/copy", methods=["POST"])
@staff_required
def copy_quiz(quiz_id: int):
    """Make your own editable copy of a quiz."""
    quiz = quiz_for_staff(quiz_id)
    if not _post_button():
        return redirect(url_for("builders.quiz", quiz_id=quiz.id))
    copy = quiz_service.copy_quiz(db.session, current_user, quiz)
    db.session.commit()
    flash("This is your copy; change it as you like.", "success")
    return redirect(url_for("builders.quiz", quiz_id=copy.id))


@bp.route("/quizzes/<int:quiz_id>/preview")
@staff_required
def preview_quiz(quiz_id: int):
    """The whole quiz as students see it, with the answers if asked."""
    quiz = quiz_for_staff(quiz_id)
    items = quiz_service.quiz_questions(db.session, quiz)
    questions = [
        screen_question(
            item.question.slug,
            item.question.current_version,
            number,
            seed=quiz.seed or 1990,
            points=item.points,
        )
        for number, item in enumerate(
            (i for i in items if i.question.current_version is not None), start=1
        )
    ]
    return render_template(
        "builders/preview.html",
        quiz=quiz,
        questions=questions,
        show_answers=request.args.get("answers") == "1",
        can_print="printouts.quiz_worksheet" in current_app.view_functions,
    )


# --- lessons -----------------------------------------------------------------------------------


@bp.route("/lessons")
@staff_required
def lessons():
    """Lessons you can use, each with its blueprint and the quiz generated from it."""
    rows = module_service.usable_lessons(db.session, current_user)
    quizzes = {
        q.slug: q
        for q in db.session.scalars(
            select(Quiz).where(Quiz.slug.in_([f"{lesson.slug}-quiz" for lesson in rows]))
        )
    }
    counts = quiz_service.question_counts(db.session, [q.id for q in quizzes.values()])
    return render_template(
        "builders/lessons.html",
        lessons=rows,
        quizzes=quizzes,
        counts=counts,
        topic_titles=_topic_titles(),
        describe_row=quiz_service.describe_row,
    )


# --- modules -----------------------------------------------------------------------------------


@bp.route("/modules")
@staff_required
def modules():
    """Your modules and the curated ones; create a new one."""
    own, curated = module_service.module_listing(db.session, current_user)
    return render_template("builders/modules.html", own=own, curated=curated, form=ModuleForm())


@bp.route("/modules/new", methods=["POST"])
@staff_required
def new_module():
    """Create a draft module and go on to fill it."""
    form = ModuleForm()
    if not form.validate_on_submit():
        own, curated = module_service.module_listing(db.session, current_user)
        return render_template("builders/modules.html", own=own, curated=curated, form=form), 422
    module = module_service.create_module(
        db.session, current_user, form.title.data, form.description.data or "", form.minutes.data
    )
    db.session.commit()
    flash("Module created as a draft. Add lessons and quizzes, then publish it.", "success")
    return redirect(url_for("builders.module", module_id=module.id))


def _step_forms(lesson_form=None, quiz_form=None):
    lesson_form = lesson_form or AddLessonForm()
    quiz_form = quiz_form or AddQuizForm()
    lesson_form.lesson.choices = select_choices(
        (lesson.id, lesson.title)
        for lesson in module_service.usable_lessons(db.session, current_user)
    )
    quiz_form.quiz.choices = select_choices(
        (q.id, q.title) for q in module_service.usable_quizzes(db.session, current_user)
    )
    return lesson_form, quiz_form


def _render_module(module, status: int = 200, **forms):
    steps = module_service.module_steps(db.session, module)
    editable = may_edit(module.owner_id, current_user)
    context = {
        "module": module,
        "steps": steps,
        "editable": editable,
        "minutes": module_service.estimated_minutes(db.session, steps),
        "button": EmptyForm(),
    }
    if editable:
        lesson_form, quiz_form = _step_forms(forms.get("lesson_form"), forms.get("quiz_form"))
        context.update(
            lesson_form=lesson_form,
            quiz_form=quiz_form,
            settings_form=forms.get("settings_form")
            or ModuleForm(
                data={
                    "title": module.title,
                    "description": module.description,
                    "minutes": module.estimated_minutes,
                }
            ),
        )
    return render_template("builders/module.html", **context), status


@bp.route("/modules/<int:module_id>")
@staff_required
def module(module_id: int):
    """Build a module: its steps in order, and whether it is published."""
    return _render_module(module_for_staff(module_id))


@bp.route("/modules/<int:module_id>/settings", methods=["POST"])
@staff_required
def module_settings(module_id: int):
    """Rename a module."""
    module = module_for_staff(module_id, edit=True)
    form = ModuleForm()
    if not form.validate_on_submit():
        return _render_module(module, 422, settings_form=form)
    module.title = form.title.data.strip()
    module.description = (form.description.data or "").strip()
    module.estimated_minutes = form.minutes.data
    db.session.commit()
    flash("Saved.", "success")
    return redirect(url_for("builders.module", module_id=module.id))


@bp.route("/modules/<int:module_id>/lessons", methods=["POST"])
@staff_required
def add_lesson(module_id: int):
    """Add a lesson (and its quiz) at the end of the module."""
    module = module_for_staff(module_id, edit=True)
    lesson_form, _ = _step_forms()
    if not lesson_form.validate_on_submit():
        return _render_module(module, 422, lesson_form=lesson_form)
    lesson = lesson_for_staff(lesson_form.lesson.data)
    added = module_service.add_lesson(db.session, module, lesson, bool(lesson_form.with_quiz.data))
    db.session.commit()
    flash(
        "Lesson and its quiz added." if added == 2 else "Lesson added.",
        "success",
    )
    return redirect(url_for("builders.module", module_id=module.id, _anchor="steps"))


@bp.route("/modules/<int:module_id>/quizzes", methods=["POST"])
@staff_required
def add_quiz(module_id: int):
    """Add a quiz at the end of the module."""
    module = module_for_staff(module_id, edit=True)
    _, quiz_form = _step_forms()
    if not quiz_form.validate_on_submit():
        return _render_module(module, 422, quiz_form=quiz_form)
    module_service.add_quiz(db.session, module, quiz_for_staff(quiz_form.quiz.data))
    db.session.commit()
    flash("Quiz added.", "success")
    return redirect(url_for("builders.module", module_id=module.id, _anchor="steps"))


def _module_action(module_id: int, action):
    module = module_for_staff(module_id, edit=True)
    return _apply_then_redirect(
        module, action, "builders.module", module_id=module.id, _anchor="steps"
    )


@bp.route("/modules/<int:module_id>/steps/<int:position>/move/<direction>", methods=["POST"])
@staff_required
def move_step(module_id: int, position: int, direction: str):
    """Move a step up or down."""
    if direction not in DIRECTIONS:
        abort(404)
    return _module_action(
        module_id,
        lambda m: module_service.move_step(db.session, m, position, DIRECTIONS[direction]),
    )


@bp.route("/modules/<int:module_id>/steps/<int:position>/remove", methods=["POST"])
@staff_required
def remove_step(module_id: int, position: int):
    """Take a step out of the module."""

    def remove(module):
        module_service.remove_step(db.session, module, position)
        return "Step removed."

    return _module_action(module_id, remove)


@bp.route("/modules/<int:module_id>/publish", methods=["POST"])
@staff_required
def publish_module(module_id: int):
    """Publish the module, or return it to draft (``publish=0``)."""
    publish = request.form.get("publish", "1") == "1"

    def apply(module):
        module_service.set_published(module, publish)
        return "Module published." if publish else "Module returned to draft."

    return _module_action(module_id, apply)


@bp.route("/modules/<int:module_id>/copy", methods=["POST"])
@staff_required
def copy_module(module_id: int):
    """Make your own draft copy of a module."""
    module = module_for_staff(module_id)
    if not _post_button():
        return redirect(url_for("builders.module", module_id=module.id))
    copy = module_service.copy_module(db.session, current_user, module)
    db.session.commit()
    flash("This is your copy, as a draft; change it as you like.", "success")
    return redirect(url_for("builders.module", module_id=copy.id))
