"""A question version as students see it on screen and on paper, for teachers' previews.

The screen view is the student pages' own question partial fed with the type's ``public_view``
(never a correct answer in it), with its controls disabled; the paper view is the print partial
of the PDF documents, laid out by the same code as worksheets.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from markupsafe import Markup

from quizapp.learning.question_views import QuestionView
from quizapp.models import QuestionVersion
from quizapp.questions import get_type
from quizapp.rendering import markdown_to_html

PREVIEW_SEED = 1990


@dataclass
class ScreenQuestion:
    """What the preview template needs for one question: the student's view (rendered by the
    student pages' own partials, ``templates/questions/take/<type>.html``) and the answer."""

    take: QuestionView
    answer_text: str
    explanation_html: Markup


def screen_question(
    slug: str,
    version: QuestionVersion,
    number: int = 1,
    seed: int = PREVIEW_SEED,
    points: float | None = None,
) -> ScreenQuestion:
    """One version laid out for the on-screen preview (options shuffled with ``seed``)."""
    qtype = get_type(version.qtype)
    take = QuestionView(
        slot=number,
        number=number,
        qtype=version.qtype,
        prompt=version.prompt,
        view=qtype.public_view(version.body, random.Random(f"{seed}:{slug}")),
        points=points if points is not None else version.points,
        stimulus=version.stimulus,
        topic=version.topic.title if version.topic else "",
        prefix=f"preview{number}",
        slug=slug,
    )
    return ScreenQuestion(
        take=take,
        answer_text=qtype.describe_correct(version.body),
        explanation_html=markdown_to_html(version.explanation),
    )


def print_question_html(slug: str, version: QuestionVersion, seed: int = PREVIEW_SEED) -> Markup:
    """The question as a worksheet prints it (HTML of the print partial, without the page)."""
    from quizapp.pdf.documents import PrintQuestion, layout_question
    from quizapp.pdf.html import environment

    question = PrintQuestion(
        slug=slug,
        qtype=version.qtype,
        prompt=version.prompt,
        body=version.body,
        explanation=version.explanation,
        source_refs=list(version.source_refs or []),
        points=version.points,
        version=version.number,
    )
    laid = layout_question(question, 1, random.Random(seed), with_key=False)
    html = environment().get_template("print/_question.html").render(q=laid)
    return Markup(html)
