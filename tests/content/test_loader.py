"""Content parsing and validation: every problem, with file and line, all at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from quizapp.content import load_content, validate_bundle
from quizapp.resources import content_paths, resource_path

TOPICS = textwrap.dedent("""\
    topics:
      - id: night
        title: The night
    sources:
      - key: seed
        title: Seed
        paragraphs: 3
      - key: DEC
        title: Decree
""")

GOOD_QUESTION = textwrap.dedent("""\
      - id: q-good
        type: single_choice
        topic: night
        difficulty: 1
        cognitive: remember
        prompt: Which city?
        options:
          - text: Baku
            correct: true
          - Ganja
          - Sumgait
        explanation: Baku is the capital.
        sources: [DEC, "seed:2"]
        tags: [places]
""")


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems_for(tmp_path: Path) -> list[str]:
    return [str(p) for p in validate_bundle(load_content([tmp_path]))]


def test_curated_content_is_valid():
    bundle = load_content(content_paths())
    assert [str(p) for p in validate_bundle(bundle)] == []
    assert bundle.questions and bundle.lessons and bundle.modules


def test_good_file_has_no_problems(tmp_path):
    write(tmp_path, "a.yaml", TOPICS + "questions:\n" + GOOD_QUESTION)
    assert problems_for(tmp_path) == []


def test_malformed_yaml_names_file_and_line(tmp_path):
    write(tmp_path, "a.yaml", TOPICS)
    path = write(
        tmp_path,
        "bad.yaml",
        "questions:\n  - id: x\n    prompt: [unclosed\n    type: single_choice\n",
    )
    problems = problems_for(tmp_path)
    assert len(problems) == 1
    assert problems[0].endswith(
        "bad.yaml:4: -: yaml: malformed YAML: expected ',' or ']', but got ':'"
    ), problems
    assert Path(problems[0].split(":")[0]).resolve() == path.resolve()


def test_every_problem_reported_at_once_with_lines(tmp_path):
    write(tmp_path, "a.yaml", TOPICS)
    write(
        tmp_path,
        "q.yaml",
        "questions:\n"
        + GOOD_QUESTION
        + textwrap.dedent("""\
      - id: q-good
        type: essay
        topic: night
      - id: q-no-correct
        type: single_choice
        topic: night
        difficulty: 2
        cognitive: understand
        prompt: Which body issued the decree?
        options: [One, Two, Three]
        explanation: Because.
        sources: [DEC]
        tags: [x]
      - id: q-impossible-numeric
        type: numeric
        topic: night
        difficulty: 4
        cognitive: remember
        prompt: How many?
        answer: many
        explanation: Because.
        sources: [NOPE, "seed:9"]
        tags: [x]
    """),
    )
    problems = problems_for(tmp_path)
    text = "\n".join(problems)
    assert "q.yaml:17: q-good: type: unknown type 'essay'" in text
    assert "q.yaml:25: q-no-correct: options: marks 0 options correct; exactly 1 must be" in text
    assert "q-impossible-numeric: answer: must be a number" in text
    assert "q-impossible-numeric: difficulty: must be 1, 2 or 3" in text
    assert "source 'NOPE' is not in the source list" in text
    assert "'seed:9': the seed article has 3 paragraphs" in text
    for line in problems:
        _path, line_number, rest = line.split(":", 2)
        assert int(line_number) > 0 and rest.strip()


def test_duplicate_id_across_files(tmp_path):
    write(tmp_path, "a.yaml", TOPICS + "questions:\n" + GOOD_QUESTION)
    write(
        tmp_path, "b.yaml", "questions:\n" + GOOD_QUESTION.replace("Which city?", "Which capital?")
    )
    problems = problems_for(tmp_path)
    assert any(
        "b.yaml:2: q-good: id: duplicate id 'q-good' (first defined at" in p for p in problems
    )


def test_duplicate_stem_is_reported(tmp_path):
    write(
        tmp_path,
        "a.yaml",
        TOPICS + "questions:\n" + GOOD_QUESTION + GOOD_QUESTION.replace("q-good", "q-twin"),
    )
    assert any("q-twin: prompt: same stem as q-good" in p for p in problems_for(tmp_path))


def test_lesson_naming_missing_question(tmp_path):
    write(tmp_path, "a.yaml", TOPICS + "questions:\n" + GOOD_QUESTION)
    write(
        tmp_path,
        "lesson.md",
        textwrap.dedent("""\
        ---
        id: l-one
        title: One
        topic: night
        minutes: 10
        objectives: [Know it]
        key_terms: [{term: Decree, definition: An order.}]
        sources: [DEC]
        blueprint:
          - {topic: night, count: 1}
        ---
        ## First
        @sources DEC
        Some text.
        @check q-good, q-missing
        """),
    )
    problems = problems_for(tmp_path)
    assert any(
        p.endswith("lesson.md:12: l-one: checks: check question 'q-missing' does not exist")
        for p in problems
    ), problems


def test_blueprint_that_cannot_be_filled(tmp_path):
    write(
        tmp_path,
        "a.yaml",
        TOPICS
        + "questions:\n"
        + GOOD_QUESTION
        + "quizzes:\n  - id: too-big\n    title: Big\n    blueprint:\n      - {topic: night, count: 5}\n",
    )
    assert any(
        "too-big: blueprint: asks for 5 of topic night but only 1 are available" in p
        for p in problems_for(tmp_path)
    )


def test_non_utf8_file(tmp_path):
    write(tmp_path, "a.yaml", TOPICS)
    write(
        tmp_path,
        "latin1.yaml",
        "questions:\n  - id: q\n    prompt: Şəhid\n".encode().replace(b"\xc5\x9e", b"\xde"),
    )
    problems = problems_for(tmp_path)
    assert any("latin1.yaml:3: -: encoding: is not UTF-8 (byte 0xde)" in p for p in problems), (
        problems
    )


def test_duplicate_key_in_mapping(tmp_path):
    write(
        tmp_path,
        "a.yaml",
        TOPICS
        + "questions:\n"
        + GOOD_QUESTION.replace("  tags: [places]\n", "  tags: [places]\n  prompt: Again?\n"),
    )
    assert any(": prompt: is given twice in the same mapping" in p for p in problems_for(tmp_path))


@pytest.mark.parametrize("option", ["All of the above", "None of these", "A and B", "Both of them"])
def test_options_that_combine_others_are_refused(tmp_path, option):
    write(
        tmp_path,
        "a.yaml",
        TOPICS + "questions:\n" + GOOD_QUESTION.replace("- Sumgait", f"- {option}"),
    )
    assert any("combines or dodges options" in p for p in problems_for(tmp_path))


def test_evaluative_words_refused_outside_stimulus(tmp_path):
    write(
        tmp_path,
        "a.yaml",
        TOPICS
        + "questions:\n"
        + GOOD_QUESTION.replace("Which city?", "Which city saw the heroic page?"),
    )
    assert any("uses the evaluative word 'heroic'" in p for p in problems_for(tmp_path))


def test_examples_cover_every_type():
    bundle = load_content([resource_path("question_bank") / "examples.yaml"])
    assert {q.type for q in bundle.questions} == {
        "single_choice",
        "multiple_response",
        "true_false",
        "short_answer",
        "numeric",
        "ordering",
        "matching",
        "cloze",
    }
