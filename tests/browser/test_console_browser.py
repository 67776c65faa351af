"""Runs the debug console flow in Chromium (playwright-core) against a real stack with the test PBX: the log's
last lines, follow mode receiving a line appended to the log file within 1 s, and the CLI box used once allowed
and once refused; then checks the screenshots exist and that the test PBX received exactly one Command."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Stack  # noqa: E402
from flow import OUT, clear_shots, run_flow  # noqa: E402

SHOTS = ("01-log", "02-followed", "03-cli-allowed", "04-cli-refused")


def test_console_flow_in_chromium(tmp_path):
    log = tmp_path / "messages"
    log.write_text("[Dec  2 06:46:01] NOTICE[1] chan_pjsip.c: hello\n"
                   "[Dec  2 06:46:02] VERBOSE[2] pbx.c:   == Spawn\n"
                   "[Dec  2 06:46:03] WARNING[3] res_pjsip.c: careful\n"
                   "[Dec  2 06:46:04] ERROR[4] chan_pjsip.c: broken\n")
    s = Stack(extra_conf=f"[console]\nlog = {log}\n").start()
    try:
        s.add_user("inte", "integrator", "inte-pass-1234")
        clear_shots("console-")
        out = run_flow("console.mjs", f"http://127.0.0.1:{s.port}", "inte", "inte-pass-1234", str(log))
        assert "browser console flow: ok" in out, out
        print(out)
        for n in SHOTS:
            assert os.path.getsize(os.path.join(OUT, f"console-{n}.png")) > 5000, n
        assert s.pbx.control({"cmd": "counters"})["actions"].get("Command", 0) == 1
    finally:
        assert s.stop() == 0
        s.cleanup()
