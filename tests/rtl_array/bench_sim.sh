#!/bin/sh
# Verilator build time and simulation speed of the benchmark arrays
# (tests/rtl_array/bench_configs): for each model, the time to generate +
# verilate + compile it (from scratch, the test build's flags: -O3 verilator,
# OPT_FAST=-O1), and the simulated array cycles/s and MAC/s of a GEMM driven
# through the fixed schedule (checked bit-exact as it runs).
#   usage: tests/rtl_array/bench_sim.sh BUILD_DIR [REPS]
set -e
B=${1:?usage: bench_sim.sh BUILD_DIR [REPS]}
REPS=${2:-3}
T=$B/tests/rtl_array
for m in bench_mxint8_8x8_os bench_mxint8_8x8_ws bench_mxfp8_e4m3_8x8_os bench_mxfp8_e4m3_8x8_ws \
         bench_mxint8_16x16_os bench_mxfp8_e4m3_16x16_os; do
  case $m in
    *16x16*) M=128; N=128; K=512 ;;
    *) M=64; N=64; K=512 ;;
  esac
  rm -rf "$T/vl/$m" "$T/gen/$m"
  ninja -C "$B" macforge mf_array_host mf_verilated > /dev/null
  t0=$(date +%s.%N)
  ninja -C "$B" "vl_$m" > /dev/null
  t1=$(date +%s.%N)
  ninja -C "$B" "tb_$m" > /dev/null
  t2=$(date +%s.%N)
  res=$("$T/tb_$m" --bench $M $N $K --reps "$REPS")
  echo "{\"model\": \"$m\", \"verilate_s\": $(echo "$t1 - $t0" | bc), \"testbench_s\": $(echo "$t2 - $t1" | bc), \"run\": $res}"
done
