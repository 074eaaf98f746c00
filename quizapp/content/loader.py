"""Reading content files into specs, collecting every problem instead of stopping at the first.

Files: ``*.yaml``/``*.yml`` may hold any of the top-level keys ``topics``, ``sources``,
``stimuli``, ``questions``, ``quizzes`` and ``modules``; ``*.md`` files are lessons (Markdown
with YAML front matter). See ``docs/content-format.md``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from quizapp.content.specs import (
    Blueprint,
    BlueprintRow,
    ContentBundle,
    ContentProblem,
    LessonSection,
    LessonSpec,
    ModuleSpec,
    QuestionSpec,
    QuizSpec,
    SourceSpec,
    StimulusSpec,
    TopicSpec,
)
from quizapp.content.yaml_lines import LineDict, YamlSyntaxError, line_of, load_yaml
from quizapp.questions import COGNITIVE_LEVELS, QUESTION_TYPES

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
SOURCE_REF = re.compile(r"^(seed:\d+|[A-Z][A-Z0-9]*(-[A-Za-z0-9]+)*)$")
TOP_LEVEL_KEYS = ("topics", "sources", "stimuli", "questions", "quizzes", "modules")
COMMON_QUESTION_KEYS = {
    "id",
    "type",
    "topic",
    "difficulty",
    "cognitive",
    "prompt",
    "explanation",
    "sources",
    "tags",
    "stimulus",
    "points",
}


def display_path(path: Path) -> str:
    """A path as the author knows it: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def iter_content_files(paths: Iterable[Path | str]) -> list[Path]:
    """Every content file under ``paths`` (files are taken as given), sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix in (".yaml", ".yml", ".md")
                and not p.name.startswith((".", "_"))
                and p.name.lower() != "readme.md"
            )
        else:
            found.append(path)
    return found


class _Collector:
    """Collects problems for one file."""

    def __init__(self, bundle: ContentBundle, path: str):
        self.bundle = bundle
        self.path = path

    def add(self, line: int, item_id: str, field: str, message: str) -> None:
        self.bundle.problems.append(ContentProblem(self.path, line, item_id, field, message))


def load_content(paths: Iterable[Path | str]) -> ContentBundle:
    """Read every content file under ``paths`` into one bundle with all problems found."""
    bundle = ContentBundle()
    for path in iter_content_files(paths):
        shown = display_path(path)
        bundle.files.append(shown)
        report = _Collector(bundle, shown)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            report.add(1, "", "file", f"cannot be read: {exc.strerror or exc}")
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            report.add(
                line,
                "",
                "encoding",
                f"is not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            )
            continue
        text = text.removeprefix("\ufeff")
        if path.suffix == ".md":
            lesson = parse_lesson(text, report)
            if lesson:
                lesson.path = shown
                bundle.lessons.append(lesson)
        else:
            parse_yaml_file(text, report)
    return bundle


# --- YAML files ------------------------------------------------------------------------------


def parse_yaml_file(text: str, report: _Collector) -> None:
    """Parse one YAML content file into the bundle."""
    try:
        data, duplicates = load_yaml(text)
    except YamlSyntaxError as exc:
        report.add(exc.line, "", "yaml", f"malformed YAML: {exc.message}")
        return
    for line, key in duplicates:
        report.add(line, "", key, "is given twice in the same mapping")
    if data is None:
        report.add(1, "", "file", "is empty")
        return
    if not isinstance(data, LineDict):
        report.add(1, "", "file", f"must be a mapping with keys among: {', '.join(TOP_LEVEL_KEYS)}")
        return
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            report.add(
                data.line_of(key),
                "",
                key,
                f"unknown top-level key (expected one of: {', '.join(TOP_LEVEL_KEYS)})",
            )
    for key, parse in (
        ("topics", _parse_topic),
        ("sources", _parse_source),
        ("stimuli", _parse_stimulus),
        ("questions", parse_question),
        ("quizzes", _parse_quiz),
        ("modules", _parse_module),
    ):
        if key not in data:
            continue
        items = data[key]
        if not isinstance(items, list):
            report.add(data.line_of(key), "", key, "must be a list")
            continue
        for position, item in enumerate(items):
            if not isinstance(item, LineDict):
                report.add(data.line_of(key), "", f"{key}[{position + 1}]", "must be a mapping")
                continue
            spec = parse(item, report, position)
            if spec is not None:
                spec.path, spec.line = report.path, item.line
                getattr(report.bundle, key).append(spec)


def _text(
    item: LineDict, key: str, report: _Collector, item_id: str, *, required=True, default=""
) -> str:
    value = item.get(key)
    if value is None:
        if required:
            report.add(item.line, item_id, key, "is missing")
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        report.add(item.line_of(key), item_id, key, "must be a text")
        return default
    value = str(value).strip()
    if required and not value:
        report.add(item.line_of(key), item_id, key, "is empty")
    return value


def _id(item: LineDict, report: _Collector, key: str = "id") -> str:
    value = item.get(key)
    if value is None:
        report.add(item.line, "", key, "is missing")
        return ""
    value = str(value)
    if not ID_PATTERN.match(value):
        report.add(
            item.line_of(key),
            value,
            key,
            "must be 2–80 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return value


def _string_list(
    item: LineDict, key: str, report: _Collector, item_id: str, *, required: bool
) -> list[str]:
    value = item.get(key)
    if value is None:
        if required:
            report.add(item.line, item_id, key, "is missing")
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, (str, int)) and not isinstance(v, bool) for v in value
    ):
        report.add(item.line_of(key), item_id, key, "must be a list of texts")
        return []
    result = [str(v).strip() for v in value if str(v).strip()]
    if required and not result:
        report.add(item.line_of(key), item_id, key, "is empty")
    return result


def _source_refs(
    item: LineDict, report: _Collector, item_id: str, key: str = "sources"
) -> list[str]:
    refs = _string_list(item, key, report, item_id, required=True)
    for ref in refs:
        if not SOURCE_REF.match(ref):
            report.add(
                item.line_of(key),
                item_id,
                key,
                f"{ref!r} is not a source reference (use a fact-sheet key such as LAT-21, or seed:N)",
            )
    return refs


def _parse_topic(item, report, position):
    topic_id = _id(item, report)
    return TopicSpec(
        id=topic_id,
        title=_text(item, "title", report, topic_id),
        description=_text(item, "description", report, topic_id, required=False),
        position=position,
    )


def _parse_source(item, report, position):
    key = str(item.get("key", "")).strip()
    if not key:
        report.add(item.line, "", "key", "is missing")
    elif not SOURCE_REF.match(key) and key != "seed":
        report.add(item.line_of("key"), key, "key", "must look like LAT-21 or be 'seed'")
    paragraphs = item.get("paragraphs")
    if paragraphs is not None and (not isinstance(paragraphs, int) or paragraphs < 1):
        report.add(item.line_of("paragraphs"), key, "paragraphs", "must be a positive whole number")
        paragraphs = None
    return SourceSpec(
        key=key,
        title=_text(item, "title", report, key),
        kind=_text(item, "kind", report, key, required=False),
        url=_text(item, "url", report, key, required=False),
        paragraphs=paragraphs,
    )


def _parse_stimulus(item, report, position):
    stimulus_id = _id(item, report)
    return StimulusSpec(
        id=stimulus_id,
        title=_text(item, "title", report, stimulus_id),
        text=_text(item, "text", report, stimulus_id),
        citation=_text(item, "citation", report, stimulus_id),
        sources=_source_refs(item, report, stimulus_id),
    )


def parse_question(
    item: LineDict, report: _Collector | None = None, position: int = 0
) -> QuestionSpec | None:
    """Parse one question mapping; problems go to ``report``. Shared with the authoring form."""
    question_id = _id(item, report)
    qtype_name = item.get("type")
    spec = QuestionSpec(id=question_id, field_lines=dict(getattr(item, "key_lines", {})))
    if qtype_name is None:
        report.add(item.line, question_id, "type", "is missing")
        return None
    if not isinstance(qtype_name, str) or qtype_name not in QUESTION_TYPES:
        report.add(
            item.line_of("type"),
            question_id,
            "type",
            f"unknown type {qtype_name!r} (known: {', '.join(QUESTION_TYPES)})",
        )
        return None
    qtype = QUESTION_TYPES[qtype_name]
    spec.type = qtype_name
    allowed = COMMON_QUESTION_KEYS | set(qtype.content_keys)
    for key in item:
        if key not in allowed:
            report.add(
                item.line_of(key), question_id, key, f"unknown key for a {qtype_name} question"
            )
    spec.topic = _text(item, "topic", report, question_id)
    difficulty = item.get("difficulty")
    if difficulty not in (1, 2, 3) or isinstance(difficulty, bool):
        report.add(item.line_of("difficulty"), question_id, "difficulty", "must be 1, 2 or 3")
    else:
        spec.difficulty = difficulty
    spec.cognitive = _text(item, "cognitive", report, question_id)
    if spec.cognitive and spec.cognitive not in COGNITIVE_LEVELS:
        report.add(
            item.line_of("cognitive"),
            question_id,
            "cognitive",
            f"must be one of {', '.join(COGNITIVE_LEVELS)}",
        )
    spec.prompt = _text(item, "prompt", report, question_id)
    spec.explanation = _text(item, "explanation", report, question_id)
    spec.sources = _source_refs(item, report, question_id)
    spec.tags = _string_list(item, "tags", report, question_id, required=True)
    stimulus = item.get("stimulus")
    spec.stimulus = str(stimulus) if stimulus not in (None, "") else None
    points = item.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 < points <= 100:
        report.add(
            item.line_of("points"), question_id, "points", "must be a number between 0 and 100"
        )
    else:
        spec.points = float(points)
    body, problems = qtype.build_body(item)
    for problem in problems:
        report.add(
            spec.line_of(problem.field) if spec.field_lines else item.line,
            question_id,
            problem.field,
            problem.message,
        )
    spec.body = body
    return spec


def _parse_blueprint(value: Any, report: _Collector, owner_id: str, line: int) -> Blueprint:
    if isinstance(value, LineDict):
        value = value.get("items")
    if not isinstance(value, list) or not value:
        report.add(line, owner_id, "blueprint", "must list rows of {count, topic, difficulty}")
        return Blueprint()
    rows = []
    for index, row in enumerate(value, start=1):
        where = f"blueprint[{index}]"
        if not isinstance(row, LineDict):
            report.add(line, owner_id, where, "must be a mapping")
            continue
        count = row.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            report.add(row.line, owner_id, f"{where}.count", "must be a whole number of 1 or more")
            continue
        difficulty = row.get("difficulty")
        if difficulty is not None and difficulty not in (1, 2, 3):
            report.add(row.line, owner_id, f"{where}.difficulty", "must be 1, 2 or 3")
            difficulty = None
        types = row.get("types") or []
        if isinstance(types, str):
            types = [types]
        for name in types:
            if name not in QUESTION_TYPES:
                report.add(row.line, owner_id, f"{where}.types", f"unknown type {name!r}")
        tags = row.get("tags") or []
        rows.append(
            BlueprintRow(
                count,
                row.get("topic"),
                difficulty,
                tuple(t for t in types if t in QUESTION_TYPES),
                tuple(tags if isinstance(tags, list) else [tags]),
            )
        )
    return Blueprint(rows)


def _seed(item: LineDict, report: _Collector, item_id: str) -> int:
    seed = item.get("seed", 1)
    if not isinstance(seed, int) or isinstance(seed, bool):
        report.add(item.line_of("seed"), item_id, "seed", "must be a whole number")
        return 1
    return seed


def _parse_quiz(item, report, position):
    quiz_id = _id(item, report)
    spec = QuizSpec(
        id=quiz_id,
        title=_text(item, "title", report, quiz_id),
        description=_text(item, "description", report, quiz_id, required=False),
        seed=_seed(item, report, quiz_id),
    )
    has_list, has_blueprint = "questions" in item, "blueprint" in item
    if has_list == has_blueprint:
        report.add(
            item.line,
            quiz_id,
            "questions",
            "give either a 'questions' list or a 'blueprint', not both or neither",
        )
    if has_list:
        spec.questions = _string_list(item, "questions", report, quiz_id, required=True)
    if has_blueprint:
        spec.blueprint = _parse_blueprint(
            item["blueprint"], report, quiz_id, item.line_of("blueprint")
        )
    return spec


def _parse_module(item, report, position):
    module_id = _id(item, report)
    spec = ModuleSpec(
        id=module_id,
        title=_text(item, "title", report, module_id),
        description=_text(item, "description", report, module_id, required=False),
    )
    minutes = item.get("minutes")
    if minutes is not None and (not isinstance(minutes, int) or minutes < 1):
        report.add(
            item.line_of("minutes"), module_id, "minutes", "must be a whole number of minutes"
        )
    else:
        spec.minutes = minutes
    steps = item.get("items")
    if not isinstance(steps, list) or not steps:
        report.add(
            item.line_of("items"),
            module_id,
            "items",
            "must list the module's lessons and quizzes in order",
        )
        return spec
    for index, step in enumerate(steps, start=1):
        if (
            not isinstance(step, LineDict)
            or len(step) != 1
            or next(iter(step)) not in ("lesson", "quiz")
        ):
            report.add(
                line_of(step, item.line_of("items")),
                module_id,
                f"items[{index}]",
                "must be 'lesson: <id>' or 'quiz: <id>'",
            )
            continue
        kind, ref = next(iter(step.items()))
        spec.items.append((kind, str(ref)))
    return spec


# --- Markdown lessons ------------------------------------------------------------------------

_DIRECTIVE = re.compile(r"^@(check|checks|sources)\s+(.*)$")


def parse_lesson(text: str, report: _Collector) -> LessonSpec | None:
    """Parse a lesson: YAML front matter between '---' lines, then '## ' sections."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        report.add(
            1, "", "front matter", "a lesson starts with '---', its YAML front matter, and '---'"
        )
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        report.add(1, "", "front matter", "is not closed by a '---' line")
        return None
    try:
        meta, duplicates = load_yaml("\n".join(lines[1:end]), first_line=2)
    except YamlSyntaxError as exc:
        report.add(exc.line, "", "yaml", f"malformed YAML in front matter: {exc.message}")
        return None
    for line, key in duplicates:
        report.add(line, "", key, "is given twice in the front matter")
    if not isinstance(meta, LineDict):
        report.add(2, "", "front matter", "must be a YAML mapping")
        return None
    lesson_id = _id(meta, report)
    allowed = {
        "id",
        "title",
        "topic",
        "minutes",
        "summary",
        "objectives",
        "key_terms",
        "timeline",
        "sources",
        "blueprint",
        "quiz_title",
        "quiz_seed",
    }
    for key in meta:
        if key not in allowed:
            report.add(meta.line_of(key), lesson_id, key, "unknown key in lesson front matter")
    spec = LessonSpec(
        id=lesson_id,
        title=_text(meta, "title", report, lesson_id),
        topic=_text(meta, "topic", report, lesson_id),
        summary=_text(meta, "summary", report, lesson_id, required=False),
        line=1,
        field_lines=dict(meta.key_lines),
    )
    minutes = meta.get("minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 240:
        report.add(
            meta.line_of("minutes"), lesson_id, "minutes", "must be the estimated minutes (1–240)"
        )
    else:
        spec.minutes = minutes
    spec.objectives = _string_list(meta, "objectives", report, lesson_id, required=True)
    spec.sources = _source_refs(meta, report, lesson_id)
    for index, term in enumerate(meta.get("key_terms") or [], start=1):
        if not isinstance(term, LineDict) or not term.get("term") or not term.get("definition"):
            report.add(
                line_of(term, meta.line_of("key_terms")),
                lesson_id,
                f"key_terms[{index}]",
                "needs a term and a definition",
            )
            continue
        spec.key_terms.append({"term": str(term["term"]), "definition": str(term["definition"])})
    if not spec.key_terms:
        report.add(meta.line_of("key_terms"), lesson_id, "key_terms", "list at least one key term")
    for index, event in enumerate(meta.get("timeline") or [], start=1):
        if not isinstance(event, LineDict) or not event.get("date") or not event.get("event"):
            report.add(
                line_of(event, meta.line_of("timeline")),
                lesson_id,
                f"timeline[{index}]",
                "needs a date and an event",
            )
            continue
        spec.timeline.append(
            {
                "date": str(event["date"]),
                "event": str(event["event"]),
                "sources": [str(s) for s in (event.get("sources") or [])],
            }
        )
    if "blueprint" in meta:
        spec.blueprint = _parse_blueprint(
            meta["blueprint"], report, lesson_id, meta.line_of("blueprint")
        )
    else:
        report.add(
            meta.line, lesson_id, "blueprint", "is missing (the lesson's quiz is generated from it)"
        )
    spec.quiz_title = (
        _text(meta, "quiz_title", report, lesson_id, required=False) or f"Quiz: {spec.title}"
    )
    quiz_seed = meta.get("quiz_seed", 1)
    if not isinstance(quiz_seed, int) or isinstance(quiz_seed, bool):
        report.add(meta.line_of("quiz_seed"), lesson_id, "quiz_seed", "must be a whole number")
    else:
        spec.quiz_seed = quiz_seed
    spec.sections = _parse_sections(lines, end + 1, report, lesson_id)
    if not spec.sections:
        report.add(end + 2, lesson_id, "sections", "a lesson needs at least one '## ' section")
    return spec


def _parse_sections(
    lines: list[str], start: int, report: _Collector, lesson_id: str
) -> list[LessonSection]:
    sections: list[LessonSection] = []
    current: LessonSection | None = None
    body: list[str] = []

    def close():
        if current is not None:
            current.body = "\n".join(body).strip()
            if not current.body:
                report.add(
                    current.line, lesson_id, "sections", f"section {current.heading!r} has no text"
                )
            if not current.sources:
                report.add(
                    current.line,
                    lesson_id,
                    "sections",
                    f"section {current.heading!r} names no sources (add '@sources KEY, ...')",
                )
            sections.append(current)

    for number, line in enumerate(lines[start:], start=start + 1):
        if line.startswith("## "):
            close()
            current, body = LessonSection(heading=line[3:].strip(), body="", line=number), []
            continue
        directive = _DIRECTIVE.match(line.strip())
        if directive:
            if current is None:
                report.add(
                    number,
                    lesson_id,
                    "sections",
                    f"'@{directive.group(1)}' comes before the first '## ' section",
                )
                continue
            values = [v.strip() for v in re.split(r"[,\s]+", directive.group(2)) if v.strip()]
            if directive.group(1) == "sources":
                current.sources.extend(values)
                for ref in values:
                    if not SOURCE_REF.match(ref):
                        report.add(
                            number, lesson_id, "sources", f"{ref!r} is not a source reference"
                        )
            else:
                current.checks.extend(values)
            continue
        if current is None:
            if line.strip():
                report.add(number, lesson_id, "sections", "text before the first '## ' section")
            continue
        body.append(line)
    close()
    return sections
