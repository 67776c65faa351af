"""`centralita ami` against the real Asterisk with the stack's configuration (TLS, pinned certificate, MD5 login
as the least-privilege user; a Command only from the allow-list), and Asterisk's own log: no manager or
configuration error caused by Centralita."""
import re
import subprocess
import time

import asterisk as ast
from harness import BIN
from web import NOTES


def centralita_ami(stack, *args):
    return subprocess.run([BIN, "-c", stack.conf, "ami", *args], capture_output=True, text=True, timeout=30)


def test_centralita_ami_coresettings(stack):
    r = centralita_ami(stack, "CoreSettings")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Response: Success" in r.stdout
    assert re.search(r"^AsteriskVersion: 22\.", r.stdout, re.M), r.stdout
    assert re.search(r"^AMIversion: \d+\.\d+\.\d+", r.stdout, re.M), r.stdout


def test_centralita_ami_command_only_from_the_allow_list(stack):
    """The README's user has the `command` class, with which Asterisk runs ANY CLI command: Centralita's allow-list
    ([console] cli_allow) is the guard, in `centralita ami` as in the console's CLI box. An allowed command answers;
    `core stop now` (and its disguises) is refused before anything is sent, and Asterisk stays up."""
    r = centralita_ami(stack, "Command", "Command=pjsip show endpoints")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Response: Success" in r.stdout and re.search(r"^Output: .*Endpoint:", r.stdout, re.M), r.stdout
    started = ast.pid()
    for cmd in ("core stop now", "CORE STOP NOW", "core  stop now", "core show uptime\ncore stop now", "!kill 1"):
        r = centralita_ami(stack, "Command", f"Command={cmd}")
        assert r.returncode == 2, (cmd, r.stdout, r.stderr)
        assert r.stdout == "", (cmd, r.stdout, r.stderr)   # nothing sent, nothing answered
    assert ast.running() and ast.pid() == started
    NOTES.append("centralita ami Command: 'pjsip show endpoints' answered; 'core stop now' and 4 disguises refused "
                 "before sending; Asterisk still up (same pid)")


def test_centralita_ami_getconfig_reads_what_centralita_may_change(stack):
    r = centralita_ami(stack, "GetConfig", "Filename=pjsip.conf", "Category=transport-udp")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Category-000000: transport-udp" in r.stdout, r.stdout


# Runs after the tests above and before test_outages (conftest's MODULE_ORDER): the window where Asterisk is
# healthy and only Centralita (the daemon's pool and event watcher, `centralita ami`) talks to its manager.
SUSPECT = re.compile(r"(ERROR|WARNING)\[\d+\](\[[^\]]*\])? (manager\.c|config\.c|pbx_config\.c|res_sorcery_config\.c|"
                     r"res_pjsip\.c|res_pjsip/config_\w+\.c|sorcery\.c):")
# Optional files this test configuration lacks (logged at boot and by some reloads): not Centralita's doing.
BOOT_NOISE = re.compile(r"Unable to load config file '(?!pjsip\.conf|extensions\.conf)[^']*'")
# test_routes dials through a trunk whose provider does not answer, on purpose: Asterisk logs that it cannot reach
# it, and the route fails over.
FAILOVER = re.compile(r"ERROR\[\d+\](\[[^\]]*\])? res_pjsip\.c: Endpoint 'trunk-a-dead': Could not create dialog")
TLS_CLOSE = re.compile(r"ERROR\[\d+\](\[[^\]]*\])? iostream\.c: SSL_shutdown\(\) failed")


def test_asterisk_log_has_no_manager_or_config_errors(pbx, stack):
    time.sleep(1.5)    # Asterisk ends a session after its client closed, and logs from its own thread: let it
    log = ast.log_since(pbx)
    bad = [l for l in log.splitlines() if SUSPECT.search(l) and not BOOT_NOISE.search(l) and not FAILOVER.search(l)]
    print(f"{len(log.splitlines())} log lines since the session started; manager/config errors: {len(bad)}")
    assert not bad, "\n".join(bad[:40])


def test_asterisk_log_has_no_tls_errors_from_centralitas_sessions(pbx, stack):
    """Asterisk 22.10.1 logs `ERROR iostream.c: SSL_shutdown() failed: ... Internal SSL error` for every TLS
    manager session whose client closed the TCP connection without a TLS close_notify (observed: a session closed
    after SSL_shutdown() on the client's side, or after Logoff, logs nothing)."""
    bad = [l for l in ast.log_since(pbx).splitlines() if TLS_CLOSE.search(l)]
    NOTES.append(f"Asterisk log while healthy: {len(bad)} x 'ERROR iostream.c: SSL_shutdown() failed' (TLS manager "
                 f"sessions closed by Centralita without close_notify)")
    assert not bad, (f"{len(bad)} TLS sessions closed without close_notify (the AMI library's ami_conn_close() "
                     f"frees the SSL without SSL_shutdown; `centralita ami` is one per run):\n" + "\n".join(bad[:10]))
