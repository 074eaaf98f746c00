"""A small, fixed question bank for the authoring and builder tests (independent of the
curated content, which changes as it is written)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from quizapp.content import load_content
from quizapp.content.importer import import_bundle
from quizapp.content.validator import validate_bundle
from quizapp.extensions import db

BANK_YAML = """
topics:
  - {id: night, title: The night of 19-20 January}
  - {id: memory, title: Memory and commemoration}
sources:
  - {key: seed, title: Seed article, paragraphs: 12}
  - {key: DEC, title: The decree}
  - {key: LAT-21, title: Los Angeles Times, 21 January 1990}
stimuli:
  - id: stim-figures
    title: Figures of 20 January
    text: The Interior Ministry said 51 had been killed.
    citation: LA Times [LAT-21]
    sources: [LAT-21]
questions:
  - id: n-decree
    type: single_choice
    topic: night
    difficulty: 1
    cognitive: remember
    prompt: Which body issued the decree of 19 January 1990?
    options:
      - {text: The Presidium of the USSR Supreme Soviet, correct: true}
      - The Supreme Soviet of the Azerbaijan SSR
      - The Council of Ministers
    explanation: The Presidium in Moscow issued it.
    sources: [DEC]
    tags: [decree, state-of-emergency]
  - id: n-television
    type: single_choice
    topic: night
    difficulty: 1
    cognitive: remember
    prompt: What happened to Azerbaijani television on the evening of 19 January?
    options:
      - {text: Its power unit was blown up, correct: true}
      - It broadcast the decree at noon
      - It moved to Moscow
    explanation: The power unit was blown up.
    sources: [DEC]
    tags: [television]
  - id: n-saturday
    type: true_false
    topic: night
    difficulty: 1
    cognitive: remember
    prompt: "True or false: 20 January 1990 was a Saturday."
    answer: true
    explanation: It was a Saturday.
    sources: [LAT-21]
    tags: [dates]
  - id: n-city
    type: short_answer
    topic: night
    difficulty: 1
    cognitive: remember
    prompt: Which city did the troops enter?
    accept: [Baku, Bakı]
    explanation: Baku.
    sources: ["seed:1"]
    tags: [places]
  - id: n-facts
    type: multiple_response
    topic: night
    difficulty: 2
    cognitive: understand
    prompt: Which TWO statements about 19 January are supported?
    options:
      - {text: Television was cut off, correct: true}
      - {text: The emergency began on 20 January, correct: true}
      - Troops had held the city for a week
      - The decree was broadcast at noon
    explanation: Both are in the sources.
    sources: [DEC]
    tags: [decree, television]
  - id: n-troops
    type: numeric
    topic: night
    difficulty: 2
    cognitive: remember
    prompt: About how many troops entered Baku?
    answer: 26000
    tolerance: 1000
    unit: troops
    explanation: About 26,000.
    sources: [DEC]
    tags: [numbers]
  - id: n-order
    type: ordering
    topic: night
    difficulty: 2
    cognitive: understand
    prompt: Put these events in order.
    items: [The decree was signed, Television went silent, Troops entered the city]
    explanation: In this order.
    sources: [DEC]
    tags: [chronology]
  - id: m-cloze
    type: cloze
    topic: memory
    difficulty: 1
    cognitive: remember
    prompt: Fill in the blanks about the day of mourning.
    text: On 20 January there is {{day}}; at {{time}} there is a minute's silence.
    blanks:
      day: [National Mourning Day]
      time: {accept: ["12:00"], options: ["09:00", "12:00", "18:00"]}
    explanation: Mourning Day, at noon.
    sources: [LAT-21]
    tags: [commemoration]
  - id: m-match
    type: matching
    topic: memory
    difficulty: 1
    cognitive: remember
    prompt: Match each place with what is there.
    pairs:
      - {left: Martyrs' Lane, right: Graves of the victims}
      - {left: Eternal Flame, right: A monument}
      - {left: Baku, right: The capital}
    distractors: [A museum of cars]
    explanation: As matched.
    sources: [LAT-21]
    tags: [commemoration, places]
  - id: m-lane
    type: single_choice
    topic: memory
    difficulty: 1
    cognitive: remember
    prompt: Where are many of the victims buried?
    options:
      - {text: Martyrs' Lane, correct: true}
      - The old town
      - The port
    explanation: At Martyrs' Lane.
    sources: [LAT-21]
    tags: [commemoration]
  - id: m-figures
    type: single_choice
    topic: memory
    difficulty: 2
    cognitive: analyse
    stimulus: stim-figures
    prompt: Why do the figures in the excerpt differ?
    options:
      - {text: They were counted at different moments, correct: true}
      - The newspaper mixed up two cities
      - The ministry counted the wounded
    explanation: Counts differ by time and interest.
    sources: [LAT-21]
    tags: [casualty-figures]
  - id: m-silence
    type: true_false
    topic: memory
    difficulty: 2
    cognitive: remember
    prompt: "True or false: the minute's silence is held at 18:00."
    answer: false
    explanation: It is held at noon.
    sources: [LAT-21]
    tags: [commemoration]
quizzes:
  - id: shared-quiz
    title: A curated quiz
    questions: [n-decree, n-saturday, m-lane]
modules:
  - id: shared-module
    title: A curated module
    items:
      - quiz: shared-quiz
"""

LESSON_MD = """---
id: night-lesson
title: The night lesson
topic: night
minutes: 10
summary: About the night.
objectives: [Describe the night.]
key_terms:
  - {term: Decree, definition: An order with the force of law.}
sources: [DEC]
blueprint:
  - {topic: night, difficulty: 1, count: 2}
---

## The decree

@sources DEC

On 19 January 1990 a decree was issued.

@check n-decree
"""


def load_test_bank() -> None:
    """Import the small test bank (topics, sources, 12 questions, a quiz, a lesson, a module)."""
    folder = Path(tempfile.mkdtemp(prefix="quizapp-bank-"))
    (folder / "bank.yaml").write_text(BANK_YAML, encoding="utf-8")
    (folder / "night-lesson.md").write_text(LESSON_MD, encoding="utf-8")
    bundle = load_content([folder])
    problems = validate_bundle(bundle)
    assert not problems, [str(p) for p in problems]
    import_bundle(db.session, bundle)
    db.session.commit()


def option_rows(*options: tuple[str, bool]) -> list[dict]:
    """Five option rows of the authoring form, the given ones first."""
    rows = [{"text": text, "correct": correct, "feedback": ""} for text, correct in options]
    return rows + [{"text": "", "correct": False, "feedback": ""}] * (5 - len(rows))


def common(**overrides) -> dict:
    """The common fields of a valid authoring form."""
    data = {
        "prompt": "On which date did the state of emergency in Baku begin?",
        "topic": "night",
        "difficulty": "1",
        "cognitive": "remember",
        "explanation": "The decree set it from 20 January.",
        "sources": "DEC",
        "tags": "decree, dates",
        "stimulus": "",
        "points": "1",
    }
    data.update(overrides)
    return data


VALID_TYPE_DATA = {
    "single_choice": {
        "options": option_rows(("20 January", True), ("15 January", False), ("22 January", False))
    },
    "multiple_response": {
        "options": option_rows(
            ("It began on 20 January", True),
            ("It covered Baku", True),
            ("It was announced a week early", False),
        )
    },
    "true_false": {"answer": "true"},
    "short_answer": {
        "accept": "20 January\n20 Jan",
        "case_sensitive": False,
        "ignore_diacritics": True,
    },
    "numeric": {"answer": "20", "tolerance": "", "unit": "January"},
    "ordering": {"items": "15 January decree\n19 January television\n20 January emergency"},
    "matching": {
        "pairs": [
            {"left": "15 January", "right": "Emergency in parts of Azerbaijan"},
            {"left": "19 January", "right": "Television cut off"},
            {"left": "20 January", "right": "Emergency in Baku"},
        ]
        + [{"left": "", "right": ""}] * 5,
        "distractors": "A parade",
    },
    "cloze": {
        "text": "The emergency began on {{day}} {{month}} 1990.",
        "blanks": "day: 20\nmonth: January | Jan",
        "case_sensitive": False,
        "ignore_diacritics": True,
    },
}
