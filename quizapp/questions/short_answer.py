"""Short answer: a typed word or phrase compared with accepted variants.

Before comparison both sides are normalised: Unicode NFC, straight quotes, single spaces,
no trailing full stop; case is ignored unless ``case_sensitive``; with ``ignore_diacritics``
(the default) 'Bakı' and 'Baku', 'Şəhidlər' and 'Sehidler' are the same.
"""

from __future__ import annotations

from typing import Any

from quizapp.questions.base import Grade, Problem, QuestionType
from quizapp.questions.text_matching import normalise_answer


def build_accept_list(value: Any, field: str) -> tuple[list[str], list[Problem]]:
    """Read a list of accepted answers (a single string is a list of one)."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not value:
        return [], [Problem(field, "needs at least one accepted answer")]
    accepted, problems = [], []
    for index, item in enumerate(value, start=1):
        if (
            not isinstance(item, (str, int, float))
            or isinstance(item, bool)
            or not str(item).strip()
        ):
            problems.append(Problem(f"{field}[{index}]", "must be a non-empty text"))
            continue
        accepted.append(str(item).strip())
    return accepted, problems


def matches_any(
    text: Any, accepted: list[str], case_sensitive: bool, ignore_diacritics: bool
) -> bool:
    """Whether a typed text equals one of the accepted variants after normalisation."""
    if not isinstance(text, str) or not text.strip():
        return False
    given = normalise_answer(
        text, case_sensitive=case_sensitive, ignore_diacritics=ignore_diacritics
    )
    return any(
        given
        == normalise_answer(a, case_sensitive=case_sensitive, ignore_diacritics=ignore_diacritics)
        for a in accepted
    )


def _flag(raw: dict, key: str, default: bool, problems: list[Problem]) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        problems.append(Problem(key, "must be true or false"))
        return default
    return value


class ShortAnswer(QuestionType):
    name = "short_answer"
    label = "Short answer"
    content_keys = ("accept", "case_sensitive", "ignore_diacritics")

    def build_body(self, raw):
        accepted, problems = build_accept_list(raw.get("accept"), "accept")
        body = {
            "accept": accepted,
            "case_sensitive": _flag(raw, "case_sensitive", False, problems),
            "ignore_diacritics": _flag(raw, "ignore_diacritics", True, problems),
        }
        return body, problems

    def to_content(self, body):
        out: dict[str, Any] = {"accept": list(body["accept"])}
        if body["case_sensitive"]:
            out["case_sensitive"] = True
        if not body["ignore_diacritics"]:
            out["ignore_diacritics"] = False
        return out

    def search_words(self, body):
        return list(body["accept"])

    def public_view(self, body, rng):
        return {}

    def parse_form(self, form, prefix, body):
        return (form.get(prefix) or "")[:500]

    def clean_answer(self, answer, body):
        if answer is None:
            return ""
        if not isinstance(answer, str):
            raise ValueError("a short answer is a text")
        return answer[:500]

    def grade(self, body, answer):
        """1 if the normalised text equals a normalised accepted variant, else 0."""
        ok = matches_any(answer, body["accept"], body["case_sensitive"], body["ignore_diacritics"])
        return Grade(1.0 if ok else 0.0)

    def correct_answer(self, body):
        return body["accept"][0]

    def describe_answer(self, body, answer):
        return answer if isinstance(answer, str) and answer.strip() else "(no answer)"

    def describe_correct(self, body):
        return " / ".join(body["accept"])
