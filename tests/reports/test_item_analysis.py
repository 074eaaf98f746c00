"""Item analysis against a small data set whose figures are worked out by hand below."""

from __future__ import annotations

import pytest

from quizapp.reports.item_analysis import (
    ItemInfo,
    ResponseRow,
    analyse,
    flags_for,
    group_size,
    reliability,
)

# Six students (attempts 1–6 = A–F) × four right-or-wrong questions (items 11–14).
#
#          I1 I2 I3 I4 | total
#   A (1)   1  1  1  1 |   4
#   B (2)   1  1  1  0 |   3
#   C (3)   1  1  0  0 |   2
#   D (4)   1  0  1  0 |   2
#   E (5)   1  0  0  0 |   1
#   F (6)   0  0  0  1 |   1     (F left I1 blank)
#
# I1 is a single-choice question with options a (right), b, c: A–E chose a, F chose nothing.
MATRIX = {
    1: (1, 1, 1, 1),
    2: (1, 1, 1, 0),
    3: (1, 1, 0, 0),
    4: (1, 0, 1, 0),
    5: (1, 0, 0, 0),
    6: (0, 0, 0, 1),
}
ITEMS = [
    ItemInfo(
        11,
        "Q1",
        "Which?",
        "single_choice",
        (("a", "Alpha"), ("b", "Beta"), ("c", "Gamma")),
        frozenset({"a"}),
    ),
    ItemInfo(
        12, "Q2", "True?", "true_false", (("true", "True"), ("false", "False")), frozenset({"true"})
    ),
    ItemInfo(13, "Q3", "How many?", "numeric"),
    ItemInfo(14, "Q4", "Who?", "short_answer"),
]


def rows():
    for attempt, marks in MATRIX.items():
        for item, mark in zip((11, 12, 13, 14), marks, strict=True):
            chosen, blank = (), False
            if item == 11:
                chosen, blank = (("a",), False) if mark else ((), True)
            if item == 12:
                chosen = ("true",) if mark else ("false",)
            yield ResponseRow(attempt, item, float(mark), chosen, blank)


@pytest.fixture
def report():
    return analyse(ITEMS, list(rows()))


def by_key(report):
    return {s.item.key: s for s in report.items}


def test_facility_is_the_mean_mark(report):
    # I1: 5/6 = 0.8333; I2: 3/6 = 0.5; I3: 3/6 = 0.5; I4: 2/6 = 0.3333.
    stats = by_key(report)
    assert stats[11].facility == pytest.approx(5 / 6)
    assert stats[12].facility == pytest.approx(0.5)
    assert stats[13].facility == pytest.approx(0.5)
    assert stats[14].facility == pytest.approx(1 / 3)
    assert report.attempts == 6 and report.enough_data


def test_point_biserial_against_the_rest_of_the_test(report):
    # r = (nΣxy − ΣxΣy) / √((nΣx² − (Σx)²)(nΣy² − (Σy)²)), y = total − item ("rest"), n = 6.
    # I1: x = 1 1 1 1 1 0, y = 3 2 1 1 0 1.  Σx=5 Σy=8 Σxy=7 Σx²=5 Σy²=16
    #     r = (42 − 40) / √((30 − 25)(96 − 64)) = 2 / √160 = 0.15811
    # I2: x = 1 1 1 0 0 0, y = 3 2 1 2 1 1.  Σx=3 Σy=10 Σxy=6 Σx²=3 Σy²=20
    #     r = (36 − 30) / √((18 − 9)(120 − 100)) = 6 / √180 = 0.44721
    # I3: x = 1 1 0 1 0 0, y = 3 2 2 1 1 1.  Σx=3 Σy=10 Σxy=6 Σx²=3 Σy²=20  → 0.44721
    # I4: x = 1 0 0 0 0 1, y = 3 3 2 2 1 0.  Σx=2 Σy=11 Σxy=3 Σx²=2 Σy²=27
    #     r = (18 − 22) / √((12 − 4)(162 − 121)) = −4 / √328 = −0.22086
    stats = by_key(report)
    assert stats[11].point_biserial == pytest.approx(2 / 160**0.5)
    assert stats[11].point_biserial == pytest.approx(0.15811, abs=1e-5)
    assert stats[12].point_biserial == pytest.approx(6 / 180**0.5)
    assert stats[13].point_biserial == pytest.approx(0.44721, abs=1e-5)
    assert stats[14].point_biserial == pytest.approx(-4 / 328**0.5)
    assert stats[14].point_biserial == pytest.approx(-0.22086, abs=1e-5)


def test_upper_lower_27_percent(report):
    # Groups of round(0.27 × 6) = round(1.62) = 2. By total: A 4, B 3, C 2, D 2, E 1, F 1.
    # Upper = A, B; lower = E, F.
    # I1: (1+1)/2 − (1+0)/2 = 0.5    I2: 1 − 0 = 1.0    I3: 1 − 0 = 1.0    I4: 0.5 − 0.5 = 0.0
    assert group_size(6) == 2
    stats = by_key(report)
    assert stats[11].upper_lower == pytest.approx(0.5)
    assert stats[12].upper_lower == pytest.approx(1.0)
    assert stats[13].upper_lower == pytest.approx(1.0)
    assert stats[14].upper_lower == pytest.approx(0.0)


def test_kr20_for_right_or_wrong_items(report):
    # p = 5/6, 1/2, 1/2, 1/3 → pq = 5/36 + 9/36 + 9/36 + 8/36 = 31/36
    # totals 4 3 2 2 1 1: mean 13/6, Σt² = 35, variance = 35/6 − 169/36 = 41/36
    # KR-20 = 4/3 × (1 − (31/36)/(41/36)) = 4/3 × 10/41 = 40/123 = 0.32520
    assert report.reliability_method == "KR-20"
    assert report.reliability == pytest.approx(40 / 123)
    assert report.reliability == pytest.approx(0.32520, abs=1e-5)
    assert report.mean_total == pytest.approx(13 / 6)


def test_option_counts_and_blank_share(report):
    stats = by_key(report)
    options = {o.key: (o.count, o.correct) for o in stats[11].options}
    assert options == {"a": (5, True), "b": (0, False), "c": (0, False)}
    assert stats[11].blank_share == pytest.approx(1 / 6)
    assert [o.count for o in stats[12].options] == [3, 3]
    assert stats[13].options == [] and stats[13].blank_share == 0


def test_flags(report):
    stats = by_key(report)
    assert stats[11].flags == ["weak_discrimination"]  # r = 0.158 < 0.2
    assert stats[12].flags == [] and stats[13].flags == []
    assert stats[14].flags == ["check_key"]  # r < 0
    assert stats[14].flag_labels == ["check the key"]
    assert flags_for(0.1, 0.5) == ["too_hard"]
    assert flags_for(0.95, 0.3) == ["too_easy"]
    assert flags_for(0.5, None) == []


def test_cronbach_alpha_with_partial_marks():
    # item 1: 1 .5 0 1 .5 → mean .6, Σx² 2.5, variance .5 − .36 = .14
    # item 2: 1 1 0 .5 0  → mean .5, Σx² 2.25, variance .45 − .25 = .20
    # totals 2 1.5 0 1.5 .5 → mean 1.1, Σt² 8.75, variance 1.75 − 1.21 = .54
    # alpha = 2/1 × (1 − .34/.54) = 2 × .20/.54 = 0.74074
    value, method = reliability([[1, 1], [0.5, 1], [0, 0], [1, 0.5], [0.5, 0]])
    assert method == "Cronbach's alpha"
    assert value == pytest.approx(0.74074, abs=1e-5)


def test_fewer_than_five_attempts_is_not_enough_data():
    few = [r for r in rows() if r.attempt <= 4]
    report = analyse(ITEMS, few)
    assert report.attempts == 4 and not report.enough_data
    assert report.reliability is None
    stats = by_key(report)
    assert stats[11].facility == pytest.approx(1.0)  # still described
    assert all(
        s.point_biserial is None and s.upper_lower is None and not s.flags for s in report.items
    )


def test_no_attempts_at_all():
    report = analyse(ITEMS, [])
    assert report.attempts == 0 and not report.enough_data
    assert all(s.n == 0 and s.facility is None for s in report.items)
