"""Document assembly: database rows → plain context dicts for the print templates.

Loading reads the current version of each question of a quiz, in quiz order. Laying out a
variant shuffles with ``random.Random`` seeded from (seed, variant letter), so the same seed
always gives the same worksheet. The student's context never holds a correct answer: answers
are computed only when ``with_key`` is asked for.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup
from sqlalchemy import select

from quizapp.questions import get_type
from quizapp.quizzes.generation import VARIANT_LETTERS, variant_seed
from quizapp.rendering import markdown_inline, markdown_to_html

LETTERS = string.ascii_uppercase
DEFAULT_SEED = 1990
PAGE_SIZES = {"a4": "A4", "letter": "Letter"}

INSTRUCTIONS = {
    "single_choice": "Fill in the circle of the one best answer.",
    "multiple_response": "Tick the box of every answer that applies.",
    "true_false": "Fill in the circle of True or False.",
    "short_answer": "Write a word or a short phrase.",
    "numeric": "Write a number in the box.",
    "ordering": "Number the boxes in order: 1 for the first, and so on.",
    "matching": "Write the letter of the matching answer in each box. One answer is not used.",
    "cloze": "Write the missing word or phrase on each numbered line.",
}


class PrintError(Exception):
    """A document cannot be built; the message names the question or object at fault."""


@dataclass
class PrintQuestion:
    """The printable content of one question version (from the bank or a test)."""

    slug: str
    qtype: str
    prompt: str
    body: dict[str, Any]
    explanation: str = ""
    source_refs: list[str] = field(default_factory=list)
    points: float = 1.0
    version: int = 1
    stimulus: dict[str, Any] | None = None
    prompt_html: Markup = field(default_factory=Markup)

    def __post_init__(self):
        self.prompt_html = markdown_inline(self.prompt)


def normalise_variant(letter: str | None) -> str:
    """An upper-case variant letter, 'A' by default; ValueError for an unknown one."""
    letter = (letter or "A").strip().upper()
    if len(letter) != 1 or letter not in VARIANT_LETTERS:
        raise ValueError(f"unknown variant {letter!r}; use one of {', '.join(VARIANT_LETTERS)}")
    return letter


def normalise_size(size: str | None) -> str:
    """'a4' or 'letter' (default a4); ValueError otherwise."""
    size = (size or "a4").strip().lower()
    if size not in PAGE_SIZES:
        raise ValueError(f"unknown page size {size!r}; use a4 or letter")
    return size


def quiz_seed(quiz) -> int:
    """The seed a quiz prints with unless another is given."""
    return quiz.seed if quiz.seed is not None else DEFAULT_SEED


def _stimulus_dict(stimulus) -> dict[str, Any] | None:
    if stimulus is None:
        return None
    return {
        "slug": stimulus.slug,
        "title": stimulus.title,
        "body_html": markdown_to_html(stimulus.body),
        "citation_html": markdown_inline(stimulus.citation),
    }


def load_questions(quiz) -> list[PrintQuestion]:
    """The current version of each question of ``quiz``, in the quiz's order."""
    questions = []
    stimuli: dict[int, dict[str, Any] | None] = {}
    for item in quiz.items:
        question = item.question
        version = question.current_version
        if version is None:
            raise PrintError(f"Question {question.slug} has no current version to print.")
        if version.stimulus_id is not None and version.stimulus_id not in stimuli:
            stimuli[version.stimulus_id] = _stimulus_dict(version.stimulus)
        questions.append(
            PrintQuestion(
                slug=question.slug,
                qtype=version.qtype,
                prompt=version.prompt,
                body=version.body if isinstance(version.body, dict) else {},
                explanation=version.explanation or "",
                source_refs=list(version.source_refs or []),
                points=item.points if item.points is not None else version.points,
                version=version.number,
                stimulus=stimuli.get(version.stimulus_id) if version.stimulus_id else None,
            )
        )
    return questions


def _blocks(questions: list[PrintQuestion]) -> list[list[PrintQuestion]]:
    """Consecutive questions sharing a stimulus stay together (the stimulus prints once)."""
    blocks: list[list[PrintQuestion]] = []
    for question in questions:
        stim = question.stimulus["slug"] if question.stimulus else None
        last = blocks[-1][-1] if blocks else None
        if stim and last is not None and last.stimulus and last.stimulus["slug"] == stim:
            blocks[-1].append(question)
        else:
            blocks.append([question])
    return blocks


def _fmt_points(points: float) -> str:
    return str(int(points)) if float(points).is_integer() else f"{points:g}"


def _key_for(question: PrintQuestion, view: dict[str, Any]) -> dict[str, Any]:
    """What the answer key shows for one laid-out question: letters/numbers to mark with."""
    qtype, body = get_type(question.qtype), question.body
    key: dict[str, Any] = {"text": qtype.describe_correct(body)}
    if question.qtype in ("single_choice", "multiple_response"):
        right = {o["key"] for o in body["options"] if o["correct"]}
        key["marks"] = ", ".join(
            LETTERS[i] for i, option in enumerate(view["options"]) if option["key"] in right
        )
    elif question.qtype == "ordering":
        positions = qtype.correct_answer(body)
        key["marks"] = ", ".join(str(positions[item["key"]]) for item in view["items"])
        key["marks_label"] = "Boxes, top to bottom"
    elif question.qtype == "matching":
        letters = {c["key"]: LETTERS[i] for i, c in enumerate(view["choices"])}
        right = qtype.correct_answer(body)
        key["marks"] = ", ".join(
            f"{n}–{letters[right[left['key']]]}" for n, left in enumerate(view["lefts"], start=1)
        )
    return key


def layout_question(
    question: PrintQuestion, number: int, rng: random.Random, with_key: bool
) -> dict[str, Any]:
    """One question as the print partials expect it; raises PrintError naming a broken one."""
    try:
        qtype = get_type(question.qtype)
        view = qtype.public_view(question.body, rng)
        if question.qtype == "cloze":
            view = {
                **view,
                "parts": [
                    {"html": markdown_inline(p["text"])} if "text" in p else p
                    for p in view["parts"]
                ],
            }
        key = _key_for(question, view) if with_key else None
    except PrintError:
        raise
    except Exception as exc:  # a malformed body in the bank must not break a class set
        detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc) or type(exc).__name__
        raise PrintError(
            f"Question {question.slug} (version {question.version}, {question.qtype}) "
            f"cannot be printed: {detail}."
        ) from exc
    laid = {
        "number": number,
        "slug": question.slug,
        "qtype": question.qtype,
        "prompt_html": question.prompt_html,
        "points": _fmt_points(question.points),
        "instruction": INSTRUCTIONS.get(question.qtype, ""),
        "view": view,
        "letters": LETTERS,
    }
    if with_key:
        laid["key"] = key
        laid["explanation_html"] = markdown_to_html(question.explanation)
        laid["sources"] = list(question.source_refs)
    return laid


def layout_variant(
    questions: list[PrintQuestion], seed: int, variant: str, with_key: bool = False
) -> list[dict[str, Any]]:
    """The blocks of one variant: A keeps the quiz's order; B, C … shuffle the questions.
    Options, items and choices are shuffled in every variant."""
    rng = random.Random(variant_seed(seed, variant))
    blocks = _blocks(questions)
    if variant != "A":
        rng.shuffle(blocks)
    laid, number = [], 0
    for block in blocks:
        items = []
        for question in block:
            number += 1
            items.append(layout_question(question, number, rng, with_key))
        laid.append({"stimulus": block[0].stimulus, "questions": items})
    return laid


def _total_points(questions: list[PrintQuestion]) -> str:
    return _fmt_points(sum(q.points for q in questions))


def sheet_context(
    *,
    title: str,
    questions: list[PrintQuestion],
    seed: int,
    variant: str = "A",
    size: str = "a4",
    description: str = "",
    student_name: str | None = None,
    class_name: str | None = None,
    due: date | None = None,
    qr: dict[str, str] | None = None,
    with_key: bool = False,
) -> dict[str, Any]:
    """Everything a worksheet (or, ``with_key``, its answer key) needs."""
    return {
        "kind": "key" if with_key else "worksheet",
        "title": title,
        "description_html": markdown_to_html(description),
        "variant": variant,
        "seed": seed,
        "page_size": PAGE_SIZES[size],
        "student_name": student_name,
        "class_name": class_name,
        "due": due.strftime("%-d %B %Y") if due else None,
        "blocks": layout_variant(questions, seed, variant, with_key),
        "question_count": len(questions),
        "total_points": _total_points(questions),
        "qr": qr,
        "types": sorted({q.qtype for q in questions}),
    }


def key_context(
    *,
    title: str,
    questions: list[PrintQuestion],
    seed: int,
    variants: list[str],
    size: str = "a4",
    sources: dict[str, dict[str, str]] | None = None,
    roster: list[dict[str, str]] | None = None,
    class_name: str | None = None,
) -> dict[str, Any]:
    """An answer key for one or more variants, with the roster of who got which variant."""
    keys = [
        sheet_context(
            title=title, questions=questions, seed=seed, variant=v, size=size, with_key=True
        )
        for v in variants
    ]
    used = sorted({ref for q in questions for ref in q.source_refs})
    return {
        "kind": "key",
        "title": title,
        "seed": seed,
        "page_size": PAGE_SIZES[size],
        "class_name": class_name,
        "variants": keys,
        "roster": roster or [],
        "sources": [(ref, (sources or {}).get(ref)) for ref in used],
        "question_count": len(questions),
        "total_points": _total_points(questions),
    }


def source_titles(session, refs) -> dict[str, dict[str, str]]:
    """Titles and links of the cited sources, by key (``seed:3`` cites the seed's paragraph)."""
    from quizapp.models import Source

    keys = {ref.split(":", 1)[0] for ref in refs}
    found = {}
    for source in session.scalars(select(Source).where(Source.key.in_(keys))):
        found[source.key] = {"title": source.title, "url": source.url}
    out = {}
    for ref in refs:
        base, _, paragraph = ref.partition(":")
        if base in found:
            entry = dict(found[base])
            if paragraph:
                entry["title"] = f"{entry['title']}, paragraph {paragraph}"
            out[ref] = entry
    return out


def class_roster(students, variants: list[str]) -> list[dict[str, str]]:
    """Students (sorted by name) and the variant each receives, in turn A, B, C, A …"""
    ordered = sorted(students, key=lambda s: (s.display_name.casefold(), s.id))
    return [
        {"name": s.display_name, "variant": variants[i % len(variants)], "student_id": s.id}
        for i, s in enumerate(ordered)
    ]


def handout_context(lesson, questions: dict[str, PrintQuestion], size: str = "a4") -> dict:
    """A lesson handout: text, timeline, key terms and the check questions (no answers)."""
    rng = random.Random(variant_seed(DEFAULT_SEED, "A"))
    sections, number = [], 0
    for section in lesson.sections or []:
        checks = []
        for slug in section.get("checks", []):
            if slug in questions:
                number += 1
                checks.append(layout_question(questions[slug], number, rng, with_key=False))
        sections.append(
            {
                "heading": section.get("heading", ""),
                "body_html": markdown_to_html(section.get("body", "")),
                "checks": checks,
            }
        )
    return {
        "kind": "handout",
        "title": lesson.title,
        "summary_html": markdown_inline(lesson.summary),
        "minutes": lesson.estimated_minutes,
        "objectives": [markdown_inline(o) for o in lesson.objectives or []],
        "timeline": [
            {"date": t.get("date", ""), "event_html": markdown_inline(t.get("event", ""))}
            for t in lesson.timeline or []
        ],
        "key_terms": [
            {"term": k.get("term", ""), "definition_html": markdown_inline(k.get("definition", ""))}
            for k in lesson.key_terms or []
        ],
        "sections": sections,
        "sources": list(lesson.source_refs or []),
        "page_size": PAGE_SIZES[size],
        "check_count": number,
    }
