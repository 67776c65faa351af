"""make install: what lands where, and that the shipped nginx site and sample configuration are valid."""
import os
import subprocess
import tempfile

from harness import ROOT


def test_install_layout_and_nginx_site_is_valid():
    with tempfile.TemporaryDirectory() as dest:
        subprocess.run([os.path.join(ROOT, "scripts", "install.sh"), dest, "/usr/local"], check=True,
                       capture_output=True)
        binary = os.path.join(dest, "usr/local/bin/centralita")
        assert os.access(binary, os.X_OK)
        for rel in ("usr/local/share/centralita/templates/home.cs", "usr/local/share/centralita/templates/lang/es.hdf",
                    "usr/local/share/centralita/static/style.css", "etc/centralita/centralita.conf.sample",
                    "lib/systemd/system/centralita.service", "etc/nginx/sites-available/centralita"):
            assert os.path.isfile(os.path.join(dest, rel)), rel
        unit = open(os.path.join(dest, "lib/systemd/system/centralita.service")).read()
        assert "ExecStart=/usr/local/bin/centralita -c /etc/centralita/centralita.conf serve" in unit
        assert "@PREFIX@" not in unit
        sample = os.path.join(dest, "etc/centralita/centralita.conf.sample")
        r = subprocess.run([binary, "-c", sample, "check-config"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr

        # nginx -t on the site as shipped, with a throwaway certificate in place of the placeholder paths.
        site = open(os.path.join(dest, "etc/nginx/sites-available/centralita")).read()
        assert "server unix:/run/centralita/centralita.sock;" in site and "fastcgi_keep_conn on;" in site
        assert "alias /usr/local/share/centralita/static/;" in site
        cert, key = os.path.join(dest, "c.pem"), os.path.join(dest, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=t", "-keyout", key, "-out", cert], check=True, capture_output=True)
        site = site.replace("/etc/ssl/certs/centralita.crt", cert).replace("/etc/ssl/private/centralita.key", key)
        with open(os.path.join(dest, "site.conf"), "w") as f:
            f.write(site)
        with open(os.path.join(dest, "nginx.conf"), "w") as f:
            f.write(f"pid {dest}/nginx.pid;\nevents {{}}\nhttp {{\n include /etc/nginx/mime.types;\n"
                    f" client_body_temp_path {dest}/b;\n include {dest}/site.conf;\n}}\n")
        r = subprocess.run(["nginx", "-t", "-p", dest, "-c", os.path.join(dest, "nginx.conf"), "-e",
                            os.path.join(dest, "error.log")], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
