"""The contract every question type fulfils, and the small values passed around.

A question type is a class with no state. It turns the authoring form of a question (a YAML
mapping or the authoring form's data) into a canonical *body*, finds every problem in it,
grades an answer against a body, and gives a student-safe view with no correct answer in it.
Grading changes nothing: it only returns a :class:`Grade` (after CTFd's ``BaseChallenge``).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Problem:
    """A problem in a question's content: which field, and what is wrong with it."""

    field: str
    message: str


@dataclass(frozen=True)
class Grade:
    """The outcome of grading one answer: a fraction of the points in [0, 1] and details."""

    fraction: float
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def is_correct(self) -> bool:
        """Full marks."""
        return self.fraction >= 0.999999

    @property
    def is_partial(self) -> bool:
        """Some but not all marks."""
        return 0 < self.fraction < 0.999999


def stable_key(text: str, salt: str = "") -> str:
    """An opaque key for an option or item, derived from its text.

    Keys must not reveal which option is right or what the right order is, so they are not
    positions: they are short hashes of the text.
    """
    return hashlib.blake2b(f"{salt}\x00{text}".encode(), digest_size=4).hexdigest()


def is_blank_answer(answer: Any) -> bool:
    """True when a saved answer says nothing (empty string, list or mapping)."""
    if answer is None:
        return True
    if isinstance(answer, str):
        return not answer.strip()
    if isinstance(answer, (list, dict)):
        return not any(
            not is_blank_answer(v)
            for v in (answer.values() if isinstance(answer, dict) else answer)
        )
    return False


class QuestionType:
    """Base class of the registry's types. Subclasses override the class attributes and methods."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    # Authoring keys specific to this type (beyond the common ones).
    content_keys: ClassVar[tuple[str, ...]] = ()

    # --- content -----------------------------------------------------------------------------
    def build_body(self, raw: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        """Turn authoring data into the canonical body, listing every problem found."""
        raise NotImplementedError

    def to_content(self, body: dict[str, Any]) -> dict[str, Any]:
        """The authoring form of a body (the inverse of :meth:`build_body`), for YAML export."""
        raise NotImplementedError

    def search_words(self, body: dict[str, Any]) -> list[str]:
        """Texts of the body that full-text search should find (options, items …)."""
        return []

    # --- taking ------------------------------------------------------------------------------
    def public_view(self, body: dict[str, Any], rng: random.Random | None) -> dict[str, Any]:
        """What the student's page may show: never a correct answer. ``rng`` shuffles, if given."""
        raise NotImplementedError

    def parse_form(self, form: Any, prefix: str, body: dict[str, Any]) -> Any:
        """Read this question's answer from submitted form data (``form.get``/``getlist``)."""
        raise NotImplementedError

    def clean_answer(self, answer: Any, body: dict[str, Any]) -> Any:
        """Coerce an answer received as JSON into this type's shape; raise ValueError if hopeless."""
        raise NotImplementedError

    # --- grading -----------------------------------------------------------------------------
    def grade(self, body: dict[str, Any], answer: Any) -> Grade:
        """Grade an answer against a body. Pure: changes nothing."""
        raise NotImplementedError

    def correct_answer(self, body: dict[str, Any]) -> Any:
        """The right answer in this type's answer shape (what a perfect student would send)."""
        raise NotImplementedError

    def describe_answer(self, body: dict[str, Any], answer: Any) -> str:
        """A human-readable rendering of an answer, for review pages, CSV and answer keys."""
        raise NotImplementedError

    def describe_correct(self, body: dict[str, Any]) -> str:
        """The right answer as text, for answer keys and review."""
        return self.describe_answer(body, self.correct_answer(body))

    @staticmethod
    def _shuffled(items: list, rng: random.Random | None) -> list:
        items = list(items)
        if rng is not None:
            rng.shuffle(items)
        return items
