"""How Centralita's phone files should be laid out in Asterisk's configuration (issue 13), measured on the REAL
Asterisk 22 that `make acceptance` uses (ASTERISK_PREFIX, default /opt/asterisk; the shared tools' ctl.sh; AMI
plain TCP 127.0.0.1:5038 as `admin`). Not part of `make bench` or `make acceptance`; run it by hand on an idle
Asterisk, which it leaves reset to its pristine configuration:

    python3 bench/layout_bench.py [PHONES]        (default 1000)

  1. `module reload res_pjsip.so` (CLI, median of 3 minus a CLI round trip) with PHONES phones (endpoint, auth,
     aor each) spread over 1, 10, 32, 100, 300 and PHONES files in centralita/ (the #tryinclude glob);
  2. `module reload pbx_config.so` with the phones' two dialplan lines in 1, 100, 300 and PHONES files;
  3. writing a file that holds k phones whole, as Centralita writes a file (from the empty source, UpdateConfig
     requests of at most 128 header lines, the aor made under a temporary name and renamed in the same request),
     k = 1, 2, 4, 8, 16, 32, p50 of 7."""
import glob
import os
import socket
import subprocess
import sys
import time

PREFIX = os.environ.get("ASTERISK_PREFIX", "/opt/asterisk")
HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.environ.get("ASTERISK_TOOLS") or next(
    (d for d in (os.path.join(HERE, "..", "..", "shared", "tools", "asterisk"), "/work/shared/tools/asterisk")
     if os.path.exists(os.path.join(d, "ctl.sh"))), "/work/shared/tools/asterisk")
CTL = os.path.join(TOOLS, "ctl.sh")
DIR = os.path.join(PREFIX, "etc", "asterisk", "centralita")
FIRST = 20000


def cli(command):
    t = time.perf_counter()
    subprocess.run([CTL, PREFIX, "cli", command], capture_output=True, check=True)
    return time.perf_counter() - t


def pjsip_text(ext):
    return (f"[{ext}]\ntype = endpoint\ncontext = centralita-class-national\ncallerid = \"Phone {ext}\" <{ext}>\n"
            f"disallow = all\nallow = ulaw\nallow = alaw\nauth = {ext}-auth\naors = {ext}\n\n"
            f"[{ext}-auth]\ntype = auth\nauth_type = userpass\nusername = {ext}\npassword = {'x' * 32}\n\n"
            f"[{ext}]\ntype = aor\nmax_contacts = 1\nremove_existing = yes\n\n")


def dialplan_text(ext):
    return f"exten = {ext},hint,PJSIP/{ext}\nexten = {ext},1,Dial(PJSIP/{ext},30)\n"


def spread(kind, phones, files):
    for f in glob.glob(os.path.join(DIR, f"{kind}-bench*.conf")):
        os.unlink(f)
    per = (phones + files - 1) // files if files else 0
    for k in range(files):
        with open(os.path.join(DIR, f"{kind}-bench{k:04d}.conf"), "w") as f:
            if kind == "dialplan":
                f.write("[centralita-phones]\n")
            for i in range(k * per, min(phones, (k + 1) * per)):
                f.write((pjsip_text if kind == "pjsip" else dialplan_text)(FIRST + i))


def reloads(kind, module, phones, counts):
    base = min(cli("core show uptime") for _ in range(3))
    for files in counts:
        spread(kind, phones, files)
        cli(f"module reload {module}")
        ts = sorted(cli(f"module reload {module}") - base for _ in range(3))
        print(f"  {phones} phones in {files:5d} files: {module} reload {ts[1] * 1000:8.1f} ms "
              f"(min {ts[0] * 1000:.1f}, max {ts[2] * 1000:.1f})", flush=True)
    spread(kind, 0, 0)
    cli(f"module reload {module}")


class Ami:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", 5038))
        self.buf = b""
        self.s.recv(100)
        self.send([("Action", "Login"), ("Username", "admin"), ("Secret", "admin-secret-123"), ("Events", "off")])

    def send(self, headers):
        self.s.sendall(("".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.s.recv(65536)
        msg, _, self.buf = self.buf.partition(b"\r\n\r\n")
        return msg.decode()


def phone_actions(ext):
    acts = [("NewCat", str(ext), None, None)]
    acts += [("Append", str(ext), v, w) for v, w in (("type", "endpoint"), ("context", "centralita-class-national"),
             ("callerid", f'"Phone {ext}" <{ext}>'), ("disallow", "all"), ("allow", "ulaw"), ("allow", "alaw"),
             ("auth", f"{ext}-auth"), ("aors", str(ext)))]
    acts.append(("NewCat", f"{ext}-auth", None, None))
    acts += [("Append", f"{ext}-auth", v, w) for v, w in (("type", "auth"), ("auth_type", "userpass"),
             ("username", str(ext)), ("password", "x" * 32))]
    tmp = f"{ext}-aor-new"
    acts.append(("NewCat", tmp, None, None))
    acts += [("Append", tmp, v, w) for v, w in (("type", "aor"), ("max_contacts", "1"), ("remove_existing", "yes"))]
    acts.append(("RenameCat", tmp, None, str(ext)))
    return acts


def requests(acts, dst):
    """Cut into UpdateConfig requests of at most 128 header lines; a phone's aor and its rename stay together."""
    reqs, cur, lines = [], [], 5
    for a in acts:
        if a[0] == "NewCat" and a[1].endswith("-aor-new") and lines + 17 > 128:
            reqs.append(cur)
            cur, lines = [], 5
        n = 2 if a[0] == "NewCat" else 3 if a[0] == "RenameCat" else 4
        if lines + n > 128:
            reqs.append(cur)
            cur, lines = [], 5
        cur.append(a)
        lines += n
    reqs.append(cur)
    out = []
    for i, r in enumerate(reqs):
        h = [("Action", "UpdateConfig"), ("SrcFilename", "centralita/empty.conf" if i == 0 else dst),
             ("DstFilename", dst)]
        for j, (act, cat, var, val) in enumerate(r):
            h += [(f"Action-{j:06d}", act), (f"Cat-{j:06d}", cat)]
            if var:
                h.append((f"Var-{j:06d}", var))
            if val is not None:
                h.append((f"Value-{j:06d}", val))
        out.append(h)
    return out


def whole_writes(sizes):
    ami = Ami()
    for k in sizes:
        dst = f"centralita/pjsip-bench-g{k:03d}.conf"
        ami.send([("Action", "CreateConfig"), ("Filename", dst)])
        reqs = requests([a for i in range(k) for a in phone_actions(FIRST + 10000 + i)], dst)
        ts = []
        for _ in range(7):
            t = time.perf_counter()
            for h in reqs:
                r = ami.send(h)
                if "Success" not in r:
                    raise RuntimeError(r)
            ts.append(time.perf_counter() - t)
        ts.sort()
        print(f"  {k:3d} phones in the file: {len(reqs):2d} UpdateConfig requests, whole write p50 "
              f"{ts[3] * 1000:6.2f} ms", flush=True)
    for f in glob.glob(os.path.join(DIR, "pjsip-bench-g*.conf")):
        os.unlink(f)


def main():
    phones = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    subprocess.run([CTL, PREFIX, "reset"], capture_output=True, check=True)
    try:
        print(f"1. res_pjsip reload, {phones} phones over how many files:")
        reloads("pjsip", "res_pjsip.so", phones, sorted({1, 10, 32, 100, 300, phones}))
        print(f"2. pbx_config reload, {phones} phones' dialplan lines over how many files:")
        reloads("dialplan", "pbx_config.so", phones, sorted({1, 100, 300, phones}))
        print("3. a file of k phones written whole:")
        whole_writes([1, 2, 4, 8, 16, 32])
    finally:
        subprocess.run([CTL, PREFIX, "reset"], capture_output=True)


if __name__ == "__main__":
    main()
