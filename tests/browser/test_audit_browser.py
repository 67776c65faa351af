"""Runs the audit trail flow in Chromium (playwright-core) against a real stack with the test PBX, then checks
that the rows the browser read are the database's and that the screenshots exist."""
import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Stack  # noqa: E402
from flow import OUT, clear_shots, run_flow  # noqa: E402

SHOTS = ("01-trail", "02-filtered", "03-spanish")


def test_audit_flow_in_chromium():
    s = Stack().start()
    try:
        s.add_user("admin", "integrator", "admin-password-1")
        clear_shots("audit-")
        out = run_flow("audit.mjs", f"http://127.0.0.1:{s.port}", "admin", "admin-password-1")
        assert "browser audit flow: ok" in out
        for n in SHOTS:
            assert os.path.getsize(os.path.join(OUT, f"audit-{n}.png")) > 5000, n
        # The browser's two changes, one row each; language and page views are not changes.
        with sqlite3.connect(s.db) as db:
            rows = db.execute("SELECT action, object, outcome FROM audit WHERE user = 'admin' ORDER BY id").fetchall()
        assert rows == [("phone.create", "phone 215", "applied"), ("phone.update", "phone 215", "applied")], rows
    finally:
        assert s.stop() == 0
        s.cleanup()
