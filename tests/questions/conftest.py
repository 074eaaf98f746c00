"""One body of each type, taken from the example content file."""

import pytest

from quizapp.content import load_content
from quizapp.resources import resource_path


@pytest.fixture(scope="session")
def example_bodies():
    bundle = load_content([resource_path("question_bank") / "examples.yaml"])
    bodies = {}
    for question in bundle.questions:
        bodies.setdefault(question.type, question.body)
    return bodies
