// Co-simulation: the same top module (loader, controller, writer, buffers,
// DRAM) runs the same GEMM on the same operands twice, once with the
// behavioural array and once with the verilated RTL, and both results are
// compared with the reference gemm() bit for bit, and the two cycle counts
// with each other. Used by the per-config cosim executable (cosim_main.cpp),
// which `macforge cosim` builds and runs (docs/timing_model.md section 7).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/engine.hpp"
#include "sim/sim_config.hpp"

namespace macforge::sim {

struct CosimArgs {
  std::string config;
  ConfigOverrides ov;
  std::vector<Gemm> gemms;
  uint64_t seed = 1;
  bool ideal = false;
  std::string vcd;
  std::string mode;  // --mode as given ("" = mode 0)
};

// Parses the arguments shared by `macforge cosim` and the cosim executable
// (--config, --gemm (repeatable in the executable), --array, --dataflow,
// --mode, --seed, --ideal-memory, --vcd). Throws FormatError on bad input.
CosimArgs parse_cosim_args(const std::vector<std::string>& args, bool allow_many_gemms);

// The mode --mode names on this array: "" (mode 0), "0"/"1", or a mode's
// format as the layer files spell it (ArraySpec::find_mode). Throws
// FormatError naming the array's modes when there is no such mode (including
// a format other than its own on a single-format array).
int cosim_mode(const ArraySpec& arr, const std::string& mode);

struct Mismatch {
  bool found = false;
  int64_t m = 0, n = 0;
  uint32_t got = 0, want = 0;  // float32 bit patterns
  std::string who;             // "rtl" or "behavioural"
};

// First element where got differs from want (NaNs compare equal to NaNs).
Mismatch first_mismatch(const std::vector<float>& got, const std::vector<float>& want, int64_t N,
                        const std::string& who);

struct CosimResult {
  Gemm gemm;
  LayerReport beh, rtl;
  double ref_seconds = 0;
  Mismatch mismatch;
  std::vector<std::string> rtl_errors;  // output timing / protocol errors seen by the driver
  bool ok() const { return !mismatch.found && rtl_errors.empty() && beh.total_cycles == rtl.total_cycles; }
};

std::string cosim_json(const std::string& config, const ArraySpec& arr, uint64_t seed, bool ideal,
                       const std::vector<CosimResult>& results, int64_t rtl_clocked, double rtl_seconds,
                       double rtl_cpu_seconds);

}  // namespace macforge::sim
