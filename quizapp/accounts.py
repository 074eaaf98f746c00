"""Accounts: passwords, sign-in throttling, join codes and generated student credentials.

Services commit nothing; the caller (a view or a CLI command) commits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from quizapp.models import Enrolment, SchoolClass, SetupToken, SignInFailure, User
from quizapp.models._types import utcnow
from quizapp.resources import PACKAGE_DIR

MIN_PASSWORD_STUDENT = 8
MIN_PASSWORD_STAFF = 12
# No 0/O, 1/I/l: codes and passwords are read aloud and copied from cards.
UNAMBIGUOUS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
WORDS = (
    "amber",
    "river",
    "cedar",
    "maple",
    "harbor",
    "meadow",
    "falcon",
    "violet",
    "canyon",
    "summit",
    "lantern",
    "willow",
    "pebble",
    "orchid",
    "tundra",
    "glacier",
    "comet",
    "saffron",
    "juniper",
    "marble",
    "velvet",
    "quartz",
    "ember",
    "lagoon",
    "prairie",
    "thistle",
    "garnet",
)


def hash_password(password: str) -> str:
    """A salted scrypt hash (memory-hard), with the cost set in configuration."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(user: User | None, password: str) -> bool:
    """Check a password; spends the same time when the user does not exist."""
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)


@lru_cache(maxsize=4)
def _dummy_hash_for(method: str) -> str:
    return generate_password_hash(secrets.token_hex(8), method=method)


def _dummy_hash() -> str:
    return _dummy_hash_for(current_app.config["PASSWORD_HASH_METHOD"])


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """Passwords too common to allow (shipped list, lower-case)."""
    path = PACKAGE_DIR / "data" / "common-passwords.txt"
    return frozenset(
        line.strip().casefold() for line in path.read_text().splitlines() if line.strip()
    )


def password_problems(password: str, role: str, *, names: tuple[str, ...] = ()) -> list[str]:
    """Why a new password is not acceptable (empty list: it is). No composition rules."""
    minimum = MIN_PASSWORD_STUDENT if role == "student" else MIN_PASSWORD_STAFF
    problems = []
    if len(password) < minimum:
        problems.append(f"Use at least {minimum} characters.")
    if len(password) > 128:
        problems.append("Use at most 128 characters.")
    lowered = password.casefold()
    if lowered in common_passwords() or lowered.rstrip("0123456789!") in common_passwords():
        problems.append("This password is on a list of common passwords; choose another.")
    if any(n and len(n) >= 3 and n.casefold() in lowered for n in names):
        problems.append("Do not use your name or sign-in name in the password.")
    return problems


def generate_password(words: int = 3) -> str:
    """An easy-to-type generated password such as 'cedar-falcon-violet-42'."""
    return "-".join(secrets.choice(WORDS) for _ in range(words)) + f"-{secrets.randbelow(90) + 10}"


def generate_join_code(session: Session) -> str:
    """A new unique class code such as 'K7M-3QP'."""
    while True:
        code = "".join(secrets.choice(UNAMBIGUOUS) for _ in range(6))
        code = f"{code[:3]}-{code[3:]}"
        if session.scalar(select(SchoolClass.id).where(SchoolClass.join_code == code)) is None:
            return code


def normalise_join_code(raw: str) -> str:
    """'k7m3qp', 'K7M 3QP' and 'K7M-3QP' are the same code."""
    clean = "".join(ch for ch in raw.upper() if ch.isalnum())
    return f"{clean[:3]}-{clean[3:]}" if len(clean) == 6 else clean


def find_user_for_sign_in(session: Session, login: str) -> User | None:
    """Staff by email, students by username (case-insensitive)."""
    login = login.strip().casefold()
    if not login:
        return None
    return session.scalar(
        select(User).where(or_(func.lower(User.email) == login, func.lower(User.username) == login))
    )


def sign_in_delay(session: Session, login: str, remote_addr: str) -> int:
    """Seconds the next sign-in must wait, from recent failures for this account or address.

    The first few failures are free; after that the wait doubles with each failure, up to a cap.
    """
    config = current_app.config
    since = utcnow() - timedelta(minutes=15)
    by_account = (
        session.scalar(
            select(func.count()).where(
                SignInFailure.account_key == login.casefold(), SignInFailure.failed_at > since
            )
        )
        or 0
    )
    by_address = (
        session.scalar(
            select(func.count()).where(
                SignInFailure.remote_addr == remote_addr, SignInFailure.failed_at > since
            )
        )
        or 0
    )
    # An address (a school's NAT) gets more free failures than one account.
    excess = max(
        by_account - config["LOGIN_THROTTLE_FREE_FAILURES"],
        (by_address - 4 * config["LOGIN_THROTTLE_FREE_FAILURES"]) // 4,
    )
    if excess <= 0:
        return 0
    last = session.scalar(
        select(func.max(SignInFailure.failed_at)).where(
            or_(
                SignInFailure.account_key == login.casefold(),
                SignInFailure.remote_addr == remote_addr,
            )
        )
    )
    wait = min(2**excess, config["LOGIN_THROTTLE_MAX_DELAY_SECONDS"])
    remaining = wait - (utcnow() - last).total_seconds() if last else 0
    return max(0, int(remaining + 0.999))


def record_sign_in_failure(session: Session, login: str, remote_addr: str) -> None:
    """Remember a failure (and forget ones older than a day)."""
    session.execute(
        delete(SignInFailure).where(SignInFailure.failed_at < utcnow() - timedelta(days=1))
    )
    session.add(SignInFailure(account_key=login.casefold()[:254], remote_addr=remote_addr[:64]))


def clear_sign_in_failures(session: Session, login: str) -> None:
    """Forget an account's failures after it signs in."""
    session.execute(delete(SignInFailure).where(SignInFailure.account_key == login.casefold()))


def unique_username(session: Session, display_name: str) -> str:
    """A sign-in name derived from a display name: 'Aylin Məmmədova' -> 'aylin.memmedova', then '.2'…"""
    from quizapp.questions.text_matching import fold_diacritics

    base = "".join(ch if ch.isalnum() else "." for ch in fold_diacritics(display_name).casefold())
    base = ".".join(part for part in base.split(".") if part)[:40] or "student"
    candidate, number = base, 1
    while session.scalar(select(User.id).where(func.lower(User.username) == candidate)) is not None:
        number += 1
        candidate = f"{base}.{number}"
    return candidate


def create_student(
    session: Session,
    display_name: str,
    password: str,
    school_class: SchoolClass | None = None,
    username: str | None = None,
) -> User:
    """A student account, enrolled in ``school_class`` if given."""
    user = User(
        role="student",
        display_name=display_name.strip(),
        username=username or unique_username(session, display_name),
        password_hash=hash_password(password),
    )
    session.add(user)
    if school_class is not None:
        session.add(Enrolment(school_class=school_class, student=user))
    session.flush()
    return user


def create_staff(
    session: Session,
    email: str,
    display_name: str,
    role: str = "teacher",
    password: str | None = None,
) -> User:
    """A teacher or admin; without a password they set one through a setup link."""
    user = User(
        role=role,
        email=email.strip().casefold(),
        display_name=display_name.strip(),
        password_hash=hash_password(password or secrets.token_urlsafe(32)),
    )
    session.add(user)
    session.flush()
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_setup_token(session: Session, user: User, hours: int = 48) -> str:
    """A one-time token to choose a password; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(
        SetupToken(
            token_hash=_token_digest(token), user=user, expires_at=utcnow() + timedelta(hours=hours)
        )
    )
    session.flush()
    return token


def redeem_setup_token(session: Session, token: str, *, consume: bool) -> User | None:
    """The user a valid, unused, unexpired token belongs to; marks it used when ``consume``."""
    row = session.scalar(select(SetupToken).where(SetupToken.token_hash == _token_digest(token)))
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        return None
    if consume:
        row.used_at = utcnow()
    return row.user


def set_password(user: User, password: str) -> None:
    """Change a password and end every other session of the user."""
    user.password_hash = hash_password(password)
    user.must_change_password = False
    user.session_generation += 1


def enrolled_class_ids(session: Session, student: User) -> list[int]:
    """Ids of the classes a student belongs to."""
    return list(
        session.scalars(select(Enrolment.class_id).where(Enrolment.student_id == student.id))
    )


def touch_login(user: User, when: datetime | None = None) -> None:
    """Record a successful sign-in."""
    user.last_login_at = when or utcnow()
