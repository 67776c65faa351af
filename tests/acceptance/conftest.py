"""make acceptance: Centralita (daemon + real nginx, tests/integration/harness.py) against a REAL Asterisk 22
(built by ../shared/tools/asterisk/build.sh into ASTERISK_PREFIX, default /opt/asterisk), AMI over TLS on
127.0.0.1:5039 with its certificate's SHA-256 fingerprint pinned, MD5 login as the least-privilege manager user
README.md documents.

The session starts from the pristine configuration (setup_asterisk.py writes it and resets Asterisk); one
Centralita stack serves the whole session (each test uses its own extensions and MAC addresses), so whatever
Centralita does to Asterisk accumulates, and the last test checks that the integrator's own configuration
survived all of it (Asterisk stopped, frozen, and killed every 2 seconds during 200 saves included). The daemon
verifies the PBX when it starts (issue 9): it adds `include => centralita-phones` to the phones' context then,
and learns the integrator's extensions it must refuse."""
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import asterisk  # noqa: E402
import web  # noqa: E402
from harness import Client, Stack  # noqa: E402
from web import INTEGRATOR, OWNER  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "last: runs after every other acceptance test")


# The order of the run: what a healthy Asterisk shows first, then the outages, then Asterisk killed every 2 s
# (issue 9), then the checks marked last.
MODULE_ORDER = ["test_phones", "test_routes", "test_calls", "test_import", "test_ownership", "test_console",
                "test_cli", "test_status", "test_outages", "test_crashes"]


def pytest_collection_modifyitems(session, config, items):
    def rank(item):
        mod = item.module.__name__.rsplit(".", 1)[-1]
        return (item.get_closest_marker("last") is not None,
                MODULE_ORDER.index(mod) if mod in MODULE_ORDER else len(MODULE_ORDER))
    items.sort(key=rank)


def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    if web.NOTES:
        tr.section("observed on the real Asterisk")
        for n in web.NOTES:
            tr.write_line(f"  {n}")
    if not web.SAVES:
        return
    tr.section("saves through the web interface (POST -> 303), real Asterisk")
    for what, dt, st, loc in web.SAVES:
        tr.write_line(f"  {dt * 1000:8.1f} ms  {st} {loc or ''}  {what}")
    ok = sorted(dt for what, dt, st, loc in web.SAVES if not what.startswith(("frozen", "stopped")))
    if ok:
        tr.write_line(f"  healthy Asterisk: {len(ok)} saves, p50 {ok[len(ok) // 2] * 1000:.1f} ms, "
                      f"max {ok[-1] * 1000:.1f} ms")
    live = sorted(dt for what, dt in web.LIVE)
    if live:
        tr.write_line(f"  live after the save's answer (coalesced reloads): {len(live)} saves, p50 "
                      f"{live[len(live) // 2] * 1000:.0f} ms, max {live[-1] * 1000:.0f} ms "
                      f"(bound {web.LIVE_BOUND:.0f} s)")


@pytest.fixture(scope="session")
def pbx():
    """The real Asterisk, reset to the pristine configuration of setup_asterisk.py."""
    gone = asterisk.missing()
    if gone:
        pytest.exit("make acceptance needs a real Asterisk: " + "; ".join(gone), returncode=2)
    if os.environ.get("ACCEPTANCE_SETUP_DONE") != "1":   # scripts/acceptance.sh has just run it
        setup = os.path.join(HERE, "setup_asterisk.py")
        subprocess.run([sys.executable, setup, asterisk.PREFIX, asterisk.TOOLS], check=True, timeout=300)
    log_start = asterisk.log_size()
    yield log_start
    # Never leave it frozen or stopped behind (a test that failed half-way).
    try:
        os.kill(asterisk.pid(), 18)  # SIGCONT
    except (OSError, RuntimeError):
        pass
    if not asterisk.running():
        asterisk.start()


@pytest.fixture(scope="session")
def stack(pbx):
    s = Stack(ami=asterisk.ami_conf(tls=True), asterisk_context=asterisk.PHONES_CONTEXT,
              extra_conf=f"[console]\nlog = {asterisk.LOG}\n").start()
    s.add_user(INTEGRATOR[0], "integrator", INTEGRATOR[1])
    s.add_user(OWNER[0], "owner", OWNER[1])
    yield s
    code = s.stop()
    out = os.path.join(ROOT, "tests", "out", "acceptance")
    os.makedirs(out, exist_ok=True)
    shutil.copyfile(s.log, os.path.join(out, "daemon.log"))      # the daemon's log of the run, kept
    s.cleanup()
    assert code == 0, "daemon did not exit cleanly on SIGTERM"


@pytest.fixture
def integrator(stack):
    c = Client(stack.port)
    r = c.login(*INTEGRATOR)
    assert r.status == 303, r.body
    return c


@pytest.fixture
def owner(stack):
    c = Client(stack.port)
    r = c.login(*OWNER)
    assert r.status == 303, r.body
    return c
