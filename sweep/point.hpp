// Running one design point: its stages in order, each result recorded in
// DIR/points/<hash>.json (written atomically), the tools' output in
// DIR/logs/<hash>.log, working files in DIR/work/<hash>/.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sweep/spec.hpp"

namespace macforge::sweep {

using json = nlohmann::ordered_json;

// The record schema written into every point file.
constexpr const char* kPointSchema = "macforge-sweep-point/1";

std::string point_path(const std::string& dir, const std::string& hash);  // DIR/points/<hash>.json
std::string log_path(const std::string& dir, const std::string& hash);    // DIR/logs/<hash>.log
std::string work_path(const std::string& dir, const std::string& hash);   // DIR/work/<hash>

struct PointContext {
  std::string out_dir;       // absolute
  std::string exe;           // the macforge executable (for sim, synth, cosim)
  std::string tool_version;
};

// Runs every stage of the point and writes its record (status "ok", or
// "failed" with failed_stage, error and log). Returns the record. A stage's
// failure is recorded, not thrown; only I/O failures of the record itself
// throw (SweepRuntimeError).
json run_point(const SweepSpec& spec, const Point& p, const PointContext& ctx);

// A record for a point whose process ended without writing one (crash,
// signal): status "failed", the given error.
json crashed_record(const Point& p, const PointContext& ctx, const std::string& error);

// pipeline: auto (docs/sweeps.md): the depths tried and the one kept.
struct DepthTry {
  int depth = 0;
  double slack_ns = 0, fmax_mhz = 0, critical_path_ns = 0;
  bool met = false;
};
struct PipelineChoice {
  int chosen = 0;
  bool met = false;  // false: no depth up to the maximum met the clock; chosen has the best slack
  std::vector<DepthTry> tried;
};
// Tries depths 0, 1, ..., max_depth in order and stops at the first that
// meets the clock (the smallest: fewest registers, shortest latency); when
// none does, keeps the one with the largest slack (the smaller on a tie).
// try_depth synthesizes one depth (throws on failure).
PipelineChoice choose_pipeline(int max_depth, const std::function<DepthTry(int)>& try_depth);

// The stored record of a point if it exists and parses; null json otherwise.
json read_record(const std::string& dir, const std::string& hash);
// Whether a stored record is a finished good result (status ok, same hash).
bool record_ok(const json& rec, const std::string& hash);

}  // namespace macforge::sweep
