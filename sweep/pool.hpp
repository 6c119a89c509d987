// The local worker pool of `macforge sweep`: every point that has no good
// stored result runs as its own process (`macforge point ...`), at most
// `jobs` at a time; a crash of one is recorded as that point's failure.
#pragma once

#include <ostream>
#include <string>

#include "sweep/spec.hpp"

namespace macforge::sweep {

struct PoolOptions {
  int jobs = 1;
  std::string exe;        // the macforge executable
  std::string out_dir;    // absolute
  std::string tool_version;
  bool force = false;     // re-run points that have a good result
  bool progress_bar = false;  // redraw one status line (stderr is a terminal)
};

struct PoolSummary {
  size_t total = 0, cached = 0, ran = 0, ok = 0, failed = 0;
  bool interrupted = false;
  int signal = 0;  // the signal that interrupted the sweep
  double seconds = 0;
  double point_seconds = 0;  // sum of the run times of the points that ran
};

// Runs the points; progress goes to `err`. SIGINT/SIGTERM stop the pool:
// running points are killed (their results are not stored), finished ones
// stay. Throws SweepRuntimeError when DIR is locked by another sweep.
PoolSummary run_pool(const SweepSpec& spec, const Expansion& ex, const PoolOptions& opt, std::ostream& err);

}  // namespace macforge::sweep
