"""The wheel built from the repository installs with plain pip into a fresh virtual environment
and runs there: templates, print assets, migrations and the curated content travel with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packaging")]


def run(args, cwd, env=None, timeout=600):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (
        f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


def test_wheel_installs_and_runs(tmp_path):
    dist = tmp_path / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
        cwd=tmp_path,
    )
    wheel = next(dist.glob("quizapp-*.whl"))
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "-q", str(wheel)], cwd=tmp_path)

    outside = tmp_path / "elsewhere"  # not the checkout: nothing may come from the repository
    outside.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QUIZAPP_", "DATABASE_URL", "PYTHONPATH"))
    }
    env["QUIZAPP_INSTANCE_PATH"] = str(tmp_path / "instance")
    quizapp = str(venv / "bin" / "quizapp")
    run([quizapp, "db", "upgrade"], cwd=outside, env=env)
    imported = run([quizapp, "content", "import"], cwd=outside, env=env)
    assert "lessons: created" in imported and "questions: created" in imported
    stats = json.loads(run([quizapp, "content", "stats", "--json"], cwd=outside, env=env))
    assert stats["questions"] >= 160 and stats["lessons"] >= 7
    assert "/setup/" in run([quizapp, "users", "bootstrap-admin"], cwd=outside, env=env)

    probe = textwrap.dedent("""
        import json, quizapp
        from pathlib import Path
        from quizapp import create_app
        from quizapp.resources import resource_path
        app = create_app()
        client = app.test_client()
        home = client.get("/")
        sign_in = client.get("/sign-in")
        css = client.get("/static/css/app.css")
        print(json.dumps({
            "package": str(Path(quizapp.__file__).parent),
            "home": home.status_code, "sign_in": sign_in.status_code, "css": css.status_code,
            "fonts": sorted(p.name for p in resource_path("export", "fonts").glob("*.ttf")),
            "print_css": resource_path("export", "css").is_dir(),
            "migrations": sorted(p.name for p in (Path(quizapp.__file__).parent / "migrations" / "versions").glob("*.py")),
        }))
    """)
    report = json.loads(
        run([str(python), "-c", probe], cwd=outside, env=env).strip().splitlines()[-1]
    )
    assert str(venv) in report["package"] and str(REPO) not in report["package"]
    assert (report["home"], report["sign_in"], report["css"]) == (200, 200, 200)
    assert "DejaVuSans.ttf" in report["fonts"] and report["print_css"] and report["migrations"]
