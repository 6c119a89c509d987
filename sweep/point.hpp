// Running one design point: its stages in order, each result recorded in
// DIR/points/<hash>.json (written atomically), the tools' output in
// DIR/logs/<hash>.log, working files in DIR/work/<hash>/.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

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

// The stored record of a point if it exists and parses; null json otherwise.
json read_record(const std::string& dir, const std::string& hash);
// Whether a stored record is a finished good result (status ok, same hash).
bool record_ok(const json& rec, const std::string& hash);

}  // namespace macforge::sweep
