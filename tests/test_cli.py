"""The quizapp command through Flask's test runner."""

from __future__ import annotations

import json
import textwrap

from quizapp.resources import content_paths


def test_content_validate_clean(runner):
    result = runner.invoke(args=["content", "validate"])
    assert result.exit_code == 0, result.output


def test_content_validate_reports_and_fails(runner, tmp_path):
    bad = tmp_path / "new.yaml"
    bad.write_text(
        textwrap.dedent("""\
        questions:
          - id: new-one
            type: single_choice
            topic: night-of-19-20-january
            difficulty: 1
            cognitive: remember
            prompt: A brand-new question?
            options: [Yes, No, Maybe]
            explanation: Because.
            sources: [DEC]
            tags: [x]
          - id: ex-city
            type: riddle
        """),
        encoding="utf-8",
    )
    result = runner.invoke(args=["content", "validate", str(bad)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "new.yaml:" in line]
    assert any(
        line.endswith("new.yaml:8: new-one: options: marks 0 options correct; exactly 1 must be")
        for line in lines
    ), lines
    assert any("new.yaml:13: ex-city: type: unknown type 'riddle'" in line for line in lines), lines
    assert "Traceback" not in result.output


def test_content_import_then_stats(runner):
    assert runner.invoke(args=["content", "import"]).exit_code == 0
    again = runner.invoke(args=["content", "import"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    stats = json.loads(runner.invoke(args=["content", "stats", "--json"]).output)
    for key in (
        "by_type",
        "by_topic",
        "by_difficulty",
        "by_cognitive_level",
        "lessons",
        "modules",
        "stimuli",
    ):
        assert key in stats
    assert sum(stats["by_type"].values()) == stats["questions"] > 0


def test_import_refuses_invalid_content_and_writes_nothing(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("questions:\n  - id: broken\n    type: numeric\n", encoding="utf-8")
    result = runner.invoke(args=["content", "import", *map(str, content_paths()), str(bad)])
    assert result.exit_code == 1 and "Nothing imported" in result.output
    stats_db = runner.invoke(args=["content", "import"])
    assert "created" in stats_db.output  # the first good import still had everything to create


def test_bootstrap_admin_prints_one_time_link(runner):
    result = runner.invoke(args=["users", "bootstrap-admin"])
    assert result.exit_code == 0 and "/setup/" in result.output
    token = result.output.split("/setup/")[1].split()[0]
    assert len(token) > 30
