"""Runs the PBX status and drift check flow in Chromium (playwright-core) against a real stack with the test PBX in
its own process (the flow stops and starts it through its control channel and edits a phone's file in its
directory), then checks the screenshots exist."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Stack  # noqa: E402
from flow import OUT, clear_shots, run_flow  # noqa: E402

SHOTS = ("01-answering", "02-unreachable-pending", "03-retried", "04-drift", "05-repaired")


def test_pbx_flow_in_chromium():
    s = Stack(pbx_process=True).start()
    try:
        s.add_user("instalador", "integrator", "integrator-pass-123")
        clear_shots("pbx-")
        control_port = s.pbx.ctl.sock.getpeername()[1]
        out = run_flow("pbx.mjs", f"http://127.0.0.1:{s.port}", "instalador", "integrator-pass-123",
                       str(control_port), s.pbx_dir)
        assert "browser pbx flow: ok" in out, out
        for n in SHOTS:
            assert os.path.getsize(os.path.join(OUT, f"pbx-{n}.png")) > 5000, n
    finally:
        assert s.stop() == 0
        s.cleanup()
