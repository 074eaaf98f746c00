"""A teacher's questions as YAML: export, import back unchanged, and refusals."""

from __future__ import annotations

import yaml
from sqlalchemy import func, select

from quizapp.authoring.questions import save_question
from quizapp.authoring.yaml_io import export_yaml, import_yaml, own_questions
from quizapp.content import load_content
from quizapp.content.validator import validate_bundle
from quizapp.extensions import db
from quizapp.models import Question, QuestionVersion
from quizapp.questions import QUESTION_TYPES
from tests.authoring.factories import VALID_TYPE_DATA, common, load_test_bank
from tests.helpers import gen_teacher


def version_count() -> int:
    return db.session.scalar(select(func.count()).select_from(QuestionVersion))


def author_every_type(teacher):
    for qtype in QUESTION_TYPES:
        data = common(prompt=f"Exported {qtype} question?", points="2.5")
        data.update(VALID_TYPE_DATA[qtype])
        result, _ = save_question(db.session, teacher, qtype, data)
        assert result.problems == {}
    db.session.commit()


def test_export_then_import_writes_nothing(ctx, tmp_path):
    load_test_bank()
    teacher = gen_teacher()
    author_every_type(teacher)
    text = export_yaml(own_questions(db.session, teacher))
    assert len(yaml.safe_load(text)["questions"]) == len(QUESTION_TYPES)
    before = version_count()
    outcome = import_yaml(db.session, teacher, text)
    db.session.commit()
    assert outcome.ok, [str(p) for p in outcome.problems]
    assert outcome.counts == {"unchanged": len(QUESTION_TYPES)}
    assert version_count() == before
    # The file is in the bank's format: the content validator accepts it beside the bank.
    (tmp_path / "mine.yaml").write_text(text, encoding="utf-8")
    bundle = load_content([tmp_path])
    assert bundle.problems == []
    problems = validate_bundle(
        bundle,
        known_sources={"DEC": None, "LAT-21": None, "seed": 12},
        known_topics={"night", "memory"},
    )
    assert problems == []


def test_import_changed_and_new_questions(ctx):
    load_test_bank()
    teacher = gen_teacher()
    author_every_type(teacher)
    text = export_yaml(own_questions(db.session, teacher))
    data = yaml.safe_load(text)
    data["questions"][0]["explanation"] = "A better explanation."
    new = dict(data["questions"][1], id="my-new-one", prompt="A brand-new imported question?")
    data["questions"].append(new)
    outcome = import_yaml(db.session, teacher, yaml.safe_dump(data, allow_unicode=True))
    db.session.commit()
    assert outcome.counts == {"new_version": 1, "created": 1, "unchanged": len(QUESTION_TYPES) - 1}
    changed = db.session.scalar(select(Question).where(Question.slug == data["questions"][0]["id"]))
    assert [v.number for v in changed.versions] == [1, 2]
    created = db.session.scalar(select(Question).where(Question.slug == "my-new-one"))
    assert created.owner_id == teacher.id


def test_import_refuses_others_questions_and_invalid_content_all_or_nothing(ctx):
    load_test_bank()
    teacher = gen_teacher()
    before = version_count()
    text = """questions:
  - id: fresh-one
    type: true_false
    topic: night
    difficulty: 1
    cognitive: remember
    prompt: "True or false: a valid new question."
    answer: true
    explanation: Yes.
    sources: [DEC]
    tags: [x]
  - id: n-city
    type: true_false
    topic: nowhere
    difficulty: 4
    cognitive: remember
    prompt: "True or false: this takes over a curated question."
    answer: true
    explanation: No.
    sources: [DEC]
    tags: [x]
"""
    outcome = import_yaml(db.session, teacher, text)
    assert not outcome.ok
    found = {(p.item_id, p.field, p.message) for p in outcome.problems}
    assert ("n-city", "id", "belongs to another author's question; give yours a new id") in found
    assert ("n-city", "difficulty", "must be 1, 2 or 3") in found
    assert ("n-city", "topic", "unknown topic 'nowhere'") in found
    assert all(p.line > 1 for p in outcome.problems)
    db.session.rollback()
    assert version_count() == before
    assert db.session.scalar(select(Question).where(Question.slug == "fresh-one")) is None


def test_import_of_malformed_yaml_names_the_line(ctx):
    load_test_bank()
    outcome = import_yaml(db.session, gen_teacher(), "questions:\n  - id: [unclosed\n")
    assert not outcome.ok and outcome.problems[0].field == "yaml"
