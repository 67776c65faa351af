#!/usr/bin/env bash
# Runs unit test binaries (Debian check), each in the repository root, two at a time (several of them spend their
# time waiting on sockets and timeouts, not on a core), and fails if any fails. Each binary's output is printed
# in one piece once it ends, so two never interleave.
set -u
cd "$(dirname "$0")/.."

run_one() {
  local out rc
  out=$(CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60} "$1" 2>&1)
  rc=$?
  printf '== %s\n%s\n' "$1" "$out"
  [ $rc -eq 0 ] || printf 'FAILED: %s\n' "$1"
  return $rc
}
export -f run_one

# xargs exits 123 when any run failed.
printf '%s\n' "$@" | xargs -P "${UNIT_JOBS:-2}" -I{} bash -c 'run_one "$1"' _ {}
