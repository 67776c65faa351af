"""Driving Centralita's pages as a browser does: load the page, take the form's successful controls (hidden
inputs with the CSRF token and version, text inputs, the selected option of each select), change what the user
types, post it to the form's action. Every save is timed; the timings are printed at the end of the run."""
import base64
import html
import re
import time
from html.parser import HTMLParser

from harness import Client

INTEGRATOR = ("integra", "integrator-pass-1")      # the users conftest creates
OWNER = ("tienda", "owner-pass-123")
SAVES = []          # (what, seconds, status, location): printed by conftest's terminal summary
NOTES = []          # observations worth a line in the summary (what Asterisk did)
LIVE = []           # (what, seconds from a save's answer until the phone was live): issue 13, at most 2 s
LIVE_BOUND = 2.0


class _FormParser(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.action = None
        self.fields = []            # [name, value] in document order
        self._select = None         # [name, first option value, selected value]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside, self.action = True, a.get("action")
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type", "text") in ("text", "hidden", "search", "password"):
            self.fields.append([a["name"], a.get("value", "")])
        elif tag == "select":
            self._select = [a.get("name"), None, None]
        elif tag == "option" and self._select is not None:
            if self._select[1] is None:
                self._select[1] = a.get("value", "")
            if "selected" in a:
                self._select[2] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self._select is not None:
            name, first, sel = self._select
            self.fields.append([name, sel if sel is not None else (first or "")])
            self._select = None


def form(body, form_id):
    """(action, [[name, value]...]) of the form with that id, as a browser would submit it untouched."""
    p = _FormParser(form_id)
    p.feed(body)
    if p.action is None:
        raise AssertionError(f"no form #{form_id} in the page:\n{body[:2000]}")
    return p.action, p.fields


def submit(client, page, form_id, changes=None, what=None):
    """Loads page, fills form_id with changes (name -> value) and posts it. Returns (response, seconds of the
    POST alone). Records the timing under `what`."""
    got = client.get(page)
    assert got.status == 200, (page, got.status)
    action, fields = form(got.body, form_id)
    changes = dict(changes or {})
    for f in fields:
        if f[0] in changes:
            f[1] = changes.pop(f[0])
    assert not changes, f"the form #{form_id} of {page} has no field(s) {sorted(changes)}"
    t = time.perf_counter()
    r = client.post(action, [tuple(f) for f in fields])
    dt = time.perf_counter() - t
    if what:
        SAVES.append((what, dt, r.status, r.header("Location")))
    return r, dt


def wait_live(client, ext, what, r):
    """A save answered "saved" (files written) is live once Asterisk reloaded them (the reloader's reload, issue 13):
    the list stops showing it as loading. Waits for that, at most LIVE_BOUND, and records how long it took."""
    if r.status != 303 or not (r.header("Location") or "").endswith("done=saved"):
        return
    t0 = time.monotonic()
    wait_for(lambda: (lambda s: s and s[0] != "loading")(status(client, ext)), timeout=LIVE_BOUND, step=0.02,
             what=f"{ext} live within {LIVE_BOUND} s of its save")
    LIVE.append((what, time.monotonic() - t0))


def add_phone(client, ext, name, model, mac, what=None):
    r, dt = submit(client, "/phones/new", "phone-form",
                   {"extension": ext, "name": name, "model": model, "mac": mac}, what or f"add {ext}")
    wait_live(client, ext, what or f"add {ext}", r)
    return r, dt


def edit_phone(client, ext, what=None, **changes):
    r, dt = submit(client, f"/phones/{phone_id(client, ext)}/edit", "phone-form", changes, what or f"edit {ext}")
    wait_live(client, changes.get("extension", ext), what or f"edit {ext}", r)
    return r, dt


def remove_phone(client, ext, what=None):
    return submit(client, f"/phones/{phone_id(client, ext)}/delete", "remove-form", {}, what or f"remove {ext}")


def list_row(client, ext):
    """The <tr> of ext in the phones list (filtered by ext), or None."""
    body = client.get(f"/phones?q={ext}").body
    m = re.search(rf'<tr data-extension="{ext}">(.*?)</tr>', body, re.S)
    return m.group(1) if m else None


def row_status(row):
    m = re.search(r'<td class="status status-(\w+)">(.*?)</td>', row, re.S)
    return m.group(1), re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.unescape(m.group(2)))).strip()


def status(client, ext):
    row = list_row(client, ext)
    return row_status(row) if row else None


def phone_id(client, ext):
    row = list_row(client, ext)
    assert row, f"phone {ext} is not in the list"
    return int(re.search(r'href="/phones/(\d+)"', row).group(1))


def field_errors(body):
    """{field: error text} of a re-shown form."""
    errs = {}
    for block in re.findall(r"<label>.*?</label>", body, re.S):
        m = re.search(r'<(?:input|select) name="(\w+)"', block)
        e = re.search(r'<span class="field-error" role="alert">(.*?)</span>', block, re.S)
        if m and e:
            errs[m.group(1)] = html.unescape(e.group(1)).strip()
    return errs


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def provisioning_file(stack, name, user="phone", password="prov-password-123"):
    """A provisioning file as a phone fetches it: through nginx, with basic auth. (status, body)"""
    r = Client(stack.port).get(f"/provisioning/{name}", headers=basic(user, password))
    return r.status, r.body


def wait_for(pred, timeout=10.0, step=0.2, what="condition"):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)
