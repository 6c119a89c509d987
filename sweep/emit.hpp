// Handing a sweep to an existing engine instead of the local pool:
//  - ninja: DIR/build.ninja, one edge per point producing points/<hash>.json
//    (incremental: a second `ninja` does nothing) and a final edge running
//    `macforge collect DIR`;
//  - slurm: DIR/slurm.sh, a job array with one task per point index, and
//    DIR/slurm_collect.sh to run afterwards.
#pragma once

#include <string>

#include "sweep/spec.hpp"

namespace macforge::sweep {

// Both write DIR/sweep.json first (collect reads it). Return the file written.
std::string emit_ninja(const SweepSpec& spec, const Expansion& ex, const std::string& dir, const std::string& exe,
                       const std::string& tool_version);
// Per-task resources of the job array, passed to sbatch as written (the
// cluster's defaults apply to what is empty).
struct SlurmOptions {
  std::string partition;  // --partition
  std::string time;       // --time per task; empty: the stage timeouts of the sweep added up
  std::string mem;        // --mem per task
};
// Empty when V is a valid value of that option, else the problem (one line).
std::string check_slurm_partition(const std::string& v);
std::string check_slurm_time(const std::string& v);
std::string check_slurm_mem(const std::string& v);

std::string emit_slurm(const SweepSpec& spec, const Expansion& ex, const std::string& dir, const std::string& exe,
                       const std::string& tool_version, const SlurmOptions& opt = {});

}  // namespace macforge::sweep
