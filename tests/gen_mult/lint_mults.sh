#!/bin/sh
# verilator --lint-only -Wall (zero output) of every module mult_testgen wrote.
#   lint_mults.sh DIR
set -eu
cd "$1"
fail=0
n=0
for f in $(cat files.txt); do
  m=${f%.v}
  out=$(verilator --lint-only -Wall "$f" --top-module "$m" 2>&1) || fail=1
  [ -z "$out" ] || { echo "$m: $out"; fail=1; }
  n=$((n + 1))
done
echo "linted $n generated multiplier modules: $([ $fail = 0 ] && echo clean || echo FAILED)"
exit $fail
