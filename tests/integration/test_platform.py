"""Platform behaviour through a real nginx and the real daemon: routing, roles, CSRF, escaping, limits,
login throttling, languages, shutdown and crash safety."""
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import INTEGRATOR, OWNER
from harness import Client, Stack, route_table

ROUTES = route_table()
SECURITY_HEADERS = {
    "Content-Security-Policy": "script-src 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def concrete(pattern, user_id):
    return pattern.replace(":id", str(user_id))


def user_id(stack, name):
    with sqlite3.connect(stack.db) as db:
        return db.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()[0]


def test_route_table_is_not_empty():
    assert ("GET", "/", "owner", False) in ROUTES
    assert any(r[0] == "POST" for r in ROUTES)


@pytest.mark.parametrize("method,pattern,role,csrf", ROUTES)
def test_anonymous_is_sent_to_login(stack, method, pattern, role, csrf):
    c = Client(stack.port)
    path = concrete(pattern, 1)
    r = c.request(method, path, body={} if method == "POST" else None)
    if role == "public":
        assert r.status in (200, 403), r.status  # the login POST without a token is refused, see below
        return
    assert r.status == 303
    assert r.header("Location").startswith("/login")


@pytest.mark.parametrize("method,pattern,role,csrf", [r for r in ROUTES if r[0] == "POST"])
def test_post_without_or_with_wrong_csrf_is_403(stack, method, pattern, role, csrf):
    c = Client(stack.port)
    if role != "public":
        assert c.login(*INTEGRATOR).status == 303
    else:
        c.get("/login")  # gets the pre-session cookie, so only the form token is missing or wrong
    target = concrete(pattern, user_id(stack, OWNER[0]))
    fields = {"username": OWNER[0], "password": OWNER[1], "lang": "es", "name": "x", "role": "owner",
              "password2": "x"}
    before = sqlite3.connect(stack.db).execute("SELECT count(*), group_concat(disabled) FROM users").fetchone()
    r = c.post(target, fields)
    assert r.status == 403, (target, r.status)
    r = c.post(target, dict(fields, _csrf="0" * 64))
    assert r.status == 403, (target, r.status)
    r = c.post(target, [("_csrf", "0" * 64)] + list(fields.items()))
    assert r.status == 403
    after = sqlite3.connect(stack.db).execute("SELECT count(*), group_concat(disabled) FROM users").fetchone()
    assert before == after, "a refused POST changed the database"


@pytest.mark.parametrize("method,pattern,role,csrf", [r for r in ROUTES if r[2] == "integrator"])
def test_owner_gets_403_on_integrator_routes(stack, owner, method, pattern, role, csrf):
    path = concrete(pattern, user_id(stack, INTEGRATOR[0]))
    body = {"_csrf": owner.csrf()} if method == "POST" else None
    r = owner.request(method, path, body=body)
    assert r.status == 403
    assert "permission" in r.body


@pytest.mark.parametrize("method,pattern,role,csrf", ROUTES)
def test_security_headers_on_every_route(stack, integrator, method, pattern, role, csrf):
    r = integrator.request(method, concrete(pattern, 999999), body={} if method == "POST" else None)
    for name, fragment in SECURITY_HEADERS.items():
        assert fragment in (r.header(name) or ""), (pattern, name)


def test_security_headers_on_static_files(stack):
    r = Client(stack.port).get("/static/style.css")
    assert r.status == 200
    for name in ("X-Frame-Options", "X-Content-Type-Options", "Content-Security-Policy"):
        assert r.header(name), name


def test_unknown_path_is_404_and_wrong_method_405(stack, integrator):
    assert integrator.get("/no/such/page").status == 404
    r = integrator.request("PUT", "/users", body="")
    assert r.status == 405
    assert r.header("Allow") == "GET, POST"
    assert integrator.get("/logout").status == 405


def test_home_page_after_login(stack, integrator):
    r = integrator.get("/")
    assert r.status == 200
    assert "Welcome, integra" in r.body
    assert 'href="/users"' in r.body


def test_owner_sees_no_users_link(stack, owner):
    r = owner.get("/")
    assert r.status == 200
    assert 'href="/users"' not in r.body


def test_script_user_name_is_escaped(stack, integrator):
    name = "<script>alert(1)</script>"
    r = integrator.post("/users", {"_csrf": integrator.csrf(), "name": name, "role": "owner",
                                   "password": "a-long-password"})
    assert r.status == 303
    page = integrator.get("/users").body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_sql_in_user_name_is_stored_literally(stack, integrator):
    name = "'; DROP TABLE users;--"
    r = integrator.post("/users", {"_csrf": integrator.csrf(), "name": name, "role": "owner",
                                   "password": "a-long-password"})
    assert r.status == 303
    with sqlite3.connect(stack.db) as db:
        assert db.execute("SELECT count(*) FROM users WHERE name = ?", (name,)).fetchone()[0] == 1
    assert "&#39;; DROP TABLE users;--" in integrator.get("/users").body


def test_invalid_user_form_is_422_with_messages_and_values(stack, integrator):
    r = integrator.post("/users", {"_csrf": integrator.csrf(), "name": "ab\r\ncd", "role": "root",
                                   "password": "short"})
    assert r.status == 422
    assert "Line breaks and control characters are not allowed." in r.body
    assert "Choose one of the options." in r.body
    assert "Too short." in r.body
    assert 'value="short"' not in r.body  # passwords are never echoed
    r = integrator.post("/users", {"_csrf": integrator.csrf(), "name": INTEGRATOR[0].upper(), "role": "owner",
                                   "password": "a-long-password"})
    assert r.status == 422
    assert "That name is already taken." in r.body
    assert f'value="{INTEGRATOR[0].upper()}"' in r.body


def test_disable_enable_and_reset_password(stack, integrator):
    name = "temp-worker"
    integrator.post("/users", {"_csrf": integrator.csrf(), "name": name, "role": "owner",
                               "password": "first-password"})
    worker = Client(stack.port)
    assert worker.login(name, "first-password").status == 303
    uid = user_id(stack, name)
    assert integrator.post(f"/users/{uid}/disable", {"_csrf": integrator.csrf()}).status == 303
    assert worker.get("/").status == 303, "a disabled user's session must end"
    assert Client(stack.port).login(name, "first-password").status == 403
    assert integrator.post(f"/users/{uid}/enable", {"_csrf": integrator.csrf()}).status == 303
    r = integrator.post(f"/users/{uid}/password", {"_csrf": integrator.csrf()})
    assert r.status == 200
    new = re.search(r'id="new-password">([A-Za-z0-9]{20})<', r.body).group(1)
    assert Client(stack.port).login(name, "first-password").status == 403
    assert Client(stack.port).login(name, new).status == 303
    me = user_id(stack, INTEGRATOR[0])
    assert integrator.post(f"/users/{me}/disable", {"_csrf": integrator.csrf()}).status == 409
    assert integrator.post("/users/999999/enable", {"_csrf": integrator.csrf()}).status == 404


def test_logout_ends_session(stack):
    c = Client(stack.port)
    assert c.login(*OWNER).status == 303
    cookie = dict(c.cookies)
    assert c.post("/logout", {"_csrf": c.csrf()}).status == 303
    replay = Client(stack.port)
    replay.cookies = cookie
    assert replay.get("/").status == 303, "the old session id must not work after logout"


def test_session_cookie_flags_and_new_id_at_login(stack):
    c = Client(stack.port)
    c.cookies["centralita_session"] = "a" * 64  # planted id (fixation attempt)
    token = c.get("/login").csrf()
    r = c.post("/login", {"_csrf": token, "username": OWNER[0], "password": OWNER[1]})
    cookie = [v for k, v in r.headers if k.lower() == "set-cookie" and v.startswith("centralita_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    assert not cookie.startswith("centralita_session=" + "a" * 64)


def test_secure_cookie_when_request_came_over_https(stack):
    c = Client(stack.tls_port, tls=True)
    token = c.get("/login").csrf()
    r = c.post("/login", {"_csrf": token, "username": OWNER[0], "password": OWNER[1]})
    assert r.status == 303
    cookie = [v for k, v in r.headers if k.lower() == "set-cookie" and v.startswith("__Host-centralita_session=")][0]
    assert "; Secure" in cookie
    assert c.get("/").status == 200


def test_login_redirects_to_next_but_never_offsite(stack):
    c = Client(stack.port)
    r = c.get("/users")
    assert r.status == 303 and r.header("Location") == "/login?next=/users"
    token = c.get("/login?next=/users").csrf()
    r = c.post("/login", {"_csrf": token, "username": INTEGRATOR[0], "password": INTEGRATOR[1], "next": "/users"})
    assert r.header("Location") == "/users"
    c = Client(stack.port)
    token = c.get("/login").csrf()
    r = c.post("/login", {"_csrf": token, "username": INTEGRATOR[0], "password": INTEGRATOR[1],
                          "next": "//evil.example/"})
    assert r.header("Location") == "/"


def test_two_megabyte_body_is_413_and_daemon_keeps_serving(stack, integrator):
    big = "name=" + "x" * (2 * 1024 * 1024)
    r = integrator.request("POST", "/users", body=big)   # refused by nginx
    assert r.status == 413
    assert "Request too large" in r.body
    for name, fragment in SECURITY_HEADERS.items():
        assert fragment in (r.header(name) or "") or name == "Content-Security-Policy", name
    assert "default-src 'none'" in r.header("Content-Security-Policy")
    mid = "name=" + "x" * (200 * 1024)  # under nginx's limit, over the daemon's max_body
    r = integrator.request("POST", "/users", body=mid)
    assert r.status == 413
    assert "script-src 'self'" in r.header("Content-Security-Policy")
    assert integrator.get("/").status == 200


def test_upload_path_alone_lets_a_larger_body_reach_the_daemon(stack, integrator):
    """nginx raises its 1m limit for the upload form's exact path only (scripts/nginx-conf.sh: [web] max_upload),
    passing it to the daemon like every other path; the daemon then bounds the body by its route (max_upload for a
    route with upload, else max_body)."""
    big = b"x" * (2 * 1024 * 1024)
    ct = "multipart/form-data; boundary=x"
    r = integrator.request("POST", "/phones/import", body=big, content_type=ct)
    assert "Request too large" not in r.body, "refused by nginx"
    assert re.search(r"^POST /phones/import \d{3} ", stack.daemon_log_text(), re.M), "the daemon got no request"
    for path in ("/phones/import/x", "/phones/importx", "/phones"):
        r = integrator.request("POST", path, body=big, content_type=ct)
        assert r.status == 413 and "Request too large" in r.body, path
    assert integrator.get("/").status == 200


def test_multipart_body_is_415_on_routes_without_upload(stack, integrator):
    body = (f'--x\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n{integrator.csrf()}\r\n'
            '--x\r\nContent-Disposition: form-data; name="lang"\r\n\r\nes\r\n--x--\r\n')
    r = integrator.request("POST", "/language", body=body, content_type="multipart/form-data; boundary=x")
    assert r.status == 415


def test_malformed_form_body_is_400(stack, integrator):
    r = integrator.request("POST", "/users", body="_csrf=%zz")
    assert r.status == 400
    r = integrator.request("POST", "/users", body="a.b=1")
    assert r.status == 400


def test_language_follows_browser_then_user_choice(stack):
    c = Client(stack.port, accept_language="es-ES,es;q=0.9,en;q=0.8")
    assert "Iniciar sesión" in c.get("/login").body
    assert c.login(*OWNER).status == 303
    assert "Bienvenido" in c.get("/").body
    r = c.post("/language", {"_csrf": c.csrf(), "lang": "en", "back": "/"})
    assert r.status == 303 and r.header("Location") == "/"
    assert "Welcome" in c.get("/").body, "the user's choice beats Accept-Language"
    assert c.post("/language", {"_csrf": c.csrf(), "lang": "fr"}).status == 422
    c.post("/language", {"_csrf": c.csrf(), "lang": "es", "back": "//evil"})
    assert "Bienvenido" in c.get("/").body
    c.post("/language", {"_csrf": c.csrf(), "lang": "en"})


def test_language_files_have_the_same_keys():
    def keys(path):
        out, stack_ = set(), []
        for line in open(path, encoding="utf-8"):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.endswith("{"):
                stack_.append(line[:-1].strip())
            elif line == "}":
                stack_.pop()
            else:
                out.add(".".join(stack_ + [line.split("=", 1)[0].strip()]))
        return out
    root = os.path.join(os.path.dirname(__file__), "..", "..", "templates", "lang")
    en, es = keys(os.path.join(root, "en.hdf")), keys(os.path.join(root, "es.hdf"))
    assert en == es, (en - es, es - en)
    assert len(en) > 50
    # Every page's words are a section of Lang itself: a brace lost in a merge nests the following sections
    # inside the previous one, in both files alike, and their pages then show keys instead of words.
    sections = {k.split(".")[1] for k in en}
    for page in ("nav", "home", "phones", "calls", "live", "stats", "pbx", "drift", "audit", "console", "trunks",
                 "routes", "users"):
        assert page in sections, (page, sorted(sections))


def test_login_throttling_at_sixth_attempt():
    s = Stack().start()
    try:
        s.add_user("victim", "owner", "the-right-password")
        c = Client(s.port)
        for i in range(5):
            r = c.login("victim", f"wrong-{i}")
            assert r.status == 403, i
            assert "Wrong user name or password" in r.body
        r = c.login("victim", "wrong-6")
        assert r.status == 429
        assert "Too many failed attempts" in r.body
        r = c.login("victim", "the-right-password")
        assert r.status == 429, "while throttled even the right password is refused"
    finally:
        assert s.stop() == 0
        s.cleanup()


def test_sigterm_finishes_in_flight_requests_and_exits_zero():
    s = Stack(threads=2).start()
    try:
        s.add_user("u1", "owner", "password-123")
        clients = [Client(s.port) for _ in range(2)]
        tokens = [c.get("/login").csrf() for c in clients]
        results = []

        def login(c, token):
            # scrypt makes a login take ~0.1 s inside the daemon: long enough to be in flight at SIGTERM.
            r = c.post("/login", {"_csrf": token, "username": "u1", "password": "password-123"})
            results.append(r.status)
        threads = [threading.Thread(target=login, args=ct) for ct in zip(clients, tokens)]
        for t in threads:
            t.start()
        time.sleep(0.03)
        code = s.stop_daemon(signal.SIGTERM)
        for t in threads:
            t.join()
        assert code == 0
        log = s.daemon_log_text()
        assert "finishing in-flight requests" in log and "stopped" in log
        assert results == [303, 303], results
        assert log.count("POST /login 303") == 2
    finally:
        s.stop()
        s.cleanup()


def test_killed_daemon_leaves_a_database_that_opens():
    s = Stack(threads=2).start()
    try:
        s.add_user("boss", "integrator", "password-123")
        stop = threading.Event()

        def create_users(k):
            c = Client(s.port)
            c.login("boss", "password-123")
            token = c.csrf()
            i = 0
            while not stop.is_set():
                try:
                    c.post("/users", {"_csrf": token, "name": f"u{k}-{i}", "role": "owner",
                                      "password": "password-123"})
                except OSError:
                    return
                i += 1
        threads = [threading.Thread(target=create_users, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        # Killed while users are being written (not before the first is: a loaded machine is slow to log in).
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with sqlite3.connect(s.db, timeout=10) as db:
                if db.execute("SELECT count(*) FROM users").fetchone()[0] > 2:
                    break
            time.sleep(0.05)
        assert s.stop_daemon(signal.SIGKILL) == -signal.SIGKILL
        stop.set()
        for t in threads:
            t.join()
        down = Client(s.port).get("/")          # nginx answers for the dead daemon, headers included
        assert down.status == 502 and "Centralita is not running" in down.body
        assert down.header("X-Frame-Options") == "DENY"
        with sqlite3.connect(s.db) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert db.execute("SELECT count(*) FROM users").fetchone()[0] > 1
        s.start_daemon()
        c = Client(s.port)
        assert c.login("boss", "password-123").status == 303
    finally:
        s.stop()
        s.cleanup()


def test_kept_connections_never_stall_a_single_worker():
    """nginx keeps up to 32 idle FastCGI connections per worker process; with one daemon thread, plain libfcgi
    would sit on one idle connection while requests wait on the others. Twenty clients at once, twice: every
    request is answered, and the second wave (reusing kept connections) as quickly as the first."""
    s = Stack(threads=1).start()
    try:
        s.add_user("u1", "owner", "password-123")
        c = Client(s.port)
        assert c.login("u1", "password-123").status == 303
        cookie = dict(c.cookies)

        def wave():
            results = []

            def get():
                k = Client(s.port)
                k.cookies = dict(cookie)
                results.append(k.get("/").status)
            threads = [threading.Thread(target=get) for _ in range(20)]
            t0 = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=20)
            return results, time.monotonic() - t0
        first, t1 = wave()
        second, t2 = wave()
        assert first == [200] * 20 and second == [200] * 20, (first, second)
        assert t2 < 5, f"second wave took {t2:.1f}s: a request waited on an idle kept connection"
    finally:
        assert s.stop() == 0
        s.cleanup()
