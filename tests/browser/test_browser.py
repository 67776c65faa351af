"""Runs the Chromium flows (playwright-core) against a real stack and checks their screenshots exist."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Stack  # noqa: E402
from flow import OUT, clear_shots, run_flow  # noqa: E402


def test_platform_flow_in_chromium():
    s = Stack().start()
    try:
        s.add_user("admin", "integrator", "admin-password-1")
        clear_shots("platform-")
        out = run_flow("platform.mjs", f"http://127.0.0.1:{s.port}", "admin", "admin-password-1")
        assert "browser platform flow: ok" in out
        for n in ("01-login", "02-home", "03-home-es", "04-user-form-errors", "05-users", "06-owner-forbidden"):
            assert os.path.getsize(os.path.join(OUT, f"platform-{n}.png")) > 5000, n
    finally:
        assert s.stop() == 0
        s.cleanup()
