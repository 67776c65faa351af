#!/usr/bin/env bash
# Installs the Debian packages (and npm modules) a target needs; a no-op when all are present.
# Usage: scripts/deps.sh run|test|bench
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs="make gcc pkg-config libfcgi-dev clearsilver-dev libssl-dev libsqlite3-dev zlib1g-dev"
run_pkgs="$build_pkgs nginx openssl"
test_pkgs="$run_pkgs check libxml2-utils python3 python3-pytest sqlite3 clang libclang-rt-14-dev valgrind chromium nodejs npm curl"
bench_pkgs="$run_pkgs wrk python3 curl"

case "${1:-run}" in
  run) want=$run_pkgs ;;
  test) want=$test_pkgs ;;
  bench) want=$bench_pkgs ;;
  *) echo "usage: $0 run|test|bench" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
  # Some tools (node, npm) may come from outside Debian on a developer machine: accept those too.
  case $p in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages:$missing (run as root, or install them)" >&2
    exit 1
  fi
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ "${1:-run}" = test ] && [ ! -d tests/browser/node_modules/playwright-core ]; then
  echo "installing npm playwright-core (tests/browser)"
  (cd tests/browser && npm install --no-audit --no-fund --silent >/dev/null)
fi
