#!/usr/bin/env bash
# Time of the synthesis flow (issue: Yosys synthesis, item 7), as a timed CLI run:
#   1. `macforge synth --pe-only` for one 8-lane PE of every element preset:
#      Yosys on the PE, the gate-level Verilator build, realistic + uniform
#      stimulus (2048 cycles each) and the energy model;
#   2. the same PE inside 16x16 and 32x32 arrays (hierarchical: the PE once,
#      then the array around it, each repeated part once), with the energy.
# The figure of merit is the ratio of (2) to the PE alone of the same format,
# both measured in this run (the machine is shared: absolute times vary).
#
#   bench/bench_synth.sh [BUILD_DIR] [OUT_DIR]     (defaults: build, out/bench_synth)
# Prints a Markdown table; the per-run reports stay in OUT_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
out="${2:-out/bench_synth}"
mf="$build/cli/macforge"
[ -x "$mf" ] || { echo "bench_synth: $mf not found (build first: bash scripts/run build)" >&2; exit 2; }
rm -rf "$out"
mkdir -p "$out"

presets=(mxfp8_e4m3 mxfp8_e5m2 mxfp6_e2m3 mxfp6_e3m2 mxfp4_e2m1 mxint8 mxint6 mxint4 nvfp4 nvint4)
array_format=mxint8

config() {  # config NAME FORMAT ROWS COLS
  printf 'name: %s\npe:\n  a: %s\n  b: %s\n  lanes: 8\n  accumulation: exact-block\n  pipeline: 1\narray:\n  rows: %s\n  cols: %s\n  dataflow: output-stationary\n' \
    "$1" "$2" "$2" "$3" "$4" > "$out/$1.yaml"
}

# timed LABEL ARGS...: runs macforge, prints "wall user+sys" seconds
timed() {
  local label="$1"; shift
  local t0 t1 c0 c1 me=$BASHPID  # this shell waits for macforge: its cutime counts it
  t0=$(date +%s.%N)
  c0=$(awk '{print $14 + $15 + $16 + $17}' /proc/$me/stat)
  "$mf" "$@" > "$out/$label.log" 2>&1 || { echo "bench_synth: $label failed, see $out/$label.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  c1=$(awk '{print $14 + $15 + $16 + $17}' /proc/$me/stat)
  awk -v a="$t0" -v b="$t1" -v c="$c0" -v d="$c1" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.1f %.1f\n", b - a, (d - c) / hz }'
}

field() {  # field REPORT.json KEY: a top-level number of the JSON report
  sed -n "s/^  \"$2\": \\([0-9.e+-]*\\),*$/\\1/p" "$1" | head -1
}

echo "| design | area um^2 | pJ/MAC | wall s | CPU s | wall / PE of $array_format |"
echo "|---|---|---|---|---|---|"
pe_wall=""
for f in "${presets[@]}"; do
  config "pe_$f" "$f" 1 1
  read -r wall cpu < <(timed "pe_$f" synth --config "$out/pe_$f.yaml" --pe-only --out "$out/pe_$f" --json)
  [ "$f" = "$array_format" ] && pe_wall="$wall"
  rep="$out/pe_$f/report.json"
  echo "| PE $f (8 lanes) | $(field "$rep" area_um2) | $(field "$rep" energy_pj_per_mac) | $wall | $cpu | |"
done
for n in 16 32; do
  config "array${n}_$array_format" "$array_format" "$n" "$n"
  read -r wall cpu < <(timed "array$n" synth --config "$out/array${n}_$array_format.yaml" --out "$out/array$n" --json)
  rep="$out/array$n/report.json"
  ratio=$(awk -v a="$wall" -v b="$pe_wall" 'BEGIN { printf "%.2f", a / b }')
  echo "| ${n}x${n} array of $array_format PEs | $(field "$rep" area_um2) | $(field "$rep" energy_pj_per_mac) | $wall | $cpu | ${ratio}x |"
done
