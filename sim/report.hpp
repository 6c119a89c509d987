// JSON reports of simulation runs (macforge sim / cosim).
#pragma once

#include <string>
#include <vector>

#include "sim/engine.hpp"

namespace macforge::sim {

struct RunSummary {
  std::string config;       // path
  ArraySpec array;
  MemoryConfig memory;
  bool ideal = false;
  std::string mode;         // "timing-only" | "functional"
  std::vector<LayerReport> layers;
};

// Adds the per-layer figures into a total (layers run one after the other).
LayerReport total_of(const std::vector<LayerReport>& layers);

// {"config": ..., "array": {...}, "memory": {...}, "layers": [...], "total": {...}}
std::string to_json(const RunSummary& s);
std::string layer_json(const LayerReport& r, const std::string& indent, double peak_macs_per_cycle);
std::string json_escape(const std::string& s);
std::string json_number(double v);

}  // namespace macforge::sim
