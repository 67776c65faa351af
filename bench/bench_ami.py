"""AMI benchmark (issue 3): adding phones to pjsip.conf over TLS, in one run, three ways:
(a) the library (pool of 4, one batched UpdateConfig per phone), (b) the seed's way (a new connection, Login,
one UpdateConfig per change and Logoff per phone), (c) the limit (one raw batched UpdateConfig per phone on a warm
connection, no library). Starts the test PBX with TLS (tests/pbx/testpbx.py), runs build/bench/ami_bench and
prints its figures. BENCH_PHONES (default 200) phones; BENCH_ROUNDS (default 3) rounds, each running every way
once from an empty pjsip.conf (the best round of each is compared); BENCH_AMI_THREADS (default 4, 0 = skip) for
the second figure of (a). Never asserts speed.

--phone-content (or BENCH_CONTENT=centralita), with --phones N overriding BENCH_PHONES: the phone as Centralita
writes it instead, built by the product's own code (pbx_phone_updates(), pbx_dialplan_section()), only ways (b) and
(c). Each way starts from the integrator's one-time set-up: tests/integration/harness.py's PJSIP_CONF and
EXTENSIONS_CONF (which end with "#tryinclude centralita/pjsip-*.conf" / "#tryinclude centralita/dialplan-*.conf")
and a centralita/ folder holding only an empty empty.conf. (c) the raw limit, on a warm connection: Centralita's 6
requests a phone (since issue 9 a phone is two files of its own, centralita/pjsip-<id>.conf with endpoint, auth and
aor, centralita/dialplan-<id>.conf with its hint and Dial in [centralita-phones]; each created with CreateConfig,
written whole by one UpdateConfig from the empty centralita/empty.conf, then its module reloaded with the Reload
action, sent again 100 ms later while Asterisk answers "A reload is in progress"; nothing read). (b) the seed's way,
the talk's: per phone a new TLS connection, Login, each action of Centralita's pjsip update as its own UpdateConfig
into pjsip.conf itself (the last with "Reload: res_pjsip.so"), the phone's two dialplan lines each appended to
[internal] of extensions.conf by its own UpdateConfig (the last with "Reload: pbx_config.so"), Logoff: 21
UpdateConfigs, no CreateConfig, and the integrator's files grow with every phone. Prints, for bench_phones.py,
seed_phones_per_s=<float> and raw_phones_per_s=<float> (best round), seed_updateconfigs_per_phone=<int>,
raw_requests_per_phone=<float> (on average) and raw_reload_retries=<int> (Reloads sent again, all rounds)."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "pbx"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import testpbx  # noqa: E402

PHONES = os.environ.get("BENCH_PHONES", "200")
THREADS = os.environ.get("BENCH_AMI_THREADS", "4")
ROUNDS = os.environ.get("BENCH_ROUNDS", "3")
USER, SECRET = "bench", "bench-secret-123"


def main():
    ap = argparse.ArgumentParser(description="AMI benchmark (see docs/BENCHMARKS.md)")
    ap.add_argument("--phone-content", action="store_true",
                    help="phones as Centralita writes them; seed's way and raw limit only")
    ap.add_argument("--phones", help="number of phones (default: BENCH_PHONES or 200)")
    opts = ap.parse_args()
    phones = opts.phones or PHONES
    centralita = opts.phone_content or os.environ.get("BENCH_CONTENT") == "centralita"
    subprocess.run(["make", "-s", "build/bench/ami_bench"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="bench-ami-")
    pbx = None
    try:
        confdir = os.path.join(tmp, "asterisk")
        os.makedirs(confdir)
        if centralita:
            from harness import EXTENSIONS_CONF, PJSIP_CONF
            with open(os.path.join(confdir, "pjsip.conf"), "w") as f:
                f.write(PJSIP_CONF)
            with open(os.path.join(confdir, "extensions.conf"), "w") as f:
                f.write(EXTENSIONS_CONF)
            os.makedirs(os.path.join(confdir, "centralita"))      # the integrator's one-time set-up
            open(os.path.join(confdir, "centralita", "empty.conf"), "w").close()
        else:
            open(os.path.join(confdir, "pjsip.conf"), "w").close()
        cert, key = testpbx.make_cert(tmp)   # self-signed, SAN localhost + 127.0.0.1: also the CA file
        users = os.path.join(tmp, "manager.conf")
        with open(users, "w") as f:
            f.write(testpbx.users_text({USER: {"secret": SECRET, "read": "system,config", "write": "system,config"}}))
        pbx = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "pbx", "testpbx.py"), "--dir", confdir,
                                "--users", users, "--tls-port", "0", "--cert", cert, "--key", key],
                               stdout=subprocess.PIPE, text=True)
        ready = pbx.stdout.readline().split()
        if not ready or ready[0] != "READY":
            raise SystemExit("testpbx did not start")
        ports = dict(kv.split("=") for kv in ready[1:])
        print(f"test PBX (python3 tests/pbx/testpbx.py, TLS) on 127.0.0.1:{ports['tls_port']}; "
              f"client: build/bench/ami_bench; {os.cpu_count()} cores", flush=True)
        rc = subprocess.run([os.path.join(ROOT, "build", "bench", "ami_bench"), "--port", ports["tls_port"],
                             "--cafile", cert, "--user", USER, "--secret", SECRET, "--confdir", confdir,
                             "--control-port", ports["control_port"], "--phones", phones,
                             "--threads", THREADS, "--rounds", ROUNDS,
                             "--content", "centralita" if centralita else "seed"]).returncode
        if rc != 0:
            raise SystemExit(f"ami_bench failed (exit {rc})")
    finally:
        if pbx is not None:
            pbx.terminate()
            try:
                pbx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pbx.kill()
                pbx.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
