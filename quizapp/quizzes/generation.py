"""Generating a quiz from a blueprint: pure, seeded, reproducible.

The same pool, blueprint and seed always give the same questions in the same order, on any
machine and any Python version (``random.Random`` with an integer seed is stable).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from quizapp.content.specs import Blueprint, BlueprintRow


@dataclass(frozen=True)
class QuestionCard:
    """What generation needs to know about a question."""

    key: str  # slug or id as text
    topic: str
    difficulty: int
    qtype: str
    tags: tuple[str, ...] = ()


@dataclass
class Shortfall:
    """A blueprint row that could not be filled."""

    row: BlueprintRow
    available: int

    def __str__(self) -> str:
        what = (
            ", ".join(
                p
                for p in (
                    f"topic {self.row.topic}" if self.row.topic else "",
                    f"difficulty {self.row.difficulty}" if self.row.difficulty else "",
                    f"types {'/'.join(self.row.types)}" if self.row.types else "",
                    f"tags {'/'.join(self.row.tags)}" if self.row.tags else "",
                )
                if p
            )
            or "any question"
        )
        return f"asks for {self.row.count} of {what} but only {self.available} are available"


@dataclass
class Generated:
    """The picked question keys, in quiz order, and any rows left short."""

    keys: list[str] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every row filled."""
        return not self.shortfalls


def _matches(card: QuestionCard, row: BlueprintRow) -> bool:
    return (
        (row.topic is None or card.topic == row.topic)
        and (row.difficulty is None or card.difficulty == row.difficulty)
        and (not row.types or card.qtype in row.types)
        and (not row.tags or any(t in card.tags for t in row.tags))
    )


def generate_quiz(
    pool: Iterable[QuestionCard],
    blueprint: Blueprint,
    seed: int,
    exclude: Iterable[str] = (),
    shuffle: bool = False,
) -> Generated:
    """Pick questions for each blueprint row without repeating one.

    Rows with the fewest candidates are filled first so that a broad row does not take the
    only questions a narrow row could use. ``exclude`` leaves out keys (questions a class has
    already seen). The result lists questions row by row, unless ``shuffle`` mixes them.
    """
    excluded = set(exclude)
    cards = sorted((c for c in pool if c.key not in excluded), key=lambda c: c.key)
    rng = random.Random(seed)
    taken: set[str] = set()
    picked: dict[int, list[str]] = {}
    result = Generated()
    order = sorted(
        range(len(blueprint.rows)),
        key=lambda i: (sum(_matches(c, blueprint.rows[i]) for c in cards), i),
    )
    for index in order:
        row = blueprint.rows[index]
        candidates = [c.key for c in cards if c.key not in taken and _matches(c, row)]
        if len(candidates) < row.count:
            result.shortfalls.append(Shortfall(row, len(candidates)))
        chosen = rng.sample(candidates, min(row.count, len(candidates)))
        taken.update(chosen)
        picked[index] = chosen
    result.keys = [key for index in range(len(blueprint.rows)) for key in picked.get(index, [])]
    if shuffle:
        rng.shuffle(result.keys)
    return result


VARIANT_LETTERS = "ABCDEFGHIJ"


def variant_seed(seed: int, letter: str) -> int:
    """The seed of variant ``letter`` of a quiz generated with ``seed`` (A keeps ``seed``)."""
    return seed + 7919 * VARIANT_LETTERS.index(letter.upper())


def swap_question(
    current: Sequence[str],
    position: int,
    pool: Iterable[QuestionCard],
    seed: int,
    exclude: Iterable[str] = (),
) -> list[str] | None:
    """Replace the question at ``position`` with another of the same topic and difficulty.

    Returns the new list, or None when no other question fits.
    """
    cards = {c.key: c for c in pool}
    old = cards.get(current[position])
    if old is None:
        return None
    row = BlueprintRow(1, old.topic, old.difficulty)
    blocked = set(current) | set(exclude)
    candidates = sorted(c.key for c in cards.values() if c.key not in blocked and _matches(c, row))
    if not candidates:
        return None
    new = list(current)
    new[position] = random.Random(seed).choice(candidates)
    return new
