#!/usr/bin/env bash
# centralita-nginx: writes the nginx files that serve /provisioning/ from Centralita's configuration, so the
# installed site and `make run`'s apply the same rules:
#   http.conf                  limit_req_zone: a rate limit per client address (http level)
#   provisioning.conf          location /provisioning/: alias [provisioning] dir, the rate limit, the allow list
#                              ([provisioning] allow), HTTP basic auth ([provisioning] user and password), and
#                              its own access and error logs (every refusal: 401, 403, 429, with its reason)
#   provisioning-http.conf     for the port-80 server: the same location when [provisioning] url is http://...
#                              (plain HTTP for phones on the allowed networks only), else nothing
#   provisioning.htpasswd      the user and a SHA-512 crypt hash of the password
# Installed by `make install` as PREFIX/sbin/centralita-nginx. Run it again after changing [provisioning],
# then `nginx -t && systemctl reload nginx`.
#
# Usage: centralita-nginx [-c CONF] [-o DIR] [--log-dir DIR] [--rate RATE] [--burst N] [--group GROUP]
#                         [--http auto|off] [-q]
#   -c CONF       Centralita's configuration (default /etc/centralita/centralita.conf)
#   -o DIR        where the files go (default /etc/nginx/centralita; the site includes them from there)
#   --log-dir     where nginx writes centralita-provisioning{,.error}.log (default /var/log/nginx)
#   --rate        fetches per second or minute per client address, nginx syntax (default 30r/m)
#   --burst       fetches above the rate allowed at once, enough for a phone's start-up (default 20)
#   --group       the password file's group, mode 0640 (default www-data, nginx's workers); '' for 0644
#   --http off    never write the port-80 location (make run, whose only server is the one it tests)
#   -q            say nothing when all went well
# The binary that reads the configuration: $CENTRALITA_BIN, else the installed one, else ./build/centralita.
set -euo pipefail

conf=/etc/centralita/centralita.conf
out=/etc/nginx/centralita
log_dir=/var/log/nginx
rate=30r/m
burst=20
group=www-data
http=auto
quiet=no
usage() { sed -n '/^# Usage:/,/^# The binary/p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    -c) conf=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    --log-dir) log_dir=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --burst) burst=$2; shift 2 ;;
    --group) group=$2; shift 2 ;;
    --http) http=$2; shift 2 ;;
    -q) quiet=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

die() { echo "centralita-nginx: $*" >&2; exit 1; }
installed=@BIN@   # make install writes the installed binary's path here
case ${CENTRALITA_BIN:-$installed} in
  @*) bin=$(cd "$(dirname "$0")/.." && pwd)/build/centralita ;;   # run from a checkout
  *) bin=${CENTRALITA_BIN:-$installed} ;;
esac
"$bin" -c "$conf" check-config >/dev/null || die "$conf: fix the configuration first"
get() { "$bin" -c "$conf" config-get "$1" "$2"; }

# Every value goes into nginx's configuration: anything that could end a directive or start a variable
# is refused rather than quoted.
safe_path='^/[A-Za-z0-9._/+@-]*$'
dir=$(get provisioning dir)
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac   # relative to where the daemon starts, as the daemon reads it
[[ $dir =~ $safe_path ]] || die "[provisioning] dir: '$dir': only letters, digits and ._/+@- in nginx's alias"
[[ $out =~ $safe_path && $log_dir =~ $safe_path ]] ||
  die "-o and --log-dir: absolute paths of letters, digits and ._/+@-"
[[ $rate =~ ^[1-9][0-9]*r/[sm]$ ]] || die "--rate: a number of requests per second or minute, like 30r/m"
[[ $burst =~ ^[0-9]+$ ]] || die "--burst: a number"
[[ $http == auto || $http == off ]] || die "--http: auto or off"
user=$(get provisioning user)
password=$(get provisioning password)
[ -z "$password" ] || [[ $user =~ ^[A-Za-z0-9._@-]+$ ]] ||
  die "[provisioning] user: '$user': letters, digits and ._@- only (a phone's HTTP user name)"
allow=""
read -r -a nets <<< "$(get provisioning allow | tr ',' ' ')"
for net in "${nets[@]}"; do
  [[ $net =~ ^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$ ]] || die "[provisioning] allow: '$net' is not an address or network"
  allow="$allow    allow $net;
"
done
url=$(get provisioning url)
plain_http=no
if [ "$http" = auto ] && [[ ${url,,} == http://* ]]; then
  [ -n "$allow" ] || die "[provisioning] url is http://, so phones would fetch their SIP passwords in clear:
  list the phones' networks in [provisioning] allow (only they may use plain HTTP), or use https://"
  plain_http=yes
fi

mkdir -p "$out" "$log_dir"
# Each file is written beside its final name and renamed over it: nginx never reads half a file.
put() { # NAME MODE: standard input into $out/NAME
  local tmp
  tmp=$(mktemp "$out/.$1.XXXXXX")
  cat > "$tmp"
  chmod "$2" "$tmp"
  if [ "$2" = 0640 ] && ! chgrp "$group" "$tmp"; then rm -f "$tmp"; die "no group '$group' (--group)"; fi
  mv -f "$tmp" "$out/$1"
}

if [ -n "$password" ]; then
  mode=0644
  [ -z "$group" ] || mode=0640
  hash=$(printf '%s' "$password" | openssl passwd -6 -stdin)
  printf '%s:%s\n' "$user" "$hash" | put provisioning.htpasswd $mode
  access="auth_basic \"Centralita provisioning\";
    auth_basic_user_file $out/provisioning.htpasswd;"
else
  rm -f "$out/provisioning.htpasswd"
  access="return 403;   # no [provisioning] password: nothing is served"
fi
[ -z "$allow" ] || allow="$allow    deny all;
"

header="# Written by centralita-nginx from $conf: change [provisioning] there and run it again."

put http.conf 0644 <<EOF
$header
# Provisioning fetches per client address: enough for phones starting up, slow for anyone guessing MACs.
limit_req_zone \$binary_remote_addr zone=centralita_provisioning:1m rate=$rate;
EOF

put provisioning.conf 0644 <<EOF
$header
# MAC-named phone files hold SIP passwords: the allowed networks only, HTTP basic auth, a rate limit per
# address. Every fetch is in centralita-provisioning.log (401, 403, 404 and 429 are refusals); the reason
# of each refusal ("limiting requests", "password mismatch", "access forbidden by rule") in the .error.log.
location /provisioning/ {
    alias $dir/;
    access_log $log_dir/centralita-provisioning.log;
    error_log $log_dir/centralita-provisioning.error.log error;
    limit_req zone=centralita_provisioning burst=$burst nodelay;
    limit_req_status 429;
    limit_req_log_level error;
$allow    $access
    autoindex off;
    default_type text/plain;
    types { application/xml xml; text/plain cfg; }
    add_header X-Content-Type-Options nosniff always;
    add_header Cache-Control no-store always;
}
EOF

if [ "$plain_http" = yes ]; then
  put provisioning-http.conf 0644 <<EOF
$header
# [provisioning] url is http://: phones on the allowed networks fetch over plain HTTP, with the same rules.
include $out/provisioning.conf;
EOF
else
  put provisioning-http.conf 0644 <<EOF
$header
# [provisioning] url is not http://: on port 80, /provisioning/ redirects to HTTPS like everything else.
EOF
fi
written="http.conf, provisioning.conf, provisioning-http.conf"
[ -z "$password" ] || written="$written, provisioning.htpasswd"
[ "$quiet" = yes ] || echo "centralita-nginx: wrote $written in $out; now: nginx -t && systemctl reload nginx" >&2
