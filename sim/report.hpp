// JSON reports of simulation runs (macforge sim / cosim).
#pragma once

#include <string>
#include <vector>

#include "sim/engine.hpp"
#include "sim/memory_energy.hpp"

namespace macforge::sim {

struct RunSummary {
  std::string config;       // path
  ArraySpec array;
  MemoryConfig memory;
  bool ideal = false;
  std::string mode;         // "timing-only" | "functional"
  std::vector<LayerReport> layers;
  EnergyModel energy;       // per-bit figures of the memories (sim/memory_energy.hpp)
};

// Every layer's energy (all its `count` instances), in order.
std::vector<LayerEnergy> layer_energies(const RunSummary& s);
// A human-readable table of the energy split per layer and in total.
std::string energy_table(const RunSummary& s);

// Adds the per-layer figures into a total (layers run one after the other).
LayerReport total_of(const std::vector<LayerReport>& layers);

// {"config": ..., "array": {...}, "memory": {...}, "layers": [...], "total": {...}}
std::string to_json(const RunSummary& s);
// `energy`: the layer's energy object (energy_json), or "" for none.
std::string layer_json(const LayerReport& r, const std::string& indent, double peak_macs_per_cycle,
                       const std::string& energy = "");
std::string json_escape(const std::string& s);
std::string json_number(double v);

}  // namespace macforge::sim
