#!/usr/bin/env bash
# Runs one libFuzzer harness: run_fuzz.sh HARNESS NAME WORKDIR SECONDS SOURCE_DIR [LIBFUZZER_ARGS...]
# The seed corpus is assembled afresh from the repository's shipped files
# (configs, sweeps, layer CSVs, the Liberty library, a netlist Yosys makes of a
# tiny design, the format names of the numerics sources); the corpus the run
# grows stays in WORKDIR/corpus. A crash, leak, sanitizer report, timeout or
# failed check leaves WORKDIR/crash-* etc. and fails the test.
set -euo pipefail
exe=$1 name=$2 work=$3 secs=$4 src=$5
rm -rf "$work/seeds"
mkdir -p "$work/seeds" "$work/corpus"
seeds=$work/seeds
copy() { for f in "$@"; do [ -f "$f" ] && cp "$f" "$seeds/$(echo "$f" | sed "s|^$src/||; s|/|_|g")"; done; return 0; }
case "$name" in
  config) copy "$src"/configs/*.yaml "$src"/tests/rtl_array/configs/*.yaml ;;
  sweep) copy "$src"/configs/sweeps/*.yaml "$src"/tests/sweep/data/*.yaml ;;
  filter)
    # every where:/exclude: expression of the shipped sweeps, one per seed,
    # with a line of parameter values after it
    i=0
    grep -ho "\(where\|exclude\): .*" "$src"/configs/sweeps/*.yaml "$src"/tests/sweep/data/*.yaml 2>/dev/null |
      sed 's/^[a-z]*: *//; s/^\[//; s/\]$//; s/^"\(.*\)"$/\1/' |
      while IFS= read -r e; do i=$((i + 1)); printf '%s\nmxint8,8,8,4\n' "$e" > "$seeds/expr$i"; done
    printf "rows == cols && format =~ 'int'\n" > "$seeds/expr_base"
    printf "rows in [4, 8] || !(cols / 2 >= 3)\n4,8\n" > "$seeds/expr_in" ;;
  layers) copy "$src"/configs/workloads/*.csv "$src"/tests/sweep/data/*.csv ;;
  liberty)
    copy "$src"/synth/lib/*.lib
    # a small one: the header and the first cells of the built-in library
    awk '{print} /^  cell *\(/ {n++} n == 4 {exit}' "$src/synth/lib/macforge45.lib" | sed '$d' > "$seeds/head.lib"
    echo "}" >> "$seeds/head.lib" ;;
  netlist)
    copy "$src"/synth/lib/*.v
    if command -v yosys >/dev/null; then
      cat > "$work/tiny.v" <<'V'
module tiny(input clk, input [1:0] a, b, output reg [2:0] s);
  always @(posedge clk) s <= a + b;
endmodule
V
      lib=$src/synth/lib/macforge45.lib
      yosys -q -p "read_verilog $work/tiny.v; synth -top tiny; dfflibmap -liberty $lib; abc -liberty $lib; opt_clean; write_verilog -noattr $seeds/tiny_netlist.v" >/dev/null
    fi ;;
  formats)
    grep -ho '"[a-z0-9_/]*"' "$src"/numerics/elem_format.cpp "$src"/numerics/block_format.cpp |
      tr -d '"' | grep -E '^[a-z]' | sort -u | while read -r f; do printf '%s' "$f" > "$seeds/fmt_${f//\//_}"; done ;;
  quantize)
    # format bytes (kind, exponent bits, mantissa bits, rule) and float32s:
    # int8 cast of 1.5, 2.5, -3.5, 1e9; e4m3 fn OCP block 32 of 448, 0.1, NaN;
    # e2m1 cast of 0.25, 5.5, -Inf
    printf '\x00\x06\x00\x00\x00\x00\xc0\x3f\x00\x00\x20\x40\x00\x00\x60\xc0\x28\x6b\x6e\x4e' > "$seeds/int8"
    printf '\x05\x03\x03\x3f\x00\x00\xe0\x43\xcd\xcc\xcc\x3d\x00\x00\xc0\x7f' > "$seeds/e4m3"
    printf '\x01\x01\x01\x00\x00\x00\x80\x3e\x00\x00\xb0\x40\x00\x00\x80\xff' > "$seeds/e2m1" ;;
  *) echo "run_fuzz.sh: unknown harness '$name'" >&2; exit 2 ;;
esac
echo "== fuzz_$name: $(ls "$seeds" | wc -l) seeds, $secs s"
cd "$work"
"$exe" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2560 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/" "${@:6}" "$work/corpus" "$seeds"
