"""Login and sessions through the real nginx: failed logins are throttled per (user, address), per address and,
from addresses the user has not logged in from, per user, so an attacker elsewhere cannot lock a user out; the
check and the record are one transaction and a failed record refuses the attempt; old failure rows go; under
HTTPS the cookies carry the __Host- prefix; a password change ends the user's other sessions.

Requests come from different loopback addresses (127.0.x.y: all of 127/8 is local), which nginx passes on
as REMOTE_ADDR. The stack runs with login_max_failures = 2 so that the limits are reached quickly:
2 per (user, address), 8 per address, 20 per user from addresses it never logged in from."""
import concurrent.futures
import http.client
import os
import re
import sqlite3
import ssl
import sys
import threading
import time
import urllib.parse

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Response, Stack  # noqa: E402

PER_PAIR, PER_ADDRESS, PER_USER = 2, 8, 20


class From(Client):
    """A harness Client whose connections leave from a chosen loopback address."""

    def __init__(self, port, source, tls=False):
        super().__init__(port, tls=tls)
        self.source = source

    def request(self, method, path, body=None, headers=None, content_type="application/x-www-form-urlencoded"):
        src = (self.source, 0)
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=ctx, source_address=src)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=src)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            body = urllib.parse.urlencode(body).encode() if isinstance(body, dict) else body
            h.setdefault("Content-Type", content_type)
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read().decode("utf-8", "replace")
        headers_list = r.getheaders()
        conn.close()
        for k, v in headers_list:
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                if "Max-Age=0" in v:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = rest.split(";", 1)[0]
        return Response(r.status, headers_list, data)


@pytest.fixture(scope="module")
def stack():
    s = Stack(extra_conf=f"[web]\nlogin_max_failures = {PER_PAIR}\nlogin_window = 900\n").start()
    yield s
    code = s.stop()
    s.cleanup()
    assert code == 0


def db(stack):
    return sqlite3.connect(stack.db, isolation_level=None, timeout=10)


def user_id(stack, name):
    with db(stack) as c:
        return c.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()[0]


def set_cookies(r):
    return [v for k, v in r.headers if k.lower() == "set-cookie"]


def login_status(stack, source, user, password, tls=False):
    c = From(stack.tls_port if tls else stack.port, source, tls=tls)
    return c.login(user, password).status


# ---- throttling ----

def test_attacker_elsewhere_cannot_lock_the_user_out(stack):
    stack.add_user("victim", "integrator", "victim-password-1")
    for i in range(PER_PAIR):
        assert login_status(stack, "127.0.1.1", "victim", f"guess-{i}") == 403
    assert login_status(stack, "127.0.1.1", "victim", "guess-x") == 429
    assert login_status(stack, "127.0.1.1", "victim", "victim-password-1") == 429, \
        "the attacker's own (user, address) stays locked, even with the right password"
    assert login_status(stack, "127.0.1.2", "victim", "victim-password-1") == 303, \
        "failures from another address must not lock the user out"


def test_one_address_trying_many_names_is_stopped(stack):
    names = [f"sprayed-{i}" for i in range(PER_ADDRESS // PER_PAIR)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda n: [login_status(stack, "127.0.2.1", n, "guess") for _ in range(PER_PAIR)],
                                 names))
    assert all(st == [403] * PER_PAIR for st in statuses), statuses
    assert login_status(stack, "127.0.2.1", "yet-another-name", "password-x") == 429
    assert login_status(stack, "127.0.2.2", "yet-another-name", "password-x") == 403, "other addresses unaffected"


def test_many_addresses_lock_the_user_only_where_it_never_logged_in(stack):
    stack.add_user("boss", "integrator", "boss-password-12")
    assert login_status(stack, "127.0.3.1", "boss", "boss-password-12") == 303  # boss's usual address
    sources = [f"127.0.3.{10 + i}" for i in range(PER_USER // PER_PAIR)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda s: [login_status(stack, s, "boss", "guess") for _ in range(PER_PAIR)],
                                 sources))
    assert all(st == [403] * PER_PAIR for st in statuses), statuses
    assert login_status(stack, "127.0.3.200", "boss", "boss-password-12") == 429, \
        "a distributed guesser is stopped for addresses boss never logged in from"
    assert login_status(stack, "127.0.3.1", "boss", "boss-password-12") == 303, \
        "boss still gets in from the usual address"


def test_concurrent_attempts_never_exceed_the_limit(stack):
    stack.add_user("racer", "owner", "racer-password-1")
    clients = [From(stack.port, "127.0.4.1") for _ in range(12)]
    tokens = [c.get("/login").csrf() for c in clients]
    start = threading.Barrier(len(clients))

    def attempt(i):
        start.wait()
        return clients[i].post("/login", {"_csrf": tokens[i], "username": "racer", "password": f"no-{i}"}).status
    with concurrent.futures.ThreadPoolExecutor(len(clients)) as pool:
        statuses = list(pool.map(attempt, range(len(clients))))
    assert statuses.count(403) == PER_PAIR and statuses.count(429) == len(clients) - PER_PAIR, statuses
    with db(stack) as c:
        n = c.execute("SELECT count(*) FROM login_failures WHERE username = 'racer'").fetchone()[0]
    assert n == PER_PAIR


def test_old_failure_rows_are_purged(stack):
    old = int(time.time()) - 10 * 900
    with db(stack) as c:
        c.executemany("INSERT INTO login_failures (username, address, at) VALUES (?, ?, ?)",
                      [(f"u{i}", f"198.51.100.{i % 250}", old) for i in range(500)])
    assert login_status(stack, "127.0.5.1", "nobody-at-all", "password-1") == 403
    with db(stack) as c:
        left = c.execute("SELECT count(*) FROM login_failures WHERE at < ?", (int(time.time()) - 900,)).fetchone()[0]
    assert left == 0, "failure rows older than the window must go"


def test_a_failure_that_cannot_be_recorded_refuses_the_attempt(stack):
    stack.add_user("careful", "owner", "careful-password")
    with db(stack) as c:
        c.execute("CREATE TRIGGER no_failures BEFORE INSERT ON login_failures "
                  "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    try:
        statuses = [login_status(stack, "127.0.6.1", "careful", f"guess-{i}") for i in range(PER_PAIR + 3)]
        assert all(st >= 500 for st in statuses), \
            f"an attempt whose failure cannot be recorded must not reach the password check: {statuses}"
    finally:
        with db(stack) as c:
            c.execute("DROP TRIGGER no_failures")
    assert login_status(stack, "127.0.6.1", "careful", "careful-password") == 303


# ---- cookies ----

def test_https_cookies_are_host_prefixed(stack):
    c = From(stack.tls_port, "127.0.7.1", tls=True)
    r = c.get("/login")
    csrf_cookie = [v for v in set_cookies(r) if v.startswith("__Host-centralita_login_csrf=")]
    assert csrf_cookie, set_cookies(r)
    stack.add_user("secure", "owner", "secure-password")
    r = c.post("/login", {"_csrf": r.csrf(), "username": "secure", "password": "secure-password"})
    assert r.status == 303
    session = [v for v in set_cookies(r) if v.startswith("__Host-centralita_session=")]
    assert session, set_cookies(r)
    for cookie in csrf_cookie + session:
        # What browsers require of a __Host- cookie, or they drop it.
        assert "; Secure" in cookie and "; Path=/;" in cookie + ";" and "Domain" not in cookie, cookie
    assert not any(v.startswith("centralita_") for v in set_cookies(r)), set_cookies(r)
    assert c.get("/").status == 200


def test_plain_http_keeps_plain_names(stack):
    c = From(stack.port, "127.0.7.2")
    r = c.get("/login")
    assert any(v.startswith("centralita_login_csrf=") for v in set_cookies(r))
    stack.add_user("plain", "owner", "plain-password")
    r = c.post("/login", {"_csrf": r.csrf(), "username": "plain", "password": "plain-password"})
    assert r.status == 303
    session = [v for v in set_cookies(r) if v.startswith("centralita_session=")]
    assert session and "Secure" not in session[0]
    assert not any("__Host-" in v for v in set_cookies(r))
    assert c.get("/").status == 200


def test_https_ignores_cookies_without_the_prefix(stack):
    """Under HTTPS only __Host- cookies count: one without the prefix may have been planted over plain HTTP or
    by a sibling host, for a login CSRF (double-submit) or to put the victim in the attacker's session."""
    stack.add_user("planted", "owner", "planted-password")
    http_client = From(stack.port, "127.0.7.3")
    assert http_client.login("planted", "planted-password").status == 303
    c = From(stack.tls_port, "127.0.7.3", tls=True)
    c.cookies = {"centralita_session": http_client.cookies["centralita_session"]}
    assert c.get("/").status == 303, "an unprefixed session cookie must not log in over HTTPS"
    c = From(stack.tls_port, "127.0.7.3", tls=True)
    c.cookies = {"centralita_login_csrf": "ab" * 32}
    r = c.post("/login", {"_csrf": "ab" * 32, "username": "planted", "password": "planted-password"})
    assert r.status == 403 and "centralita_session" not in str(set_cookies(r)), "planted double-submit cookie"


# ---- password changes end the other sessions ----

def sessions_of(stack, name, n, source):
    out = []
    for _ in range(n):
        c = From(stack.port, source)
        assert c.login(name, stack.passwords[name]).status == 303
        out.append(c)
    return out


def test_own_password_reset_ends_the_other_sessions_only(stack):
    stack.add_user("selfie", "integrator", "selfie-password")
    here, other = sessions_of(stack, "selfie", 2, "127.0.8.1")
    r = here.post(f"/users/{user_id(stack, 'selfie')}/password", {"_csrf": here.csrf()})
    assert r.status == 200
    new = re.search(r'id="new-password">([A-Za-z0-9]{20})<', r.body).group(1)
    assert here.get("/").status == 200, "the session that changed the password stays"
    assert other.get("/").status == 303, "every other session of the user ends"
    assert login_status(stack, "127.0.8.1", "selfie", new) == 303


def test_reset_for_another_user_ends_all_their_sessions(stack):
    stack.add_user("admin2", "integrator", "admin2-password")
    stack.add_user("clerk", "owner", "clerk-password-1")
    (admin,) = sessions_of(stack, "admin2", 1, "127.0.8.2")
    clerks = sessions_of(stack, "clerk", 2, "127.0.8.3")
    assert admin.post(f"/users/{user_id(stack, 'clerk')}/password", {"_csrf": admin.csrf()}).status == 200
    assert [c.get("/").status for c in clerks] == [303, 303]
    assert admin.get("/").status == 200


def test_cli_passwd_ends_all_sessions(stack):
    stack.add_user("shell", "owner", "shell-password-1")
    sessions = sessions_of(stack, "shell", 2, "127.0.8.4")
    stack.cli("passwd", "shell", stdin="shell-password-2\n")
    assert [c.get("/").status for c in sessions] == [303, 303]
    assert login_status(stack, "127.0.8.4", "shell", "shell-password-2") == 303


def test_password_change_is_all_or_nothing(stack):
    """If the sessions cannot be ended, the password is not changed either, and the change says it failed."""
    stack.add_user("sticky", "owner", "sticky-password")
    stack.add_user("admin3", "integrator", "admin3-password")
    (admin,) = sessions_of(stack, "admin3", 1, "127.0.8.5")
    (session,) = sessions_of(stack, "sticky", 1, "127.0.8.6")
    token = admin.csrf()
    with db(stack) as c:
        before = c.execute("SELECT password_hash FROM users WHERE name = 'sticky'").fetchone()[0]
        c.execute("CREATE TRIGGER keep_sessions BEFORE DELETE ON sessions BEGIN SELECT RAISE(ABORT, 'no'); END")
    try:
        r = stack.cli("passwd", "sticky", stdin="sticky-password-2\n", check=False)
        assert r.returncode != 0, r.stdout
        r = admin.post(f"/users/{user_id(stack, 'sticky')}/password", {"_csrf": token})
        assert r.status == 500 and "new-password" not in r.body
        with db(stack) as c:
            assert c.execute("SELECT password_hash FROM users WHERE name = 'sticky'").fetchone()[0] == before
    finally:
        with db(stack) as c:
            c.execute("DROP TRIGGER keep_sessions")
    assert session.get("/").status == 200
