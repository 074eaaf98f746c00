"""Student-safe views of questions, built from an attempt's pinned versions.

A view holds only what the student's page may show: the prompt, the options in this
attempt's shuffled order, the stimulus and the student's own saved answer. Correct answers,
feedback and explanations are added only by :func:`add_review`, and only what the review
options allow.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from quizapp.models import QuestionVersion, Response
from quizapp.questions import get_type
from quizapp.quizzes.rules import ReviewVisibility


@dataclass
class QuestionView:
    """One question as the page shows it."""

    slot: int
    number: int
    qtype: str
    prompt: str
    view: dict[str, Any]
    points: float
    stimulus: Any | None
    answer: Any = None
    seq: int = 0
    topic: str = ""
    prefix: str = ""  # form field name prefix; 'a<slot>' unless set (lesson checks use their slug)
    slug: str = ""
    # Filled only by add_review, within what the review options allow:
    review: dict[str, Any] = field(default_factory=dict)

    @property
    def field_name(self) -> str:
        """The form field name (prefix) of this question's answer."""
        return self.prefix or f"a{self.slot}"

    @property
    def answered(self) -> bool:
        """Whether a non-empty answer is saved."""
        from quizapp.questions import is_blank_answer

        return not is_blank_answer(self.answer)


def build_views(
    layout: list[dict[str, Any]],
    versions: dict[int, QuestionVersion],
    responses: dict[int, Response],
) -> list[QuestionView]:
    """Views for every slot of an attempt, in order."""
    views = []
    for number, entry in enumerate(layout, start=1):
        version = versions[entry["version_id"]]
        qtype = get_type(version.qtype)
        seed = entry.get("shuffle_seed")
        rng = random.Random(seed) if seed is not None else None
        response = responses.get(entry["slot"])
        views.append(
            QuestionView(
                slot=entry["slot"],
                number=number,
                qtype=version.qtype,
                prompt=version.prompt,
                view=qtype.public_view(version.body, rng),
                points=entry["points"],
                stimulus=version.stimulus,
                answer=response.answer if response else None,
                seq=response.client_seq if response else 0,
                topic=version.topic.title if version.topic else "",
            )
        )
    return views


def add_review(
    view: QuestionView,
    version: QuestionVersion,
    response: Response | None,
    visibility: ReviewVisibility,
    sources: dict[str, str] | None = None,
) -> None:
    """Add to a view what the review options allow: right/wrong, the right answer, feedback."""
    qtype = get_type(version.qtype)
    review: dict[str, Any] = {"your_answer": qtype.describe_answer(version.body, view.answer)}
    if response is not None and response.fraction is not None:
        fraction = response.fraction
    else:
        fraction = qtype.grade(version.body, view.answer).fraction
    if visibility.correctness:
        review["fraction"] = fraction
        review["state"] = (
            "correct" if fraction >= 0.999999 else ("partial" if fraction > 0 else "incorrect")
        )
    if visibility.score:
        review["score"] = round(fraction * view.points, 2)
        review["points"] = view.points
    if visibility.answers:
        review["right_answer"] = qtype.describe_correct(version.body)
        review["right_keys"] = qtype.correct_answer(version.body)
    if visibility.feedback:
        review["explanation"] = version.explanation
        review["sources"] = [
            (ref, (sources or {}).get(ref.split(":")[0], "")) for ref in version.source_refs
        ]
        chosen = view.answer if isinstance(view.answer, list) else [view.answer]
        review["option_feedback"] = [
            o["feedback"]
            for o in version.body.get("options", [])
            if o.get("feedback") and o["key"] in chosen
        ]
    view.review = review
