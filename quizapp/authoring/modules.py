"""Building modules: an ordered list of lessons and quizzes that a teacher can publish.

A new module starts as a draft; publishing needs at least one step. Adding a lesson can add
the lesson's own quiz (generated from the lesson's blueprint) right after it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from quizapp.authoring.access import visible_clause
from quizapp.authoring.quizzes import BuildError, lesson_quiz
from quizapp.models import Lesson, Module, ModuleItem, Quiz, QuizItem, User

MINUTES_PER_QUESTION = 1.5


def module_listing(session: Session, user: User) -> tuple[list[Module], list[Module]]:
    """(own, curated) modules with their steps loaded."""
    modules = list(
        session.scalars(
            select(Module)
            .where(visible_clause(Module.owner_id, user))
            .options(selectinload(Module.items))
            .order_by(Module.title, Module.id)
        )
    )
    own = [m for m in modules if m.owner_id is not None]
    curated = [m for m in modules if m.owner_id is None]
    return own, curated


def module_steps(session: Session, module: Module) -> list[ModuleItem]:
    """A module's steps with their lessons and quizzes (no query per step)."""
    return list(
        session.scalars(
            select(ModuleItem)
            .where(ModuleItem.module_id == module.id)
            .options(selectinload(ModuleItem.lesson), selectinload(ModuleItem.quiz))
            .order_by(ModuleItem.position)
        )
    )


def usable_lessons(session: Session, user: User) -> list[Lesson]:
    """Lessons the user may put in a module (curated and own, published)."""
    return list(
        session.scalars(
            select(Lesson)
            .where(visible_clause(Lesson.owner_id, user), Lesson.published.is_(True))
            .order_by(Lesson.title)
        )
    )


def usable_quizzes(session: Session, user: User) -> list[Quiz]:
    """Quizzes the user may put in a module (curated and own)."""
    return list(
        session.scalars(
            select(Quiz).where(visible_clause(Quiz.owner_id, user)).order_by(Quiz.title, Quiz.id)
        )
    )


def estimated_minutes(session: Session, steps: list[ModuleItem]) -> int:
    """Reading time of the lessons plus about 1.5 minutes per quiz question."""
    quiz_ids = [s.quiz_id for s in steps if s.quiz_id]
    counts = (
        dict(
            session.execute(
                select(QuizItem.quiz_id, func.count(QuizItem.id))
                .where(QuizItem.quiz_id.in_(quiz_ids))
                .group_by(QuizItem.quiz_id)
            ).all()
        )
        if quiz_ids
        else {}
    )
    total = sum(s.lesson.estimated_minutes for s in steps if s.lesson is not None)
    total += sum(counts.get(qid, 0) * MINUTES_PER_QUESTION for qid in quiz_ids)
    return round(total)


def create_module(
    session: Session, user: User, title: str, description: str = "", minutes: int | None = None
) -> Module:
    """A new draft module owned by ``user``."""
    module = Module(
        title=title.strip(),
        description=description.strip(),
        estimated_minutes=minutes,
        owner_id=user.id,
        published=False,
    )
    session.add(module)
    session.flush()
    return module


@dataclass(frozen=True)
class Step:
    """What a step points at."""

    lesson: Lesson | None = None
    quiz: Quiz | None = None


def _set_steps(session: Session, module: Module, steps: list[Step]) -> None:
    """Replace the module's steps, in order (positions are unique, so clear first)."""
    module.items.clear()
    session.flush()
    for position, step in enumerate(steps, start=1):
        module.items.append(ModuleItem(position=position, lesson=step.lesson, quiz=step.quiz))
    session.flush()


def _steps(module: Module) -> list[Step]:
    return [Step(item.lesson, item.quiz) for item in module.items]


def add_lesson(session: Session, module: Module, lesson: Lesson, with_quiz: bool = True) -> int:
    """Append a lesson, and its blueprint quiz after it when ``with_quiz``; returns steps added."""
    steps = [*_steps(module), Step(lesson=lesson)]
    quiz = lesson_quiz(session, lesson) if with_quiz else None
    if quiz is not None:
        steps.append(Step(quiz=quiz))
    _set_steps(session, module, steps)
    return 2 if quiz is not None else 1


def add_quiz(session: Session, module: Module, quiz: Quiz) -> None:
    """Append a quiz."""
    _set_steps(session, module, [*_steps(module), Step(quiz=quiz)])


def move_step(session: Session, module: Module, position: int, delta: int) -> None:
    """Move the step at ``position`` (1-based) up (−1) or down (+1)."""
    steps = _steps(module)
    target = position - 1 + delta
    if not 1 <= position <= len(steps) or not 0 <= target < len(steps):
        raise BuildError("That step cannot move further.")
    steps[position - 1], steps[target] = steps[target], steps[position - 1]
    _set_steps(session, module, steps)


def remove_step(session: Session, module: Module, position: int) -> None:
    """Take a step out of the module."""
    steps = _steps(module)
    if not 1 <= position <= len(steps):
        raise BuildError("There is no step at that place in the module.")
    del steps[position - 1]
    _set_steps(session, module, steps)


def set_published(module: Module, published: bool) -> None:
    """Publish (needs at least one step) or return to draft."""
    if published and not module.items:
        raise BuildError("Add at least one lesson or quiz before publishing the module.")
    module.published = published


def copy_module(session: Session, user: User, module: Module) -> Module:
    """The user's own draft copy of a module, with the same steps."""
    copy = create_module(
        session, user, f"{module.title} (my copy)", module.description, module.estimated_minutes
    )
    _set_steps(session, copy, _steps(module))
    return copy
