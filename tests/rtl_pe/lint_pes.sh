#!/bin/sh
# Lints every PE configuration of rtl_pe::lint_specs() (and the primitives)
# with verilator --lint-only -Wall (zero warnings), iverilog -g2005 and yosys
# read_verilog; a few small PEs also go through yosys synth.
#   lint_pes.sh PE_TESTGEN WORKDIR
set -eu
gen=$1
dir=$2
rm -rf "$dir"
"$gen" lint "$dir/pes"
"$gen" mul "$dir/mul"
fail=0
cd "$dir/pes"
mods=$(cut -d' ' -f1 list.txt)
# A multi-format PE has a multiplier file per front half (<m>_h0_mul.v,
# <m>_h1_mul.v), or none where the lanes are fused into the adder tree.
files_of() {
  files="$1.v ${1}_fadd.v mf_lzc.v"
  for f in ${1}_mul.v ${1}_h0_mul.v ${1}_h1_mul.v; do [ ! -f "$f" ] || files="$f $files"; done
  echo "$files"
}
lint_one() {
  m=$1
  out=$(verilator --lint-only -Wall -y . "$m.v" --top-module "$m" 2>&1) || { echo "verilator: $m"; echo "$out"; return 1; }
  [ -z "$out" ] || { echo "verilator: $m"; echo "$out"; return 1; }
  iverilog -g2005 -o /dev/null -y . "$m.v" -s "$m" 2>&1 || { echo "iverilog: $m"; return 1; }
  yosys -q -p "read_verilog $(files_of "$m"); hierarchy -check -top $m; proc; opt_clean" \
    >/dev/null 2>yosys_$m.err || { echo "yosys: $m"; cat yosys_$m.err; return 1; }
  return 0
}
n=0
for m in $mods; do
  lint_one "$m" || fail=1
  n=$((n + 1))
done
# Full synthesis of a few small configurations (1 lane, each element family;
# multi-format 1-lane PEs of int-scheme1, int-scheme2 and fp-shared).
for m in lint0 lint45 lint63 lint64 $(grep -E "lanes=1 .*reuse (int-scheme1|int-scheme2|fp-shared)" list.txt |
    grep -E "^[^ ]+ (int8 int8 .* int4 int4|fp8_e4m3 fp8_e4m3 .* fp4_e2m1 fp4_e2m1) " | grep "pipeline=0 " | cut -d' ' -f1); do
  yosys -q -p "read_verilog $(files_of "$m"); synth -top $m" >/dev/null 2>synth_$m.err ||
    { echo "yosys synth: $m"; cat synth_$m.err; fail=1; }
done
cd "../mul"
out=$(verilator --lint-only -Wall mf_fp32_mul.v mf_lzc.v --top-module mf_fp32_mul 2>&1) || { echo "$out"; fail=1; }
[ -z "$out" ] || { echo "$out"; fail=1; }
iverilog -g2005 -o /dev/null mf_fp32_mul.v mf_lzc.v || fail=1
yosys -q -p "read_verilog mf_fp32_mul.v mf_lzc.v; synth -top mf_fp32_mul" >/dev/null || fail=1
echo "linted $n PE configurations (verilator -Wall, iverilog -g2005, yosys) and mf_fp32_mul: $([ $fail = 0 ] && echo clean || echo FAILED)"
exit $fail
