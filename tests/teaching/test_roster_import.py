"""CSV roster import: good files create everyone, a bad file creates no one and names every row."""

from __future__ import annotations

from sqlalchemy import func, select

from quizapp import accounts
from quizapp.extensions import db
from quizapp.models import Enrolment, User
from quizapp.teaching.roster_import import MAX_ROWS, import_roster, parse_roster
from tests.helpers import gen_class, gen_student, gen_teacher


def students_count():
    return db.session.scalar(select(func.count()).select_from(User).where(User.role == "student"))


def test_parse_header_bom_semicolons_and_no_header():
    with_header = "\ufeffusername;name\r\n;Aylin Məmmədova\r\nshehla;Şəhla Əliyeva\r\n\r\n".encode()
    parsed = parse_roster(with_header)
    assert parsed.ok
    assert [(r.line, r.name, r.username) for r in parsed.rows] == [
        (2, "Aylin Məmmədova", None),
        (3, "Şəhla Əliyeva", "shehla"),
    ]
    plain = parse_roster("Tural Həsənov\nNigar  Quliyeva\n".encode())
    assert [r.name for r in plain.rows] == ["Tural Həsənov", "Nigar Quliyeva"]
    tabs = parse_roster(b"name\tusername\nAli Veli\tali.v\n")
    assert tabs.rows[0].username == "ali.v"


def test_parse_reports_every_bad_row():
    data = "name,username\nAylin Məmmədova,\n,lost\nA,\n{},\naylin məmmədova,\nTural,Bad Name!\nNigar,dup\nSevinc,dup\n".format(
        "x" * 81
    ).encode()
    parsed = parse_roster(data)
    messages = [str(p) for p in parsed.problems]
    assert not parsed.ok
    assert messages[0] == "Row 3: the name is empty"
    assert any(m.startswith("Row 4:") and "too short" in m for m in messages)
    assert any(m.startswith("Row 5:") and "too long" in m for m in messages)
    assert any(m.startswith("Row 6:") and "already on row 2" in m for m in messages)
    assert any(m.startswith("Row 7:") and "username" in m for m in messages)
    assert any(m.startswith("Row 9:") and "already on row 8" in m for m in messages)
    assert len(parsed.problems) == 6


def test_parse_rejects_non_utf8_and_too_many_rows():
    latin = "Müller\n".encode("latin-1")
    assert "not UTF-8" in str(parse_roster(latin).problems[0])
    many = "\n".join(f"Student {i}" for i in range(MAX_ROWS + 1)).encode()
    assert f"at most {MAX_ROWS}" in str(parse_roster(many).problems[0])
    assert "no names" in str(parse_roster(b"\n\n").problems[0])


def test_good_file_creates_and_enrols_everyone(ctx):
    school_class = gen_class(gen_teacher())
    created, problems = import_roster(
        db.session, school_class, "name\nAylin Məmmədova\nŞəhla Əliyeva\n".encode()
    )
    db.session.commit()
    assert problems == []
    assert [u.display_name for u, _ in created] == ["Aylin Məmmədova", "Şəhla Əliyeva"]
    aylin, password = created[0]
    assert aylin.username == "aylin.memmedova"
    assert aylin.must_change_password
    assert accounts.verify_password(aylin, password)
    assert password not in aylin.password_hash
    assert (
        db.session.scalar(
            select(func.count()).select_from(Enrolment).where(Enrolment.class_id == school_class.id)
        )
        == 2
    )


def test_bad_file_writes_nothing(ctx):
    school_class = gen_class(gen_teacher())
    gen_student(school_class, name="Nigar Quliyeva")
    taken = gen_student(name="Someone Else")
    before = students_count()
    data = f"name,username\nAylin Məmmədova,\nŞəhla Əliyeva,{taken.username}\nNigar Quliyeva,\n".encode()
    created, problems = import_roster(db.session, school_class, data)
    db.session.rollback()
    assert created == []
    assert [p.line for p in problems] == [3, 4]
    assert "is taken" in problems[0].message
    assert "already in this class" in problems[1].message
    assert students_count() == before
    assert db.session.scalar(select(User.id).where(User.display_name == "Aylin Məmmədova")) is None
