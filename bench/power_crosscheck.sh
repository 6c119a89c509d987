#!/usr/bin/env bash
# macforge's energy model beside OpenSTA's report_power (issue #10 item 3,
# docs/energy.md "Cross-check with OpenSTA"): every PE preset of the main job
# (configs/sweeps/int_vs_fp.yaml: 8 lanes, pipeline 1) on the built-in library,
# sky130 and IHP, `macforge synth --pe-only --crosscheck-power`:
#   (a) uniform activity A = 0.2 toggles per net per cycle in both tools;
#   (b) built-in library only: OpenSTA's vectorless propagation from the
#       measured input toggle rate beside macforge's gate-level simulation.
#
#   bench/power_crosscheck.sh [BUILD_DIR] [OUT_DIR] [PDK_DIR]
#     (defaults: build, out/power_crosscheck, ../shared/pdk)
# Prints the Markdown tables of docs/energy.md; the reports stay in OUT_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
out="${2:-out/power_crosscheck}"
pdk="${3:-../shared/pdk}"
mf="$build/cli/macforge"
[ -x "$mf" ] || { echo "power_crosscheck: $mf not found (build first)" >&2; exit 2; }
rm -rf "$out"
mkdir -p "$out"

presets=(mxfp8_e4m3 mxint8 mxfp6_e2m3 mxint6 mxfp4_e2m1 mxint4 nvfp4 nvint4)
libs=(builtin sky130 ihp)
libfile() {
  case "$1" in
    builtin) echo "" ;;
    sky130) echo "--liberty $pdk/sky130_fd_sc_hd__tt_025C_1v80.lib" ;;
    ihp) echo "--liberty $pdk/sg13g2_stdcell_typ_1p20V_25C.lib" ;;
  esac
}

for f in "${presets[@]}"; do
  printf 'name: %s\npe:\n  a: %s\n  b: %s\n  lanes: 8\n  pipeline: 1\narray:\n  rows: 1\n  cols: 1\n  dataflow: output-stationary\n' \
    "$f" "$f" "$f" > "$out/$f.yaml"
  for l in "${libs[@]}"; do
    # the built-in library also runs the gate-level simulation for (b)
    energy="--no-energy"
    [ "$l" = builtin ] && energy="--no-uniform --cycles 2048"
    # shellcheck disable=SC2046
    nice "$mf" synth --config "$out/$f.yaml" $(libfile "$l") --pe-only --no-timing $energy --crosscheck-power \
      --json --out "$out/$f-$l" > "$out/$f-$l.json"
  done
done

python3 - "$out" "${presets[@]}" <<'PY'
import json, sys
out, presets = sys.argv[1], sys.argv[2:]
libs = ["builtin", "sky130", "ihp"]
def row(c, k):
    t = c["total"][k]
    return t["macforge"], t["macforge_sta2019"], t["opensta"], t["ratio"]
print("(a) uniform activity: OpenSTA / macforge (macforge's internal energy as OpenSTA 2.0.17 counts it), "
      "total in pJ/cycle at 1 GHz\n")
print("| PE | library | total macforge | total OpenSTA | total | internal | switching | leakage |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for f in presets:
    for l in libs:
        r = json.load(open(f"{out}/{f}-{l}.json"))
        c = r["power_crosscheck"]["uniform"]
        t = c["total"]
        print(f"| {f} | {l} | {t['total']['macforge_sta2019']:.3f} | {t['total']['opensta']:.3f} | "
              f"{t['total']['ratio']:.3f} | {t['internal']['ratio']:.3f} | {t['switching']['ratio']:.3f} | "
              f"{t['leakage']['ratio']:.3f} |")
print("\n(b) built-in library: OpenSTA vectorless from the measured input toggle rate vs macforge's simulation "
      "(pJ/cycle, both in OpenSTA 2.0.17's counting of internal energy)\n")
print("| PE | input rate | macforge total | OpenSTA total | ratio | internal | switching | macforge pJ/cycle (Liberty) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for f in presets:
    r = json.load(open(f"{out}/{f}-builtin.json"))
    c = r["power_crosscheck"]["vectorless"]
    t = c["total"]
    print(f"| {f} | {c['activity']:.3f} | {t['total']['macforge_sta2019']:.3f} | {t['total']['opensta']:.3f} | "
          f"{t['total']['ratio']:.3f} | {t['internal']['ratio']:.3f} | {t['switching']['ratio']:.3f} | "
          f"{t['total']['macforge']:.3f} |")
PY
