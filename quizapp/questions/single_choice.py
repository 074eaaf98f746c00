"""Single choice: one best answer among 3–5 options. Full marks for it, none otherwise."""

from __future__ import annotations

from typing import Any

from quizapp.questions._choices import (
    build_options,
    option_text,
    options_to_content,
    public_options,
)
from quizapp.questions.base import Grade, Problem, QuestionType


class SingleChoice(QuestionType):
    name = "single_choice"
    label = "Single choice"
    content_keys = ("options",)

    def build_body(self, raw):
        options, problems = build_options(raw)
        correct = sum(1 for o in options if o["correct"])
        if options and correct != 1:
            problems.append(
                Problem("options", f"marks {correct} options correct; exactly 1 must be")
            )
        return {"options": options}, problems

    def to_content(self, body):
        return {"options": options_to_content(body["options"])}

    def search_words(self, body):
        return [o["text"] for o in body["options"]]

    def public_view(self, body, rng):
        return {"options": public_options(body["options"], rng)}

    def parse_form(self, form, prefix, body):
        return form.get(prefix) or None

    def clean_answer(self, answer, body):
        if answer in (None, ""):
            return None
        if not isinstance(answer, str):
            raise ValueError("a single choice answer is one option key")
        return answer

    def grade(self, body, answer: Any) -> Grade:
        """1 if the chosen option is the correct one, else 0."""
        right = next(o["key"] for o in body["options"] if o["correct"])
        return Grade(1.0 if answer == right else 0.0, {"chosen": answer, "right": right})

    def correct_answer(self, body):
        return next(o["key"] for o in body["options"] if o["correct"])

    def describe_answer(self, body, answer):
        return option_text(body["options"], answer) if answer else "(no answer)"
