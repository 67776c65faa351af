"""The real Asterisk of `make acceptance`: where it is, how to drive it (the shared tools' ctl.sh), what the
setup step adds to its pristine configuration, and parsers for what its CLI shows.

ASTERISK_PREFIX (default /opt/asterisk) and ASTERISK_TOOLS (default ../shared/tools/asterisk from the repository,
else /work/shared/tools/asterisk) come from the environment (scripts/acceptance.sh sets both)."""
import os
import re
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _default_tools():
    rel = os.path.abspath(os.path.join(ROOT, "..", "shared", "tools", "asterisk"))
    return rel if os.path.isdir(rel) else "/work/shared/tools/asterisk"


PREFIX = os.environ.get("ASTERISK_PREFIX", "/opt/asterisk")
TOOLS = os.environ.get("ASTERISK_TOOLS") or _default_tools()
CTL = os.path.join(TOOLS, "ctl.sh")
CERT = os.path.join(PREFIX, "keys", "asterisk.crt")
ETC = os.path.join(PREFIX, "etc", "asterisk")
PRISTINE = os.path.join(PREFIX, "etc", "asterisk.pristine")
LOG = os.path.join(PREFIX, "var", "log", "asterisk", "messages")
PIDFILE = os.path.join(PREFIX, "var", "run", "asterisk", "asterisk.pid")

AMI_HOST, AMI_TLS_PORT, AMI_TCP_PORT = "127.0.0.1", 5039, 5038
SIP_PORT = 5060
# The least-privilege manager user README.md documents (setup_asterisk.py writes it into manager.conf).
AMI_USER = "centralita"
AMI_SECRET = "acceptance-ami-secret-0123456789abcdefgh"   # 40 characters
PHONES_CONTEXT = "from-internal"       # config.sh's internal context: Centralita's [asterisk] context here
# Centralita's own files (src/pbx/pbx.h PBX_DIR): pjsip-phones-<first>-<last>.conf and dialplan-phones-...conf, 4 phones
# to a pair, in this folder
# of the configuration directory, included once by the integrator's files (setup_asterisk.py writes the lines).
PHONES_DIR = "centralita"
PJSIP_INCLUDE = f"{PHONES_DIR}/pjsip-*.conf"
DIALPLAN_INCLUDE = f"{PHONES_DIR}/dialplan-*.conf"
PHONES_DIALPLAN = "centralita-phones"  # the context every phone's dialplan lines go to; [from-internal] includes it

# The integrator's hand-written configuration Centralita must never touch (issue 7 section 3).
DOOR_ENDPOINT = ("250", [("type", "endpoint"), ("context", "doors"), ("aors", "250"), ("disallow", "all"),
                         ("allow", "ulaw")])
DOOR_AOR = ("250", [("type", "aor"), ("contact", "sip:250@127.0.0.1:5099")])
HAND_EXTEN = "exten => 260,1,Playback(hello-world)"
DOORS_CONTEXT = ("doors", ["exten => 250,1,Dial(PJSIP/250,20)", "exten => 250,n,Hangup()",
                           "exten => 100,1,Playback(hello-world)"])


def missing():
    """What is missing to run against the real Asterisk (empty list: nothing)."""
    out = []
    if not os.access(os.path.join(PREFIX, "sbin", "asterisk"), os.X_OK):
        out.append(f"no Asterisk in {PREFIX} ({PREFIX}/sbin/asterisk)")
    for f in ("ctl.sh", "config.sh"):
        if not os.access(os.path.join(TOOLS, f), os.X_OK):
            out.append(f"no {TOOLS}/{f}")
    return out


def ctl(*args, timeout=180, check=True):
    r = subprocess.run([CTL, PREFIX, *args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"ctl.sh {' '.join(args)} failed ({r.returncode}): {r.stdout}{r.stderr}")
    return r


def cli(command):
    """What the Asterisk CLI prints for command (ctl.sh cli)."""
    return ctl("cli", command, timeout=30).stdout


def instances():
    """Pids of the Asterisk servers running PREFIX/sbin/asterisk (remote consoles, `asterisk -r`, left out)."""
    exe = os.path.realpath(os.path.join(PREFIX, "sbin", "asterisk"))
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{d}/exe") != exe:
                continue
            with open(f"/proc/{d}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if not any(a.startswith(b"-r") or a.startswith(b"-R") for a in args):
            pids.append(int(d))
    return pids


def check_single():
    """Exactly one Asterisk of PREFIX runs. Two at once (two starts racing) leave the old one holding the AMI and SIP
    ports while the CLI talks to the new one: every check would then read the wrong Asterisk."""
    pids = instances()
    if len(pids) != 1:
        raise RuntimeError(f"{len(pids)} Asterisk servers of {PREFIX} are running (pids {pids}), expected 1: "
                           f"stop them (ctl.sh {PREFIX} stop, then kill the pids left) and run again")


def reset():
    ctl("reset")
    check_single()


def stop():
    ctl("stop")


def start():
    ctl("start")
    check_single()


def running():
    return ctl("cli", "core show version", timeout=15, check=False).returncode == 0


def pid():
    try:
        with open(PIDFILE) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        out = subprocess.run(["pgrep", "-f", f"^{PREFIX}/sbin/asterisk"], capture_output=True, text=True).stdout
        pids = [int(p) for p in out.split()]
        if len(pids) != 1:
            raise RuntimeError(f"cannot tell Asterisk's pid: pgrep says {pids}")
        return pids[0]


def fingerprint():
    """SHA-256 fingerprint of Asterisk's AMI certificate, as [ami] fingerprint takes it (AB:CD:...)."""
    out = subprocess.run(["openssl", "x509", "-in", CERT, "-noout", "-fingerprint", "-sha256"],
                         capture_output=True, text=True, check=True).stdout.strip()
    return out.split("=", 1)[1]


def ami_conf(tls=True, timeout_ms=5000, user=AMI_USER, secret=AMI_SECRET):
    """The `ami` dict for harness.Stack: Asterisk's AMI over TLS (pinned) or plain TCP, MD5 login."""
    d = {"host": AMI_HOST, "port": AMI_TLS_PORT if tls else AMI_TCP_PORT, "tls": tls, "username": user,
         "secret": secret, "auth": "md5", "timeout": timeout_ms}
    if tls:
        d["fingerprint"] = fingerprint()
    return d


# ---------------------------------------------------------------- what the CLI shows

def parameters(text):
    """The 'ParameterName : ParameterValue' table of `pjsip show endpoint/aor/auth X` as {name: [values]}."""
    params = {}
    inside = False
    for line in text.splitlines():
        if re.match(r"\s*ParameterName\s*:\s*ParameterValue", line):
            inside = True
            continue
        if not inside or set(line.strip()) <= {"="}:
            continue
        m = re.match(r"\s*([A-Za-z0-9_.]+)\s+:\s?(.*)$", line)
        if m:
            params.setdefault(m.group(1), []).append(m.group(2).rstrip())
    return params


def param(text, name):
    v = parameters(text).get(name)
    return v[0] if v else None


def endpoint(ext):
    """`pjsip show endpoint ext` parsed, or None when Asterisk has no such endpoint."""
    text = cli(f"pjsip show endpoint {ext}")
    if "Unable to find object" in text or "ParameterName" not in text:
        return None
    return parameters(text)


def aor(name):
    text = cli(f"pjsip show aor {name}")
    if "Unable to find object" in text or "ParameterName" not in text:
        return None
    return parameters(text)


def auth(name):
    text = cli(f"pjsip show auth {name}")
    if "Unable to find object" in text or "ParameterName" not in text:
        return None
    return parameters(text)


def contacts():
    """`pjsip show contacts`: [(aor, uri, status)] of the Contact: lines."""
    out = []
    for line in cli("pjsip show contacts").splitlines():
        m = re.match(r"\s*Contact:\s+(\S+?)/(\S+)\s+\S+\s+(\S+)", line)
        if m and not m.group(1).startswith("<"):
            out.append((m.group(1), m.group(2), m.group(3)))
    return out


def context_exists(context):
    text = cli(f"dialplan show {context}")
    return f"[ Context '{context}'" in text


def dialplan(context):
    """`dialplan show context`: its extension lines ('200 => 1. Dial(...)' style, whitespace squeezed) and
    include lines ("Include => 'x'"), in order; None if there is no such context."""
    text = cli(f"dialplan show {context}")
    if f"[ Context '{context}'" not in text:
        return None
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("[ Context "):
            inside = line.startswith(f"[ Context '{context}'")
            continue
        if inside and line.strip() and not line.startswith("-="):
            lines.append(re.sub(r"\s+", " ", re.sub(r"\s*\[[^\]]*\]\s*$", "", line)).strip())
    return lines


def includes(context):
    return [re.sub(r"^Include => '([^']*)'.*$", r"\1", l) for l in (dialplan(context) or [])
            if l.startswith("Include =>")]


def phone_dialplan(ext, context=PHONES_DIALPLAN):
    """The lines `dialplan show ext@context` shows for ext ('hint: PJSIP/300', '1. Dial(PJSIP/300,30)'), [] if
    none."""
    text = cli(f"dialplan show {ext}@{context}")
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith("[ Context "):
            inside = line.startswith(f"[ Context '{context}'")
            continue
        if not inside or not line.strip() or line.startswith("-="):
            continue
        line = re.sub(r"\s+", " ", re.sub(r"\s*\[[^\]]*\]\s*$", "", line)).strip()
        m = re.match(r"'([^']*)' => (.*)$", line)
        if m:
            inside = m.group(1) == ext     # (a pattern matching ext shows too)
            line = m.group(2)
        if inside and not line.startswith("Include =>"):
            out.append(line)
    return out


def phones_dialplan(context=PHONES_DIALPLAN):
    """`dialplan show context` as {exten: [its lines]} (see phone_dialplan), or None if there is no such context."""
    lines = dialplan(context)
    if lines is None:
        return None
    out, cur = {}, None
    for line in lines:
        m = re.match(r"'([^']*)' => (.*)$", line)
        if m:
            cur = m.group(1)
            out.setdefault(cur, []).append(m.group(2))
        elif cur is not None and not line.startswith("Include =>"):
            out[cur].append(line)
    return out


PJSIP_LISTS = {"endpoints": r"^\s*Endpoint:\s+([^\s/<]+)", "aors": r"^\s*Aor:\s+([^\s<]+)",
               "auths": r"^\s*Auth:\s+([^\s/<]+)"}


def pjsip_ids(kind):
    """The ids `pjsip show endpoints|aors|auths` lists, in order, duplicates kept."""
    return [m.group(1) for line in cli(f"pjsip show {kind}").splitlines()
            for m in [re.match(PJSIP_LISTS[kind], line)] if m]


def phone_files(phone_id):
    """Paths of the two files holding phone phone_id's part (src/pbx/pbx.h pbx_phone_files: 4 phones a pair)."""
    first = (phone_id - 1) // 4 * 4 + 1
    d = os.path.join(ETC, PHONES_DIR)
    return (os.path.join(d, f"pjsip-phones-{first}-{first + 3}.conf"),
            os.path.join(d, f"dialplan-phones-{first}-{first + 3}.conf"))


def phones_dir_sections():
    """Every category of every file in centralita/ but empty.conf: [(file name, category, [(key, value)])]."""
    d = os.path.join(ETC, PHONES_DIR)
    out = []
    for name in sorted(os.listdir(d)):
        if name == "empty.conf" or not name.endswith(".conf"):
            continue
        with open(os.path.join(d, name), errors="replace") as f:
            out += [(name, cat, body) for cat, body in conf_sections(f.read())]
    return out


def conf_sections(text):
    """Asterisk config text -> [(name, [(key, value)])]; `a => b` gives ("a", "b"); comments and directives
    (#include, #tryinclude) dropped."""
    sections, cur = [], None
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip() if not raw.strip().startswith(";") else ""
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            end = line.find("]")      # (a file cut short by a crash may end inside a category's name)
            cur = (line[1:end] if end > 0 else line[1:], [])
            sections.append(cur)
            continue
        if cur is None:
            continue
        key, _, value = line.partition("=")
        if value.startswith(">"):
            value = value[1:]
        cur[1].append((key.strip(), value.strip()))
    return sections


def conf_file(name, pristine=False):
    with open(os.path.join(PRISTINE if pristine else ETC, name)) as f:
        return conf_sections(f.read())


def log_size():
    try:
        return os.path.getsize(LOG)
    except OSError:
        return 0


def log_since(offset):
    try:
        with open(LOG, errors="replace") as f:
            f.seek(offset)
            return f.read()
    except OSError:
        return ""
