"""Runs the live calls flow in Chromium (playwright-core) against a real stack with the test PBX in its own process:
the flow itself starts and ends calls through the test PBX's control channel and watches the page follow them
over Server-Sent Events (and, with JavaScript off, by refreshing); then checks the screenshots exist."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Stack  # noqa: E402
from flow import OUT, clear_shots, run_flow  # noqa: E402

SHOTS = ("01-none", "02-two-calls", "03-ended", "04-no-javascript")


def test_live_flow_in_chromium():
    s = Stack(pbx_process=True).start()
    try:
        s.add_user("tienda", "owner", "owner-pass-123")
        clear_shots("live-")
        control_port = s.pbx.ctl.sock.getpeername()[1]
        out = run_flow("live.mjs", f"http://127.0.0.1:{s.port}", "tienda", "owner-pass-123", str(control_port))
        assert "browser live flow: ok" in out, out
        print(out)
        for n in SHOTS:
            assert os.path.getsize(os.path.join(OUT, f"live-{n}.png")) > 5000, n
    finally:
        assert s.stop() == 0
        s.cleanup()
