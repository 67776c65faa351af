"""Runs the phones flow in Chromium (playwright-core) against a real stack with the test PBX, then checks
what the browser did reached the PBX and the provisioning directory, and that the screenshots exist."""
import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Stack  # noqa: E402
from flow import OUT, clear_shots, run_flow  # noqa: E402

SHOTS = ("01-empty-list", "02-add-form", "03-list", "04-details", "05-secret", "06-bad-mac")


def test_phones_flow_in_chromium():
    s = Stack().start()
    try:
        s.add_user("admin", "integrator", "admin-password-1")
        clear_shots("phones-")
        out = run_flow("phones.mjs", f"http://127.0.0.1:{s.port}", "admin", "admin-password-1")
        assert "browser phones flow: ok" in out
        for n in SHOTS:
            assert os.path.getsize(os.path.join(OUT, f"phones-{n}.png")) > 5000, n
        # What the browser saved is what reached the PBX and the provisioning directory; the bad form nothing.
        with sqlite3.connect(s.db) as db:
            rows = db.execute("SELECT extension, name, mac, model, secret, applied_version = version FROM phones"
                              ).fetchall()
        assert len(rows) == 1, rows
        ext, name, mac, model, secret, applied = rows[0]
        assert (ext, name, mac, model, applied) == ("205", "Recepción", "001565123456", "yealink-t46u", 1)
        files = sorted(os.listdir(os.path.join(s.pbx_dir, "centralita")))
        # With the two files of the phone's group, the routes dialplan (its class contexts exist whatever the
        # routes).
        assert files == ["dialplan-phones-1-4.conf", "dialplan-routes.conf", "empty.conf", "pjsip-phones-1-4.conf"], \
            files
        pjsip = s.pbx_file("centralita/pjsip-phones-1-4.conf")
        assert "[205]" in pjsip and f"password = {secret}" in pjsip and "[206]" not in pjsip
        assert "include = centralita-phones\n" in s.pbx_file("extensions.conf")
        assert "[centralita-phones]\nexten = 205,hint,PJSIP/205\nexten = 205,1,Dial(PJSIP/205,30)\n" in \
            s.pbx_file("centralita/dialplan-phones-1-4.conf")
        assert sorted(os.listdir(s.prov_dir)) == ["001565123456.cfg"]
    finally:
        assert s.stop() == 0
        s.cleanup()
