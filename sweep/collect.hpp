// Merging point results: DIR/sweep.json (the manifest written when a sweep
// starts or is emitted) names the points; `collect` reads their records and
// writes results.csv, results.json, composites.csv, report.md and the plots.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "sweep/spec.hpp"

namespace macforge::sweep {

constexpr const char* kManifestSchema = "macforge-sweep/1";

// DIR/sweep.json: the spec's report settings and every point (index, hash,
// label, parameters, axis values).
void write_manifest(const SweepSpec& spec, const Expansion& ex, const std::string& dir,
                    const std::string& tool_version);

struct CollectSummary {
  size_t points = 0, ok = 0, failed = 0, missing = 0;
  bool plots_ok = false;
  std::string plots_error;  // why the plots are missing
  std::vector<std::string> written;
};

// Throws SweepRuntimeError when DIR has no readable manifest.
CollectSummary collect(const std::string& dir, std::ostream& err);

}  // namespace macforge::sweep
