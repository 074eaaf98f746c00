"""Multiple response: tick every correct option among 3–5.

Partial credit: each correct option ticked earns 1/c, each wrong option ticked costs 1/c
(c = number of correct options), floored at 0. So ticking everything earns nothing, and a
student who ticks two of three right options and nothing wrong earns 2/3.
"""

from __future__ import annotations

from quizapp.questions._choices import (
    build_options,
    option_text,
    options_to_content,
    public_options,
)
from quizapp.questions.base import Grade, Problem, QuestionType


class MultipleResponse(QuestionType):
    name = "multiple_response"
    label = "Multiple response"
    content_keys = ("options",)

    def build_body(self, raw):
        options, problems = build_options(raw)
        correct = sum(1 for o in options if o["correct"])
        if options and correct < 2:
            problems.append(
                Problem(
                    "options",
                    f"marks {correct} correct; a multiple response needs at least 2 (use single_choice otherwise)",
                )
            )
        if options and correct == len(options):
            problems.append(
                Problem("options", "marks every option correct; at least one must be wrong")
            )
        return {"options": options}, problems

    def to_content(self, body):
        return {"options": options_to_content(body["options"])}

    def search_words(self, body):
        return [o["text"] for o in body["options"]]

    def public_view(self, body, rng):
        return {"options": public_options(body["options"], rng)}

    def parse_form(self, form, prefix, body):
        return sorted(set(form.getlist(prefix)))

    def clean_answer(self, answer, body):
        if answer in (None, ""):
            return []
        if not isinstance(answer, list) or not all(isinstance(a, str) for a in answer):
            raise ValueError("a multiple response answer is a list of option keys")
        return sorted(set(answer))

    def grade(self, body, answer):
        """(right ticked − wrong ticked) / number right, at least 0."""
        chosen = set(answer or [])
        right = {o["key"] for o in body["options"] if o["correct"]}
        known = {o["key"] for o in body["options"]}
        hits = len(chosen & right)
        misses = len((chosen & known) - right)
        fraction = max(0.0, (hits - misses) / len(right))
        return Grade(fraction, {"hits": hits, "wrong_ticks": misses, "right_count": len(right)})

    def correct_answer(self, body):
        return sorted(o["key"] for o in body["options"] if o["correct"])

    def describe_answer(self, body, answer):
        if not answer:
            return "(no answer)"
        order = [o["key"] for o in body["options"]]
        keys = sorted(answer, key=lambda k: order.index(k) if k in order else len(order))
        return "; ".join(option_text(body["options"], k) for k in keys)
