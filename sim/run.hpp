// One call that runs a workload on the SystemC model: what `macforge sim`,
// the tests and the benchmark use.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/report.hpp"
#include "sim/workload.hpp"

namespace macforge::sim {

struct SimRequest {
  bool ideal = false;        // --ideal-memory
  bool timing_only = false;  // --timing-only: no data values
  uint64_t seed = 1;         // functional runs: operand data
};

// Runs the GEMMs one after the other on the process's top module. Functional
// runs draw and quantize operands per layer (sim/data.hpp), run the
// behavioural array on them and record a fingerprint of C.
RunSummary run_workload(const AccelConfig& cfg, const std::vector<Gemm>& gemms, const SimRequest& req);

// Checks a workload against the configuration before anything runs (shapes,
// buffers large enough for one tile), so that an error leaves no partial
// output. Throws FormatError.
void check_workload(const AccelConfig& cfg, const std::vector<Gemm>& gemms, bool ideal);

}  // namespace macforge::sim
