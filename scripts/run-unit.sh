#!/usr/bin/env bash
# Runs unit test binaries (Debian check), each in the repository root, and fails if any fails.
set -u
cd "$(dirname "$0")/.."
fail=0
for t in "$@"; do
  echo "== $t"
  CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60} "$t" || { echo "FAILED: $t"; fail=1; }
done
exit $fail
