"""Trunks, outbound routes and calling classes through a real nginx, the real daemon and the TLS test PBX: what
the integrator's pages write into Centralita's own files on the PBX (centralita/pjsip-trunk-<id>.conf,
centralita/dialplan-routes.conf) and what Asterisk loads, route order, the route tester, the phone's calling
class, owners kept out of every trunk and route URL, injection attempts in every field, the PBX away, edits
that cross, and a trunk that routes still use.

The module runs its own stack (its routes and trunks are global: the dialplan holds them all), configured with
a calling class of its own ("vip", which has no words in the language files), two emergency numbers and a dial
timeout, so that what comes from the configuration can be told from the defaults."""
import os
import re
import sqlite3
import time
import urllib.parse

import pytest

from conftest import INTEGRATOR, OWNER
from harness import ROOT, Client, Stack, phone_file_names, route_table

CLASSES = ["internal", "local", "national", "mobile", "international", "premium", "vip"]
EMERGENCY = ["112", "091"]
DIAL_TIMEOUT = 45
CONTEXT = "internal"            # [asterisk] context: the phones' (the integrator's) context
TRUNK_CONTEXT = "from-trunk"    # [asterisk] trunk_context default
EXTRA_CONF = (f"[asterisk]\nclasses = {','.join(CLASSES)}\nemergency = {','.join(EMERGENCY)}\n"
              f"dial_timeout = {DIAL_TIMEOUT}\n")
OUT_EXTEN = "_[0-9*#+]!"
FILTER = "${FILTER(0123456789*#+,%s)}"
INJECTIONS = [",", "(", ")", "$", "{", ";", "&", "|"]


# ---------------------------------------------------------------- the UI's words

def load_lang(path):
    """templates/lang/<lang>.hdf -> {"Lang.a.b": "words"}."""
    out, stack = {}, []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.endswith("{"):
                stack.append(line[:-1].strip())
            elif line == "}":
                stack.pop()
            else:
                key, _, value = line.partition("=")
                out[".".join(stack + [key.strip()])] = value.strip()
    return out


EN = load_lang(os.path.join(ROOT, "templates", "lang", "en.hdf"))


def html(text):
    """What ClearSilver's html escaping makes of text."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#39;"))


def msg(section, field, key):
    """The message a form shows for a rule's key on field, as the rule_error macro picks it (escaped)."""
    for k in (f"Lang.{section}.err.{field}_{key}", f"Lang.{section}.err.{key}", f"Lang.err.{key}"):
        if k in EN:
            return html(EN[k])
    raise KeyError(f"no message for {section}/{field}/{key}")


def html_unescape(s):
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#39;", "'")
            .replace("&amp;", "&"))


# ---------------------------------------------------------------- fixtures and helpers

@pytest.fixture(scope="module")
def stack():
    s = Stack(extra_conf=EXTRA_CONF).start()
    s.add_user(INTEGRATOR[0], "integrator", INTEGRATOR[1])
    s.add_user(OWNER[0], "owner", OWNER[1])
    yield s
    code = s.stop()
    s.cleanup()
    assert code == 0, "daemon did not exit cleanly on SIGTERM"


@pytest.fixture
def clean_pbx(stack):
    """Whatever a test does to the test PBX, it is listening and fault-free afterwards."""
    yield stack
    for cmd in ({"cmd": "cancel_drop"}, {"cmd": "delay", "ms": 0}, {"cmd": "refuse", "on": False},
                {"cmd": "start_listening"}):
        try:
            stack.pbx.control(cmd)
        except Exception:  # noqa: BLE001 - start_listening on a listening server
            pass


def wait_for(pred, timeout=15.0, step=0.1, what="condition"):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


def rows(stack, sql, args=()):
    db = sqlite3.connect(stack.db, timeout=10)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(sql, args).fetchall()]
    finally:
        db.close()


def trunk_row(stack, name):
    r = rows(stack, "SELECT * FROM trunks WHERE name = ? AND deleted = 0", (name,))
    return r[0] if r else None


def route_row(stack, name):
    r = rows(stack, "SELECT * FROM routes WHERE name = ?", (name,))
    return r[0] if r else None


def dialplan_state(stack):
    return rows(stack, "SELECT * FROM dialplan_state")[0]


def trunk_applied(stack, name):
    t = trunk_row(stack, name)
    return bool(t) and t["applied_version"] == t["version"]


def dialplan_applied(stack):
    d = dialplan_state(stack)
    return d["applied_version"] == d["version"]


def wait_applied(stack, trunks=(), what=""):
    for name in trunks:
        wait_for(lambda: trunk_applied(stack, name), what=f"trunk {name} applied {what}")
    wait_for(lambda: dialplan_applied(stack), what=f"routes dialplan applied {what}")


def trunk_fields(name, host, **kw):
    f = {"name": name, "host": host, "port": "5060", "transport": "udp", "codec_0": "ulaw", "codec_1": "alaw",
         "expiration": "3600", "max_calls": "0"}
    f.update(kw)
    return {k: v for k, v in f.items() if v is not None}


def add_trunk(client, name, host, **kw):
    return client.post("/trunks", dict(trunk_fields(name, host, **kw), _csrf=client.csrf()))


def route_fields(name, patterns, classes, trunks, strip="0", prepend="", callerid="", **kw):
    f = {"name": name, "patterns": "\n".join(patterns), "strip": strip, "prepend": prepend, "callerid": callerid}
    for c in classes:
        f[f"class_{CLASSES.index(c)}"] = c
    for i, t in enumerate(trunks):
        f[f"trunk_{i + 1}"] = str(t)
    f.update(kw)
    return {k: v for k, v in f.items() if v is not None}


def add_route(client, name, patterns, classes, trunks, **kw):
    return client.post("/routes", dict(route_fields(name, patterns, classes, trunks, **kw), _csrf=client.csrf()))


def conf_text(stack, name):
    path = os.path.join(stack.pbx_dir, "centralita", name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return f.read()


def parse_conf(text):
    """Asterisk config text -> [(section, [(key, value)])]; "exten => x" gives ("exten", "x")."""
    sections, cur = [], None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line or line.startswith(";") or line.startswith("#"):
            continue
        if line.startswith("["):
            cur = (line[1:line.index("]")], [])
            sections.append(cur)
            continue
        line = re.split(r"(?<!\\);", line, maxsplit=1)[0].replace("\\;", ";")   # "\;" is a ';', else a comment
        key, _, value = line.partition("=")
        value = value[1:] if value.startswith(">") else value
        cur[1].append((key.strip(), value.strip()))
    return sections


def dialplan(stack):
    """centralita/dialplan-routes.conf as {context: [(key, value)]} (each context appears once)."""
    out = {}
    for name, lines in parse_conf(conf_text(stack, "dialplan-routes.conf")):
        assert name not in out, f"context {name} written twice"
        out[name] = lines
    return out


def includes(stack, context):
    return [v for k, v in dialplan(stack).get(context, []) if k == "include"]


def trunk_file(stack, name):
    return f"pjsip-trunk-{trunk_row(stack, name)['id']}.conf"


def trunk_sections(stack, name):
    """{(section, type): {key: [values]}} of the trunk's own file."""
    out = {}
    for sec, lines in parse_conf(conf_text(stack, trunk_file(stack, name))):
        kv = {}
        for k, v in lines:
            kv.setdefault(k, []).append(v)
        out[(sec, kv["type"][0])] = kv
    return out


def loaded_dialplan(stack):
    return stack.pbx.control({"cmd": "loaded"})["dialplan"]


def centralita_files(stack):
    d = os.path.join(stack.pbx_dir, "centralita")
    return {f: open(os.path.join(d, f)).read() for f in sorted(os.listdir(d))}


def snapshot(stack):
    return {
        "trunks": rows(stack, "SELECT id, name, host, version, deleted FROM trunks ORDER BY id"),
        "routes": rows(stack, "SELECT id, name, priority, version FROM routes ORDER BY id"),
        "patterns": rows(stack, "SELECT * FROM route_patterns ORDER BY route_id, pos"),
        "dialplan": dialplan_state(stack)["version"],
        "files": centralita_files(stack),
    }


def field_errors(body):
    """{field name: message} for every field error of a form: a label's own (input, select or textarea), and a
    fieldset's (codecs, classes, trunks) under the fieldset's id."""
    errs = {}
    for block in re.findall(r"<label[^>]*>.*?</label>", body, re.S):
        m = re.search(r'<(?:input|select|textarea)[^>]*\bname="(\w+)"', block)
        e = re.search(r'<span class="field-error" role="alert">(.*?)</span>', block, re.S)
        if m and e:
            errs[m.group(1)] = e.group(1)
    for fid, inner in re.findall(r'<fieldset id="(\w+)">(.*?)</fieldset>', body, re.S):
        rest = re.sub(r"<label[^>]*>.*?</label>", "", inner, flags=re.S)
        e = re.search(r'<span class="field-error" role="alert">(.*?)</span>', rest, re.S)
        if e:
            errs[fid] = e.group(1)
    return errs


def main_part(body):
    return body[body.index("<main>"):]


def list_row(body, attr, value):
    m = re.search(rf'<tr {attr}="{re.escape(html(value))}"[^>]*>(.*?)</tr>', body, re.S)
    return m.group(1) if m else None


def ask_tester(client, number, calling_class):
    """The route tester's answer: (verdict, route name, pattern, [(trunk, number sent, caller id)])."""
    r = client.get("/routes/test?" + urllib.parse.urlencode({"number": number, "class": calling_class}))
    assert r.status == 200, r.body
    verdict = re.search(r'<section class="card" id="test-result" data-verdict="(\w+)">', r.body)
    route = re.search(r'<strong id="test-route" data-id="\d+">(.*?)</strong>', r.body)
    pattern = re.search(r'<code id="test-pattern">(.*?)</code>', r.body)
    attempts = [(t, html_unescape(n), html_unescape(c) if "<span" not in c else "")
                for t, n, c in re.findall(r'<tr class="attempt" data-trunk="[^"]*">\s*<td>\d+</td>\s*'
                                          r'<td class="trunk">(.*?)</td>\s*<td class="sent"><code>(.*?)</code></td>\s*'
                                          r'<td class="callerid">(.*?)</td>', r.body, re.S)]
    return (verdict and verdict.group(1), route and html_unescape(route.group(1)),
            pattern and html_unescape(pattern.group(1)), attempts, r.body)


@pytest.fixture(scope="module")
def base(stack):
    """Two trunks every test may route through: prov-a (plain, with a caller ID) and prov-b (registers, over
    TCP), and the integrator's client."""
    c = Client(stack.port)
    assert c.login(*INTEGRATOR).status == 303
    r = add_trunk(c, "prov-a", "192.0.2.20", callerid="+34910000001")
    assert (r.status, r.header("Location")) == (303, "/trunks?done=saved"), r.body
    r = add_trunk(c, "prov-b", "sip.prov-b.example", port="5080", transport="tcp", registration="1",
                  username="acct-77", secret="pa$$(w){o}&|rd", expiration="600", from_domain="prov-b.example",
                  codec_1=None)
    assert (r.status, r.header("Location")) == (303, "/trunks?done=saved"), r.body
    wait_applied(stack, ["prov-a", "prov-b"])
    return {"client": c, "a": trunk_row(stack, "prov-a")["id"], "b": trunk_row(stack, "prov-b")["id"]}


# ---------------------------------------------------------------- roles

def test_owner_gets_403_on_every_trunk_and_route_url(stack, base, owner):
    c = base["client"]
    r = add_route(c, "Owner probe", ["_8XXX"], ["national"], [base["a"]])
    assert r.status == 303, r.body
    rid, tid = route_row(stack, "Owner probe")["id"], base["a"]
    table = [(m, p, role) for m, p, role, _ in route_table() if p.startswith(("/trunks", "/routes"))]
    assert len(table) >= 17, table
    assert all(role == "integrator" for _, _, role in table), table
    before = snapshot(stack)
    token = owner.csrf()
    for method, pattern, _ in table:
        path = pattern.replace(":id", str(tid if pattern.startswith("/trunks") else rid))
        fields = {"_csrf": token, "version": "1", "dir": "up", "name": "owned", "host": "192.0.2.99",
                  "patterns": "_7XXX", "class_0": "internal", "trunk_1": str(tid)}
        r = owner.get(path) if method == "GET" else owner.post(path, fields)
        assert r.status == 403, (method, path, r.status)
        assert html(EN["Lang.error.forbidden"]) in r.body, (method, path)
        # Nothing of the page leaks into the refusal.
        assert "prov-a" not in r.body and "Owner probe" not in r.body, (method, path)
    assert snapshot(stack) == before
    # And the owner's navigation has no link to them; the integrator's has both.
    home = owner.get("/").body
    assert 'href="/trunks"' not in home and 'href="/routes"' not in home
    home = c.get("/").body
    assert 'href="/trunks"' in home and 'href="/routes"' in home and 'id="outbound"' in home


# ---------------------------------------------------------------- trunks and routes reach the PBX

def test_trunk_files_hold_endpoint_aor_auth_identify_registration(stack, base):
    a = trunk_sections(stack, "prov-a")
    assert sorted(a) == [("trunk-prov-a", "aor"), ("trunk-prov-a", "endpoint"),
                         ("trunk-prov-a-identify", "identify")], a
    ep = a[("trunk-prov-a", "endpoint")]
    assert ep["context"] == [TRUNK_CONTEXT] and ep["allow"] == ["ulaw", "alaw"] and ep["disallow"] == ["all"]
    assert ep["aors"] == ["trunk-prov-a"] and "outbound_auth" not in ep
    assert a[("trunk-prov-a", "aor")]["contact"] == ["sip:192.0.2.20:5060"]
    assert "qualify_frequency" in a[("trunk-prov-a", "aor")]
    assert a[("trunk-prov-a-identify", "identify")] == {"type": ["identify"], "endpoint": ["trunk-prov-a"],
                                                      "match": ["192.0.2.20"]}
    b = trunk_sections(stack, "prov-b")
    assert sorted(b) == [("trunk-prov-b", "aor"), ("trunk-prov-b", "endpoint"), ("trunk-prov-b-auth", "auth"),
                         ("trunk-prov-b-identify", "identify"), ("trunk-prov-b-reg", "registration")], b
    assert b[("trunk-prov-b", "endpoint")]["allow"] == ["ulaw"]
    assert b[("trunk-prov-b", "endpoint")]["from_domain"] == ["prov-b.example"]
    assert b[("trunk-prov-b", "aor")]["contact"] == ["sip:sip.prov-b.example:5080;transport=tcp"]
    # The password reaches the file exactly as typed: $ ( ) { } & | mean nothing in pjsip.conf.
    assert b[("trunk-prov-b-auth", "auth")]["password"] == ["pa$$(w){o}&|rd"]
    assert b[("trunk-prov-b-auth", "auth")]["username"] == ["acct-77"]
    reg = b[("trunk-prov-b-reg", "registration")]
    assert reg["server_uri"] == ["sip:sip.prov-b.example:5080;transport=tcp"]
    assert reg["client_uri"] == ["sip:acct-77@prov-b.example"]
    assert reg["outbound_auth"] == ["trunk-prov-b-auth"] and reg["expiration"] == ["600"]
    assert reg["endpoint"] == ["trunk-prov-b"]
    # Loaded: res_pjsip runs with both endpoints.
    got = stack.pbx.control({"cmd": "loaded"})
    assert "trunk-prov-a" in got["endpoint"] and "trunk-prov-b" in got["endpoint"], sorted(got["endpoint"])
    # The list shows both, applied, with their providers.
    body = base["client"].get("/trunks").body
    row = list_row(body, "data-trunk", "prov-b")
    assert row and "sip.prov-b.example:5080" in row and 'data-apply=""' in row and "registers" in row, row
    assert re.search(r'data-live="(registered|rejected|stopped|unreachable|trying|reachable|unknown)"', row)


def test_integrator_creates_route_and_dialplan_reaches_the_pbx(stack, base):
    c = base["client"]
    r = add_route(c, "Nacional", ["_9XXXXXXXX", "_6XXXXXXXX"], ["national", "international"],
                  [base["b"], base["a"]])
    assert (r.status, r.header("Location")) == (303, "/routes?done=saved"), r.body
    rid = route_row(stack, "Nacional")["id"]
    plan = dialplan(stack)
    # One context per configured class, "vip" too, each with every emergency number first, then the phones'
    # context; the route only in the classes that may use it.
    for cls in CLASSES:
        lines = plan[f"centralita-class-{cls}"]
        assert lines[:len(EMERGENCY) + 1] == [("exten", f"{n},1,Goto(centralita-emergency-out,{n},1)")
                                              for n in EMERGENCY] + [("include", CONTEXT)], (cls, lines)
        assert (f"centralita-route-{rid}" in includes(stack, f"centralita-class-{cls}")) == \
            (cls in ("national", "international")), cls
    assert plan[f"centralita-route-{rid}"] == [
        ("exten", f"_9XXXXXXXX,1,Goto(centralita-route-{rid}-out,{FILTER % '${EXTEN}'},1)"),
        ("exten", f"_6XXXXXXXX,1,Goto(centralita-route-{rid}-out,{FILTER % '${EXTEN}'},1)")]
    out = [v for k, v in plan[f"centralita-route-{rid}-out"]]
    assert all(v.startswith(OUT_EXTEN + ",") for v in out), out
    steps = [v[len(OUT_EXTEN) + 1:] for v in out]
    dials = [s for s in steps if "Dial(" in s]
    # prov-b first, then prov-a, each for [asterisk] dial_timeout seconds; failover only on CHANUNAVAIL and
    # CONGESTION, never on BUSY or NOANSWER; prov-a presents its caller ID; the last step hangs up.
    assert [re.search(r"Dial\((.*)\)", s).group(1) for s in dials] == \
        [f"PJSIP/${{EXTEN}}@trunk-prov-b,{DIAL_TIMEOUT}", f"PJSIP/${{EXTEN}}@trunk-prov-a,{DIAL_TIMEOUT}"]
    assert steps[0].startswith("1,") and all(re.match(r"n(\(\w+\))?,", s) for s in steps[1:]), steps
    text = "\n".join(steps)
    assert 'GotoIf($["${DIALSTATUS}" = "CHANUNAVAIL"]?trunk2)' in text
    assert 'GotoIf($["${DIALSTATUS}" = "CONGESTION"]?trunk2)' in text
    assert "BUSY" not in text and "NOANSWER" not in text
    assert text.index("Set(CALLERID(num)=+34910000001)") > text.index("trunk-prov-b") and \
        text.index("Set(CALLERID(num)=+34910000001)") < text.index("@trunk-prov-a")
    assert steps[-1] == "n,Hangup()"
    # Emergency numbers go out through every live trunk, by name, unchanged.
    assert plan["centralita-emergency"] == [("exten", f"{n},1,Goto(centralita-emergency-out,{n},1)")
                                            for n in EMERGENCY]
    em = "\n".join(v for _, v in plan["centralita-emergency-out"])
    assert em.index("@trunk-prov-a,") < em.index("@trunk-prov-b,") and "CALLERID" not in em
    # Asterisk runs with it (pbx_config was reloaded), and nothing was written outside Centralita's folder.
    loaded = loaded_dialplan(stack)
    assert sorted(l[0] for l in loaded.get(f"centralita-route-{rid}", [])) == ["_6XXXXXXXX", "_9XXXXXXXX"], loaded
    assert "centralita-route" not in stack.pbx_file("extensions.conf")
    assert dialplan_applied(stack)
    # The list shows it with its patterns, classes and trunks in failover order.
    body = c.get("/routes").body
    row = list_row(body, "data-route", "Nacional")
    assert re.findall(r'<li class="trunk" data-trunk="([^"]+)">', row) == ["prov-b", "prov-a"], row
    assert re.findall(r'<code class="pattern">(.*?)</code>', row) == ["_9XXXXXXXX", "_6XXXXXXXX"]
    assert re.findall(r'data-class="(\w+)"', row) == ["national", "international"]
    assert 'id="dialplan-status"' not in body
    # The preview is the file as Asterisk reads it.
    prev = c.get("/routes/dialplan")
    assert prev.status == 200
    shown = html_unescape(re.search(r'<pre class="dialplan" id="dialplan">(.*?)</pre>', prev.body, re.S).group(1))
    assert parse_conf(shown) == parse_conf(conf_text(stack, "dialplan-routes.conf"))
    assert f"exten => _9XXXXXXXX,1,Goto(centralita-route-{rid}-out," in shown


def move(client, stack, name, direction, version=None):
    r = route_row(stack, name)
    return client.post(f"/routes/{r['id']}/move", {"_csrf": client.csrf(), "dir": direction,
                                                  "version": str(version if version is not None else r["version"])})


def test_route_order_change_is_reflected_in_the_dialplan(stack, base):
    c = base["client"]
    assert add_route(c, "Abroad", ["_00."], ["vip"], [base["a"]]).status == 303
    assert add_route(c, "Abroad to Spain", ["_0034."], ["vip"], [base["b"]]).status == 303
    first, second = route_row(stack, "Abroad")["id"], route_row(stack, "Abroad to Spain")["id"]
    assert includes(stack, "centralita-class-vip") == [CONTEXT, f"centralita-route-{first}",
                                                       f"centralita-route-{second}"]
    assert ask_tester(c, "0034911000111", "vip")[1] == "Abroad"
    # The list offers "up" on every route but the first and "down" on every one but the last.
    body = c.get("/routes").body
    names = [html_unescape(n) for n in re.findall(r'<tr data-route="([^"]*)"', body)]
    assert names[-2:] == ["Abroad", "Abroad to Spain"]
    row = list_row(body, "data-route", "Abroad to Spain")
    assert 'class="inline move-up"' in row and 'class="inline move-down"' not in row
    row = list_row(body, "data-route", names[0])
    assert 'class="inline move-up"' not in row and 'class="inline move-down"' in row

    r = move(c, stack, "Abroad to Spain", "up")
    assert (r.status, r.header("Location")) == (303, "/routes?done=moved"), r.body
    assert includes(stack, "centralita-class-vip") == [CONTEXT, f"centralita-route-{second}",
                                                       f"centralita-route-{first}"]
    assert dialplan_applied(stack)
    assert ask_tester(c, "0034911000111", "vip")[1] == "Abroad to Spain"
    assert ask_tester(c, "0044911000111", "vip")[1] == "Abroad"
    names = [html_unescape(n) for n in re.findall(r'<tr data-route="([^"]*)"', c.get("/routes").body)]
    assert names[-2:] == ["Abroad to Spain", "Abroad"]

    r = move(c, stack, "Abroad to Spain", "down")
    assert (r.status, r.header("Location")) == (303, "/routes?done=moved")
    assert includes(stack, "centralita-class-vip") == [CONTEXT, f"centralita-route-{first}",
                                                       f"centralita-route-{second}"]
    # Moving the last route down changes nothing.
    before = includes(stack, "centralita-class-vip")
    assert move(c, stack, "Abroad to Spain", "down").status == 303
    assert includes(stack, "centralita-class-vip") == before
    # A move from a stale page is refused.
    stale = route_row(stack, "Abroad")["version"] - 1
    r = move(c, stack, "Abroad", "down", version=stale if stale > 0 else 999)
    assert r.status == 409 and html(EN["Lang.error.route_conflict"]) in r.body
    assert includes(stack, "centralita-class-vip") == before
    # Bad directions are no moves.
    rid = route_row(stack, "Abroad")["id"]
    r = c.post(f"/routes/{rid}/move", {"_csrf": c.csrf(), "dir": "sideways", "version": "1"})
    assert r.status == 422


# ---------------------------------------------------------------- the route tester

def test_route_tester_answers(stack, base):
    c = base["client"]
    r = add_route(c, "Intl plus", ["_00Z."], ["international"], [base["a"], base["b"]], strip="2", prepend="+",
                  callerid="")
    assert r.status == 303, r.body
    r = add_route(c, "Premium", ["_80[3-6]XXXXXX"], ["premium"], [base["b"]], callerid="+34910999999")
    assert r.status == 303, r.body
    wait_applied(stack)
    # A match, stripped and prepended, with each trunk's caller ID (prov-b has none: the caller's own).
    verdict, route, pattern, attempts, body = ask_tester(c, "00442071234567", "international")
    assert (verdict, route, pattern) == ("matched", "Intl plus", "_00Z."), body
    assert attempts == [("prov-a", "+442071234567", "+34910000001"), ("prov-b", "+442071234567", "")]
    # The route's own caller ID wins over the trunk's.
    verdict, route, pattern, attempts, _ = ask_tester(c, "803123456", "premium")
    assert (verdict, route, attempts) == ("matched", "Premium", [("prov-b", "803123456", "+34910999999")])
    # The class may not use the route that matches: refused, and the page says which classes may.
    verdict, route, _, attempts, body = ask_tester(c, "803123456", "national")
    assert (verdict, route, attempts) == ("not_allowed", "Premium", [])
    assert html(EN["Lang.tester.verdict.not_allowed"]) in body
    assert re.search(r'<p id="allowed-classes">.*premium-rate', body, re.S)
    # No route at all.
    verdict, route, _, _, body = ask_tester(c, "7123", "international")
    assert (verdict, route) == ("no_route", None) and html(EN["Lang.tester.verdict.no_route"]) in body
    # Emergency numbers: from any class, even internal, through every trunk by name, unchanged.
    for number in EMERGENCY:
        verdict, route, _, attempts, body = ask_tester(c, number, "internal")
        assert verdict == "emergency" and route is None, body
        assert attempts == [("prov-a", number, ""), ("prov-b", number, "")], attempts
    # Not a number, and not a class.
    for bad in ("9,Dial(x)", "9${EXTEN}", "123;x", "1&2", "1|2", "(1)", "{1}"):
        verdict, _, _, attempts, body = ask_tester(c, bad, "national")
        assert (verdict, attempts) == ("bad_number", []), (bad, verdict)
        assert html(bad) in body
    verdict, _, _, _, body = ask_tester(c, "912345678", "nope")
    assert verdict == "bad_class"
    # The form offers the configured classes, in order, and keeps what was asked.
    r = c.get("/routes/test?number=912345678&class=vip")
    options = re.findall(r'<option value="(\w+)"( selected)?>(.*?)</option>',
                         re.search(r'<select name="class">.*?</select>', r.body, re.S).group(0))
    assert [o[0] for o in options] == CLASSES
    assert [o[0] for o in options if o[1]] == ["vip"] and options[-1][2] == "vip"
    assert options[2][2] == html(EN["Lang.classes.national"])
    # No number: only the form.
    r = c.get("/routes/test")
    assert r.status == 200 and 'id="test-result"' not in r.body


# ---------------------------------------------------------------- calling classes on phones

def test_phone_form_offers_configured_classes_and_endpoint_context_follows(stack, base, owner):
    c = base["client"]
    form = c.get("/phones/new").body
    options = re.findall(r'<option value="(\w+)"( selected)?>(.*?)</option>',
                         re.search(r'<select name="calling_class">.*?</select>', form, re.S).group(0))
    assert [o[0] for o in options] == CLASSES
    assert [o[0] for o in options if o[1]] == ["national"]          # [asterisk] default_class
    assert options[-1][2] == "vip" and options[0][2] == html(EN["Lang.classes.internal"])
    r = c.post("/phones", {"_csrf": c.csrf(), "extension": "401", "name": "VIP desk", "model": "yealink-t46u",
                           "mac": "00:15:65:40:01:01", "calling_class": "vip"})
    assert r.status == 303, r.body
    phone = rows(stack, "SELECT * FROM phones WHERE extension = '401'")[0]
    assert phone["calling_class"] == "vip"
    wait_for(lambda: rows(stack, "SELECT applied_version = version AS ok FROM phones WHERE id = ?",
                          (phone["id"],))[0]["ok"], what="phone applied")
    chan_name = os.path.basename(phone_file_names(phone["id"])[0])
    eps = [dict(l) for n, l in parse_conf(conf_text(stack, chan_name)) if n == "401"]
    assert [e["context"] for e in eps if e.get("type") == "endpoint"] == ["centralita-class-vip"]
    loaded = wait_for(lambda: stack.pbx.control({"cmd": "loaded"})["endpoint"].get("401"), timeout=3,
                      what="401 loaded (the reloader's reload)")
    assert loaded.get("context") in (None, "centralita-class-vip")
    # The class's context exists whatever the routes: emergency numbers and the phones' context.
    assert includes(stack, "centralita-class-vip")[0] == CONTEXT
    # An unknown class is refused, not stored.
    r = c.post(f"/phones/{phone['id']}", {"_csrf": c.csrf(), "extension": "401", "name": "VIP desk",
                                           "model": "yealink-t46u", "mac": "00:15:65:40:01:01",
                                           "calling_class": "vip,local", "version": str(phone["version"])})
    assert r.status == 422 and field_errors(r.body) == {"calling_class": html(EN["Lang.err.invalid_choice"])}
    # Changing the class changes the context.
    r = c.post(f"/phones/{phone['id']}", {"_csrf": c.csrf(), "extension": "401", "name": "VIP desk",
                                           "model": "yealink-t46u", "mac": "00:15:65:40:01:01",
                                           "calling_class": "internal", "version": str(phone["version"])})
    assert r.status == 303, r.body
    wait_for(lambda: [dict(l).get("context") for n, l in parse_conf(conf_text(stack, chan_name))
                      if n == "401" and dict(l).get("type") == "endpoint"] == ["centralita-class-internal"],
             what="context changed")
    # The details page names the class for the integrator.
    assert html(EN["Lang.classes.internal"]) in c.get(f"/phones/{phone['id']}").body


# ---------------------------------------------------------------- injection attempts, every field

def trunk_cases():
    cases = []
    for ch in INJECTIONS:
        cases += [("name", f"acme{ch}x", "name_chars"), ("host", f"sip{ch}x.example", "host_chars"),
                  ("from_user", f"u{ch}x", "user_chars"), ("from_domain", f"d{ch}x.example", "host_chars"),
                  ("callerid", f"+34{ch}1", "number_chars"), ("port", f"5060{ch}", "not_a_number"),
                  ("expiration", f"3600{ch}", "not_a_number"), ("max_calls", f"1{ch}", "not_a_number"),
                  ("codec_0", f"ulaw{ch}", "codec"), ("transport", f"udp{ch}", "invalid_choice"),
                  ("username", f"acct{ch}1", "user_chars")]
    for ch in (",", ";"):
        cases.append(("secret", f"pass{ch}word", "secret_chars"))
    for field in ("name", "host", "from_user", "from_domain", "callerid", "username", "secret"):
        cases.append((field, "x\n[evil]\ntype=endpoint", "control_chars"))
    cases += [("secret", ">secret", "secret_chars"), ("secret", "pass word", "secret_chars"),
              ("secret", 'pass"word', "secret_chars"), ("name", "Acme", "name_chars"),
              ("host", "sip example", "host_chars"), ("port", "70000", "range"), ("name", "prov-a", "name_taken")]
    return cases


def error_field(field):
    return "codecs" if field.startswith("codec_") else field


@pytest.mark.parametrize("field,value,key", trunk_cases(),
                         ids=[f"{f}-{k}-{i}" for i, (f, v, k) in enumerate(trunk_cases())])
def test_trunk_injection_is_refused_and_nothing_written(stack, base, field, value, key):
    c = base["client"]
    before = snapshot(stack)
    fields = trunk_fields("inject", "192.0.2.30", registration="1", username="acct", secret="s3cret",
                          from_user="caller", from_domain="prov.example", callerid="+3491")
    fields[field] = value
    r = c.post("/trunks", dict(fields, _csrf=c.csrf()))
    assert r.status == 422, (r.status, r.header("Location"))
    errs = field_errors(r.body)
    assert errs == {error_field(field): msg("trunks", error_field(field), key)}, errs
    assert snapshot(stack) == before
    # What was typed comes back escaped (never the password).
    if field not in ("secret", "codec_0", "transport") and "\n" not in value:
        assert f'value="{html(value)}"' in r.body
    assert "s3cret" not in r.body


def route_cases():
    cases = []
    for ch in INJECTIONS:
        cases += [("patterns", f"_9X{ch}", "pattern_bad_char"), ("prepend", f"0{ch}", "number_chars"),
                  ("callerid", f"+34{ch}", "number_chars"), ("strip", f"1{ch}", "not_a_number"),
                  ("class_0", f"internal{ch}", "choice"), ("trunk_1", f"1{ch}", "not_a_number")]
    cases += [("patterns", "_9XX\n,Dial(Local/1@evil)", "pattern_bad_char"),
              ("patterns", "_9XX\r\n_9XX;evil", "pattern_bad_char"),
              ("patterns", "_9XX\r_6XX", "control_chars"),
              ("patterns", "_9X X", "pattern_bad_char"), ("patterns", "9XX", "pattern_needs_underscore"),
              ("patterns", "_.", "pattern_wildcard_only"), ("patterns", "_9.1", "pattern_wildcard_not_last"),
              ("patterns", "_9[", "pattern_unclosed_set"), ("patterns", "_9]", "pattern_stray_bracket"),
              ("patterns", "_N\n_[2-9]", "duplicate"), ("patterns", "\n \n", "required"),
              ("strip", "9", "strip_long"), ("strip", "21", "range"),
              ("name", 'Evil"route', "forbidden_chars"), ("name", "Evil<b>", "forbidden_chars"),
              ("name", "Evil\nroute", "control_chars"), ("name", "Nacional", "name_taken"),
              ("class_0", "nope", "choice"), ("trunk_1", "999", "no_trunk"), ("trunk_1", "", "trunk_gap")]
    return cases


def route_error_field(field):
    return {"class_0": "classes"}.get(field, field)


@pytest.mark.parametrize("field,value,key", route_cases(),
                         ids=[f"{f}-{k}-{i}" for i, (f, v, k) in enumerate(route_cases())])
def test_route_injection_is_refused_and_nothing_written(stack, base, field, value, key):
    c = base["client"]
    if key == "name_taken" and not route_row(stack, value):
        assert add_route(c, value, ["_5XXXXXXXX"], ["national"], [base["a"]]).status == 303
    before = snapshot(stack)
    fields = route_fields("Injected", ["_9XXXXXX"], ["national"], [base["a"], base["b"]], callerid="+3491")
    if field == "class_0":
        fields.pop(f"class_{CLASSES.index('national')}")
    if field == "trunk_1" and value == "":
        fields["trunk_1"] = ""        # a gap: trunk 2 without trunk 1
    fields[field] = value
    r = c.post("/routes", dict(fields, _csrf=c.csrf()))
    assert r.status == 422, (r.status, r.header("Location"))
    errs = field_errors(r.body)
    where = route_error_field(field)
    if field == "trunk_1" and value == "":
        where = "trunk_2"
    want = msg("routes", "trunk" if where.startswith("trunk_") else where, key)
    assert errs == {where: want}, errs
    assert snapshot(stack) == before
    if field == "patterns" and key.startswith("pattern_"):
        bad = re.search(r'<span class="field-detail" id="bad-pattern">(.*?)</span>', r.body, re.S)
        assert bad, r.body
    # The textarea and fields come back as typed (escaped): nothing lost, nothing interpreted.
    if field == "patterns":
        typed = re.search(r'<textarea name="patterns"[^>]*>(.*?)</textarea>', r.body, re.S).group(1)
        assert html_unescape(typed) == value.replace("\r", "")   # the escaping drops a CR; a browser would too


def test_route_name_never_reaches_the_pbx(stack, base):
    """A route's name is shown, never written: the dialplan knows routes by id, so dialplan syntax in a name is
    harmless text (quotes and angle brackets are refused by the name rule all the same)."""
    c = base["client"]
    name = "Odd (name), $x {y}; a&b | c"
    r = add_route(c, name, ["_5550XXX"], ["local"], [base["a"]])
    assert r.status == 303, r.body
    wait_applied(stack)
    text = conf_text(stack, "dialplan-routes.conf")
    assert "Odd" not in text and f"centralita-route-{route_row(stack, name)['id']}" in text
    assert html(name) in c.get("/routes").body


# ---------------------------------------------------------------- the PBX away

def test_pbx_down_trunk_and_route_saved_pending_then_applied(stack, base, clean_pbx):
    c = base["client"]
    stack.pbx.control({"cmd": "stop_listening", "kill": True})
    try:
        r = add_trunk(c, "prov-down", "192.0.2.40", callerid="+34910000040")
        assert r.status == 303 and r.header("Location") in ("/trunks?done=saved_pending", "/trunks?done=saved_slow")
        tid = trunk_row(stack, "prov-down")["id"]
        r = add_route(c, "While down", ["_7XXXX"], ["mobile"], [tid])
        assert r.status == 303 and r.header("Location") in ("/routes?done=saved_pending", "/routes?done=saved_slow")
        rid = route_row(stack, "While down")["id"]
        # Saved, shown pending, nothing on the PBX yet.
        body = c.get("/trunks").body
        row = list_row(body, "data-trunk", "prov-down")
        assert 'data-apply="pending"' in row and html(EN["Lang.trunks.apply_state.pending"]) in row, row
        assert 'data-live="unknown"' in row and 'id="live-unknown"' in body
        assert 'id="dialplan-status" data-status="pending"' in body
        body = c.get("/routes").body
        assert 'id="dialplan-status" data-status="pending"' in body
        assert html(EN["Lang.routes.dialplan_state.pending"]) in body
        assert 'id="trunks-pending"' in c.get("/").body and 'id="dialplan-state"' in c.get("/").body
        assert conf_text(stack, f"pjsip-trunk-{tid}.conf") in (None, "")
        assert f"centralita-route-{rid}" not in (conf_text(stack, "dialplan-routes.conf") or "")
        # The preview already shows what will be applied.
        assert f"centralita-route-{rid}" in c.get("/routes/dialplan").body
        time.sleep(1.5)   # a retry round or two against the dead PBX
        assert not trunk_applied(stack, "prov-down") and not dialplan_applied(stack)
    finally:
        stack.pbx.control({"cmd": "start_listening"})
    wait_applied(stack, ["prov-down"], "after the PBX came back")
    assert ("trunk-prov-down", "endpoint") in trunk_sections(stack, "prov-down")
    assert includes(stack, "centralita-class-mobile")[-1] == f"centralita-route-{rid}"
    assert "@trunk-prov-down," in "\n".join(v for _, v in dialplan(stack)[f"centralita-route-{rid}-out"])
    body = c.get("/trunks").body
    assert 'data-apply=""' in list_row(body, "data-trunk", "prov-down")
    assert 'id="dialplan-status"' not in body and 'id="dialplan-status"' not in c.get("/routes").body
    wait_for(lambda: f"centralita-route-{rid}" in loaded_dialplan(stack), what="route loaded")


def test_trunks_page_says_when_the_live_state_is_unknown(stack, base, clean_pbx):
    stack.pbx.control({"cmd": "stop_listening", "kill": True})
    try:
        body = base["client"].get("/trunks").body
    finally:
        stack.pbx.control({"cmd": "start_listening"})
    assert 'id="live-unknown"' in body
    assert set(re.findall(r'data-live="(\w+)"', body)) == {"unknown"}


# ---------------------------------------------------------------- edits that cross

def edit_fields(body):
    """The values of a loaded form as a browser would post them back (checkboxes ticked, selects chosen)."""
    out = {}
    for m in re.finditer(r'<input ([^>]*)>', body):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if "name" not in attrs or attrs["name"] == "_csrf":
            continue
        if attrs.get("type") == "checkbox":
            if " checked" in m.group(1):
                out[attrs["name"]] = html_unescape(attrs["value"])
        else:
            out[attrs["name"]] = html_unescape(attrs.get("value", ""))
    for name, inner in re.findall(r'<select name="(\w+)"[^>]*>(.*?)</select>', body, re.S):
        sel = re.search(r'<option value="([^"]*)" selected>', inner)
        out[name] = html_unescape(sel.group(1)) if sel else ""
    for name, inner in re.findall(r'<textarea name="(\w+)"[^>]*>(.*?)</textarea>', body, re.S):
        out[name] = html_unescape(inner)
    out["_csrf"] = re.search(r'name="_csrf" value="([0-9a-f]*)"', body).group(1)
    return out


def test_concurrent_trunk_and_route_edits_conflict(stack, base):
    c1 = base["client"]
    c2 = Client(stack.port)
    assert c2.login(*INTEGRATOR).status == 303
    assert add_trunk(c1, "prov-edit", "192.0.2.50").status == 303
    tid = trunk_row(stack, "prov-edit")["id"]
    f1 = edit_fields(c1.get(f"/trunks/{tid}/edit").body)
    f2 = edit_fields(c2.get(f"/trunks/{tid}/edit").body)
    assert f1["host"] == "192.0.2.50" and f1["codec_0"] == "ulaw" and f1["version"] == "1"
    r = c1.post(f"/trunks/{tid}", dict(f1, host="192.0.2.51"))
    assert r.status == 303, r.body
    r = c2.post(f"/trunks/{tid}", dict(f2, host="192.0.2.52"))
    assert r.status == 409 and 'id="conflict"' in r.body and html(EN["Lang.trunks.conflict"]) in r.body
    assert 'value="192.0.2.52"' in r.body                    # the user's values are kept
    assert trunk_row(stack, "prov-edit")["host"] == "192.0.2.51"
    wait_applied(stack, ["prov-edit"])
    assert trunk_sections(stack, "prov-edit")[("trunk-prov-edit", "aor")]["contact"] == ["sip:192.0.2.51:5060"]
    # A stale removal is refused too.
    r = c2.post(f"/trunks/{tid}/delete", {"_csrf": c2.csrf(), "version": "1"})
    assert r.status == 409 and html(EN["Lang.error.trunk_conflict"]) in r.body
    assert trunk_row(stack, "prov-edit") is not None

    assert add_route(c1, "Edited twice", ["_4XXXX"], ["local"], [tid]).status == 303
    rid = route_row(stack, "Edited twice")["id"]
    f1 = edit_fields(c1.get(f"/routes/{rid}/edit").body)
    f2 = edit_fields(c2.get(f"/routes/{rid}/edit").body)
    assert f1["patterns"] == "_4XXXX" and f1["class_1"] == "local" and f1["trunk_1"] == str(tid)
    r = c1.post(f"/routes/{rid}", dict(f1, patterns="_4XXXX\n_3XXXX"))
    assert r.status == 303, r.body
    r = c2.post(f"/routes/{rid}", dict(f2, strip="1"))
    assert r.status == 409 and 'id="conflict"' in r.body and html(EN["Lang.routes.conflict"]) in r.body
    row = route_row(stack, "Edited twice")
    assert row["strip"] == 0
    assert [p["pattern"] for p in rows(stack, "SELECT pattern FROM route_patterns WHERE route_id = ? ORDER BY pos",
                                       (rid,))] == ["_4XXXX", "_3XXXX"]
    r = c2.post(f"/routes/{rid}/delete", {"_csrf": c2.csrf(), "version": "1"})
    assert r.status == 409 and route_row(stack, "Edited twice")
    wait_applied(stack)
    assert [v.split(",")[0] for k, v in dialplan(stack)[f"centralita-route-{rid}"]] == ["_4XXXX", "_3XXXX"]


# ---------------------------------------------------------------- removal

def test_trunk_removal_refused_while_a_route_uses_it(stack, base):
    c = base["client"]
    assert add_trunk(c, "prov-used", "192.0.2.60").status == 303
    tid = trunk_row(stack, "prov-used")["id"]
    assert add_route(c, "Uses it", ["_3XXXXXXX"], ["national"], [base["a"], tid]).status == 303
    assert add_route(c, "Also uses it", ["_2XXXXXXX"], ["national"], [tid]).status == 303
    wait_applied(stack, ["prov-used"])
    file_before = conf_text(stack, f"pjsip-trunk-{tid}.conf")
    assert "[trunk-prov-used]" in file_before
    r = c.get(f"/trunks/{tid}/delete")
    assert r.status == 200 and 'id="trunk-in-use"' in r.body and 'id="remove-form"' not in r.body
    assert re.search(r'<strong id="used-by">(.*?)</strong>', r.body).group(1) == "Uses it, Also uses it"
    version = trunk_row(stack, "prov-used")["version"]
    r = c.post(f"/trunks/{tid}/delete", {"_csrf": c.csrf(), "version": str(version)})
    assert r.status == 409 and html(EN["Lang.trunks.in_use"]) in r.body
    assert trunk_row(stack, "prov-used") and conf_text(stack, f"pjsip-trunk-{tid}.conf") == file_before
    # Once no route uses it, it goes: its file is emptied and the dialplan no longer dials it.
    for name in ("Uses it", "Also uses it"):
        rr = route_row(stack, name)
        r = c.get(f"/routes/{rr['id']}/delete")
        assert r.status == 200 and 'id="remove-form"' in r.body
        r = c.post(f"/routes/{rr['id']}/delete", {"_csrf": c.csrf(), "version": str(rr["version"])})
        assert (r.status, r.header("Location")) == (303, "/routes?done=removed")
    r = c.get(f"/trunks/{tid}/delete")
    assert 'id="remove-form"' in r.body
    r = c.post(f"/trunks/{tid}/delete", {"_csrf": c.csrf(), "version": str(version)})
    assert (r.status, r.header("Location")) == (303, "/trunks?done=removed"), r.body
    wait_for(lambda: parse_conf(conf_text(stack, f"pjsip-trunk-{tid}.conf")) == [], what="trunk file emptied")
    wait_applied(stack)
    assert "trunk-prov-used" not in conf_text(stack, "dialplan-routes.conf")
    assert list_row(c.get("/trunks").body, "data-trunk", "prov-used") is None
    assert c.get(f"/trunks/{tid}/edit").status == 404


def test_unknown_ids_are_404(stack, base):
    c = base["client"]
    for path in ("/trunks/99999/edit", "/trunks/99999/delete", "/routes/99999/edit", "/routes/99999/delete"):
        assert c.get(path).status == 404, path
    assert c.post("/routes/99999/move", {"_csrf": c.csrf(), "dir": "up", "version": "1"}).status == 404


def test_pages_render_in_spanish(stack, base):
    c = Client(stack.port, accept_language="es")
    assert c.login(*INTEGRATOR).status == 303
    # The integrator's own language setting may be English; ask for Spanish explicitly.
    c.post("/language", {"_csrf": c.csrf(), "lang": "es", "back": "/"})
    try:
        for path, words in (("/trunks", "Troncales"), ("/routes", "Rutas salientes"), ("/trunks/new", "Nueva troncal"),
                            ("/routes/new", "Nueva ruta"), ("/routes/test?number=112&class=internal",
                                                            "Número de emergencia"),
                            ("/routes/dialplan", "Vista previa del plan de marcación")):
            r = c.get(path)
            assert r.status == 200 and html(words) in r.body, path
    finally:
        c.post("/language", {"_csrf": c.csrf(), "lang": "en", "back": "/"})


# ---------------------------------------------------------------- live state

def pbx_state(stack, **req):
    """A test PBX control that sets what Asterisk reports of a trunk."""
    reply = stack.pbx.control(req)
    assert reply.get("ok"), reply
    return reply


def live_word(client, name):
    body = client.get("/trunks").body
    assert 'id="live-unknown"' not in body, "the trunks' live state could not be read from the test PBX"
    row = list_row(body, "data-trunk", name)
    return re.search(r'data-live="(\w+)"', row).group(1), row


def test_trunks_list_shows_live_state(stack, base):
    c = base["client"]
    # prov-b registers: its registration's state decides.
    for status, word in (("Registered", "registered"), ("Rejected", "rejected"), ("Unregistered", "trying")):
        pbx_state(stack, cmd="set_registration", name="trunk-prov-b-reg", status=status)
        got, row = live_word(c, "prov-b")
        assert got == word, (status, row)
        assert html(EN[f"Lang.trunks.state.{word}"]) in row
    # prov-a does not register: whether the provider answers Asterisk's qualify decides.
    for status, word in (("Unreachable", "unreachable"), ("Reachable", "reachable")):
        pbx_state(stack, cmd="set_contact_status", aor="trunk-prov-a", status=status)
        got, row = live_word(c, "prov-a")
        assert got == word, (status, row)
    # A registration that gets no answer: Asterisk says Unregistered, then Rejected after its timeout; with the
    # provider unreachable the page says the provider does not answer.
    pbx_state(stack, cmd="set_contact_status", aor="trunk-prov-b", status="Unreachable")
    for status in ("Unregistered", "Rejected"):
        pbx_state(stack, cmd="set_registration", name="trunk-prov-b-reg", status=status)
        got, row = live_word(c, "prov-b")
        assert got == "no_answer", (status, row)
        assert html(EN["Lang.trunks.state.no_answer"]) in row
    pbx_state(stack, cmd="set_contact_status", aor="trunk-prov-b", status="Reachable")
    pbx_state(stack, cmd="set_registration", name="trunk-prov-b-reg", status="Registered")
    assert 'id="live-unknown"' not in c.get("/trunks").body
