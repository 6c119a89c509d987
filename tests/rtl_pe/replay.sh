#!/bin/sh
# 4-state check: records a short run of a verilated suite (2-state, checked
# against the reference) and replays it through iverilog, where an X or Z on a
# valid output (an unreset register, an undriven bit) fails.
#   replay.sh PE_TESTGEN SUITE_EXE SUITE SUITE_RTL_DIR WORKDIR CYCLES
set -eu
gen=$1; exe=$2; suite=$3; rtl=$4; dir=$5; cycles=$6
mkdir -p "$dir"
"$exe" "$suite" --cycles "$cycles" --record "$dir/vectors.txt" > "$dir/verilator.txt"
"$gen" replay "$suite" "$dir/xtb.v" "$dir/vectors.txt"
iverilog -g2005 -o "$dir/xsim" "$dir/xtb.v" "$rtl/tb.v" "$rtl/pes.v" "$rtl/mf_lzc.v"
vvp -n "$dir/xsim" | tee "$dir/iverilog.txt"
grep -q "REPLAY PASS" "$dir/iverilog.txt"
