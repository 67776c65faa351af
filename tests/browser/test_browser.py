"""Runs the Chromium flows (playwright-core) against a real stack and checks their screenshots exist."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Stack  # noqa: E402

OUT = os.path.join(HERE, "..", "out")


def run_flow(script, *args):
    r = subprocess.run(["node", os.path.join(HERE, script), *args], capture_output=True, text=True, timeout=180,
                       cwd=HERE)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_platform_flow_in_chromium():
    s = Stack().start()
    try:
        s.add_user("admin", "integrator", "admin-password-1")
        for f in os.listdir(OUT) if os.path.isdir(OUT) else []:
            if f.startswith("platform-"):
                os.unlink(os.path.join(OUT, f))
        out = run_flow("platform.mjs", f"http://127.0.0.1:{s.port}", "admin", "admin-password-1")
        assert "browser platform flow: ok" in out
        for n in ("01-login", "02-home", "03-home-es", "04-user-form-errors", "05-users", "06-owner-forbidden"):
            assert os.path.getsize(os.path.join(OUT, f"platform-{n}.png")) > 5000, n
    finally:
        assert s.stop() == 0
        s.cleanup()
