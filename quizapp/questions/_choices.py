"""Option lists shared by single-choice and multiple-response questions."""

from __future__ import annotations

import re
from typing import Any

from quizapp.questions.base import Problem, stable_key

# Options that combine others or dodge the question (Haladyna et al., 2002).
FORBIDDEN_OPTION = re.compile(
    r"\b(all|none|both|neither) of (the )?(above|these|the above|them)\b|\b[A-E] and [A-E]\b"
    r"|\ball (the )?answers\b",
    re.IGNORECASE,
)


def build_options(raw: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Read ``options`` (strings are wrong options; mappings may say ``correct: true``)."""
    problems: list[Problem] = []
    options: list[dict[str, Any]] = []
    value = raw.get("options")
    if not isinstance(value, list):
        return [], [Problem("options", "must be a list of 3 to 5 options")]
    if not 3 <= len(value) <= 5:
        problems.append(Problem("options", f"has {len(value)} options; give 3 to 5"))
    seen: set[str] = set()
    for index, item in enumerate(value, start=1):
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict) or not isinstance(item.get("text"), (str, int, float)):
            problems.append(Problem(f"options[{index}]", "needs a text"))
            continue
        text = str(item["text"]).strip()
        if not text:
            problems.append(Problem(f"options[{index}]", "is empty"))
            continue
        if text.casefold() in seen:
            problems.append(Problem(f"options[{index}]", f"repeats the option {text!r}"))
        seen.add(text.casefold())
        if FORBIDDEN_OPTION.search(text):
            problems.append(
                Problem(
                    f"options[{index}]", f"{text!r} combines or dodges options; write a real one"
                )
            )
        correct = item.get("correct", False)
        if not isinstance(correct, bool):
            problems.append(Problem(f"options[{index}].correct", "must be true or false"))
            correct = False
        unknown = set(item) - {"text", "correct", "feedback"}
        if unknown:
            problems.append(
                Problem(f"options[{index}]", f"unknown key(s): {', '.join(sorted(unknown))}")
            )
        option = {"key": stable_key(text), "text": text, "correct": correct}
        if item.get("feedback"):
            option["feedback"] = str(item["feedback"]).strip()
        options.append(option)
    return options, problems


def options_to_content(options: list[dict[str, Any]]) -> list[Any]:
    """Authoring form of an option list: plain strings for wrong options without feedback."""
    out: list[Any] = []
    for option in options:
        if not option["correct"] and not option.get("feedback"):
            out.append(option["text"])
            continue
        item: dict[str, Any] = {"text": option["text"]}
        if option["correct"]:
            item["correct"] = True
        if option.get("feedback"):
            item["feedback"] = option["feedback"]
        out.append(item)
    return out


def public_options(options: list[dict[str, Any]], rng) -> list[dict[str, str]]:
    """Options without their correct flags or feedback, shuffled when ``rng`` is given."""
    shown = [{"key": o["key"], "text": o["text"]} for o in options]
    if rng is not None:
        rng.shuffle(shown)
    return shown


def option_text(options: list[dict[str, Any]], key: str) -> str:
    """The text of the option with ``key``, or a marker for an unknown key."""
    for option in options:
        if option["key"] == key:
            return option["text"]
    return "(unknown option)"
