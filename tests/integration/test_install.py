"""make install and the deployment README's "Deployment behind nginx with HTTPS" describes, as installed:
what lands where; the systemd unit's identity (its User, Group and SupplementaryGroups, given as systemd gives
them, with setpriv) against the layout's owners and modes; and the installed nginx site, with the files
centralita-nginx writes from the configuration, in a real nginx whose workers are www-data.

Everything lives under a temporary root (the installed paths, prefixed); the `centralita` user and group are
created for real under a random name (ctl + 8 hex digits) and removed afterwards. Needs root, like make test."""
import base64
import grp
import http.client
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import tempfile
import time

import pytest

from harness import AMI_SECRET, AMI_USER, AMI_USERS, EXTENSIONS_CONF, PJSIP_CONF, ROOT, Client, free_port
import testpbx

PREFIX = "/usr/local"
CONF = "/etc/centralita/centralita.conf"
PROV_USER, PROV_PASSWORD = "phone", "prov-password-" + secrets.token_hex(6)
MAC, PROV_FILE = "00:15:65:A1:B2:C3", "001565a1b2c3.cfg"   # a Yealink T46U's file


def install(dest):
    subprocess.run([os.path.join(ROOT, "scripts", "install.sh"), dest, PREFIX], check=True, capture_output=True)


def unit_settings(path):
    """The [Service] section of a unit file: key -> list of values (in order)."""
    settings, section = {}, None
    for line in open(path):
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def setpriv(uid, gid, groups):
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}",
            f"--groups={','.join(map(str, groups))}" if groups else "--clear-groups", "--no-new-privs", "--"]


def unit_identity(unit, names):
    """setpriv arguments for the unit's processes, as systemd sets them: User=, Group=, the user's groups from
    the group database (initgroups with Group='s gid, so the user's own primary group is NOT among them) plus
    SupplementaryGroups=. names maps the unit's user and group names to the ones this test created."""
    user = names.get(unit["User"][0], unit["User"][0])
    gid = grp.getgrnam(names.get(unit["Group"][0], unit["Group"][0])).gr_gid
    groups = os.getgrouplist(user, gid)
    for value in unit.get("SupplementaryGroups", []):
        groups += [grp.getgrnam(names.get(g, g)).gr_gid for g in value.split()]
    return setpriv(pwd.getpwnam(user).pw_uid, gid, sorted(set(groups)))


def user_identity(name):
    """setpriv arguments for a user as runuser/sudo would run it: its primary group and its group list."""
    pw = pwd.getpwnam(name)
    return setpriv(pw.pw_uid, pw.pw_gid, sorted(set(os.getgrouplist(name, pw.pw_gid))))


def can(identity, *test_args):
    return subprocess.run(identity + ["test", *test_args]).returncode == 0


def can_connect(identity, path):
    code = "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])"
    return subprocess.run(identity + ["/usr/bin/python3", "-c", code, path], capture_output=True).returncode == 0


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def fetch(port, path, headers=None, tls=True, source="127.0.0.1"):
    """One GET from the given loopback source address: (status, headers, body)."""
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ctx, source_address=(source, 0))
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_install_layout_and_nginx_site_is_valid():
    with tempfile.TemporaryDirectory() as dest:
        install(dest)
        binary = os.path.join(dest, "usr/local/bin/centralita")
        assert os.access(binary, os.X_OK)
        for rel in ("usr/local/share/centralita/templates/home.cs", "usr/local/share/centralita/templates/lang/es.hdf",
                    "usr/local/share/centralita/static/style.css", "etc/centralita/centralita.conf.sample",
                    "lib/systemd/system/centralita.service", "etc/nginx/sites-available/centralita",
                    "usr/local/sbin/centralita-nginx"):
            assert os.path.isfile(os.path.join(dest, rel)), rel
        unit_path = os.path.join(dest, "lib/systemd/system/centralita.service")
        unit = open(unit_path).read()
        assert "ExecStart=/usr/local/bin/centralita -c /etc/centralita/centralita.conf serve" in unit
        assert "@PREFIX@" not in unit
        # systemd's own reading of the unit (where systemd is installed): no unknown key, no value it ignores.
        if shutil.which("systemd-analyze"):
            verify_copy = os.path.join(dest, "centralita.service")
            write(verify_copy, unit.replace("/usr/local/bin/centralita", binary))
            r = subprocess.run(["systemd-analyze", "verify", verify_copy], capture_output=True, text=True)
            assert r.returncode == 0 and r.stderr.strip() == "", r.stderr
        # The sample is valid once the integrator gives what it cannot guess (the SIP address phones register
        # with); its installed paths are under the temporary root here.
        sample = os.path.join(dest, "centralita.conf")
        text = open(os.path.join(dest, "etc/centralita/centralita.conf.sample")).read()
        for path in ("/run/centralita/", "/var/lib/centralita/", PREFIX + "/share/centralita/"):
            text = text.replace(path, dest + path)
        write(sample, text + "\n[provisioning]\nserver = 192.0.2.10\n")
        r = subprocess.run([binary, "-c", sample, "check-config"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr

        # nginx -t on the site as shipped, with the files centralita-nginx writes from that configuration (no
        # provisioning password yet), and a throwaway certificate in place of the placeholder paths.
        gen = os.path.join(dest, "etc/nginx/centralita")
        subprocess.run([os.path.join(dest, "usr/local/sbin/centralita-nginx"), "-c", sample, "-o", gen, "--log-dir",
                        os.path.join(dest, "log")], check=True, capture_output=True, env=dict(os.environ,
                                                                                              CENTRALITA_BIN=binary))
        assert "return 403;" in open(os.path.join(gen, "provisioning.conf")).read()  # nothing served without one
        site = open(os.path.join(dest, "etc/nginx/sites-available/centralita")).read()
        assert "server unix:/run/centralita/centralita.sock;" in site and "fastcgi_keep_conn on;" in site
        assert "alias /usr/local/share/centralita/static/;" in site
        for name in ("http.conf", "provisioning.conf", "provisioning-http.conf"):
            assert f"include /etc/nginx/centralita/{name};" in site, name
        # The upload form's own location lets the daemon's default [web] max_upload through (elsewhere: 1m).
        m = re.search(r"location = /phones/import \{[^}]*client_max_body_size (\d+)m;[^}]*fastcgi_pass centralita;",
                      site)
        max_upload = subprocess.run([binary, "-c", sample, "config-get", "web", "max_upload"], capture_output=True,
                                    text=True, check=True).stdout
        assert m and int(m.group(1)) << 20 >= int(max_upload)
        cert, key = testpbx.make_cert(dest)
        site = (site.replace("/etc/ssl/certs/centralita.crt", cert).replace("/etc/ssl/private/centralita.key", key)
                .replace("/etc/nginx/centralita/", gen + "/"))
        write(os.path.join(dest, "site.conf"), site)
        write(os.path.join(dest, "nginx.conf"), f"pid {dest}/nginx.pid;\nevents {{}}\nhttp {{\n"
                                                f" include /etc/nginx/mime.types;\n client_body_temp_path {dest}/b;\n"
                                                f" include {dest}/site.conf;\n}}\n")
        r = subprocess.run(["nginx", "-t", "-p", dest, "-c", os.path.join(dest, "nginx.conf"), "-e",
                            os.path.join(dest, "error.log")], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def test_centralita_nginx_refuses_what_it_cannot_write_safely():
    """Plain HTTP without an allow list would hand SIP passwords to anyone on the way; values that would end an
    nginx directive are refused, not quoted."""
    with tempfile.TemporaryDirectory() as d:
        base = (f"[web]\ntemplates = {ROOT}/templates\n[provisioning]\ntemplates = {ROOT}/provisioning\n"
                f"server = 192.0.2.10\ndir = {d}/prov\npassword = pw-123456\n")
        cases = [("url = http://192.0.2.10/provisioning/\n", "allow"),
                 ("allow = 10.0.0.0/8 $host\n", "is not an address"),
                 ("user = a:b\n", "letters, digits"),
                 (f"dir = {d}/prov$uri\n", "alias")]
        for extra, message in cases:
            write(os.path.join(d, "c.conf"), base + extra)
            r = subprocess.run([os.path.join(ROOT, "scripts", "centralita-nginx.sh"), "-c", os.path.join(d, "c.conf"),
                                "-o", os.path.join(d, "out"), "--log-dir", d, "--group", ""],
                               capture_output=True, text=True)
            assert r.returncode == 1 and message in r.stderr, (extra, r.stderr)
        # https (or no url): port 80 does not serve /provisioning/; http with an allow list: it does.
        write(os.path.join(d, "c.conf"), base + "url = https://pbx.example.com/provisioning/\nallow = 10.0.0.0/8\n")
        subprocess.run([os.path.join(ROOT, "scripts", "centralita-nginx.sh"), "-c", os.path.join(d, "c.conf"), "-o",
                        os.path.join(d, "out"), "--log-dir", d, "--group", ""], check=True, capture_output=True)
        assert "include" not in open(os.path.join(d, "out", "provisioning-http.conf")).read()
        location = open(os.path.join(d, "out", "provisioning.conf")).read()
        assert "allow 10.0.0.0/8;\n    deny all;" in location and "limit_req zone=centralita_provisioning" in location


def test_readme_gives_the_steps_this_file_follows():
    readme = open(os.path.join(ROOT, "README.md")).read()
    steps = readme[readme.index("## Deployment behind nginx with HTTPS"):]
    steps = steps[steps.index("```sh", steps.index("```sh") + 1):]
    steps = steps[:steps.index("```", 5)]
    for line in ("adduser --system --group --no-create-home --home /var/lib/centralita centralita",
                 "install -m 0640 -g centralita /etc/centralita/centralita.conf.sample /etc/centralita/centralita.conf",
                 "runuser -u centralita -- centralita -c /etc/centralita/centralita.conf firstuser",
                 "centralita-nginx "):
        assert line in steps, line


@pytest.fixture(scope="module")
def installed():
    """make install into a temporary root, the README's deployment steps there, the daemon started as the unit
    starts it, and a real nginx (workers: www-data) serving the installed site."""
    if os.geteuid() != 0:
        pytest.skip("needs root: it creates a system user and runs processes as other users")
    name = "ctl" + secrets.token_hex(4)
    assert subprocess.run(["getent", "passwd", name], capture_output=True).returncode != 0
    dest = tempfile.mkdtemp(prefix="centralita-installed-")
    os.chmod(dest, 0o755)
    s = type("Installed", (), {})()
    s.dest, s.name, s.procs, s.pbx = dest, name, [], None
    at = lambda path: dest + path  # noqa: E731 - an installed path, under the temporary root
    s.at = at
    try:
        install(dest)
        s.unit = unit_settings(at("/lib/systemd/system/centralita.service"))
        s.bin = at(PREFIX + "/bin/centralita")

        # README: adduser --system --group --no-create-home --home /var/lib/centralita centralita (useradd's
        # equivalent where adduser, priority important, is not installed)
        if shutil.which("adduser"):
            create = ["adduser", "--system", "--group", "--no-create-home", "--home", at("/var/lib/centralita")]
        else:
            create = ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                      at("/var/lib/centralita"), "--shell", "/usr/sbin/nologin"]
        subprocess.run(create + [name], check=True, capture_output=True)
        s.names = {"centralita": name}
        s.daemon_ids = unit_identity(s.unit, s.names)

        # systemd's RuntimeDirectory= and StateDirectory=: created on start, owned User:Group, with the mode given.
        uid = pwd.getpwnam(name).pw_uid
        gid = grp.getgrnam(s.names.get(s.unit["Group"][0], s.unit["Group"][0])).gr_gid
        for key, base in (("RuntimeDirectory", "/run"), ("StateDirectory", "/var/lib")):
            mode = int(s.unit.get(key + "Mode", ["0755"])[0], 8)
            for rel in " ".join(s.unit.get(key, [])).split():
                os.makedirs(at(f"{base}/{rel}"), exist_ok=True)
                os.chown(at(f"{base}/{rel}"), uid, gid)
                os.chmod(at(f"{base}/{rel}"), mode)

        # README: the configuration, root:centralita 0640, from the sample; then the integrator's edits (here:
        # the installed paths under the temporary root, the test PBX, and provisioning for phones on 127.0.0.1
        # over plain HTTP as well as HTTPS).
        subprocess.run(["install", "-m", "0640", "-g", name, at(CONF + ".sample"), at(CONF)], check=True)
        s.sample = open(at(CONF + ".sample")).read()
        text = s.sample
        for path in ("/run/centralita/", "/var/lib/centralita/", PREFIX + "/share/centralita/"):
            text = text.replace(path, at(path))
        pbx_dir = os.path.join(dest, "pbx", "asterisk")
        os.makedirs(os.path.join(pbx_dir, "centralita"))    # the integrator's one-time set-up (README)
        write(os.path.join(pbx_dir, "pjsip.conf"), PJSIP_CONF)
        write(os.path.join(pbx_dir, "extensions.conf"), EXTENSIONS_CONF)
        cert, key = testpbx.make_cert(os.path.join(dest, "pbx"))
        fp = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-sha256"], check=True,
                            capture_output=True, text=True).stdout.strip().split("=", 1)[1]
        s.pbx = testpbx.TestPBX(pbx_dir, users=AMI_USERS, tls_port=0, cert=cert, key=key)
        s.pbx.start()
        s.http_port, s.https_port = free_port(), free_port()
        text += (f"\n[ami]\nhost = 127.0.0.1\nport = {s.pbx.tls_port}\ntls = yes\nfingerprint = {fp}\n"
                 f"username = {AMI_USER}\nsecret = {AMI_SECRET}\ntimeout = 5000\n[asterisk]\nretry_interval = 1\n"
                 f"[provisioning]\nserver = 192.0.2.10\nuser = {PROV_USER}\npassword = {PROV_PASSWORD}\n"
                 f"url = http://127.0.0.1:{s.http_port}/provisioning/\nallow = 127.0.0.1/32 192.0.2.0/24\n")
        with open(at(CONF), "w") as f:  # keeps the file's owner, group and mode
            f.write(text)

        # The unit's ExecStartPre= and ExecStart=, as its user and groups, with its umask.
        def command(line):
            return [w.replace(PREFIX + "/bin/centralita", s.bin).replace(CONF, at(CONF)) for w in line.split()]
        umask = int(s.unit["UMask"][0], 8)
        for line in s.unit.get("ExecStartPre", []):
            r = subprocess.run(s.daemon_ids + command(line), capture_output=True, text=True, umask=umask)
            assert r.returncode == 0, f"ExecStartPre={line}: {r.stderr}"
        s.log = open(os.path.join(dest, "daemon.log"), "w")
        s.daemon = subprocess.Popen(s.daemon_ids + command(s.unit["ExecStart"][0]), stderr=s.log, umask=umask)
        s.procs.append(s.daemon)
        s.socket = at("/run/centralita/centralita.sock")
        for _ in range(100):
            if os.path.exists(s.socket) or s.daemon.poll() is not None:
                break
            time.sleep(0.05)
        assert os.path.exists(s.socket), open(os.path.join(dest, "daemon.log")).read()

        # README: runuser -u centralita -- centralita -c /etc/centralita/centralita.conf firstuser
        r = subprocess.run(["runuser", "-u", name, "--", s.bin, "-c", at(CONF), "firstuser"], capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stderr
        s.admin = re.search(r"user '([^']+)', password '([^']+)'", r.stdout).groups()

        # README: centralita-nginx, then the site (its ports, certificate and paths under the temporary root).
        gen = at("/etc/nginx/centralita")
        r = subprocess.run([at(PREFIX + "/sbin/centralita-nginx"), "-c", at(CONF), "-o", gen, "--log-dir",
                            at("/var/log/nginx")], capture_output=True, text=True,
                           env=dict(os.environ, CENTRALITA_BIN=s.bin))
        assert r.returncode == 0, r.stderr
        s.htpasswd = os.path.join(gen, "provisioning.htpasswd")
        site = open(at("/etc/nginx/sites-available/centralita")).read()
        ncert, nkey = testpbx.make_cert(os.path.join(dest, "tls"))
        for old, new in (("listen 80;", f"listen 127.0.0.1:{s.http_port};"), ("listen [::]:80;", ""),
                         ("listen 443 ssl;", f"listen 127.0.0.1:{s.https_port} ssl;"), ("listen [::]:443 ssl;", ""),
                         ("/etc/ssl/certs/centralita.crt", ncert), ("/etc/ssl/private/centralita.key", nkey),
                         ("/etc/nginx/centralita/", gen + "/"), ("/run/centralita/", at("/run/centralita/")),
                         (PREFIX + "/share/centralita/", at(PREFIX + "/share/centralita/"))):
            assert old in site, old
            site = site.replace(old, new)
        ng = os.path.join(dest, "nginx")
        os.makedirs(ng)
        write(os.path.join(ng, "site.conf"), site)
        temps = "".join(f" {t}_temp_path {ng}/{t};\n" for t in ("client_body", "fastcgi", "proxy", "scgi", "uwsgi"))
        # As Debian's nginx.conf: workers are www-data, the error log at its default level (error).
        write(os.path.join(ng, "nginx.conf"), f"user www-data;\nworker_processes 1;\npid {ng}/nginx.pid;\n"
                                              f"error_log {ng}/error.log;\nevents {{}}\nhttp {{\n"
                                              f" include /etc/nginx/mime.types;\n access_log {ng}/access.log;\n"
                                              f"{temps} include {ng}/site.conf;\n}}\n")
        s.nginx = subprocess.Popen(["nginx", "-p", ng, "-c", "nginx.conf", "-e", f"{ng}/error.log", "-g",
                                    "daemon off;"])
        s.procs.append(s.nginx)
        for _ in range(100):
            try:
                if fetch(s.https_port, "/login")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        yield s
    finally:
        for p in reversed(s.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGQUIT if p is getattr(s, "nginx", None) else signal.SIGTERM)
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
        if s.pbx:
            s.pbx.stop()
        subprocess.run(["userdel", name], capture_output=True)
        subprocess.run(["groupdel", name], capture_output=True)
        shutil.rmtree(dest, ignore_errors=True)


def add_phone(s):
    """Logs in with the first login through the installed site and adds a phone; returns its file's path once the
    daemon (running as the unit's user) has written it."""
    c = Client(s.https_port, tls=True)
    assert c.login(*s.admin).status == 303
    r = c.post("/phones", {"_csrf": c.csrf(), "extension": "201", "name": "Caja", "model": "yealink-t46u", "mac": MAC})
    assert r.status == 303, r.body
    path = s.at("/var/lib/centralita/provisioning/" + PROV_FILE)
    for _ in range(200):
        if os.path.exists(path):
            return path
        time.sleep(0.05)
    raise AssertionError("no provisioning file: " + open(os.path.join(s.dest, "daemon.log")).read())


def test_the_units_user_and_groups_fit_the_installed_layout(installed):
    """The README's layout and the unit's identity: the daemon reads its root:centralita 0640 configuration,
    writes its database; nginx's workers (www-data) reach the socket and read the phones' files, and nothing
    else; other users reach none of it."""
    s = installed
    daemon, www, nobody = s.daemon_ids, user_identity("www-data"), user_identity("nobody")
    conf = s.at(CONF)
    st = os.stat(conf)
    assert (st.st_uid, grp.getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode)) == (0, s.name, 0o640)
    # The daemon as the unit runs it (the ExecStartPre= migrate and the ExecStart= serve above ran so too).
    assert can(daemon, "-r", conf), "the unit's groups do not include the configuration's group"
    db = s.at("/var/lib/centralita/centralita.db")
    assert can(daemon, "-w", os.path.dirname(db)) and can(daemon, "-w", db)
    # Every path the daemon writes is one the unit lets it write (ProtectSystem=strict).
    writable = (["/run/" + d for d in " ".join(s.unit["RuntimeDirectory"]).split()] +
                ["/var/lib/" + d for d in " ".join(s.unit["StateDirectory"]).split()] +
                " ".join(s.unit.get("ReadWritePaths", [])).split())
    for section, key in (("web", "socket"), ("database", "path"), ("provisioning", "dir")):
        value = re.search(rf"^\[{section}\].*?^{key} = (\S+)", s.sample, re.S | re.M).group(1)
        assert any(value == w or value.startswith(w + "/") for w in writable), (key, value, writable)
    # The socket: www-data connects (so nginx's workers do), nobody else.
    st = os.stat(s.socket)
    assert stat.S_ISSOCK(st.st_mode) and grp.getgrgid(st.st_gid).gr_name == "www-data"
    assert can_connect(www, s.socket) and not can_connect(nobody, s.socket)
    # The database and the configuration (the AMI secret) stay away from www-data.
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    assert not can(www, "-r", conf) and not can(www, "-r", db) and not can(nobody, "-r", conf)

    # A phone saved through the site: the daemon writes its file, www-data (only) can read it.
    path = add_phone(s)
    st = os.stat(path)
    assert (pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode)) == \
        (s.name, "www-data", 0o640)
    assert can(www, "-r", path) and not can(nobody, "-r", path)
    assert not can(nobody, "-r", s.htpasswd) and can(www, "-r", s.htpasswd)
    status, _, body = fetch(s.https_port, "/provisioning/" + PROV_FILE, basic(PROV_USER, PROV_PASSWORD))
    assert status == 200 and "account.1.auth_name = 201" in body, body


def test_the_installed_site_guards_provisioning(installed):
    """[provisioning] password and allow as centralita-nginx writes them into the installed site, on HTTPS and (url
    http://) plain HTTP for the allowed networks only; everything else on port 80 redirects; a client fetching
    faster than the rate is refused with 429, and each refusal is logged."""
    s = installed
    if not os.path.exists(s.at("/var/lib/centralita/provisioning/" + PROV_FILE)):
        add_phone(s)
    path = "/provisioning/" + PROV_FILE
    good, wrong = basic(PROV_USER, PROV_PASSWORD), basic(PROV_USER, "not-the-password")
    for tls, port in ((True, s.https_port), (False, s.http_port)):
        assert fetch(port, path, tls=tls)[0] == 401
        assert fetch(port, path, wrong, tls=tls)[0] == 401
        status, headers, body = fetch(port, path, good, tls=tls)
        assert status == 200 and "account.1.auth_name = 201" in body, (tls, status, body)
        assert headers.get("Cache-Control") == "no-store"
        assert fetch(port, path, good, tls=tls, source="127.0.0.2")[0] == 403   # not in [provisioning] allow
        assert fetch(port, "/provisioning/", good, tls=tls)[0] in (403, 404)  # no listing
    status, headers, _ = fetch(s.http_port, "/login", tls=False)
    assert status == 301 and headers["Location"].startswith("https://")
    # The password file holds a hash, not the password.
    assert PROV_PASSWORD not in open(s.htpasswd).read()

    # Guessing MACs: past the burst, refused at once with 429; each refusal in the logs.
    statuses = [fetch(s.https_port, f"/provisioning/001565{i:06x}.cfg", good)[0] for i in range(40)]
    assert statuses.count(429) >= 10 and set(statuses) <= {404, 429}, statuses
    log_dir = s.at("/var/log/nginx")
    for _ in range(100):  # nginx logs a request after answering it
        access = open(os.path.join(log_dir, "centralita-provisioning.log")).read()
        if access.count('" 429 ') >= statuses.count(429):
            break
        time.sleep(0.02)
    assert access.count('" 429 ') == statuses.count(429)
    errors = open(os.path.join(log_dir, "centralita-provisioning.error.log")).read()
    assert errors.count("limiting requests") == statuses.count(429)
    assert "password mismatch" in errors and "access forbidden by rule" in errors


def test_the_daemon_stops_cleanly(installed):
    s = installed
    s.daemon.send_signal(signal.SIGTERM)
    assert s.daemon.wait(timeout=15) == 0
