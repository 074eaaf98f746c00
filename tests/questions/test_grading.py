"""Each question type's grading function, on bodies built the way content files build them."""

from __future__ import annotations

import random

import pytest

from quizapp.questions import QUESTION_TYPES, get_type
from quizapp.questions.text_matching import fold_diacritics, normalise_answer, parse_number


def body(type_name: str, **raw):
    built, problems = get_type(type_name).build_body(raw)
    assert problems == []
    return built


def key_of(built, text):
    return next(o["key"] for o in built["options"] if o["text"] == text)


def test_registry_has_the_eight_types():
    assert set(QUESTION_TYPES) == {
        "single_choice",
        "multiple_response",
        "true_false",
        "short_answer",
        "numeric",
        "ordering",
        "matching",
        "cloze",
    }


def test_single_choice_full_or_nothing():
    qtype = get_type("single_choice")
    b = body("single_choice", options=[{"text": "Baku", "correct": True}, "Ganja", "Sumgait"])
    assert qtype.grade(b, key_of(b, "Baku")).fraction == 1.0
    assert qtype.grade(b, key_of(b, "Ganja")).fraction == 0.0
    assert qtype.grade(b, None).fraction == 0.0


def test_multiple_response_partial_credit_with_penalty_for_wrong_ticks():
    qtype = get_type("multiple_response")
    b = body(
        "multiple_response",
        options=[
            {"text": "A1", "correct": True},
            {"text": "B2", "correct": True},
            {"text": "C3", "correct": True},
            "D4",
            "E5",
        ],
    )
    k = {o["text"]: o["key"] for o in b["options"]}
    assert qtype.grade(b, [k["A1"], k["B2"], k["C3"]]).fraction == 1.0
    assert qtype.grade(b, [k["A1"], k["B2"]]).fraction == pytest.approx(2 / 3)
    assert qtype.grade(b, [k["A1"], k["B2"], k["D4"]]).fraction == pytest.approx(1 / 3)
    assert qtype.grade(b, list(k.values())).fraction == pytest.approx(1 / 3)
    assert qtype.grade(b, [k["D4"], k["E5"]]).fraction == 0.0
    assert qtype.grade(b, ["forged-key"]).fraction == 0.0


def test_true_false():
    qtype = get_type("true_false")
    b = body("true_false", answer=False)
    assert qtype.grade(b, False).fraction == 1.0
    assert qtype.grade(b, True).fraction == 0.0
    assert qtype.grade(b, None).fraction == 0.0


@pytest.mark.parametrize("typed", ["Baku", "baku", "  BAKU ", "Bakı", "bakı.", "Baki", "BAKI"])
def test_short_answer_normalises_case_space_and_diacritics(typed):
    # 'Baku' (English) and 'Bakı' (Azerbaijani) are two spellings, listed as variants;
    # folding diacritics lets 'Baki', typed without the dotless ı, match 'Bakı'.
    b = body("short_answer", accept=["Baku", "Bakı"], ignore_diacritics=True)
    assert get_type("short_answer").grade(b, typed).is_correct


def test_short_answer_rejects_other_words():
    b = body("short_answer", accept=["Baku", "Bakı"])
    for typed in ("Ganja", "Bak", "", "Baku Baku"):
        assert not get_type("short_answer").grade(b, typed).is_correct


def test_short_answer_respects_case_and_diacritic_options():
    strict = body("short_answer", accept=["Bakı"], case_sensitive=True, ignore_diacritics=False)
    qtype = get_type("short_answer")
    assert qtype.grade(strict, "Bakı").is_correct
    assert not qtype.grade(strict, "Baku").is_correct
    assert not qtype.grade(strict, "bakı").is_correct


def test_normalised_forms_are_the_same_remembered_or_not():
    # Short answers are remembered, long ones normalised each time: the same canonical form
    # either way, and each set of options remembered apart.
    short = "  Şəhidlər   Xiyabanı. "
    long = short + "x" * 300
    for _ in range(2):
        assert normalise_answer(short) == "şəhidlər xiyabanı"
        assert normalise_answer(short, ignore_diacritics=True) == "sehidler xiyabani"
        assert normalise_answer(short, case_sensitive=True) == "Şəhidlər Xiyabanı"
        assert normalise_answer(long, ignore_diacritics=True) == "sehidler xiyabani. " + "x" * 300


def test_fold_diacritics_covers_azerbaijani_letters():
    assert fold_diacritics("Şəhidlər Xiyabanı ğöüçİ") == "Sehidler Xiyabani goucI"
    assert normalise_answer("ŞƏHİDLƏR", ignore_diacritics=True) == "sehidler"


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("147", 147),
        ("1,200", 1200),
        ("1 200", 1200),
        ("26,000 troops", 26000),
        ("1,5", 1.5),
        ("-3.5", -3.5),
        ("about 130", 130),
        ("", None),
        ("many", None),
    ],
)
def test_parse_number(typed, value):
    assert parse_number(typed) == value


def test_numeric_tolerance_and_unit():
    qtype = get_type("numeric")
    b = body("numeric", answer=26000, tolerance=1000, unit="troops")
    assert qtype.grade(b, "26 000").is_correct
    assert qtype.grade(b, "25000").is_correct
    assert not qtype.grade(b, "24999").is_correct
    assert not qtype.grade(b, "lots").is_correct
    assert qtype.describe_correct(b) == "26000 (± 1000) troops"


def test_ordering_counts_pairs_in_right_relative_order():
    qtype = get_type("ordering")
    b = body("ordering", items=["first", "second", "third", "fourth", "fifth"])
    keys = [i["key"] for i in b["items"]]
    perfect = {k: n for n, k in enumerate(keys, 1)}
    assert qtype.grade(b, perfect).fraction == 1.0
    swapped = dict(perfect)
    swapped[keys[0]], swapped[keys[1]] = 2, 1
    assert qtype.grade(b, swapped).fraction == pytest.approx(9 / 10)
    reversed_ = {k: 6 - n for k, n in perfect.items()}
    assert qtype.grade(b, reversed_).fraction == 0.0
    assert qtype.grade(b, {}).fraction == 0.0


def test_ordering_page_never_shows_the_right_order():
    qtype = get_type("ordering")
    b = body("ordering", items=["a1", "b2", "c3"])
    for seed in range(50):
        shown = [i["key"] for i in qtype.public_view(b, random.Random(seed))["items"]]
        assert shown != [i["key"] for i in b["items"]]


def test_matching_fraction_of_pairs():
    qtype = get_type("matching")
    b = body(
        "matching",
        pairs=[
            {"left": "Gorbachev", "right": "Signed the decree"},
            {"left": "Aliyev", "right": "Spoke in Moscow"},
            {"left": "Mutalibov", "right": "Became First Secretary"},
        ],
        distractors=["Commanded the navy"],
    )
    right = qtype.correct_answer(b)
    assert qtype.grade(b, right).is_correct
    one_wrong = dict(right)
    first = b["pairs"][0]["key"]
    one_wrong[first] = b["distractors"][0]["key"]
    assert qtype.grade(b, one_wrong).fraction == pytest.approx(2 / 3)


def test_cloze_blanks_graded_separately_with_choices():
    qtype = get_type("cloze")
    b = body(
        "cloze",
        text="Mourning day is {{a}}; silence at {{b}}.",
        blanks={
            "a": ["National Mourning Day", "Ümumxalq Hüzn Günü"],
            "b": {"accept": ["12:00"], "options": ["09:00", "12:00"]},
        },
    )
    noon = next(o["key"] for o in b["blanks"][1]["options"] if o["text"] == "12:00")
    assert qtype.grade(b, {"a": "umumxalq huzn gunu", "b": noon}).is_correct
    assert qtype.grade(b, {"a": "national mourning day", "b": "wrong"}).fraction == 0.5


@pytest.mark.parametrize("type_name", sorted(QUESTION_TYPES))
def test_public_view_never_contains_the_answer_flags(type_name, example_bodies):
    view = get_type(type_name).public_view(example_bodies[type_name], random.Random(1))
    text = repr(view)
    for marker in ("'correct'", "'accept'", "'answer'", "'right_key'", "'tolerance'", "'feedback'"):
        assert marker not in text


@pytest.mark.parametrize("type_name", sorted(QUESTION_TYPES))
def test_correct_answer_gets_full_marks_and_round_trips_to_content(type_name, example_bodies):
    qtype = get_type(type_name)
    b = example_bodies[type_name]
    assert qtype.grade(b, qtype.correct_answer(b)).is_correct
    rebuilt, problems = qtype.build_body(qtype.to_content(b))
    assert problems == [] and rebuilt == b
