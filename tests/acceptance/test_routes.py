"""Outbound routes and trunks against the real Asterisk (issue 10): calls from phones (sipp) leave through trunks to
SIP providers (sipp UAS on other loopback addresses: Linux answers all of 127/8 on lo, and a trunk's identify
section matches its provider's address, which must not be the phones' 127.0.0.1).

- trunk a-dead (first in the route, and first by name for emergency calls) points at 127.0.0.3:5091 where nothing
  answers: Asterisk's qualify marks it unreachable and the route fails over;
- trunk b-prov is the provider at 127.0.0.2:5090, presenting caller ID 34911000111;
- trunk c-alt is a second provider at 127.0.0.5:5090, used by a second route for the same numbers;
- trunk d-noreg registers to 127.0.0.4:5093 where nothing answers: the trunks page shows it not registered.
Phone 271 is of class national, 272 of class internal. Everything is removed at the end, through the pages."""
import os
import re
import signal
import subprocess
import tempfile
import time

import asterisk as ast
from test_phones import SIPP_DIR, assert_saved, finish, sipp, yealink_secret
from web import NOTES, submit, wait_for, wait_live

CLASSES = ["internal", "local", "national", "mobile", "international", "premium"]   # config's default order
NATIONAL = "0612345678"
TRUNKS = {   # name: (host, port, extra fields)
    "a-dead": ("127.0.0.3", 5091, {}),
    "b-prov": ("127.0.0.2", 5090, {"callerid": "34911000111"}),
    "c-alt": ("127.0.0.5", 5090, {}),
    "d-noreg": ("127.0.0.4", 5093, {"registration": "1", "username": "centralita", "secret": "reg-Secret-42"}),
}


class Provider:
    """A sipp UAS playing a SIP provider; invites() are the (Request-URI, From) of the INVITEs it received."""

    def __init__(self, host, port):
        self.tmp = tempfile.mkdtemp(prefix=f"provider-{host}-")
        self.messages = os.path.join(self.tmp, "messages.log")
        self.proc = subprocess.Popen(
            ["sipp", "-sf", os.path.join(SIPP_DIR, "provider.xml"), "-i", host, "-p", str(port), "-nostdin",
             "-trace_msg", "-message_file", self.messages, "-trace_err",
             "-error_file", os.path.join(self.tmp, "errors.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.tmp)

    def invites(self):
        try:
            with open(self.messages, errors="replace") as f:
                text = f.read()
        except OSError:
            return []
        out = []
        for m in re.finditer(r"^INVITE (\S+) SIP/2\.0\r?\n(.*?)\r?\n\r?\n", text, re.M | re.S):
            frm = re.search(r"^From:\s*(.*)$", m.group(2), re.M | re.I)
            out.append((m.group(1), frm.group(1).strip() if frm else ""))
        return out

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def post(client, page, action, fields):
    token = client.get(page).csrf()
    assert token, f"no CSRF token on {page}"
    return client.post(action, [("_csrf", token)] + list(fields))


def listed_id(client, page, kind, name):
    """The id of the row of page that names `name` (its edit link /<kind>/<id>/edit)."""
    body = client.get(page).body
    for row in re.findall(r"<tr\b.*?</tr>", body, re.S):
        if re.search(rf">\s*{re.escape(name)}\s*<", row):
            m = re.search(rf'href="/{kind}/(\d+)/edit"', row)
            if m:
                return int(m.group(1))
    raise AssertionError(f"{name} is not in {page}:\n{body[:3000]}")


def trunk_live(client, name):
    """(the word the trunks page uses for the trunk's live state, as data-live; the cell's text)."""
    body = client.get("/trunks").body
    m = re.search(rf'<tr data-trunk="{re.escape(name)}">.*?<td class="live[^"]*" data-live="(\w+)">(.*?)</td>', body,
                  re.S)
    assert m, f"{name} is not on the trunks page:\n{body[:3000]}"
    return m.group(1), re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(2))).strip()


def add_trunk(client, name):
    host, port, extra = TRUNKS[name]
    fields = {"name": name, "host": host, "port": str(port), "transport": "udp", "expiration": "3600",
              "codec_0": "ulaw", "codec_1": "alaw", "max_calls": "0", **extra}
    r = post(client, "/trunks/new", "/trunks", fields.items())
    assert r.status == 303 and r.header("Location").startswith("/trunks?done=saved"), (r.status, r.body[:3000])
    return listed_id(client, "/trunks", "trunks", name)


def add_route(client, name, patterns, strip, prepend, classes, trunk_ids):
    fields = [("name", name), ("patterns", "\n".join(patterns)), ("strip", str(strip)), ("prepend", prepend),
              ("callerid", "")]
    fields += [(f"class_{CLASSES.index(c)}", c) for c in classes]
    fields += [(f"trunk_{i + 1}", str(t)) for i, t in enumerate(trunk_ids)]
    r = post(client, "/routes/new", "/routes", fields)
    assert r.status == 303 and r.header("Location").startswith("/routes?done=saved"), (r.status, r.body[:3000])
    return listed_id(client, "/routes", "routes", name)


def version_of(client, page):
    return re.search(r'name="version" value="(\d+)"', client.get(page).body).group(1)


def call(ext, secret, number, scenario="call.xml", port=5081):
    return sipp(scenario, port, ext, "-s", number, password=secret, timeout=30)


def route_includes():
    return [i for i in ast.includes("centralita-class-national") if i.startswith("centralita-route-")]


def test_calls_leave_by_route_order_with_failover_classes_and_emergency(stack, integrator, owner):
    providers = {"b-prov": Provider("127.0.0.2", 5090), "c-alt": Provider("127.0.0.5", 5090)}
    try:
        run_routes(stack, integrator, owner, providers)
    finally:
        for p in providers.values():
            p.stop()


def run_routes(stack, integrator, owner, providers):
    # Owners never see trunks or routes.
    for path in ("/trunks", "/trunks/new", "/routes", "/routes/new", "/routes/dialplan", "/routes/test"):
        assert owner.get(path).status == 403, path

    ids = {name: add_trunk(integrator, name) for name in TRUNKS}
    for name in TRUNKS:
        ep = wait_for(lambda: ast.endpoint(f"trunk-{name}"), timeout=10, what=f"endpoint trunk-{name}")
        assert ep["context"] == ["from-trunk"], ep.get("context")

    # What Asterisk says of each trunk, on the trunks page (refreshed on load): the provider answers qualify,
    # the dead one does not, the registration to nowhere is not registered. Asterisk qualifies a new aor's
    # contact at a random moment within its qualify_frequency (60 s, pjsip_options.c), so this may take a minute;
    # until then a call would try the dead trunk for 32 s (UDP, timer B) before failing over.
    wait_for(lambda: trunk_live(integrator, "a-dead")[0] == "unreachable", timeout=75, what="a-dead unreachable")
    wait_for(lambda: trunk_live(integrator, "b-prov")[0] == "reachable", timeout=75, what="b-prov reachable")
    noreg = wait_for(lambda: (lambda w: w[0] in ("trying", "no_answer", "rejected") and w)(
        trunk_live(integrator, "d-noreg")), timeout=30, what="d-noreg shown not registered")
    assert "not registered" in noreg[1], noreg
    NOTES.append(f"trunks page: d-noreg (registration to a server that is not there): {noreg[:160]}")

    # Routes: the same numbers by two routes; the first (a-dead then b-prov) wins while it is first.
    r1 = add_route(integrator, "Nacional", ["_0[6-9]XXXXXXXX"], 1, "+34", ["national"], [ids["a-dead"], ids["b-prov"]])
    r2 = add_route(integrator, "Alternativa", ["_0[6-9]XXXXXXXX"], 1, "", ["national"], [ids["c-alt"]])
    wait_for(lambda: route_includes() == [f"centralita-route-{r1}", f"centralita-route-{r2}"], timeout=10,
             what="the class context including both routes in order")

    # Phones: 271 national (the default class), 272 internal (the integrator's form sets it).
    r, dt = submit(integrator, "/phones/new", "phone-form", {"extension": "271", "name": "Nacional",
                   "model": "yealink-t46u", "mac": "00:15:65:AC:02:71"}, "add 271")
    assert_saved(r, dt)
    wait_live(integrator, "271", "add 271", r)
    r, dt = submit(integrator, "/phones/new", "phone-form", {"extension": "272", "name": "Interna",
                   "model": "yealink-t46u", "mac": "00:15:65:AC:02:72", "calling_class": "internal"}, "add 272")
    assert_saved(r, dt)
    wait_live(integrator, "272", "add 272", r)
    s271, _ = yealink_secret(stack, "001565ac0271")
    s272, _ = yealink_secret(stack, "001565ac0272")
    assert ast.endpoint("271")["context"] == ["centralita-class-national"]
    assert ast.endpoint("272")["context"] == ["centralita-class-internal"]

    # 271 dials a national number: a-dead is unavailable, the call fails over to b-prov, which receives the
    # number as the route says (strip 1, prepend +34) and the trunk's caller ID.
    log_at = ast.log_size()
    rc, log = call("271", s271, NATIONAL)
    assert rc == 0, f"the call through the route failed (sipp exit {rc})\n{log[-6000:]}"
    got = providers["b-prov"].invites()
    assert [u for u, f in got] == ["sip:+34612345678@127.0.0.2:5090"], got
    assert "<sip:34911000111@" in got[0][1], got[0][1]
    assert providers["c-alt"].invites() == []
    tried = ast.log_since(log_at)
    # The dead trunk was tried first: with its only contact unreachable Asterisk cannot create the channel
    # (CHANUNAVAIL), and the route went on to the next trunk.
    assert re.search(r"Endpoint 'trunk-a-dead'.*\n(.*\n)*.*Unable to create channel of type 'PJSIP'", tried), tried[-4000:]
    refusal = re.search(r"Unable to create channel[^\n]*", tried).group(0)
    NOTES.append(f"route Nacional: a-dead tried first (Asterisk: {refusal}), then b-prov received {got[0][0]} "
                 f"From {got[0][1]}")

    # 272 (internal) dialling the same number is refused (404: its context has no such extension); nothing
    # reaches a provider.
    rc, log = call("272", s272, NATIONAL, scenario="call_refused.xml", port=5082)
    assert rc == 0, f"the internal phone's call was not refused with 404 (sipp exit {rc})\n{log[-6000:]}"
    assert len(providers["b-prov"].invites()) == 1 and providers["c-alt"].invites() == []

    # An emergency number from the internal phone reaches a provider: the first working trunk by name (a-dead
    # unavailable, so b-prov), number unchanged.
    rc, log = call("272", s272, "112", port=5082)
    assert rc == 0, f"the emergency call failed (sipp exit {rc})\n{log[-6000:]}"
    got = providers["b-prov"].invites()
    assert [u for u, f in got][1:] == ["sip:112@127.0.0.2:5090"], got

    # Moving "Alternativa" up: the same number now leaves through c-alt, unprefixed.
    token = integrator.get("/routes").csrf()
    r = integrator.post(f"/routes/{r2}/move", [("_csrf", token), ("dir", "up"),
                                               ("version", version_of(integrator, f"/routes/{r2}/edit"))])
    assert r.status == 303 and r.header("Location").startswith("/routes?done=moved"), (r.status, r.body[:2000])
    wait_for(lambda: route_includes() == [f"centralita-route-{r2}", f"centralita-route-{r1}"], timeout=10,
             what="the class context including the routes in the new order")
    rc, log = call("271", s271, NATIONAL)
    assert rc == 0, f"the call after the move failed (sipp exit {rc})\n{log[-6000:]}"
    assert [u for u, f in providers["c-alt"].invites()] == ["sip:612345678@127.0.0.5:5090"], \
        providers["c-alt"].invites()
    assert len(providers["b-prov"].invites()) == 2

    # The route tester says what Asterisk just did.
    body = integrator.get(f"/routes/test?number={NATIONAL}&class=national").body
    assert "Alternativa" in body and "612345678" in body, body[:3000]

    # Everything goes, through the pages: routes first (a trunk in use cannot be removed), then trunks.
    r = post(integrator, f"/trunks/{ids['c-alt']}/delete", f"/trunks/{ids['c-alt']}/delete",
             [("version", version_of(integrator, f"/trunks/{ids['c-alt']}/edit"))])
    assert r.status in (409, 422), (r.status, r.body[:2000])
    for rid in (r1, r2):
        r = post(integrator, f"/routes/{rid}/delete", f"/routes/{rid}/delete",
                 [("version", version_of(integrator, f"/routes/{rid}/edit"))])
        assert r.status == 303, (r.status, r.body[:2000])
    for name, tid in ids.items():
        r = post(integrator, f"/trunks/{tid}/delete", f"/trunks/{tid}/delete",
                 [("version", version_of(integrator, f"/trunks/{tid}/edit"))])
        assert r.status == 303, (r.status, r.body[:2000])
    wait_for(lambda: not [e for e in ast.pjsip_ids("endpoints") if e.startswith("trunk-")], timeout=10,
             what="the trunks gone from Asterisk")
    wait_for(lambda: route_includes() == [], timeout=10, what="the routes gone from the class context")
