"""People and classes: users with roles, school classes, enrolments, sign-in throttling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Integer, String, UniqueConstraint, and_, bindparam
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.extensions import db
from quizapp.models._types import UTCDateTime, utcnow

ROLES = ("student", "teacher", "admin")


class User(db.Model):
    """A person who signs in. Staff sign in by email; students by a username."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Not indexed: almost everyone is a student, so an index on the role finds nothing quickly,
    # and on a PostgreSQL database without statistics yet (a school's first exam after
    # importing its classes) the planner took it for the autosave's sign-in check and read
    # every student's row on each save instead of one by primary key.
    role: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # Bumped at sign-out and password change: every session carrying an older value is void.
    session_generation: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="student", cascade="all, delete-orphan"
    )

    @property
    def is_staff(self) -> bool:
        """Teachers and admins."""
        return self.role in ("teacher", "admin")

    @property
    def is_admin(self) -> bool:
        """Admins manage teachers and every class."""
        return self.role == "admin"

    @property
    def sign_in_name(self) -> str:
        """What this person types to sign in."""
        return self.email or self.username or ""

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @classmethod
    def holds_session_of_student(cls) -> ColumnElement[bool]:
        """SQL: this row is the active student whose session token is ``:user_id`` and
        ``:generation`` (no sign-out or password change since): the rule of
        ``quizapp.web.security.load_user``, for queries that check a sign-in themselves."""
        return and_(
            cls.id == bindparam("user_id"),
            cls.session_generation == bindparam("generation"),
            cls.is_active.is_(True),
            cls.role == "student",
        )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"


class SchoolClass(db.Model):
    """A teaching group with a join code, owned by one teacher."""

    __tablename__ = "school_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    joining_open: Mapped[bool] = mapped_column(default=True)
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    teacher: Mapped[User] = relationship()
    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="school_class", cascade="all, delete-orphan"
    )


class Enrolment(db.Model):
    """A student's membership of a class."""

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("class_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    school_class: Mapped[SchoolClass] = relationship(back_populates="enrolments")
    student: Mapped[User] = relationship(back_populates="enrolments")


class SignInFailure(db.Model):
    """One failed sign-in, kept briefly to slow down guessing per account and per address."""

    __tablename__ = "sign_in_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(254), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SetupToken(db.Model):
    """A one-time link that lets the first admin (or a new teacher) choose a password."""

    __tablename__ = "setup_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
