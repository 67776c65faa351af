#!/usr/bin/env bash
# make bench: runs every bench/bench_*.py; each prints its figures as ratios against a baseline measured
# in the same run (the machines are noisy). Not part of make test: no speed is ever asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
for b in bench/bench_*.py; do
  echo "=== $b"
  /usr/bin/python3 "$b" "$@"
done
