"""Numeric: a number within a tolerance of the answer, with an optional unit.

The typed text is read leniently ('1,200', '1 200', '26,000 troops', '1,5'); it earns full
marks when |given − answer| ≤ tolerance. History rarely allows more precision than its sources.
"""

from __future__ import annotations

from typing import Any

from quizapp.questions.base import Grade, Problem, QuestionType
from quizapp.questions.text_matching import parse_number


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class Numeric(QuestionType):
    name = "numeric"
    label = "Numeric"
    content_keys = ("answer", "tolerance", "unit")

    def build_body(self, raw):
        problems = []
        answer = _number(raw.get("answer"))
        if answer is None:
            problems.append(Problem("answer", "must be a number"))
            answer = 0.0
        tolerance = _number(raw.get("tolerance", 0))
        if tolerance is None or tolerance < 0:
            problems.append(Problem("tolerance", "must be a number of 0 or more"))
            tolerance = 0.0
        unit = raw.get("unit", "")
        if not isinstance(unit, str):
            problems.append(Problem("unit", "must be a text"))
            unit = ""
        return {"answer": answer, "tolerance": tolerance, "unit": unit.strip()}, problems

    def to_content(self, body):
        out: dict[str, Any] = {"answer": body["answer"]}
        for key, value in (("answer", body["answer"]), ("tolerance", body["tolerance"])):
            out[key] = int(value) if float(value).is_integer() else value
        if not body["tolerance"]:
            out.pop("tolerance")
        if body["unit"]:
            out["unit"] = body["unit"]
        return out

    def public_view(self, body, rng):
        return {"unit": body["unit"]}

    def parse_form(self, form, prefix, body):
        return (form.get(prefix) or "")[:100]

    def clean_answer(self, answer, body):
        if answer is None:
            return ""
        if isinstance(answer, bool) or not isinstance(answer, (str, int, float)):
            raise ValueError("a numeric answer is a number or a text")
        return str(answer)[:100]

    def grade(self, body, answer):
        """1 if the number read from the answer is within the tolerance, else 0."""
        value = parse_number(answer) if answer is not None else None
        if value is None:
            return Grade(0.0, {"read": None})
        ok = abs(value - body["answer"]) <= body["tolerance"] + 1e-9
        return Grade(1.0 if ok else 0.0, {"read": value})

    def correct_answer(self, body):
        return _fmt(body["answer"])

    def describe_answer(self, body, answer):
        if answer is None or not str(answer).strip():
            return "(no answer)"
        return (
            f"{answer} {body['unit']}".strip()
            if parse_number(answer) is not None and body["unit"] and body["unit"] not in str(answer)
            else str(answer)
        )

    def describe_correct(self, body):
        text = _fmt(body["answer"])
        if body["tolerance"]:
            text += f" (± {_fmt(body['tolerance'])})"
        return f"{text} {body['unit']}".strip()
