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
// buffers large enough for one tile in the layer's mode), so that an error
// leaves no partial output. Throws FormatError.
void check_workload(const AccelConfig& cfg, const std::vector<Gemm>& gemms, bool ideal);

// Sets each layer's mode from its format cell (ArraySpec::find_mode). A format
// the array has no mode for throws FormatError, one line:
//   layers.csv:4: format: 'fp8' is not a mode of this array (allowed: mxint8, nvint4)
void resolve_modes(std::vector<Gemm>& gemms, const ArraySpec& arr);

}  // namespace macforge::sim
