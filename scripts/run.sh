#!/usr/bin/env bash
# make run: start the FastCGI daemon and an nginx in front of it, in the foreground; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
port=${1:-8080}
conf=${2:-}
var=$root/var

mkdir -p "$var/run" "$var/log" "$var/provisioning" "$var/nginx"
chmod 755 "$var" "$var/run"
if [ -z "$conf" ]; then
  conf=$var/centralita.conf
  if [ ! -f "$conf" ]; then
    provpass=$(openssl rand -hex 12)
    # [provisioning] server is what phones register with: this machine's first IPv4 address, as a phone on
    # its network would reach it (127.0.0.1 only when it has none: a phone told that would call itself).
    sipserver=$(hostname -I 2>/dev/null | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) { print $i; exit }}')
    sipserver=${sipserver:-127.0.0.1}
    sed -e "s|@VAR@|$var|g" -e "s|@ROOT@|$root|g" -e "s|@PROVPASS@|$provpass|g" -e "s|@SIPSERVER@|$sipserver|g" \
      etc/centralita.dev.conf.in > "$conf"
    chmod 0600 "$conf"
    echo "wrote $conf"
  fi
fi

# TESTPBX=1: no Asterisk at hand? Talk to the test PBX from tests/pbx (a stand-in that speaks AMI like
# Asterisk 22 and keeps its config files in var/testpbx/asterisk), over TLS with a pinned certificate.
pbx=""
if [ "${TESTPBX:-}" = 1 ]; then
  tp=$var/testpbx
  mkdir -p "$tp/asterisk"
  # The integrator's one-time set-up (README): Centralita's folder, included from pjsip.conf and extensions.conf.
  mkdir -p "$tp/asterisk/centralita"
  [ -f "$tp/asterisk/pjsip.conf" ] || printf '[transport-udp]\ntype = transport\nprotocol = udp\nbind = 0.0.0.0\n\n#tryinclude centralita/pjsip-*.conf\n' > "$tp/asterisk/pjsip.conf"
  [ -f "$tp/asterisk/extensions.conf" ] || printf '[general]\nstatic = yes\n\n[internal]\n\n#tryinclude centralita/dialplan-*.conf\n' > "$tp/asterisk/extensions.conf"
  if [ ! -f "$tp/cert.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost -keyout "$tp/key.pem" \
      -out "$tp/cert.pem" 2>/dev/null
    printf '[centralita]\nsecret = %s\nread = system,call,cdr,reporting\nwrite = config,system\n' \
      "$(openssl rand -hex 16)" > "$tp/manager.conf"
  fi
  coproc PBX { exec python3 tests/pbx/testpbx.py --dir "$tp/asterisk" --users "$tp/manager.conf" --tls-port 0 \
    --cert "$tp/cert.pem" --key "$tp/key.pem"; }
  pbx=$PBX_PID
  read -r ready <&"${PBX[0]}"
  tls_port=$(echo "$ready" | sed -n 's/.*tls_port=\([0-9]*\).*/\1/p')
  fingerprint=$(openssl x509 -in "$tp/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)
  secret=$(sed -n 's/^secret = //p' "$tp/manager.conf")
  # Later keys win: the [ami] section appended here points the daemon at the test PBX.
  { cat "$conf"; printf '\n[ami]\nhost = 127.0.0.1\nport = %s\ntls = yes\nfingerprint = %s\nusername = centralita\nsecret = %s\n' \
      "$tls_port" "$fingerprint" "$secret"; } > "$tp/centralita.conf"
  chmod 0600 "$tp/centralita.conf"
  conf=$tp/centralita.conf
  echo "test PBX on 127.0.0.1:$tls_port (TLS); its files: $tp/asterisk"
fi

bin=$root/build/centralita
"$bin" -c "$conf" check-config >/dev/null
socket=$("$bin" -c "$conf" config-get web socket)
prov=$("$bin" -c "$conf" config-get provisioning dir)
mkdir -p "$(dirname "$socket")" "$prov"
# Provisioning files are written 0640; the directory's group (setgid) lets nginx's workers read them.
chgrp nogroup "$prov" 2>/dev/null && chmod 2750 "$prov" || true

"$bin" -c "$conf" migrate >/dev/null
"$bin" -c "$conf" firstuser

scripts/nginx-conf.sh "$port" "$conf" "$var/nginx" > "$var/nginx/nginx.conf"

"$bin" -c "$conf" serve 2> >(tee -a "$var/log/centralita.log" >&2) &
daemon=$!
for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
nginx -p "$var/nginx" -c nginx.conf -e "$var/nginx/logs/error.log" &
web=$!

stop() {
  trap - INT TERM
  kill -QUIT "$web" 2>/dev/null || true
  kill -TERM "$daemon" 2>/dev/null || true
  [ -z "$pbx" ] || kill -TERM "$pbx" 2>/dev/null || true
  wait "$web" "$daemon" 2>/dev/null || true
  echo "stopped"
  exit 0
}
trap stop INT TERM
sleep 0.3
if ! kill -0 "$web" 2>/dev/null || ! kill -0 "$daemon" 2>/dev/null; then
  echo "start-up failed; see $var/log/centralita.log and $var/nginx/logs/error.log" >&2
  stop
fi
echo "Centralita is running: http://127.0.0.1:$port/   (Ctrl-C stops it)"
wait -n "$web" "$daemon" || true
stop
