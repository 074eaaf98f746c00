"""Matching: pair each item on the left (people, places) with one on the right (roles, facts).

Extra right-hand ``distractors`` make guessing by elimination harder. Partial credit: the
fraction of left items matched correctly.
"""

from __future__ import annotations

from quizapp.questions.base import Grade, Problem, QuestionType, stable_key


class Matching(QuestionType):
    name = "matching"
    label = "Matching"
    content_keys = ("pairs", "distractors")

    def build_body(self, raw):
        problems = []
        value = raw.get("pairs")
        if not isinstance(value, list):
            return {"pairs": [], "distractors": []}, [
                Problem("pairs", "must be a list of 3 to 8 {left, right} pairs")
            ]
        if not 3 <= len(value) <= 8:
            problems.append(Problem("pairs", f"has {len(value)} pairs; give 3 to 8"))
        pairs, lefts, rights = [], set(), set()
        for index, pair in enumerate(value, start=1):
            if not isinstance(pair, dict) or not all(
                isinstance(pair.get(k), (str, int, float)) and str(pair.get(k)).strip()
                for k in ("left", "right")
            ):
                problems.append(Problem(f"pairs[{index}]", "needs a left and a right text"))
                continue
            left, right = str(pair["left"]).strip(), str(pair["right"]).strip()
            if left.casefold() in lefts:
                problems.append(Problem(f"pairs[{index}].left", f"repeats {left!r}"))
            if right.casefold() in rights:
                problems.append(Problem(f"pairs[{index}].right", f"repeats {right!r}"))
            lefts.add(left.casefold())
            rights.add(right.casefold())
            pairs.append(
                {
                    "key": stable_key(left, "L"),
                    "left": left,
                    "right_key": stable_key(right, "R"),
                    "right": right,
                }
            )
        distractors = []
        extra = raw.get("distractors", []) or []
        if not isinstance(extra, list):
            problems.append(Problem("distractors", "must be a list of texts"))
            extra = []
        for index, text in enumerate(extra, start=1):
            if not isinstance(text, (str, int, float)) or not str(text).strip():
                problems.append(Problem(f"distractors[{index}]", "must be a non-empty text"))
                continue
            text = str(text).strip()
            if text.casefold() in rights:
                problems.append(Problem(f"distractors[{index}]", f"repeats {text!r}"))
            rights.add(text.casefold())
            distractors.append({"key": stable_key(text, "R"), "text": text})
        return {"pairs": pairs, "distractors": distractors}, problems

    def to_content(self, body):
        out = {"pairs": [{"left": p["left"], "right": p["right"]} for p in body["pairs"]]}
        if body["distractors"]:
            out["distractors"] = [d["text"] for d in body["distractors"]]
        return out

    def search_words(self, body):
        return (
            [p["left"] for p in body["pairs"]]
            + [p["right"] for p in body["pairs"]]
            + [d["text"] for d in body["distractors"]]
        )

    def _choices(self, body):
        return [{"key": p["right_key"], "text": p["right"]} for p in body["pairs"]] + [
            {"key": d["key"], "text": d["text"]} for d in body["distractors"]
        ]

    def public_view(self, body, rng):
        lefts = [{"key": p["key"], "text": p["left"]} for p in body["pairs"]]
        choices = self._choices(body)
        if rng is None:
            choices.sort(key=lambda c: c["text"].casefold())
        else:
            rng.shuffle(lefts)
            rng.shuffle(choices)
        return {"lefts": lefts, "choices": choices}

    def parse_form(self, form, prefix, body):
        answer = {}
        for pair in body["pairs"]:
            value = form.get(f"{prefix}-{pair['key']}")
            if value:
                answer[pair["key"]] = value
        return answer

    def clean_answer(self, answer, body):
        if answer in (None, ""):
            return {}
        if not isinstance(answer, dict):
            raise ValueError("a matching answer maps left keys to right keys")
        lefts = {p["key"] for p in body["pairs"]}
        rights = {c["key"] for c in self._choices(body)}
        return {
            k: v for k, v in answer.items() if k in lefts and isinstance(v, str) and v in rights
        }

    def grade(self, body, answer):
        """Fraction of left items paired with their right partner."""
        given = answer or {}
        right = sum(1 for p in body["pairs"] if given.get(p["key"]) == p["right_key"])
        return Grade(right / len(body["pairs"]) if body["pairs"] else 0.0, {"matched": right})

    def correct_answer(self, body):
        return {p["key"]: p["right_key"] for p in body["pairs"]}

    def describe_answer(self, body, answer):
        if not answer:
            return "(no answer)"
        texts = {c["key"]: c["text"] for c in self._choices(body)}
        return "; ".join(
            f"{p['left']} → {texts.get(answer.get(p['key']), '—')}" for p in body["pairs"]
        )
