"""Question authoring: the form's plain data ⇄ the bank's raw mapping, checking, saving.

Checking runs the *content validator's own code*: the form's data becomes the same mapping a
YAML file would hold, goes through :func:`quizapp.content.loader.parse_question` and then
:func:`quizapp.content.validator.validate_bundle` (sources, topics, stimuli, duplicate stems,
evaluative words), and every problem's field is mapped back to the form field it concerns.

Saving appends a new immutable version (:func:`write_question_version`); attempts already taken
keep the version they showed, and with it their grade.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quizapp.content.importer import content_hash, version_payload, write_question_version
from quizapp.content.loader import _Collector, parse_question
from quizapp.content.specs import ContentBundle, QuestionSpec
from quizapp.content.validator import normalised_stem, validate_bundle
from quizapp.content.yaml_lines import LineDict
from quizapp.models import Question, QuestionVersion, Source, Stimulus, Topic, User
from quizapp.questions import QUESTION_TYPES, Problem, get_type

OPTION_ROWS = 5
PAIR_ROWS = 8
# Where a question written in the browser "is", in messages shared with the file validator.
FORM_PATH = "form"
BANK_PATH = "bank"
_INDEXED = re.compile(r"^(?P<name>[a-z_]+)\[(?P<index>\d+)\](?:\.(?P<sub>[a-z_]+))?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")

# Fields every type shares, in the order of the form and of exported YAML.
COMMON_FIELDS = (
    "prompt",
    "topic",
    "difficulty",
    "cognitive",
    "explanation",
    "sources",
    "tags",
    "stimulus",
    "points",
)


@dataclass
class CheckResult:
    """The outcome of checking a draft: the parsed spec, and problems by form field."""

    spec: QuestionSpec | None
    problems: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No problem found."""
        return self.spec is not None and not self.problems

    def add(self, target: str, message: str) -> None:
        """Note a problem against form field ``target``."""
        messages = self.problems.setdefault(target, [])
        if message not in messages:
            messages.append(message)


@dataclass
class SaveResult:
    """What saving did: the question, its version, and whether a version was written."""

    question: Question
    version: QuestionVersion
    created: bool
    changed: bool


# --- form data ⇄ raw mapping -------------------------------------------------------------------


def split_list(text: str | None) -> list[str]:
    """'DEC, USE ,LAT-21' -> ['DEC', 'USE', 'LAT-21'] (commas or new lines)."""
    return [part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()]


def split_lines(text: str | None) -> list[str]:
    """The non-blank lines of a textarea, trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def read_number(text: Any) -> Any:
    """A typed number as int or float; the text itself when it is not one (the type says so)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return text
    value = str(text or "").strip().replace("\u00a0", "").replace(" ", "")
    if _THOUSANDS.match(value):
        value = value.replace(",", "")
    try:
        return int(value) if _INTEGER.match(value) else float(value)
    except ValueError:
        return str(text or "").strip()


def _blanks_from_text(text: str, case_sensitive: bool, ignore_diacritics: bool):
    """Read 'name: answer | variant' lines (and 'name choices: a | b | c') into a blanks map."""
    blanks: dict[str, dict[str, Any]] = {}
    problems: list[tuple[int, str]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, rest = line.partition(":")
        name = name.strip()
        if not sep or not name:
            problems.append((number, "must look like 'name: answer | variant'"))
            continue
        values = [v.strip() for v in rest.split("|") if v.strip()]
        key = "accept"
        if name.endswith(" choices"):
            name, key = name.removesuffix(" choices").strip(), "options"
        spec = blanks.setdefault(name, {})
        spec[key] = values
    for spec in blanks.values():
        spec.setdefault("accept", [])
        if case_sensitive:
            spec["case_sensitive"] = True
        if not ignore_diacritics:
            spec["ignore_diacritics"] = False
    return blanks, problems


def _blanks_to_text(body: dict[str, Any]) -> str:
    lines = []
    for blank in body.get("blanks", []):
        lines.append(f"{blank['name']}: {' | '.join(blank['accept'])}")
        if blank.get("options"):
            lines.append(
                f"{blank['name']} choices: {' | '.join(o['text'] for o in blank['options'])}"
            )
    return "\n".join(lines)


@dataclass
class Draft:
    """A question as the authoring form holds it, turned into the bank's raw mapping.

    ``rows`` remembers which form row each list entry came from (blank rows are skipped), so a
    problem such as ``options[2]`` is shown beside the right row.
    """

    raw: LineDict
    rows: dict[str, list[int]] = field(default_factory=dict)
    form_problems: list[tuple[str, str]] = field(default_factory=list)


def raw_from_form(qtype: str, data: dict[str, Any], slug: str) -> Draft:
    """The YAML-shaped mapping for a question written in the authoring form."""
    raw = LineDict()
    raw["id"] = slug
    raw["type"] = qtype
    raw["topic"] = (data.get("topic") or "").strip()
    difficulty = str(data.get("difficulty") or "").strip()
    raw["difficulty"] = int(difficulty) if difficulty.isdigit() else difficulty
    raw["cognitive"] = (data.get("cognitive") or "").strip()
    raw["prompt"] = (data.get("prompt") or "").strip()
    draft = Draft(raw)
    _type_fields(qtype, data, draft)
    raw["explanation"] = (data.get("explanation") or "").strip()
    raw["sources"] = split_list(data.get("sources"))
    raw["tags"] = split_list(data.get("tags"))
    if (data.get("stimulus") or "").strip():
        raw["stimulus"] = data["stimulus"].strip()
    points = str(data.get("points") or "").strip()
    if points:
        raw["points"] = read_number(points)
    return draft


def _type_fields(qtype: str, data: dict[str, Any], draft: Draft) -> None:
    raw = draft.raw
    if qtype in ("single_choice", "multiple_response"):
        options, rows = [], []
        for row, entry in enumerate(data.get("options") or []):
            text = (entry.get("text") or "").strip()
            if not text:
                if entry.get("correct"):
                    draft.form_problems.append(
                        (f"options-{row}-text", "is marked correct but empty")
                    )
                continue
            option: dict[str, Any] = {"text": text, "correct": bool(entry.get("correct"))}
            if (entry.get("feedback") or "").strip():
                option["feedback"] = entry["feedback"].strip()
            options.append(option)
            rows.append(row)
        raw["options"], draft.rows["options"] = options, rows
    elif qtype == "true_false":
        answer = {"true": True, "false": False}.get(str(data.get("answer") or ""))
        if answer is not None:
            raw["answer"] = answer
    elif qtype == "short_answer":
        raw["accept"] = split_lines(data.get("accept"))
        raw["case_sensitive"] = bool(data.get("case_sensitive"))
        raw["ignore_diacritics"] = bool(data.get("ignore_diacritics"))
    elif qtype == "numeric":
        raw["answer"] = read_number(data.get("answer"))
        if str(data.get("tolerance") or "").strip():
            raw["tolerance"] = read_number(data.get("tolerance"))
        if (data.get("unit") or "").strip():
            raw["unit"] = data["unit"].strip()
    elif qtype == "ordering":
        raw["items"] = split_lines(data.get("items"))
    elif qtype == "matching":
        pairs, rows = [], []
        for row, entry in enumerate(data.get("pairs") or []):
            left, right = (entry.get("left") or "").strip(), (entry.get("right") or "").strip()
            if not left and not right:
                continue
            pairs.append({"left": left, "right": right})
            rows.append(row)
        raw["pairs"], draft.rows["pairs"] = pairs, rows
        distractors = split_lines(data.get("distractors"))
        if distractors:
            raw["distractors"] = distractors
    elif qtype == "cloze":
        raw["text"] = (data.get("text") or "").strip()
        blanks, problems = _blanks_from_text(
            data.get("blanks") or "",
            bool(data.get("case_sensitive")),
            bool(data.get("ignore_diacritics")),
        )
        raw["blanks"] = blanks
        for line, message in problems:
            draft.form_problems.append(("blanks", f"Line {line}: {message}"))


def form_data_from_version(version: QuestionVersion) -> dict[str, Any]:
    """The authoring form's data for an existing version (the inverse of :func:`raw_from_form`)."""
    data: dict[str, Any] = {
        "prompt": version.prompt,
        "topic": version.topic.slug,
        "difficulty": str(version.difficulty),
        "cognitive": version.cognitive_level,
        "explanation": version.explanation,
        "sources": ", ".join(version.source_refs or []),
        "tags": ", ".join(version.tags or []),
        "stimulus": version.stimulus.slug if version.stimulus else "",
        "points": _number_text(version.points),
    }
    body = version.body
    qtype = version.qtype
    if qtype in ("single_choice", "multiple_response"):
        data["options"] = [
            {"text": o["text"], "correct": o["correct"], "feedback": o.get("feedback", "")}
            for o in body["options"]
        ]
    elif qtype == "true_false":
        data["answer"] = "true" if body["answer"] else "false"
    elif qtype == "short_answer":
        data["accept"] = "\n".join(body["accept"])
        data["case_sensitive"] = body["case_sensitive"]
        data["ignore_diacritics"] = body["ignore_diacritics"]
    elif qtype == "numeric":
        data["answer"] = _number_text(body["answer"])
        data["tolerance"] = _number_text(body["tolerance"]) if body["tolerance"] else ""
        data["unit"] = body["unit"]
    elif qtype == "ordering":
        data["items"] = "\n".join(i["text"] for i in body["items"])
    elif qtype == "matching":
        data["pairs"] = [{"left": p["left"], "right": p["right"]} for p in body["pairs"]]
        data["distractors"] = "\n".join(d["text"] for d in body["distractors"])
    elif qtype == "cloze":
        data["text"] = body["text"]
        data["blanks"] = _blanks_to_text(body)
        first = (body.get("blanks") or [{}])[0]
        data["case_sensitive"] = first.get("case_sensitive", False)
        data["ignore_diacritics"] = first.get("ignore_diacritics", True)
    return data


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# --- checking ----------------------------------------------------------------------------------


def form_target(problem_field: str, draft: Draft) -> tuple[str, str]:
    """The form field a validator problem belongs to, and a prefix for its message."""
    match = _INDEXED.match(problem_field)
    if match:
        name, index, sub = match["name"], int(match["index"]), match["sub"]
        rows = draft.rows.get(name)
        if rows is not None and 0 < index <= len(rows):
            row = rows[index - 1]
            if name == "options":
                return f"options-{row}-{'correct' if sub == 'correct' else 'text'}", ""
            if name == "pairs":
                return f"pairs-{row}-{sub or 'left'}", ""
        return name, f"Line {index}: "
    base = problem_field.split(".")[0].split("[")[0]
    if base in ("id", "type"):
        return "__all__", ""
    if base == "blanks" and "." in problem_field:
        return "blanks", f"{problem_field.split('.')[1]}: "
    return base, ""


def known_from_db(session: Session) -> dict[str, Any]:
    """What the validator's cross-checks need from the database."""
    return {
        "known_sources": dict(session.execute(select(Source.key, Source.paragraphs)).all()),
        "known_topics": set(session.scalars(select(Topic.slug))),
        "known_stimuli": set(session.scalars(select(Stimulus.slug))),
    }


def _bank_stems(
    session: Session, user: User, stems: set[str], skip: set[str]
) -> list[QuestionSpec]:
    """Existing questions (curated and the user's) whose stem equals one of ``stems``."""
    from quizapp.authoring.access import visible_questions

    rows = session.execute(
        select(Question.slug, QuestionVersion.prompt)
        .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
        .where(visible_questions(user), Question.retired.is_(False))
    )
    return [
        QuestionSpec(id=slug, prompt=prompt, path=BANK_PATH, line=0)
        for slug, prompt in rows
        if slug not in skip and normalised_stem(prompt) in stems
    ]


def validate_questions(session: Session, user: User, bundle: ContentBundle) -> list:
    """The validator's problems for the bundle's questions, checked against the bank.

    Questions of the bank with the same stem join the bundle first, so the validator's own
    duplicate-stem rule reports them; their own problems are left out.
    """
    stems = {normalised_stem(q.prompt) for q in bundle.questions if q.prompt}
    existing = _bank_stems(session, user, stems, {q.id for q in bundle.questions})
    mine = {q.id for q in bundle.questions}
    bundle.questions[:0] = existing
    problems = validate_bundle(bundle, **known_from_db(session))
    del bundle.questions[: len(existing)]
    return [p for p in problems if p.item_id in mine]


def tidy_message(message: str) -> str:
    """Drop the file position the validator adds for a question already in the bank."""
    return re.sub(rf" \({BANK_PATH}:0\)", " (already in the bank)", message)


def check_question(
    session: Session, user: User, qtype: str, data: dict[str, Any], slug: str
) -> tuple[CheckResult, Draft]:
    """Run the content validator over a question from the form; problems by form field."""
    draft = raw_from_form(qtype, data, slug)
    bundle = ContentBundle()
    spec = parse_question(draft.raw, _Collector(bundle, FORM_PATH))
    if spec is not None:
        spec.path = FORM_PATH
        bundle.questions.append(spec)
    result = CheckResult(spec)
    for target, message in draft.form_problems:
        result.add(target, message)
    for problem in validate_questions(session, user, bundle):
        target, prefix = form_target(problem.field, draft)
        result.add(target, prefix + tidy_message(problem.message))
    return result, draft


# --- saving ------------------------------------------------------------------------------------


def new_slug(session: Session, user: User) -> str:
    """A fresh slug for a teacher's question: ``t<teacher id>-<short random>``."""
    while True:
        slug = f"t{user.id}-{secrets.token_hex(3)}"
        if session.scalar(select(Question.id).where(Question.slug == slug)) is None:
            return slug


def store_spec(
    session: Session, user: User, spec: QuestionSpec, question: Question | None
) -> SaveResult:
    """Write a checked spec: a new question, a new version, or nothing when unchanged."""
    topic = session.scalar(select(Topic).where(Topic.slug == spec.topic))
    stimulus = (
        session.scalar(select(Stimulus).where(Stimulus.slug == spec.stimulus))
        if spec.stimulus
        else None
    )
    created = question is None
    if question is None:
        question = Question(slug=spec.id, owner_id=user.id)
        session.add(question)
        session.flush()
    current = question.current_version
    if current is not None and current.content_hash == content_hash(version_payload(spec)):
        return SaveResult(question, current, created=False, changed=False)
    version = write_question_version(session, question, spec, topic, stimulus, author_id=user.id)
    return SaveResult(question, version, created=created, changed=True)


def save_question(
    session: Session,
    user: User,
    qtype: str,
    data: dict[str, Any],
    question: Question | None = None,
) -> tuple[CheckResult, SaveResult | None]:
    """Check the form's data and, when it passes, save it as a new question or a new version."""
    if qtype not in QUESTION_TYPES:
        raise ValueError(f"unknown question type {qtype!r}")
    slug = question.slug if question is not None else new_slug(session, user)
    result, _draft = check_question(session, user, qtype, data, slug)
    if not result.ok:
        return result, None
    return result, store_spec(session, user, result.spec, question)


def type_label(qtype: str) -> str:
    """A type's name for people."""
    return get_type(qtype).label


__all__ = [
    "COMMON_FIELDS",
    "OPTION_ROWS",
    "PAIR_ROWS",
    "CheckResult",
    "Draft",
    "Problem",
    "SaveResult",
    "check_question",
    "form_data_from_version",
    "raw_from_form",
    "save_question",
]
