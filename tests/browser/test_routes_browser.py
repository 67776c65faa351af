"""Runs the routes flow in Chromium (playwright-core) against a real stack with the test PBX, then checks that
what the browser did reached the PBX (the trunks' files and the routes dialplan) and the screenshots exist."""
import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Stack  # noqa: E402
from flow import OUT, clear_shots, run_flow  # noqa: E402

SHOTS = ("01-trunks-empty", "02-trunk-form", "03-trunks", "04-route-form", "05-routes", "06-routes-moved",
         "07-tester", "08-tester-emergency", "09-dialplan", "10-bad-pattern")


def test_routes_flow_in_chromium():
    s = Stack().start()
    try:
        s.add_user("admin", "integrator", "admin-password-1")
        clear_shots("routes-")
        out = run_flow("routes.mjs", f"http://127.0.0.1:{s.port}", "admin", "admin-password-1")
        assert "browser routes flow: ok" in out
        for n in SHOTS:
            assert os.path.getsize(os.path.join(OUT, f"routes-{n}.png")) > 5000, n
        with sqlite3.connect(s.db) as db:
            trunks = db.execute("SELECT id, name, host, port, transport, registration, codecs, callerid, "
                                "applied_version = version FROM trunks ORDER BY id").fetchall()
            routes = db.execute("SELECT id, name, priority, strip, prepend FROM routes ORDER BY id").fetchall()
            order = db.execute("SELECT route_id, trunk_id FROM route_trunks ORDER BY route_id, pos").fetchall()
            state = db.execute("SELECT applied_version = version FROM dialplan_state").fetchone()
        assert trunks == [(1, "alpha", "192.0.2.81", 5060, "udp", 0, "ulaw,alaw", "+34910000081", 1),
                          (2, "beta", "sip.beta.example", 5070, "tcp", 1, "ulaw", "", 1)], trunks
        # The bad route was not saved; the second route was moved first.
        assert routes == [(1, "Nacional", 2, 0, ""), (2, "Internacional", 1, 2, "+")], routes
        assert order == [(1, 2), (1, 1), (2, 1)] and state == (1,)
        folder = os.path.join(s.pbx_dir, "centralita")
        assert {"pjsip-trunk-1.conf", "pjsip-trunk-2.conf", "dialplan-routes.conf"} <= set(os.listdir(folder))
        beta = s.pbx_file("centralita/pjsip-trunk-2.conf")
        assert "[trunk-beta-reg]" in beta and "password = beta-secret-1" in beta
        plan = s.pbx_file("centralita/dialplan-routes.conf")
        assert "[centralita-route-1]\nexten = _9XXXXXXXX,1,Goto(centralita-route-1-out," in plan
        assert "Malo" not in plan and "Local/1" not in plan
        intl = plan[plan.index("[centralita-class-international]"):]
        intl = intl[:intl.index("\n[")]
        assert intl.index("include = centralita-route-2") < intl.index("include = centralita-route-1")
    finally:
        assert s.stop() == 0
        s.cleanup()
