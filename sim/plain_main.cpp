// The plain C++ Verilator harness of the benchmark: the same generated RTL,
// verilated with --cc, driven by the same RtlDriver through the same
// ideal-memory plan as the SystemC back end, with no SystemC at all. Its
// cycles per second are the baseline of the SystemC wrapper's overhead
// (bench/bench_sim.cpp). Built like cosim_main.cpp (cosim_model.h).
//
//   plain --config CFG --gemm M,N,K [--seed S] [--reps R]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>

#include "cosim_model.h"
#include MF_VTOP_HEADER
#include "numerics/dot.hpp"
#include "sim/controller.hpp"
#include "sim/data.hpp"
#include "sim/rtl_driver.hpp"
#include "sim/sim_config.hpp"
#include "verilated.h"

using namespace macforge;
using namespace macforge::sim;

int main(int argc, char** argv) {
  std::string config, gemm_s;
  uint64_t seed = 1;
  int reps = 1;
  for (int a = 1; a < argc; ++a) {
    std::string s = argv[a];
    if (s == "--config" && a + 1 < argc) config = argv[++a];
    else if (s == "--gemm" && a + 1 < argc) gemm_s = argv[++a];
    else if (s == "--seed" && a + 1 < argc) seed = std::strtoull(argv[++a], nullptr, 10);
    else if (s == "--reps" && a + 1 < argc) reps = std::atoi(argv[++a]);
    else {
      std::cerr << "usage: " << argv[0] << " --config CFG --gemm M,N,K [--seed S] [--reps R]\n";
      return 2;
    }
  }
  LoadedConfig cfg;
  Gemm g;
  try {
    cfg = load_sim_config(config);
    g = parse_gemm(gemm_s);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  if (cfg.gen.hash() != uint64_t(MF_CONFIG_HASH)) {
    std::cerr << "error: this model was built for another configuration\n";
    return 2;
  }
  const ArraySpec& arr = cfg.accel.array;
  Operands ops = make_operands(arr, g, seed);
  std::vector<float> ref = gemm(ops.A, ops.B, arr.accum);
  Schedule sched(arr, cfg.accel.memory, g, true);
  MF_VTOP top;
  RtlDriver drv(arr);
  PortInputs in;
  PortOutputs out;
  int64_t cycles = 0, clocked = 0;
  bool ok = true;
  auto t0 = std::chrono::steady_clock::now();
  timespec c0, c1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  for (int r = 0; r < reps; ++r) {
    // Reset, then the GEMM from cycle 0 of the plan.
    in = PortInputs{};
    in.rst = true;
    for (int c = 0; c < 3; ++c) {
      top.clk = 0;
      drive(top, in);
      top.eval();
      top.clk = 1;
      top.eval();
    }
    drv.begin(ops.A, ops.B);
    ArrayController ctl(arr);
    int64_t last = 0;
    for (int64_t i = 0; i < sched.size(); ++i) {
      Step s = sched.at(i);
      StepTimes t = ctl.plan(s, i, 0);
      last = std::max(last, t.result_cycle);
      drv.push(s, i, t);
    }
    int64_t c = 0;
    for (; c <= last + 2; ++c) {
      top.clk = 0;
      top.eval();
      sample(top, out);
      drv.outputs(c, out);
      drv.inputs(c, in);
      drive(top, in);
      top.eval();
      top.clk = 1;
      top.eval();
    }
    clocked += c + 3;
    cycles = last + 1;
    const std::vector<float>& C = drv.C();
    ok = ok && drv.errors().empty() && C.size() == ref.size() &&
         std::memcmp(C.data(), ref.data(), ref.size() * sizeof(float)) == 0;
  }
  double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  double cpu = double(c1.tv_sec - c0.tv_sec) + 1e-9 * double(c1.tv_nsec - c0.tv_nsec);
  top.final();
  for (const std::string& e : drv.errors()) std::fprintf(stderr, "RTL: %s\n", e.c_str());
  std::printf("{\"harness\": \"plain\", \"M\": %lld, \"N\": %lld, \"K\": %lld, \"cycles\": %lld, \"clocked\": %lld, "
              "\"seconds\": %.6f, \"cpu_seconds\": %.6f, \"cycles_per_second\": %.1f, "
              "\"cycles_per_cpu_second\": %.1f, \"ok\": %s}\n",
              (long long)g.M, (long long)g.N, (long long)g.K, (long long)cycles, (long long)clocked, sec, cpu,
              double(clocked) / sec, double(clocked) / cpu, ok ? "true" : "false");
  return ok ? 0 : 1;
}
