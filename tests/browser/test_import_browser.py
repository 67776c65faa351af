"""Runs the phones import flow (issue 13) in Chromium (playwright-core) against a real stack with the test PBX in
its own process (the flow slows its UpdateConfig down through the control channel, to watch the progress page
refresh itself), then checks that what the browser imported reached the database, the PBX and the provisioning
directory, that the file with the bad line stored nothing, and that the screenshots exist."""
import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Stack  # noqa: E402
from flow import OUT, clear_shots, run_flow  # noqa: E402

SHOTS = ("01-form", "02-problem", "03-ready", "04-applying", "05-done", "06-phones")
EXTENSIONS = [str(e) for e in range(510, 518)]
PROVISIONING = ["001565510001.cfg",                                         # 510 Yealink
                "000413511001.xml",                                         # 511 Snom
                "0004f2512001.cfg", "0004f2512001-user.cfg",                # 512 Polycom (master and settings)
                "cfg000b82513001.xml",                                      # 513 Grandstream
                "0c383e514001.cfg",                                         # 514 Fanvil
                "001565515001.cfg", "001565516001.cfg",                     # 515, 516 Yealink
                "0004f2517001.cfg", "0004f2517001-user.cfg"]                # 517 Polycom


def test_import_flow_in_chromium():
    s = Stack(pbx_process=True).start()
    try:
        s.add_user("admin", "integrator", "admin-password-1")
        clear_shots("import-")
        control_port = s.pbx.ctl.sock.getpeername()[1]
        out = run_flow("import.mjs", f"http://127.0.0.1:{s.port}", "admin", "admin-password-1", str(control_port))
        assert "browser import flow: ok" in out, out
        print(out)
        for n in SHOTS:
            assert os.path.getsize(os.path.join(OUT, f"import-{n}.png")) > 5000, n
        with sqlite3.connect(s.db) as db:
            phones = db.execute("SELECT extension, mac, applied_version = version FROM phones ORDER BY extension"
                                ).fetchall()
            imports = db.execute("SELECT file_name, imported_at IS NOT NULL, created, updated, unchanged FROM imports "
                                 "ORDER BY id").fetchall()
            audit = db.execute("SELECT changes FROM audit WHERE action = 'phone.import'").fetchall()
        # Two drafts (the bad file and the fixed one); only the fixed one imported, all eight phones applied.
        assert imports == [("phones.csv", 0, 0, 0, 0), ("phones-fixed.csv", 1, 8, 0, 0)], imports
        assert [p[0] for p in phones] == EXTENSIONS and all(p[2] == 1 for p in phones), phones
        assert audit == [("file: phones-fixed.csv\ncreated: 8\nupdated: 0\nunchanged: 0",)], audit
        loaded = s.pbx.control({"cmd": "loaded"})
        for ext in EXTENSIONS:
            assert ext in loaded["endpoint"], ext
        # Each phone's provisioning file(s), named as its vendor asks (src/provision/catalog.c).
        assert sorted(os.listdir(s.prov_dir)) == sorted(PROVISIONING), sorted(os.listdir(s.prov_dir))
    finally:
        assert s.stop() == 0
        s.cleanup()
