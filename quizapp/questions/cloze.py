"""Cloze: a passage with several blanks written ``{{name}}``, each typed or chosen from a list.

Each blank is compared like a short answer (``accept`` variants, case and diacritics rules) or,
when it has ``options``, must be the option named in ``accept``. Partial credit: the fraction of
blanks right.
"""

from __future__ import annotations

import re
from typing import Any

from quizapp.questions.base import Grade, Problem, QuestionType, stable_key
from quizapp.questions.short_answer import build_accept_list, matches_any

BLANK = re.compile(r"\{\{\s*([A-Za-z0-9_-]+)\s*\}\}")


def split_passage(text: str) -> list[dict[str, str]]:
    """Split a cloze passage into [{'text': ...}, {'blank': name}, ...] for rendering."""
    parts, last = [], 0
    for match in BLANK.finditer(text):
        if match.start() > last:
            parts.append({"text": text[last : match.start()]})
        parts.append({"blank": match.group(1)})
        last = match.end()
    if last < len(text):
        parts.append({"text": text[last:]})
    return parts


class Cloze(QuestionType):
    name = "cloze"
    label = "Cloze (fill the blanks)"
    content_keys = ("text", "blanks")

    def build_body(self, raw):
        problems: list[Problem] = []
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip():
            return {"text": "", "blanks": []}, [Problem("text", "needs a passage with {{blanks}}")]
        names = [m.group(1) for m in BLANK.finditer(text)]
        if len(names) < 2:
            problems.append(Problem("text", f"has {len(names)} blank(s); a cloze needs at least 2"))
        if len(set(names)) != len(names):
            problems.append(Problem("text", "uses the same blank name twice"))
        spec = raw.get("blanks")
        if not isinstance(spec, dict):
            return {"text": text, "blanks": []}, [
                *problems,
                Problem("blanks", "must map each blank name to its accepted answers"),
            ]
        spec = {str(k): v for k, v in spec.items()}
        for missing in [n for n in names if n not in spec]:
            problems.append(Problem(f"blanks.{missing}", "is in the text but has no answer"))
        for extra in [n for n in spec if n not in names]:
            problems.append(Problem(f"blanks.{extra}", "has an answer but is not in the text"))
        blanks = []
        for name in names:
            if name not in spec:
                continue
            value = spec[name]
            if not isinstance(value, dict):
                value = {"accept": value}
            accepted, more = build_accept_list(value.get("accept"), f"blanks.{name}.accept")
            problems.extend(more)
            blank: dict[str, Any] = {
                "name": name,
                "accept": accepted,
                "case_sensitive": bool(value.get("case_sensitive", False)),
                "ignore_diacritics": bool(value.get("ignore_diacritics", True)),
            }
            options = value.get("options")
            if options is not None:
                if not isinstance(options, list) or len(options) < 2:
                    problems.append(
                        Problem(f"blanks.{name}.options", "must list at least 2 choices")
                    )
                else:
                    texts = [str(o).strip() for o in options]
                    if accepted and accepted[0] not in texts:
                        problems.append(
                            Problem(
                                f"blanks.{name}.options",
                                f"does not contain the answer {accepted[0]!r}",
                            )
                        )
                    blank["options"] = [{"key": stable_key(t, name), "text": t} for t in texts]
            blanks.append(blank)
        return {"text": text, "blanks": blanks}, problems

    def to_content(self, body):
        out: dict[str, Any] = {"text": body["text"], "blanks": {}}
        for blank in body["blanks"]:
            spec: dict[str, Any] = {"accept": list(blank["accept"])}
            if blank.get("options"):
                spec["options"] = [o["text"] for o in blank["options"]]
            if blank["case_sensitive"]:
                spec["case_sensitive"] = True
            if not blank["ignore_diacritics"]:
                spec["ignore_diacritics"] = False
            out["blanks"][blank["name"]] = spec if len(spec) > 1 else spec["accept"]
        return out

    def search_words(self, body):
        return [BLANK.sub("…", body["text"])]

    def public_view(self, body, rng):
        blanks = {}
        for number, blank in enumerate(body["blanks"], start=1):
            shown: dict[str, Any] = {"number": number}
            if blank.get("options"):
                shown["options"] = self._shuffled(
                    sorted(blank["options"], key=lambda o: o["text"].casefold()), rng
                )
            blanks[blank["name"]] = shown
        return {"parts": split_passage(body["text"]), "blanks": blanks}

    def parse_form(self, form, prefix, body):
        return {b["name"]: (form.get(f"{prefix}-{b['name']}") or "")[:200] for b in body["blanks"]}

    def clean_answer(self, answer, body):
        if answer in (None, ""):
            return {}
        if not isinstance(answer, dict):
            raise ValueError("a cloze answer maps blank names to texts")
        names = {b["name"] for b in body["blanks"]}
        return {k: v[:200] for k, v in answer.items() if k in names and isinstance(v, str)}

    def _blank_right(self, blank, given) -> bool:
        if blank.get("options"):
            texts = {o["key"]: o["text"] for o in blank["options"]}
            given = texts.get(given, given)
        return matches_any(
            given, blank["accept"], blank["case_sensitive"], blank["ignore_diacritics"]
        )

    def grade(self, body, answer):
        """Fraction of blanks whose answer matches an accepted variant."""
        given = answer or {}
        marks = {b["name"]: self._blank_right(b, given.get(b["name"])) for b in body["blanks"]}
        right = sum(marks.values())
        return Grade(right / len(body["blanks"]) if body["blanks"] else 0.0, {"blanks": marks})

    def correct_answer(self, body):
        out = {}
        for blank in body["blanks"]:
            if blank.get("options"):
                out[blank["name"]] = next(
                    (o["key"] for o in blank["options"] if o["text"] == blank["accept"][0]),
                    blank["accept"][0],
                )
            else:
                out[blank["name"]] = blank["accept"][0]
        return out

    def describe_answer(self, body, answer):
        if not answer:
            return "(no answer)"
        parts = []
        for number, blank in enumerate(body["blanks"], start=1):
            value = answer.get(blank["name"], "")
            if blank.get("options"):
                value = {o["key"]: o["text"] for o in blank["options"]}.get(value, value)
            parts.append(f"({number}) {value or '—'}")
        return "; ".join(parts)

    def describe_correct(self, body):
        return "; ".join(
            f"({n}) {' / '.join(b['accept'])}" for n, b in enumerate(body["blanks"], start=1)
        )
