"""The question bank for teachers: browse, preview, author, version, export and import."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from quizapp.authoring import bank as bank_service
from quizapp.authoring import preview as preview_service
from quizapp.authoring import yaml_io
from quizapp.authoring.access import may_edit, may_use
from quizapp.authoring.questions import (
    form_data_from_version,
    save_question,
)
from quizapp.extensions import db
from quizapp.models import Question, Stimulus
from quizapp.questions import QUESTION_TYPES
from quizapp.web.bank.forms import (
    BankFilterForm,
    ImportForm,
    make_question_form,
    select_choices,
)
from quizapp.web.forms import EmptyForm
from quizapp.web.security import staff_required

bp = Blueprint("bank", __name__, url_prefix="/teach/bank")

TYPE_HINTS = {
    "single_choice": "One best answer among 3 to 5 options.",
    "multiple_response": "Tick every correct option; partial credit.",
    "true_false": "Judge one statement.",
    "short_answer": "Type a word or phrase; several spellings may be accepted.",
    "numeric": "Type a number, within a tolerance.",
    "ordering": "Put 3 to 8 events in order; partial credit.",
    "matching": "Pair people or places with roles or facts.",
    "cloze": "Fill the blanks in a passage, typed or chosen.",
}


def question_for_staff(question_id: int, *, edit: bool = False) -> Question:
    """A question the current teacher may use (curated or own) or edit (own); 404 otherwise."""
    question = db.session.get(Question, question_id)
    if question is None or question.current_version is None:
        abort(404)
    allowed = may_edit if edit else may_use
    if not allowed(question.owner_id, current_user):
        abort(404)
    return question


def _filters_from(form: BankFilterForm) -> bank_service.BankFilters:
    difficulty = form.difficulty.data
    return bank_service.BankFilters(
        text=(form.q.data or "").strip()[:200],
        topic=form.topic.data or "",
        qtype=form.type.data if form.type.data in QUESTION_TYPES else "",
        difficulty=int(difficulty) if difficulty in ("1", "2", "3") else None,
        cognitive=form.cognitive.data or "",
        tag=(form.tag.data or "").strip(),
        ownership=form.owner.data if form.owner.data in bank_service.OWNERSHIP else "all",
        include_retired=bool(form.retired.data),
    )


def bank_filter_form(formdata=None) -> BankFilterForm:
    """The filter form with this bank's topics and tags."""
    form = BankFilterForm(formdata=formdata if formdata is not None else request.args)
    form.topic.choices = select_choices(
        [("", "Any topic")] + [(t.slug, t.title) for t in bank_service.topics(db.session)]
    )
    form.tag.choices = select_choices(
        [("", "Any tag")] + [(t, t) for t in bank_service.bank_tags(db.session, current_user)]
    )
    return form


def filtered_page(form: BankFilterForm) -> bank_service.BankPage:
    """The page of the bank the filter form and ``?page=`` ask for."""
    page = request.args.get("page", 1, type=int) or 1
    return bank_service.search_bank(db.session, current_user, _filters_from(form), page)


@bp.route("/")
@staff_required
def index():
    """Browse, filter and search the bank."""
    form = bank_filter_form()
    page = filtered_page(form)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "bank/index.html",
        form=form,
        page=page,
        page_args=args,
        filtered=_filters_from(form).active,
        types=QUESTION_TYPES,
    )


@bp.route("/questions/<int:question_id>")
@staff_required
def question(question_id: int):
    """One question: preview on screen and on paper, answer, versions, usage and statistics."""
    question = question_for_staff(question_id)
    number = request.args.get("version", type=int)
    version = next((v for v in question.versions if v.number == number), None)
    version = version or question.current_version
    screen = preview_service.screen_question(question.slug, version)
    try:
        printed = preview_service.print_question_html(question.slug, version)
    except Exception:  # a print problem must not hide the rest of the page
        current_app.logger.exception("print preview of question %s failed", question.slug)
        printed = None
    usage = bank_service.question_usage(db.session, current_user, question)
    return render_template(
        "bank/question.html",
        question=question,
        version=version,
        q=screen,
        printed=printed,
        usage=usage,
        editable=may_edit(question.owner_id, current_user),
        types=QUESTION_TYPES,
        button=EmptyForm(),
    )


@bp.route("/new")
@staff_required
def choose_type():
    """Pick the type of a new question."""
    copy_from = request.args.get("from", type=int)
    return render_template(
        "bank/choose_type.html", types=QUESTION_TYPES, hints=TYPE_HINTS, copy_from=copy_from
    )


def _choices():
    topics = [(t.slug, t.title) for t in bank_service.topics(db.session)]
    stimuli = [
        (s.slug, s.title) for s in db.session.scalars(select(Stimulus).order_by(Stimulus.title))
    ]
    return topics, stimuli


def _apply_problems(form, problems: dict[str, list[str]]) -> list[tuple[str, str, str]]:
    """Put each problem beside its field; return (anchor id, label, message) for the summary."""
    summary = []
    for target, messages in problems.items():
        field = _field_by_name(form, target)
        if field is None:
            for message in messages:
                summary.append(("question-form", "Question", message))
            continue
        field.errors = [*list(field.errors or []), *messages]
        label = _label_for(form, target, field)
        for message in messages:
            summary.append((field.id, label, message))
    return summary


def _field_by_name(form, name: str):
    if name in form:
        return form[name]
    parts = name.split("-")
    if len(parts) == 3 and parts[0] in form:
        try:
            entry = form[parts[0]].entries[int(parts[1])]
        except (IndexError, ValueError):
            return None
        return entry.form._fields.get(parts[2])
    return None


def _label_for(form, name: str, field) -> str:
    parts = name.split("-")
    if len(parts) == 3:
        return f"{form[parts[0]].label.text} row {int(parts[1]) + 1}: {field.label.text}"
    return field.label.text


def _render_form(form, qtype, question=None, summary=None, status=200):
    return (
        render_template(
            "bank/edit.html",
            form=form,
            qtype=qtype,
            type_label=QUESTION_TYPES[qtype].label,
            question=question,
            summary=summary or [],
        ),
        status,
    )


@bp.route("/new/<qtype>", methods=["GET", "POST"])
@staff_required
def new_question(qtype: str):
    """Write a new question of one type."""
    if qtype not in QUESTION_TYPES:
        abort(404)
    topics, stimuli = _choices()
    data = None
    copy_from = request.args.get("from", type=int)
    if request.method == "GET" and copy_from:
        source = question_for_staff(copy_from)
        if source.current_version.qtype == qtype:
            data = form_data_from_version(source.current_version)
    form = make_question_form(qtype, topics, stimuli, data=data)
    if form.validate_on_submit():
        result, saved = save_question(db.session, current_user, qtype, form.data)
        if saved is not None:
            db.session.commit()
            flash("Question saved as version 1.", "success")
            return redirect(url_for("bank.question", question_id=saved.question.id))
        db.session.rollback()
        return _render_form(form, qtype, summary=_apply_problems(form, result.problems), status=422)
    return _render_form(form, qtype, summary=_csrf_summary(form))


def _csrf_summary(form):
    """Problems WTForms itself found (an expired form, a tampered choice), for the summary."""
    summary = []
    for name, errors in form.errors.items():
        if name == "csrf_token":
            summary.append(("question-form", "Form", "The form expired. Please send it again."))
        elif name in form and isinstance(errors, list) and all(isinstance(e, str) for e in errors):
            summary.extend((form[name].id, form[name].label.text, e) for e in errors)
    return summary


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_question(question_id: int):
    """Edit one of your questions: saving makes a new version; old attempts keep theirs."""
    question = question_for_staff(question_id, edit=True)
    version = question.current_version
    qtype = version.qtype
    topics, stimuli = _choices()
    form = make_question_form(
        qtype,
        topics,
        stimuli,
        data=form_data_from_version(version) if request.method == "GET" else None,
    )
    if form.validate_on_submit():
        result, saved = save_question(db.session, current_user, qtype, form.data, question)
        if saved is not None:
            db.session.commit()
            if saved.changed:
                flash(f"Saved as version {saved.version.number}.", "success")
            else:
                flash("Nothing changed, so no new version was made.", "info")
            return redirect(url_for("bank.question", question_id=question.id))
        db.session.rollback()
        return _render_form(
            form, qtype, question, summary=_apply_problems(form, result.problems), status=422
        )
    return _render_form(form, qtype, question, summary=_csrf_summary(form))


@bp.route("/questions/<int:question_id>/retire", methods=["POST"])
@staff_required
def retire_question(question_id: int):
    """Retire one of your questions (hidden from the bank and from generation), or restore it."""
    question = question_for_staff(question_id, edit=True)
    form = EmptyForm()
    if form.validate_on_submit():
        question.retired = not question.retired
        db.session.commit()
        flash(
            "Question retired: new quizzes will not use it."
            if question.retired
            else "Question restored to the bank.",
            "success",
        )
    return redirect(url_for("bank.question", question_id=question.id))


@bp.route("/export.yaml")
@staff_required
def export():
    """Download your own questions (or the ones ticked) as YAML in the bank's format."""
    ids = [int(i) for i in request.args.getlist("id") if i.isdigit()] or None
    questions = yaml_io.own_questions(db.session, current_user, ids)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return Response(
        yaml_io.export_yaml(questions),
        mimetype="application/yaml",
        headers={
            "Content-Disposition": f'attachment; filename="my-questions-{stamp}.yaml"',
        },
    )


@bp.route("/import", methods=["GET", "POST"])
@staff_required
def import_questions():
    """Upload a YAML file of questions: all are checked; any problem means nothing is written."""
    form = ImportForm()
    outcome = None
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            form.file.errors = ["is not UTF-8 text; save the file as UTF-8"]
        else:
            outcome = yaml_io.import_yaml(db.session, current_user, text)
            if outcome.ok:
                db.session.commit()
                flash(f"Imported: {outcome.summary()}.", "success")
                return redirect(url_for("bank.index", owner="mine"))
            db.session.rollback()
    status = 422 if (outcome and not outcome.ok) or form.errors else 200
    return render_template("bank/import.html", form=form, outcome=outcome), status


@bp.app_template_filter("percent")
def percent(value: float | None) -> str:
    """0.734 -> '73%'; None -> '—'."""
    return "—" if value is None else f"{round(100 * value)}%"
