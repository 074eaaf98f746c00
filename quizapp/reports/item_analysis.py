"""Item analysis of a quiz, after Moodle's quiz statistics report. Pure functions over rows.

Which attempts count: each student's FIRST submitted attempt at the assignment (later
attempts are coached by the review of the first, so they would flatter the items). Items are
grouped by question, not by slot, because a shuffled quiz puts a question in a different slot
for each student. A student's total is the sum of their item fractions, so every item weighs
the same whatever its points.

- facility index: the mean fraction scored on the item (0 = nobody, 1 = everybody);
- discrimination: the point-biserial (Pearson) correlation of the item's fraction with the
  *rest* of the test (total minus the item, so the item does not correlate with itself), and
  the upper–lower index: mean item fraction of the top 27 % by total minus that of the bottom
  27 % (groups of round(0.27 × n), at least 1; ties broken by the order the rows came in);
- option frequencies for choice questions, and the share of blank answers;
- reliability: KR-20 when every item was scored right or wrong, otherwise Cronbach's alpha,
  both with population variances (divide by n), over the items every counted attempt had.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MIN_ATTEMPTS = 5
GROUP_SHARE = 0.27

FLAG_LABELS = {
    "too_hard": "too hard",
    "too_easy": "too easy",
    "weak_discrimination": "weak discrimination",
    "check_key": "check the key",
}


@dataclass(frozen=True)
class ItemInfo:
    """One question of the quiz as the report shows it."""

    key: int  # the question's id
    label: str  # "Q1"
    prompt: str
    qtype: str
    options: tuple[tuple[str, str], ...] = ()  # (option key, text) for choice questions
    correct_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ResponseRow:
    """One counted attempt's graded answer to one item."""

    attempt: int
    item: int
    fraction: float
    chosen: tuple[str, ...] = ()  # option keys chosen (choice questions)
    blank: bool = False


@dataclass(frozen=True)
class OptionCount:
    """How often one option was chosen."""

    key: str
    text: str
    correct: bool
    count: int
    share: float


@dataclass
class ItemStats:
    """The figures of one item."""

    item: ItemInfo
    n: int
    facility: float | None
    point_biserial: float | None
    upper_lower: float | None
    blank_share: float | None
    options: list[OptionCount] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def flag_labels(self) -> list[str]:
        """The flags in words."""
        return [FLAG_LABELS[f] for f in self.flags]


@dataclass
class QuizAnalysis:
    """The report of one quiz."""

    attempts: int
    items: list[ItemStats]
    enough_data: bool
    reliability: float | None
    reliability_method: str | None  # "KR-20" or "Cronbach's alpha"
    mean_total: float | None
    sd_total: float | None
    min_attempts: int = MIN_ATTEMPTS


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean of a non-empty sequence."""
    return sum(values) / len(values)


def pvariance(values: Sequence[float]) -> float:
    """Population variance (divide by n)."""
    m = mean(values)
    return sum((v - m) ** 2 for v in values) / len(values)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None when either variable does not vary (or there are < 2 pairs)."""
    if len(xs) < 2:
        return None
    mx, my = mean(xs), mean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sxy / math.sqrt(sxx * syy)


def group_size(n: int) -> int:
    """How many attempts form the upper (and the lower) group: 27 % of n, at least 1."""
    return max(1, round(GROUP_SHARE * n))


def upper_lower_index(item_scores: Sequence[float], totals: Sequence[float]) -> float | None:
    """Mean item score of the top 27 % by total minus that of the bottom 27 %."""
    n = len(totals)
    if n < 2:
        return None
    g = min(group_size(n), n // 2)
    order = sorted(range(n), key=lambda i: -totals[i])  # stable: ties keep their order
    upper = [item_scores[i] for i in order[:g]]
    lower = [item_scores[i] for i in order[-g:]]
    return mean(upper) - mean(lower)


def reliability(matrix: Sequence[Sequence[float]]) -> tuple[float | None, str | None]:
    """KR-20 for an all-dichotomous matrix (attempts × items), else Cronbach's alpha."""
    if not matrix or len(matrix) < 2:
        return None, None
    k = len(matrix[0])
    if k < 2:
        return None, None
    dichotomous = all(v in (0.0, 1.0) for row in matrix for v in row)
    totals = [sum(row) for row in matrix]
    total_var = pvariance(totals)
    if total_var <= 1e-12:
        return None, "KR-20" if dichotomous else "Cronbach's alpha"
    if dichotomous:
        ps = [mean([row[j] for row in matrix]) for j in range(k)]
        item_var = sum(p * (1 - p) for p in ps)
        method = "KR-20"
    else:
        item_var = sum(pvariance([row[j] for row in matrix]) for j in range(k))
        method = "Cronbach's alpha"
    return (k / (k - 1)) * (1 - item_var / total_var), method


def flags_for(facility: float | None, discrimination: float | None) -> list[str]:
    """Facility < 0.2 too hard, > 0.9 too easy; discrimination < 0 check the key, < 0.2 weak."""
    flags = []
    if facility is not None and facility < 0.2:
        flags.append("too_hard")
    if facility is not None and facility > 0.9:
        flags.append("too_easy")
    if discrimination is not None:
        if discrimination < 0:
            flags.append("check_key")
        elif discrimination < 0.2:
            flags.append("weak_discrimination")
    return flags


def analyse(items: Sequence[ItemInfo], rows: Iterable[ResponseRow]) -> QuizAnalysis:
    """The item analysis of a quiz from each counted attempt's responses."""
    by_attempt: dict[int, dict[int, ResponseRow]] = {}
    for row in rows:
        by_attempt.setdefault(row.attempt, {})[row.item] = row
    attempt_ids = list(by_attempt)
    n = len(attempt_ids)
    totals = {a: sum(r.fraction for r in by_attempt[a].values()) for a in attempt_ids}
    enough = n >= MIN_ATTEMPTS

    stats: list[ItemStats] = []
    for item in items:
        answered = [a for a in attempt_ids if item.key in by_attempt[a]]
        if not answered:
            stats.append(ItemStats(item, 0, None, None, None, None))
            continue
        scores = [by_attempt[a][item.key].fraction for a in answered]
        item_totals = [totals[a] for a in answered]
        facility = mean(scores)
        rests = [t - s for t, s in zip(item_totals, scores, strict=True)]
        pbis = pearson(scores, rests) if enough else None
        ul = upper_lower_index(scores, item_totals) if enough else None
        blank = sum(by_attempt[a][item.key].blank for a in answered) / len(answered)
        options = []
        if item.options:
            counts = dict.fromkeys((k for k, _ in item.options), 0)
            for a in answered:
                for key in by_attempt[a][item.key].chosen:
                    if key in counts:
                        counts[key] += 1
            options = [
                OptionCount(k, text, k in item.correct_keys, counts[k], counts[k] / len(answered))
                for k, text in item.options
            ]
        stats.append(
            ItemStats(
                item=item,
                n=len(answered),
                facility=facility,
                point_biserial=pbis,
                upper_lower=ul,
                blank_share=blank,
                options=options,
                flags=flags_for(facility, pbis) if enough else [],
            )
        )

    common = [i.key for i in items if all(i.key in by_attempt[a] for a in attempt_ids)]
    rel, method = (None, None)
    if enough:
        rel, method = reliability(
            [[by_attempt[a][k].fraction for k in common] for a in attempt_ids]
        )
    total_values = list(totals.values())
    return QuizAnalysis(
        attempts=n,
        items=stats,
        enough_data=enough,
        reliability=rel,
        reliability_method=method,
        mean_total=mean(total_values) if total_values else None,
        sd_total=math.sqrt(pvariance(total_values)) if total_values else None,
    )
