"""Machine checks for the curated question bank, lessons, quizzes and modules.

These tests read the real content folders (``question_bank/`` and ``lessons/``) and fail when the
content breaks the rules of ``CONTENT.md`` or falls below the course's targets. They are pure:
no database and no app. A failing test names the question, lesson or module at fault.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from quizapp.content import load_content, validate_bundle
from quizapp.content.specs import QuestionSpec
from quizapp.content.validator import question_cards
from quizapp.questions import QUESTION_TYPES
from quizapp.quizzes.generation import generate_quiz
from quizapp.resources import content_paths

BUNDLE = load_content(content_paths())
QUESTIONS = BUNDLE.questions
QUESTIONS_BY_ID = {q.id: q for q in QUESTIONS}
TOPIC_IDS = [t.id for t in BUNDLE.topics]
SOURCES = {s.key: s.paragraphs for s in BUNDLE.sources}
STIMULI = {s.id: s for s in BUNDLE.stimuli}
CHOICE_TYPES = ("single_choice", "multiple_response")

# Targets for the whole bank.
MIN_QUESTIONS = 160
MIN_PER_TYPE = 10
MIN_PER_TOPIC = 15
MIN_DIFFICULTY_SHARE = 0.25
MIN_SOURCE_WORK = 20
MIN_STIMULI_USED = 8
MIN_EXPLANATION_CHARS = 60
MIN_LESSONS = 7
MIN_CHECKS_PER_LESSON = 3
LESSON_WORDS = (1300, 3200)  # 10–20 minutes at about 130–160 words a minute
MAX_STIMULUS_WORDS = 120

# The seed article's evaluative words: allowed only inside a stimulus (a marked source excerpt).
EVALUATIVE = re.compile(
    r"\b(heroic|heroism|hero(es|ine|ines)?|slaughter(s|ed|ing)?|the enemy|enemies|"
    r"victorious|commander[- ]in[- ]chief|glorious|treacherous|barbaric|bloody)\b",
    re.IGNORECASE,
)

# Options that dodge the question or combine other options (broader than the loader's check).
DODGING_OPTION = re.compile(
    r"\b(all|none|both|neither|either|any)\s+of\s+(the\s+)?"
    r"(above|below|others?|options|answers|choices)\b"
    r"|\b(all|none|both|neither|either|any)\s+of\s+(these|those|them)\s*[.!?]?\s*$"
    r"|\b(all|none)\s+(the\s+)?(above|answers|options|choices)\b"
    r"|\ball\s+(are|is)\s+(correct|true|right)\b"
    r"|\b(options?|answers?|choices?)\s+[A-E1-5]\b",
    re.IGNORECASE,
)
LETTER_COMBINATION = re.compile(  # "A and B", "(a) & (c)", "I and II": case matters here
    r"(?<![\w.])\(?([A-E]|[a-e]|I{1,3}|IV)\)?\s*(and|&|or|\+|,)\s*\(?([A-E]|[a-e]|I{1,3}|IV)\)?(?![\w.])"
)

DEATH_WORDS = re.compile(r"\b(killed|dead|deaths?|casualt\w*)\b", re.IGNORECASE)
ATTRIBUTION_WORDS = re.compile(
    r"\b(according to|said|says|official|reported|reports?|figures?)\b", re.IGNORECASE
)


def _ids(items, attribute="id"):
    return [getattr(item, attribute) for item in items]


def normalised_stem(text: str) -> str:
    """Letters and digits only, case-folded and single-spaced."""
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def learner_texts(question: QuestionSpec):
    """Every text a learner reads that is not a stimulus: (field, text) pairs."""
    yield "prompt", question.prompt
    yield "explanation", question.explanation
    body = question.body
    for option in body.get("options", []) or []:
        yield "options", option["text"]
    for item in body.get("items", []) or []:
        yield "items", item["text"]
    for pair in body.get("pairs", []) or []:
        yield "pairs", pair["left"]
        yield "pairs", pair["right"]
    for distractor in body.get("distractors", []) or []:
        yield "distractors", distractor["text"]
    if question.type == "cloze":
        yield "text", body.get("text", "")
        for blank in body.get("blanks", []):
            for option in blank.get("options", []) or []:
                yield "blank options", option["text"]


def resolves(ref: str) -> bool:
    if ref.startswith("seed:"):
        paragraphs = SOURCES.get("seed")
        return paragraphs is not None and 1 <= int(ref.split(":", 1)[1]) <= paragraphs
    return ref in SOURCES


# --- The bank as a whole -----------------------------------------------------------------------


def test_validator_reports_no_problems():
    problems = [str(p) for p in validate_bundle(BUNDLE)]
    assert problems == [], "\n".join(problems)


def test_bank_has_enough_questions():
    assert len(QUESTIONS) >= MIN_QUESTIONS


@pytest.mark.parametrize("qtype", sorted(QUESTION_TYPES))
def test_each_question_type_is_used_enough(qtype):
    count = sum(1 for q in QUESTIONS if q.type == qtype)
    assert count >= MIN_PER_TYPE, f"{qtype}: {count} questions, need {MIN_PER_TYPE}"


def test_there_are_seven_topics():
    assert len(TOPIC_IDS) == 7


@pytest.mark.parametrize("topic", TOPIC_IDS)
def test_each_topic_has_enough_questions(topic):
    count = sum(1 for q in QUESTIONS if q.topic == topic)
    assert count >= MIN_PER_TOPIC, f"{topic}: {count} questions, need {MIN_PER_TOPIC}"


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_difficulties_are_balanced(difficulty):
    share = sum(1 for q in QUESTIONS if q.difficulty == difficulty) / max(len(QUESTIONS), 1)
    assert share >= MIN_DIFFICULTY_SHARE, f"difficulty {difficulty}: {share:.0%} of the bank"


def test_enough_source_work_on_enough_stimuli():
    source_work = [q for q in QUESTIONS if q.stimulus]
    used = {q.stimulus for q in source_work if q.stimulus in STIMULI}
    assert len(source_work) >= MIN_SOURCE_WORK
    assert len(used) >= MIN_STIMULI_USED


def test_no_two_questions_share_a_stem():
    seen: dict[str, str] = {}
    duplicates = []
    for question in QUESTIONS:
        stem = normalised_stem(question.prompt)
        if stem in seen:
            duplicates.append(f"{question.id} repeats the stem of {seen[stem]}")
        seen.setdefault(stem, question.id)
    assert duplicates == []


# --- Each question -----------------------------------------------------------------------------


@pytest.mark.parametrize("question", QUESTIONS, ids=_ids(QUESTIONS))
def test_question_teaches_and_cites(question):
    assert len(question.explanation.strip()) >= MIN_EXPLANATION_CHARS, "explanation too short"
    assert question.sources, "no source"
    unresolved = [ref for ref in question.sources if not resolves(ref)]
    assert unresolved == [], f"unknown source references: {unresolved}"
    assert 1 <= len(question.tags) <= 4, "give 1 to 4 tags"
    assert all(tag == tag.lower() for tag in question.tags), "tags are lower-case"


CHOICE_QUESTIONS = [q for q in QUESTIONS if q.type in CHOICE_TYPES]


@pytest.mark.parametrize("question", CHOICE_QUESTIONS, ids=_ids(CHOICE_QUESTIONS))
def test_choice_options(question):
    options = question.body.get("options", [])
    correct = sum(1 for o in options if o["correct"])
    assert 3 <= len(options) <= 5, f"{len(options)} options"
    if question.type == "single_choice":
        assert correct == 1
    else:
        assert 2 <= correct < len(options)


@pytest.mark.parametrize("question", QUESTIONS, ids=_ids(QUESTIONS))
def test_no_dodging_or_combined_options(question):
    texts = [o["text"] for o in question.body.get("options", []) or []]
    texts += [p["right"] for p in question.body.get("pairs", []) or []]
    texts += [d["text"] for d in question.body.get("distractors", []) or []]
    bad = [t for t in texts if DODGING_OPTION.search(t) or LETTER_COMBINATION.search(t)]
    assert bad == []


@pytest.mark.parametrize("question", QUESTIONS, ids=_ids(QUESTIONS))
def test_no_evaluative_words_outside_stimuli(question):
    found = [
        f"{field}: {match.group(0)!r}"
        for field, text in learner_texts(question)
        if (match := EVALUATIVE.search(text))
    ]
    assert found == []


NUMERIC_DEATH_QUESTIONS = [
    q for q in QUESTIONS if q.type == "numeric" and DEATH_WORDS.search(q.prompt)
]


@pytest.mark.parametrize("question", NUMERIC_DEATH_QUESTIONS, ids=_ids(NUMERIC_DEATH_QUESTIONS))
def test_casualty_numbers_are_attributed_in_the_prompt(question):
    assert ATTRIBUTION_WORDS.search(question.prompt), "say whose figure it is"


def test_attribution_check_sees_an_unattributed_prompt():
    assert DEATH_WORDS.search("How many people were killed in Baku?")
    assert not ATTRIBUTION_WORDS.search("How many people were killed in Baku?")


@pytest.mark.parametrize(
    "text",
    ["All of the above", "none of these", "Both A and B", "A and C", "(a) & (b)", "I and II"],
)
def test_dodging_patterns_are_caught(text):
    assert DODGING_OPTION.search(text) or LETTER_COMBINATION.search(text)


@pytest.mark.parametrize(
    "text",
    [
        "D. Yazov and V. Kryuchkov",
        "More than four months, or a year",
        "All of those killed were Azerbaijanis.",
    ],
)
def test_ordinary_options_are_not_flagged(text):
    assert not DODGING_OPTION.search(text) and not LETTER_COMBINATION.search(text)


# --- Stimuli -----------------------------------------------------------------------------------


@pytest.mark.parametrize("stimulus", BUNDLE.stimuli, ids=_ids(BUNDLE.stimuli))
def test_stimulus_is_short_and_cited(stimulus):
    words = len(stimulus.text.split())
    assert words <= MAX_STIMULUS_WORDS, f"{words} words"
    assert stimulus.citation.strip(), "no citation"
    assert stimulus.sources and all(resolves(ref) for ref in stimulus.sources)


# --- Lessons -----------------------------------------------------------------------------------

CARDS = question_cards(QUESTIONS)


def test_every_topic_has_a_lesson():
    assert len(BUNDLE.lessons) >= MIN_LESSONS
    missing = sorted(set(TOPIC_IDS) - {lesson.topic for lesson in BUNDLE.lessons})
    assert missing == []


@pytest.mark.parametrize("lesson", BUNDLE.lessons, ids=_ids(BUNDLE.lessons))
def test_lesson_checks_exist(lesson):
    assert len(lesson.check_ids) >= MIN_CHECKS_PER_LESSON
    assert [c for c in lesson.check_ids if c not in QUESTIONS_BY_ID] == []


@pytest.mark.parametrize("lesson", BUNDLE.lessons, ids=_ids(BUNDLE.lessons))
def test_lesson_blueprint_can_be_filled(lesson):
    assert lesson.blueprint.rows, "no blueprint"
    generated = generate_quiz(CARDS, lesson.blueprint, seed=lesson.quiz_seed)
    assert [str(s) for s in generated.shortfalls] == []


@pytest.mark.parametrize("lesson", BUNDLE.lessons, ids=_ids(BUNDLE.lessons))
def test_lesson_has_objectives_terms_and_sources(lesson):
    assert lesson.objectives and lesson.key_terms
    assert all(section.sources for section in lesson.sections)
    unresolved = [
        ref for section in lesson.sections for ref in section.sources if not resolves(ref)
    ]
    assert unresolved == []


@pytest.mark.parametrize("lesson", BUNDLE.lessons, ids=_ids(BUNDLE.lessons))
def test_lesson_reading_time(lesson):
    low, high = LESSON_WORDS
    assert low <= lesson.word_count <= high, f"{lesson.word_count} words of section text"


# --- Quizzes and modules -----------------------------------------------------------------------

MODULES = {m.id: m for m in BUNDLE.modules}
QUIZZES = {q.id: q for q in BUNDLE.quizzes}


def test_sampler_quiz_has_every_question_type():
    sampler = QUIZZES["example-quiz"]
    types = Counter(QUESTIONS_BY_ID[q].type for q in sampler.questions if q in QUESTIONS_BY_ID)
    assert set(types) == set(QUESTION_TYPES)


def test_final_quiz_covers_every_topic():
    final = QUIZZES["final-quiz"]
    assert final.blueprint is not None
    assert {row.topic for row in final.blueprint.rows} == set(TOPIC_IDS)
    generated = generate_quiz(CARDS, final.blueprint, seed=final.seed)
    assert generated.complete, [str(s) for s in generated.shortfalls]


def test_full_course_includes_every_lesson_and_ends_with_the_final_quiz():
    course = MODULES["full-course"]
    lessons_in_course = {ref for kind, ref in course.items if kind == "lesson"}
    assert lessons_in_course == {lesson.id for lesson in BUNDLE.lessons}
    assert course.items[-1] == ("quiz", "final-quiz")


def test_a_45_minute_module_with_a_lesson_exists():
    assert any(
        module.minutes == 45 and any(kind == "lesson" for kind, _ in module.items)
        for module in BUNDLE.modules
    )
