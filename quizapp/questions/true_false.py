"""True/false: a statement judged true or false. Full marks or none."""

from __future__ import annotations

from quizapp.questions.base import Grade, Problem, QuestionType

_CHOICES = [{"key": "true", "text": "True"}, {"key": "false", "text": "False"}]


class TrueFalse(QuestionType):
    name = "true_false"
    label = "True / false"
    content_keys = ("answer", "feedback_true", "feedback_false")

    def build_body(self, raw):
        answer = raw.get("answer")
        if not isinstance(answer, bool):
            return {"answer": False}, [Problem("answer", "must be true or false")]
        return {"answer": answer}, []

    def to_content(self, body):
        return {"answer": body["answer"]}

    def public_view(self, body, rng):
        return {"options": list(_CHOICES)}

    def parse_form(self, form, prefix, body):
        value = form.get(prefix)
        return {"true": True, "false": False}.get(value)

    def clean_answer(self, answer, body):
        if answer is None or answer == "":
            return None
        if isinstance(answer, bool):
            return answer
        if answer in ("true", "false"):
            return answer == "true"
        raise ValueError("a true/false answer is true or false")

    def grade(self, body, answer):
        """1 if the judgement matches, else 0 (no answer scores 0)."""
        return Grade(1.0 if answer is body["answer"] else 0.0)

    def correct_answer(self, body):
        return body["answer"]

    def describe_answer(self, body, answer):
        return {True: "True", False: "False"}.get(answer, "(no answer)")
