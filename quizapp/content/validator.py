"""Checks across files: ids unique, references resolving, blueprints satisfiable, house style.

The loader reports what is wrong inside one item; this module reports what is wrong between
items. ``validate_bundle`` returns every problem, sorted by file and line.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from quizapp.content.specs import ContentBundle, ContentProblem, QuestionSpec

# The seed article's evaluative words (CONTENT.md, "Voice"): allowed only inside a stimulus.
EVALUATIVE_WORDS = re.compile(
    r"\b(heroic|heroism|heroes?|slaughter(ed|s)?|the enemy|enemies|victorious|"
    r"commander-in-chief|glorious|treacherous|barbaric|bloody)\b",
    re.IGNORECASE,
)


def question_cards(questions: list[QuestionSpec]):
    """Generation cards for parsed questions."""
    from quizapp.quizzes.generation import QuestionCard  # generation imports content.specs

    return [QuestionCard(q.id, q.topic, q.difficulty, q.type, tuple(q.tags)) for q in questions]


def normalised_stem(text: str) -> str:
    """A question stem reduced to letters and digits, for finding duplicates."""
    return re.sub(r"[^\w]+", " ", text.casefold()).strip()


def source_ref_resolves(ref: str, sources: dict[str, int | None]) -> bool:
    """Whether a reference names a known source (``seed:N`` within the seed's paragraphs)."""
    if ref.startswith("seed:"):
        paragraphs = sources.get("seed")
        number = int(ref.split(":", 1)[1])
        return paragraphs is not None and 1 <= number <= paragraphs
    return ref in sources


def validate_bundle(
    bundle: ContentBundle,
    known_sources: dict[str, int | None] | None = None,
    known_topics: set[str] | None = None,
    known_questions: set[str] | None = None,
    known_stimuli: set[str] | None = None,
) -> list[ContentProblem]:
    """Every problem in the bundle: the loader's, then cross-file ones.

    ``known_*`` add what is already in the database, so a single new file can be validated
    against the imported bank.
    """
    problems = list(bundle.problems)

    def add(spec, field, message, line=None):
        problems.append(
            ContentProblem(
                spec.path,
                line or spec.line,
                getattr(spec, "id", "") or getattr(spec, "key", ""),
                field,
                message,
            )
        )

    # Unique ids per kind.
    for kind in ("topics", "sources", "stimuli", "questions", "lessons", "quizzes", "modules"):
        seen: dict[str, object] = {}
        for spec in getattr(bundle, kind):
            key = getattr(spec, "id", None) or getattr(spec, "key", "")
            if not key:
                continue
            if key in seen:
                first = seen[key]
                add(
                    spec, "id", f"duplicate id {key!r} (first defined at {first.path}:{first.line})"
                )
            else:
                seen[key] = spec
    lesson_quiz_ids = {lesson.quiz_id for lesson in bundle.lessons}
    for quiz in bundle.quizzes:
        if quiz.id in lesson_quiz_ids:
            add(
                quiz,
                "id",
                f"{quiz.id!r} is reserved for the quiz of lesson {quiz.id.removesuffix('-quiz')!r}",
            )

    sources = {s.key: s.paragraphs for s in bundle.sources} | (known_sources or {})
    topics = {t.id for t in bundle.topics} | (known_topics or set())
    stimuli = {s.id for s in bundle.stimuli} | (known_stimuli or set())
    questions = {q.id: q for q in bundle.questions}
    all_question_ids = set(questions) | (known_questions or set())

    def check_refs(spec, refs, field="sources", line=None):
        for ref in refs:
            if not source_ref_resolves(ref, sources):
                add(
                    spec,
                    field,
                    f"source {ref!r} is not in the source list"
                    if not ref.startswith("seed:")
                    else f"{ref!r}: the seed article has {sources.get('seed') or 'no'} paragraphs",
                    line,
                )

    for stimulus in bundle.stimuli:
        check_refs(stimulus, stimulus.sources)

    stems: dict[str, QuestionSpec] = {}
    for question in bundle.questions:
        if question.topic and question.topic not in topics:
            add(question, "topic", f"unknown topic {question.topic!r}", question.line_of("topic"))
        if question.stimulus and question.stimulus not in stimuli:
            add(
                question,
                "stimulus",
                f"unknown stimulus {question.stimulus!r}",
                question.line_of("stimulus"),
            )
        check_refs(question, question.sources, line=question.line_of("sources"))
        stem = normalised_stem(question.prompt)
        if stem and stem in stems:
            first = stems[stem]
            add(
                question,
                "prompt",
                f"same stem as {first.id} ({first.path}:{first.line})",
                question.line_of("prompt"),
            )
        elif stem:
            stems[stem] = question
        for field, text in _style_texts(question):
            match = EVALUATIVE_WORDS.search(text)
            if match:
                add(
                    question,
                    field,
                    f"uses the evaluative word {match.group(0)!r}; keep it to a marked stimulus excerpt",
                    question.line_of(field),
                )

    cards = question_cards(bundle.questions)
    for lesson in bundle.lessons:
        if lesson.topic and lesson.topic not in topics:
            add(lesson, "topic", f"unknown topic {lesson.topic!r}", lesson.field_lines.get("topic"))
        check_refs(lesson, lesson.sources, line=lesson.field_lines.get("sources"))
        for section in lesson.sections:
            check_refs(lesson, section.sources, "sections", section.line)
            for check in section.checks:
                if check not in all_question_ids:
                    add(lesson, "checks", f"check question {check!r} does not exist", section.line)
        for event in lesson.timeline:
            check_refs(lesson, event["sources"], "timeline", lesson.field_lines.get("timeline"))
        _check_blueprint(
            lesson, lesson.blueprint, topics, cards, add, lesson.field_lines.get("blueprint")
        )

    for quiz in bundle.quizzes:
        for question_id in quiz.questions:
            if question_id not in all_question_ids:
                add(quiz, "questions", f"question {question_id!r} does not exist")
        if quiz.blueprint is not None:
            _check_blueprint(quiz, quiz.blueprint, topics, cards, add)

    lesson_ids = {lesson.id for lesson in bundle.lessons}
    quiz_ids = {q.id for q in bundle.quizzes} | lesson_quiz_ids
    for module in bundle.modules:
        for kind, ref in module.items:
            if (kind == "lesson" and ref not in lesson_ids) or (
                kind == "quiz" and ref not in quiz_ids
            ):
                add(module, "items", f"{kind} {ref!r} does not exist")
    return sorted(set(problems), key=lambda p: (p.path, p.line, p.item_id, p.field, p.message))


def _style_texts(question: QuestionSpec):
    yield "prompt", question.prompt
    yield "explanation", question.explanation
    for option in question.body.get("options", []) or []:
        if isinstance(option, dict) and "correct" in option:
            yield "options", option["text"]


def _check_blueprint(owner, blueprint, topics, cards, add, line=None):
    for row in blueprint.rows:
        if row.topic and row.topic not in topics:
            add(owner, "blueprint", f"unknown topic {row.topic!r}", line)
    if blueprint.rows and cards:
        from quizapp.quizzes.generation import generate_quiz

        generated = generate_quiz(cards, blueprint, seed=1)
        for shortfall in generated.shortfalls:
            add(owner, "blueprint", str(shortfall), line)


def count_by(questions: list[QuestionSpec], attribute: str) -> dict[str, int]:
    """Questions counted by one attribute, keys sorted."""
    counter = Counter(str(getattr(q, attribute)) for q in questions)
    return dict(sorted(counter.items()))


def content_stats(bundle: ContentBundle) -> dict:
    """Counts for ``quizapp content stats``."""
    by_topic: dict[str, int] = defaultdict(int)
    for question in bundle.questions:
        by_topic[question.topic] += 1
    return {
        "questions": len(bundle.questions),
        "by_type": count_by(bundle.questions, "type"),
        "by_topic": dict(sorted(by_topic.items())),
        "by_difficulty": count_by(bundle.questions, "difficulty"),
        "by_cognitive_level": count_by(bundle.questions, "cognitive"),
        "source_work": sum(1 for q in bundle.questions if q.stimulus),
        "topics": len(bundle.topics),
        "lessons": len(bundle.lessons),
        "modules": len(bundle.modules),
        "quizzes": len(bundle.quizzes),
        "stimuli": len(bundle.stimuli),
        "sources": len(bundle.sources),
    }
