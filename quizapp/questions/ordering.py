"""Ordering: put 3–8 items (events, steps) in the right order.

The answer maps each item to the position the student gave it. Partial credit counts pairs:
of all n(n−1)/2 pairs of items, the fraction the student put in the right relative order
(a pair with a missing or tied position counts as wrong). Swapping two neighbours in a list of
five therefore still earns 9/10.
"""

from __future__ import annotations

from itertools import combinations

from quizapp.questions.base import Grade, Problem, QuestionType, stable_key


class Ordering(QuestionType):
    name = "ordering"
    label = "Ordering"
    content_keys = ("items",)

    def build_body(self, raw):
        value = raw.get("items")
        if not isinstance(value, list):
            return {"items": []}, [
                Problem("items", "must be a list of 3 to 8 items in the right order")
            ]
        problems = []
        if not 3 <= len(value) <= 8:
            problems.append(Problem("items", f"has {len(value)} items; give 3 to 8"))
        items, seen = [], set()
        for index, item in enumerate(value, start=1):
            if (
                not isinstance(item, (str, int, float))
                or isinstance(item, bool)
                or not str(item).strip()
            ):
                problems.append(Problem(f"items[{index}]", "must be a non-empty text"))
                continue
            text = str(item).strip()
            if text.casefold() in seen:
                problems.append(Problem(f"items[{index}]", f"repeats {text!r}"))
            seen.add(text.casefold())
            items.append({"key": stable_key(text), "text": text})
        return {"items": items}, problems

    def to_content(self, body):
        return {"items": [i["text"] for i in body["items"]]}

    def search_words(self, body):
        return [i["text"] for i in body["items"]]

    def public_view(self, body, rng):
        items = [{"key": i["key"], "text": i["text"]} for i in body["items"]]
        # Always shuffled, and never left in the right order when it can be avoided:
        # the page must not give the answer away.
        items = sorted(items, key=lambda i: i["key"]) if rng is None else self._shuffled(items, rng)
        if len(items) > 1 and [i["key"] for i in items] == [i["key"] for i in body["items"]]:
            items = items[1:] + items[:1]
        return {"items": items, "positions": list(range(1, len(items) + 1))}

    def parse_form(self, form, prefix, body):
        answer = {}
        for item in body["items"]:
            raw = form.get(f"{prefix}-{item['key']}")
            if raw and raw.isdigit():
                answer[item["key"]] = int(raw)
        return answer

    def clean_answer(self, answer, body):
        if answer in (None, ""):
            return {}
        if isinstance(answer, list):  # a list of keys in order, as the drag-and-drop sends it
            answer = {key: pos for pos, key in enumerate(answer, start=1) if isinstance(key, str)}
        if not isinstance(answer, dict):
            raise ValueError("an ordering answer maps item keys to positions")
        keys = {i["key"] for i in body["items"]}
        clean = {}
        for key, pos in answer.items():
            if (
                key in keys
                and isinstance(pos, int)
                and not isinstance(pos, bool)
                and 1 <= pos <= len(keys)
            ):
                clean[key] = pos
        return clean

    def grade(self, body, answer):
        """Fraction of item pairs in the right relative order."""
        given = answer or {}
        keys = [i["key"] for i in body["items"]]
        pairs = list(combinations(keys, 2))  # in the right order: first before second
        good = sum(1 for a, b in pairs if a in given and b in given and given[a] < given[b])
        return Grade(
            good / len(pairs) if pairs else 0.0, {"pairs_right": good, "pairs": len(pairs)}
        )

    def correct_answer(self, body):
        return {item["key"]: pos for pos, item in enumerate(body["items"], start=1)}

    def describe_answer(self, body, answer):
        if not answer:
            return "(no answer)"
        texts = {i["key"]: i["text"] for i in body["items"]}
        ordered = sorted(answer.items(), key=lambda kv: kv[1])
        return " → ".join(f"{pos}. {texts.get(key, '?')}" for key, pos in ordered)
