// The co-simulation executable of one generated array: built by
// `macforge cosim` (at run time, into its cache; also at build time for ctest)
// together with cosim_model.h, written beside the verilated model, which
// defines MF_VTOP (the class `verilator --sc` made of the top module),
// MF_VTOP_HEADER (its header), MF_CONFIG_HASH (gen::ArrayConfig::hash() of
// the config it was generated from) and, for --vcd, MF_TRACE.
//
//   cosim --config CFG --gemm M,N,K [--gemm ...] [--array RxC] [--dataflow os|ws]
//         [--mode M] [--seed S] [--ideal-memory] [--vcd FILE]
//
// --mode runs a multi-format array in mode M (its formats, lanes and group;
// the reference is the single-format gemm() of that mode's formats).
//
// Prints a JSON report; exit 0 when every run matched (cycles and bits), 1 on
// a mismatch (the first differing output is in the report and on stderr), 2
// on bad input.
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <iostream>

#include "cosim_model.h"
#include MF_VTOP_HEADER
#include "numerics/dot.hpp"
#include "sim/cosim.hpp"
#include "sim/data.hpp"
#include "sim/report.hpp"
#include "sim/rtl_sc.hpp"
#include "verilated.h"
#ifdef MF_TRACE
#include "verilated_vcd_sc.h"
#endif

using namespace macforge;
using namespace macforge::sim;

int sc_main(int, char**) { return 0; }

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  CosimArgs ca;
  LoadedConfig cfg;
  try {
    ca = parse_cosim_args(args, true);
    cfg = load_sim_config(ca.config, ca.ov);
    // The whole model (controller, behavioural array, operands, reference)
    // runs the array as mode m; the RTL driver drives in_mode = m.
    cfg.accel.array = cfg.accel.array.in_mode(cosim_mode(cfg.accel.array, ca.mode));
    if (cfg.gen.hash() != uint64_t(MF_CONFIG_HASH)) {
      std::cerr << "error: this co-simulation model was built for another configuration (config hash "
                << std::hex << uint64_t(MF_CONFIG_HASH) << ", got " << cfg.gen.hash() << std::dec
                << "); run it through 'macforge cosim'\n";
      return 2;
    }
#ifndef MF_TRACE
    if (!ca.vcd.empty()) {
      std::cerr << "error: --vcd: this model was built without tracing; run it through 'macforge cosim --vcd'\n";
      return 2;
    }
#endif
    for (const Gemm& g : ca.gemms) Schedule(cfg.accel.array, cfg.accel.memory, g, ca.ideal);
  } catch (const FormatError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  const ArraySpec& arr = cfg.accel.array;

#ifdef MF_TRACE
  if (!ca.vcd.empty()) Verilated::traceEverOn(true);
#endif
  RtlArray<MF_VTOP> rtl("rtl_array", arr);
  Accelerator& top = default_accelerator();
  (void)top;
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
#ifdef MF_TRACE
  VerilatedVcdSc* vcd = nullptr;
  if (!ca.vcd.empty()) {
    vcd = new VerilatedVcdSc;
    rtl.model().trace(vcd, 99);
    vcd->open(ca.vcd.c_str());
  }
#endif
  sc_core::sc_start(sc_core::sc_time(4, sc_core::SC_NS));  // reset

  auto behavioural = make_behavioural_backend(true);
  RunOptions opt;
  opt.ideal = ca.ideal;
  std::vector<CosimResult> results;
  double rtl_seconds = 0, rtl_cpu = 0;
  int64_t clocked0 = rtl.clocked();
  bool ok = true;
  for (const Gemm& g : ca.gemms) {
    CosimResult r;
    r.gemm = g;
    Operands ops = make_operands(arr, g, ca.seed);
    auto t0 = std::chrono::steady_clock::now();
    std::vector<float> ref = gemm(ops.A, ops.B, arr.accum);
    r.ref_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    GemmData db{&ops.A, &ops.B, {}};
    r.beh = default_accelerator().run(cfg.accel, g, *behavioural, opt, &db);
    GemmData dr{&ops.A, &ops.B, {}};
    r.rtl = default_accelerator().run(cfg.accel, g, rtl, opt, &dr);
    rtl_seconds += r.rtl.wall_seconds;
    rtl_cpu += r.rtl.cpu_seconds;
    r.rtl_errors = rtl.driver().errors();
    // Test hook: MACFORGE_COSIM_FAULT=1 flips the last bit of the RTL's first
    // result, so the tests can check how a mismatch is reported.
    if (const char* f = std::getenv("MACFORGE_COSIM_FAULT"); f && std::string(f) == "1" && !dr.C.empty())
      dr.C[0] = f32_from_bits(f32_bits(dr.C[0]) ^ 1u);
    r.mismatch = first_mismatch(dr.C, ref, g.N, "rtl");
    if (!r.mismatch.found) r.mismatch = first_mismatch(db.C, ref, g.N, "behavioural");
    if (r.mismatch.found) {
      const Mismatch& m = r.mismatch;
      std::fprintf(stderr,
                   "MISMATCH %s GEMM %lldx%lldx%lld: C[%lld][%lld] = 0x%08x (%g), reference 0x%08x (%g)\n",
                   m.who.c_str(), (long long)g.M, (long long)g.N, (long long)g.K, (long long)m.m, (long long)m.n,
                   m.got, double(f32_from_bits(m.got)), m.want, double(f32_from_bits(m.want)));
    }
    if (r.beh.total_cycles != r.rtl.total_cycles)
      std::fprintf(stderr, "MISMATCH cycles GEMM %lldx%lldx%lld: behavioural %lld, rtl %lld\n", (long long)g.M,
                   (long long)g.N, (long long)g.K, (long long)r.beh.total_cycles, (long long)r.rtl.total_cycles);
    for (const std::string& e : r.rtl_errors) std::fprintf(stderr, "RTL: %s\n", e.c_str());
    ok = ok && r.ok();
    results.push_back(r);
  }
#ifdef MF_TRACE
  if (vcd) {
    vcd->flush();
    vcd->close();
  }
#endif
  std::cout << cosim_json(ca.config, arr, ca.seed, ca.ideal, results, rtl.clocked() - clocked0, rtl_seconds,
                          rtl_cpu);
  std::cout.flush();
  return ok ? 0 : 1;
}
