"""SIGKILL the whole server (granian's master and workers) mid-load: no acknowledged answer is lost,
and after a restart on the same database the same attempts carry on and are submitted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bench.support.client import Connection
from bench.support.seed import lost_answers, stored_answers
from quizapp.extensions import db
from quizapp.models import Attempt
from tests.faults.conftest import Autosaver, begin_exam, deploy

pytestmark = pytest.mark.faults


def test_sigkill_under_load_loses_no_acknowledged_answer(database_url, tmp_path):
    deployment = deploy(database_url, tmp_path, students=8)
    server = deployment.server().start()
    try:
        students = begin_exam(server.port, deployment)
        load = Autosaver(server.port, students, deployment.scenario.answers).start()
        load.wait_for_acks(150)
        server.kill()  # SIGKILL to the process group: master and every worker, mid-request
        load.stop()
        acked_before = {s.attempt_id: dict(s.acked) for s in students}
        assert sum(len(a) for a in acked_before.values()) >= 8
        assert load.failures or any(status != 200 for _, status, _ in load.statuses), (
            "the kill should have cut requests in flight"
        )

        # Nothing the server acknowledged is missing, even before anyone restarts it.
        stored = stored_answers(deployment.app, list(acked_before))
        assert lost_answers(acked_before, stored) == []

        # Same database, same port, same cookies: the attempts continue where they were.
        server = deployment.server(port=server.port).start()
        conn = Connection(server.port)
        for student in students:
            seq = max((seq for seq, _ in student.acked.values()), default=0) + 1000
            for slot, answer in deployment.scenario.answers.items():
                student.save(conn, slot, answer, seq + slot)
            assert student.submit(conn).json()["state"] == "submitted"
        conn.close()
        acked = {s.attempt_id: s.acked for s in students}
        assert lost_answers(acked, stored_answers(deployment.app, list(acked))) == []
        with deployment.app.app_context():
            attempts = db.session.scalars(
                select(Attempt).where(Attempt.public_id.in_(list(acked)))
            ).all()
            assert len(attempts) == len(students)
            for attempt in attempts:
                assert attempt.state == "submitted"
                assert len(attempt.responses) == len(deployment.scenario.answers)
                assert attempt.score == attempt.max_score  # every answer right, none lost
            db.session.remove()
    finally:
        server.stop()
        deployment.dispose()
