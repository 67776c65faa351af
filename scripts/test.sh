#!/usr/bin/env bash
# make test: every test, in order of speed. Each stage's output goes to the terminal and to
# tests/out/test.log; the last line counts the individual tests that passed and failed.
# Usage: scripts/test.sh [unit|asan|valgrind|fuzz|pbx|integration|browser]...   (default: all)
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p tests/out
log=tests/out/test.log
: > "$log"
stages=${*:-unit asan valgrind fuzz pbx integration sanitized browser}
failed_stages=""
PY=/usr/bin/python3

run_stage() {
  local name=$1; shift
  local t0=$SECONDS
  echo "=== $name: $*" | tee -a "$log"
  if "$@" 2>&1 | tee -a "$log"; then
    echo "=== $name: ok ($((SECONDS - t0)) s)" | tee -a "$log"
  else
    echo "=== $name: FAILED ($((SECONDS - t0)) s)" | tee -a "$log"
    failed_stages="$failed_stages $name"
  fi
}

# One unit test binary under valgrind; its output printed in one piece (two run at once).
valgrind_one() {
  local out rc
  out=$(CENTRALITA_TEST_QUICK=1 CK_FORK=no valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
        --error-exitcode=99 --suppressions=tests/valgrind.supp "$1" 2>&1)
  rc=$?
  printf '== valgrind %s\n%s\n' "$1" "$out"
  return $rc
}
export -f valgrind_one

# Two at a time: each is one CPU-bound process (valgrind runs a program's threads on one core).
valgrind_units() {
  printf '%s\n' build/tests/test_* | xargs -P 2 -I{} bash -c 'valgrind_one "$1"' _ {}
}

make -s -j2 all unit >/dev/null || { echo "build failed"; make all unit; exit 1; }

# The sanitized stage's requests: the same as integration's, against the daemon built with AddressSanitizer +
# UBSan (built by the asan stage).
sanitized_stage() {
  make -s BUILDDIR=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" build/asan/centralita >/dev/null &&
  run_stage sanitized env CENTRALITA_BIN=build/asan/centralita $PY -m pytest -q -p no:cacheprovider \
    tests/integration/test_platform.py tests/integration/test_phones.py \
    tests/integration/test_ownership.py tests/integration/test_slow_pbx.py \
    tests/integration/test_routes_restore.py tests/integration/test_calls_ingest.py
}

# One integration test file, its output printed in one piece once it ends (two run at once, see below).
integration_one() {
  local out rc
  out=$($PY -m pytest -q -p no:cacheprovider "$1" 2>&1)
  rc=$?
  printf '== %s\n%s\n' "$1" "$out"
  return $rc
}
export -f integration_one
export PY

# The integration files, two at a time, the largest first: each lane takes the next file as it ends one, so
# the two stay even whatever the files weigh. (xargs exits non-zero if any file failed.)
integration_lanes() {
  wc -l tests/integration/test_*.py | grep -v ' total$' | sort -rn | awk '{ print $2 }' |
    xargs -P 2 -I{} bash -c 'integration_one "$1"' _ {}
}

# Runs stages at once, each "NAME command...", as one argument each; prints their outputs whole, in order, once
# all are done. Integration (in two lanes) and sanitized go this way: each spends most of its time waiting on its
# own daemons, nginx and test PBX (integration alone keeps 2 cores about a third busy); their own temporary
# directories and free ports keep them apart.
side_by_side() {
  local outs=() pids=() spec name
  for spec in "$@"; do
    local out
    out=$(mktemp)
    outs+=("$out")
    name=${spec#run_stage }; name=${name%% *}
    ( log=$out; eval "$spec" >/dev/null 2>&1 || echo "=== $name: FAILED (could not start)" >> "$out" ) &
    pids+=($!)
  done
  local i
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}"
    tee -a "$log" < "${outs[$i]}"
    while read -r name; do failed_stages="$failed_stages $name"; done \
      < <(sed -n 's/^=== \([a-z0-9_-]*\): FAILED.*/\1/p' "${outs[$i]}")
    rm -f "${outs[$i]}"
  done
}

side=""
case " $stages " in *" integration "*) case " $stages " in *" sanitized "*) side=sanitized ;; esac ;; esac

for stage in $stages; do
  case $stage in
    unit) run_stage unit make -s unit-run ;;
    asan) run_stage asan make -s -j2 asan-unit ;;
    valgrind) run_stage valgrind valgrind_units ;;
    fuzz) if grep -q '^fuzz-short:' mk/*.mk 2>/dev/null; then run_stage fuzz make -s -j2 fuzz-short; fi ;;
    pbx) if [ -d tests/pbx ] && ls tests/pbx/test_*.py >/dev/null 2>&1; then
           run_stage pbx $PY -m pytest -q -p no:cacheprovider tests/pbx; fi ;;
    integration) side_by_side "run_stage integration integration_lanes" ${side:+"sanitized_stage"} ;;
    sanitized) [ -n "$side" ] || sanitized_stage || failed_stages="$failed_stages sanitized" ;;
    browser) run_stage browser $PY -m pytest -q -p no:cacheprovider tests/browser ;;
    *) echo "unknown stage $stage"; exit 2 ;;
  esac
done

# Count individual tests: check prints "N%: Checks: C, Failures: F, Errors: E"; pytest "N passed, M failed".
passed=0 failed=0
while read -r c f e; do
  passed=$((passed + c - f - e)); failed=$((failed + f + e))
done < <(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$log")
while read -r line; do
  p=$(echo "$line" | sed -n 's/.*\b\([0-9][0-9]*\) passed.*/\1/p'); passed=$((passed + ${p:-0}))
  f=$(echo "$line" | sed -n 's/.*\b\([0-9][0-9]*\) failed.*/\1/p'); failed=$((failed + ${f:-0}))
  e=$(echo "$line" | sed -n 's/.*\b\([0-9][0-9]*\) error.*/\1/p'); failed=$((failed + ${e:-0}))
done < <(grep -E '^(=+ )?[0-9]+ (passed|failed)|^[0-9]+ (passed|failed)' "$log" | grep -E ' in [0-9.]+s')

if [ -n "$failed_stages" ]; then
  echo "FAILED stages:$failed_stages"
  [ "$failed" -gt 0 ] || failed=1
fi
echo "$passed passed, $failed failed"
[ -z "$failed_stages" ]
