#!/usr/bin/env bash
# make acceptance: Centralita against a REAL Asterisk 22 (issue 7). Opt-in: not part of `make test` or CI,
# which cannot build Asterisk. Usage: scripts/acceptance.sh [all|test|bench]   (all = tests, then the benchmarks)
#   ASTERISK_PREFIX  the Asterisk built by the shared tools' build.sh (default /opt/asterisk)
#   ASTERISK_TOOLS   the shared tools (build.sh, config.sh, ctl.sh); default ../shared/tools/asterisk from the
#                    repository if it exists, else /work/shared/tools/asterisk
#   PYTEST_ARGS      extra pytest arguments, e.g. PYTEST_ARGS='-k register'
# Prints one summary at the end; exits non-zero if a test failed (the benchmark never fails the run).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
what=${1:-all}
case $what in all|test|bench) ;; *) echo "usage: $0 [all|test|bench]" >&2; exit 2 ;; esac

PREFIX=${ASTERISK_PREFIX:-/opt/asterisk}
if [ -z "${ASTERISK_TOOLS:-}" ]; then
  if [ -d ../shared/tools/asterisk ]; then ASTERISK_TOOLS=$(cd ../shared/tools/asterisk && pwd)
  else ASTERISK_TOOLS=/work/shared/tools/asterisk; fi
fi
TOOLS=$ASTERISK_TOOLS
export ASTERISK_PREFIX=$PREFIX ASTERISK_TOOLS=$TOOLS

problems=""
[ -x "$PREFIX/sbin/asterisk" ] || problems="$problems
  - no Asterisk in $PREFIX ($PREFIX/sbin/asterisk is missing)"
for f in build.sh config.sh ctl.sh; do
  [ -x "$TOOLS/$f" ] || problems="$problems
  - no $TOOLS/$f (the shared Asterisk tools)"
done
if [ -n "$problems" ]; then
  cat >&2 <<EOF
make acceptance runs Centralita against a real Asterisk 22.10.1, and none is configured:$problems

It needs:
  1. the shared tools in ASTERISK_TOOLS (now: $TOOLS): build.sh, config.sh, ctl.sh
     (../shared/tools/asterisk next to this repository; see its README.md);
  2. Asterisk 22.10.1 built by them into ASTERISK_PREFIX (now: $PREFIX). Get git copies of the public
     repositories asterisk/asterisk and pjsip/pjproject (a bare git directory each is enough), then, as root
     (about 13 minutes on 2 cores; Debian packages only):
       $TOOLS/build.sh ASTERISK_GIT_DIR PJPROJECT_GIT_DIR $PREFIX
     and check it with: $PREFIX/sbin/asterisk -V
Then run make acceptance again (ASTERISK_PREFIX=... and ASTERISK_TOOLS=... to use other places).
EOF
  exit 1
fi

# What the tests need, as scripts/deps.sh does it: the build and nginx, then sipp (Debian sip-tester) and pytest.
scripts/deps.sh run || exit 1
missing=""
for p in sip-tester python3-pytest; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages:$missing (run as root, or install them)" >&2
    exit 1
  fi
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null || exit 1
fi

echo "=== build"
make -s all || { echo "make acceptance: the build failed" >&2; exit 1; }
make -s build/bench/ami_bench || { echo "make acceptance: build/bench/ami_bench failed to build" >&2; exit 1; }

PY=/usr/bin/python3
OUT=$ROOT/tests/out/acceptance
mkdir -p "$OUT"
version=$("$PREFIX/sbin/asterisk" -V 2>/dev/null)

# A run killed half-way leaves its Centralita daemons (and their nginx) behind, still connected to this Asterisk
# and restoring their own phones into it after every reset: stop them first. Only those whose configuration
# logs in to this Asterisk (its acceptance manager user): a `make test` running meanwhile has daemons of its own
# under the same /tmp names, talking to the test PBX, and must be left alone.
stale=""
for pid in $(pgrep -f "build/centralita -c /tmp/centralita-test-[^ ]*/centralita.conf serve"); do
  conf=$(tr '\0' '\n' < /proc/$pid/cmdline 2>/dev/null | grep -m1 '^/tmp/centralita-test-.*/centralita.conf$')
  if [ -n "$conf" ] && grep -q "acceptance-ami-secret" "$conf" 2>/dev/null; then
    stale="$stale $pid"
    pkill -f "nginx -p $(dirname "$conf")" 2>/dev/null
  fi
done
if [ -n "$stale" ]; then
  echo "stopping Centralita daemons left by an earlier run:$stale"
  kill $stale 2>/dev/null
  sleep 1
fi

echo "=== setup: $PREFIX/etc/asterisk.pristine (tests/acceptance/setup_asterisk.py), ctl.sh reset"
"$PY" tests/acceptance/setup_asterisk.py "$PREFIX" "$TOOLS" || { echo "make acceptance: setup failed" >&2; exit 1; }

test_rc=0
test_line="not run"
t0=$(date +%s)
if [ "$what" != bench ]; then
  echo "=== tests: tests/acceptance against $version"
  # shellcheck disable=SC2086
  ACCEPTANCE_SETUP_DONE=1 "$PY" -m pytest tests/acceptance -p no:cacheprovider -rfEsxX ${PYTEST_ARGS:-} 2>&1 \
    | tee "$OUT/tests.log"
  test_rc=${PIPESTATUS[0]}
  test_line=$(grep -E '^=+ .*(passed|failed|error|xfailed|skipped|no tests ran).* in [0-9.]+s' "$OUT/tests.log" \
              | tail -1 | sed -E 's/^=+ //; s/ =+$//')
  [ -n "$test_line" ] || test_line="pytest exited with status $test_rc (see $OUT/tests.log)"
fi
t1=$(date +%s)

bench_rc=0
if [ "$what" != test ]; then
  echo "=== benchmark: bench/acceptance_bench.py"
  ACCEPTANCE_BENCH_SUMMARY=$OUT/bench-summary.txt "$PY" bench/acceptance_bench.py 2>&1 | tee "$OUT/bench.log"
  bench_rc=${PIPESTATUS[0]}
  # Issue 13's goals (save and live with 10 vs ~1,000 phones, CSV import vs one by one, the 5,000-row dry run):
  # its figures are appended to the same summary.
  echo "=== benchmark: bench/import_bench.py"
  ACCEPTANCE_BENCH_SUMMARY=$OUT/bench-summary.txt "$PY" bench/import_bench.py 2>&1 | tee "$OUT/import-bench.log"
else
  # Leave it pristine. Without the descriptors this script inherited (3-9): Asterisk keeps whatever it is given
  # open, and a `flock FILE make acceptance` around this script would stay locked for as long as Asterisk runs.
  "$TOOLS/ctl.sh" "$PREFIX" reset >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
fi
t2=$(date +%s)

echo
echo "==================== make acceptance: summary ===================="
echo "Asterisk: $version in $PREFIX (AMI over TLS 127.0.0.1:5039, certificate pinned, MD5 login as 'centralita')"
if [ "$what" != bench ]; then
  echo "tests ($((t1 - t0)) s): $test_line"
  grep -E '^(FAILED|ERROR|XFAIL|XPASS) ' "$OUT/tests.log" | sed 's/^/  /'
  sed -n '/=* observed on the real Asterisk =*/,/^=/p' "$OUT/tests.log" | grep -vE '^=|^[[:space:]]*$' | sed 's/^ */  - /'
  sed -n '/saves through the web interface/,/healthy Asterisk/p' "$OUT/tests.log" | grep -E 'healthy Asterisk' \
    | sed 's/^ */  saves: /'
  echo "  full output: $OUT/tests.log"
fi
if [ "$what" != test ]; then
  echo "benchmark ($((t2 - t1)) s):"
  if [ -s "$OUT/bench-summary.txt" ]; then sed 's/^/  /' "$OUT/bench-summary.txt"
  else echo "  failed (exit $bench_rc): see $OUT/bench.log"; fi
fi
echo "Asterisk left reset to its pristine configuration (running)."
exit "$test_rc"
