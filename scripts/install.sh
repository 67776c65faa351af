#!/usr/bin/env bash
# make install: the binary, templates, static files, a sample configuration, a systemd unit, an nginx site
# and centralita-nginx (which writes the site's /provisioning/ files from the configuration).
# Usage: scripts/install.sh DESTDIR PREFIX   (DESTDIR may be empty)
set -euo pipefail
cd "$(dirname "$0")/.."
destdir=${1:-}
prefix=${2:-/usr/local}
share=$destdir$prefix/share/centralita

install -d "$destdir$prefix/bin" "$destdir$prefix/sbin" "$share" "$destdir/etc/centralita" "$destdir/lib/systemd/system" \
  "$destdir/etc/nginx/sites-available" "$destdir$prefix/share/doc/centralita"
install -m 0755 build/centralita "$destdir$prefix/bin/centralita"
sed "s|@BIN@|$prefix/bin/centralita|" scripts/centralita-nginx.sh > "$destdir$prefix/sbin/centralita-nginx"
chmod 0755 "$destdir$prefix/sbin/centralita-nginx"
for d in templates static provisioning; do
  rm -rf "${share:?}/$d"
  cp -R "$d" "$share/$d"
  find "$share/$d" -type d -exec chmod 0755 {} + ; find "$share/$d" -type f -exec chmod 0644 {} +
done
sed -e "s|/usr/local/share/centralita/|$prefix/share/centralita/|" \
  etc/centralita.conf.sample > "$destdir/etc/centralita/centralita.conf.sample"
chmod 0644 "$destdir/etc/centralita/centralita.conf.sample"
sed "s|@PREFIX@|$prefix|g" etc/centralita.service.in > "$destdir/lib/systemd/system/centralita.service"
sed "s|@PREFIX@|$prefix|g" etc/nginx-site.conf.in > "$destdir/etc/nginx/sites-available/centralita"
install -m 0644 README.md "$destdir$prefix/share/doc/centralita/README.md"
[ -f docs/ARCHITECTURE.md ] && install -m 0644 docs/ARCHITECTURE.md "$destdir$prefix/share/doc/centralita/"
echo "installed into ${destdir:-/}$prefix (see README: Deployment)"
