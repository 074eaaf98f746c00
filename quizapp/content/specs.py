"""Plain dataclasses for parsed content: what the loader produces and the importer consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ContentProblem:
    """One problem in a content file, printed as ``file:line: id: field: message``."""

    path: str
    line: int
    item_id: str
    field: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.item_id or '-'}: {self.field or '-'}: {self.message}"
        )


@dataclass
class Located:
    """Where a piece of content was written."""

    path: str = ""
    line: int = 0


@dataclass
class TopicSpec(Located):
    id: str = ""
    title: str = ""
    description: str = ""
    position: int = 0


@dataclass
class SourceSpec(Located):
    key: str = ""
    title: str = ""
    kind: str = ""
    url: str = ""
    paragraphs: int | None = None


@dataclass
class StimulusSpec(Located):
    id: str = ""
    title: str = ""
    text: str = ""
    citation: str = ""
    sources: list[str] = field(default_factory=list)


@dataclass
class QuestionSpec(Located):
    id: str = ""
    type: str = ""
    topic: str = ""
    difficulty: int = 1
    cognitive: str = ""
    prompt: str = ""
    body: dict[str, Any] = field(default_factory=dict)
    explanation: str = ""
    sources: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    stimulus: str | None = None
    points: float = 1.0
    field_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, name: str) -> int:
        """The line where ``name`` was written, or the question's own line."""
        return self.field_lines.get(name.split("[")[0].split(".")[0], self.line)


@dataclass
class BlueprintRow:
    """Pick ``count`` questions of ``topic`` (any if None) at ``difficulty`` (any if None)."""

    count: int
    topic: str | None = None
    difficulty: int | None = None
    types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass
class Blueprint:
    """How to generate a quiz: rows of counts, drawn without repetition."""

    rows: list[BlueprintRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Questions the blueprint asks for."""
        return sum(r.count for r in self.rows)

    def to_json(self) -> dict[str, Any]:
        """JSON form stored on quizzes and lessons."""
        return {
            "items": [
                {
                    k: v
                    for k, v in (
                        ("count", r.count),
                        ("topic", r.topic),
                        ("difficulty", r.difficulty),
                        ("types", list(r.types)),
                        ("tags", list(r.tags)),
                    )
                    if v not in (None, [], ())
                }
                for r in self.rows
            ]
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Blueprint:
        """Inverse of :meth:`to_json`."""
        rows = []
        for item in (data or {}).get("items", []):
            rows.append(
                BlueprintRow(
                    int(item["count"]),
                    item.get("topic"),
                    item.get("difficulty"),
                    tuple(item.get("types", ())),
                    tuple(item.get("tags", ())),
                )
            )
        return cls(rows)


@dataclass
class LessonSection:
    heading: str
    body: str
    checks: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    line: int = 0


@dataclass
class LessonSpec(Located):
    id: str = ""
    title: str = ""
    topic: str = ""
    minutes: int = 15
    summary: str = ""
    objectives: list[str] = field(default_factory=list)
    key_terms: list[dict[str, str]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    sections: list[LessonSection] = field(default_factory=list)
    blueprint: Blueprint = field(default_factory=Blueprint)
    quiz_title: str = ""
    quiz_seed: int = 1
    field_lines: dict[str, int] = field(default_factory=dict)

    @property
    def check_ids(self) -> list[str]:
        """Every embedded check question, in reading order."""
        return [q for s in self.sections for q in s.checks]

    @property
    def quiz_id(self) -> str:
        """The stable id of the quiz generated from this lesson's blueprint."""
        return f"{self.id}-quiz"

    @property
    def word_count(self) -> int:
        """Words of reading (for the 10–20 minute check)."""
        return sum(len(s.body.split()) for s in self.sections)


@dataclass
class QuizSpec(Located):
    id: str = ""
    title: str = ""
    description: str = ""
    questions: list[str] = field(default_factory=list)
    blueprint: Blueprint | None = None
    seed: int = 1


@dataclass
class ModuleSpec(Located):
    id: str = ""
    title: str = ""
    description: str = ""
    minutes: int | None = None
    # [("lesson", id) | ("quiz", id)]
    items: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ContentBundle:
    """Everything read from a set of content files, plus the problems found on the way."""

    topics: list[TopicSpec] = field(default_factory=list)
    sources: list[SourceSpec] = field(default_factory=list)
    stimuli: list[StimulusSpec] = field(default_factory=list)
    questions: list[QuestionSpec] = field(default_factory=list)
    lessons: list[LessonSpec] = field(default_factory=list)
    quizzes: list[QuizSpec] = field(default_factory=list)
    modules: list[ModuleSpec] = field(default_factory=list)
    problems: list[ContentProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
