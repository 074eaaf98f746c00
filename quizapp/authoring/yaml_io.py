"""A teacher's own questions as YAML in the bank's file format, and back.

Export writes exactly what ``question_bank/*.yaml`` holds (``docs/content-format.md``); import
reads it with the content loader and validator, so a file that passes here passes
``quizapp content validate`` too. Exporting and importing again writes nothing: each question's
content hash is unchanged, so no new version is made.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from quizapp.authoring.access import may_edit
from quizapp.authoring.questions import store_spec, validate_questions
from quizapp.content.loader import _Collector, parse_yaml_file
from quizapp.content.specs import ContentBundle, ContentProblem
from quizapp.models import Question, QuestionVersion, User
from quizapp.questions import get_type

UPLOAD_PATH = "upload"


def version_content(slug: str, version: QuestionVersion) -> dict[str, Any]:
    """One question version as a mapping of the bank's YAML format."""
    item: dict[str, Any] = {
        "id": slug,
        "type": version.qtype,
        "topic": version.topic.slug,
        "difficulty": version.difficulty,
        "cognitive": version.cognitive_level,
    }
    if version.stimulus is not None:
        item["stimulus"] = version.stimulus.slug
    item["prompt"] = version.prompt
    item.update(get_type(version.qtype).to_content(version.body))
    item["explanation"] = version.explanation
    item["sources"] = list(version.source_refs or [])
    item["tags"] = list(version.tags or [])
    if version.points != 1:
        points = version.points
        item["points"] = int(points) if float(points).is_integer() else points
    return item


def own_questions(session: Session, user: User, ids: list[int] | None = None) -> list[Question]:
    """The user's own live questions (some of them, if ``ids``), with their current versions."""
    stmt = (
        select(Question)
        .where(Question.owner_id == user.id, Question.current_version_id.is_not(None))
        .options(
            selectinload(Question.current_version).selectinload(QuestionVersion.topic),
            selectinload(Question.current_version).selectinload(QuestionVersion.stimulus),
        )
        .order_by(Question.slug)
    )
    if ids is not None:
        stmt = stmt.where(Question.id.in_(ids))
    return list(session.scalars(stmt))


class _BankDumper(yaml.SafeDumper):
    """Writes short lists of plain values in flow style, as the bank's files do: [DEC, USE]."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(isinstance(v, (str, int, float)) for v in data) and len(repr(data)) <= 60
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_BankDumper.add_representer(list, _represent_list)


def export_yaml(questions: list[Question]) -> str:
    """YAML text of the questions' current versions (``questions:`` list)."""
    data = {"questions": [version_content(q.slug, q.current_version) for q in questions]}
    header = "# Questions exported from quizapp in the bank's format (docs/content-format.md).\n"
    return header + yaml.dump(
        data, Dumper=_BankDumper, sort_keys=False, allow_unicode=True, width=100
    )


@dataclass
class ImportOutcome:
    """What an import did or, when ``problems`` is not empty, why it wrote nothing."""

    counts: Counter = field(default_factory=Counter)
    problems: list[ContentProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing prevented the import."""
        return not self.problems

    def summary(self) -> str:
        """'2 new, 1 changed (new version), 3 unchanged'."""
        parts = [
            f"{self.counts[key]} {label}"
            for key, label in (
                ("created", "new"),
                ("new_version", "changed (new version)"),
                ("unchanged", "unchanged"),
            )
            if self.counts[key]
        ]
        return ", ".join(parts) or "no questions"


def import_yaml(session: Session, user: User, text: str) -> ImportOutcome:
    """Validate a YAML file of questions and write it as the user's own: all or nothing.

    A question whose id is new becomes the user's question; one whose id is already the user's
    gets a new version if its content changed; an id that belongs to someone else is refused.
    """
    outcome = ImportOutcome()
    bundle = ContentBundle()
    report = _Collector(bundle, UPLOAD_PATH)
    parse_yaml_file(text.removeprefix("\ufeff"), report)
    for kind in ("topics", "sources", "stimuli", "quizzes", "modules"):
        for spec in getattr(bundle, kind):
            report.add(
                spec.line,
                getattr(spec, "id", "") or getattr(spec, "key", ""),
                kind,
                f"only questions can be imported here; add {kind} to the content files",
            )
    if not bundle.questions and not bundle.problems:
        report.add(1, "", "questions", "the file has no questions")
    slugs = [spec.id for spec in bundle.questions]
    existing = {
        q.slug: q
        for q in session.scalars(
            select(Question)
            .where(Question.slug.in_(slugs))
            .options(selectinload(Question.current_version))
        )
    }
    for spec in bundle.questions:
        question = existing.get(spec.id)
        if question is not None and not may_edit(question.owner_id, user):
            report.add(
                spec.line,
                spec.id,
                "id",
                "belongs to another author's question; give yours a new id",
            )
    problems = bundle.problems + [
        p for p in validate_questions(session, user, bundle) if p not in bundle.problems
    ]
    lines = {spec.id: spec.line for spec in bundle.questions}
    problems = [replace(p, line=lines.get(p.item_id, 1)) if not p.line else p for p in problems]
    outcome.problems = sorted(set(problems), key=lambda p: (p.line, p.item_id, p.field))
    if outcome.problems:
        return outcome
    for spec in bundle.questions:
        saved = store_spec(session, user, spec, existing.get(spec.id))
        outcome.counts[
            "created" if saved.created else "new_version" if saved.changed else "unchanged"
        ] += 1
    session.flush()
    return outcome
