// Energy of the accelerator's memories: per-bit read/write energy of each
// on-chip buffer from its capacity, banks and ports, DRAM energy per bit by
// technology, leakage over the run's time, and the split of a layer's energy
// into array, buffers and DRAM (docs/memory_energy.md has the published
// figures, their sources and the scaling rules).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "numerics/block_format.hpp"
#include "sim/memory_config.hpp"

namespace macforge::sim {

struct ArraySpec;
struct LayerReport;

// The process point the on-chip figures are scaled to.
struct TechPoint {
  double node_nm = 45;  // the built-in library (synth/lib/macforge45.lib) is 45 nm ...
  double voltage = 1.1;  // ... at a nominal 1.1 V
  std::string source = "built-in library macforge45 (45 nm, 1.1 V)";
};

// Horowitz, ISSCC 2014: 64-bit SRAM read energy at 45 nm, 0.9 V.
struct SramAnchor {
  double bytes;
  double pj_per_64bit;
};
const std::vector<SramAnchor>& horowitz_sram_anchors();
constexpr double kHorowitzNodeNm = 45, kHorowitzVoltage = 0.9;

// Read energy per bit of one SRAM bank of `bank_bytes` at Horowitz's 45 nm,
// 0.9 V: log-log interpolation between the anchors, E ~ sqrt(capacity)
// outside them.
double sram_pj_per_bit_45nm(double bank_bytes);
// E ~ C V^2 with C ~ feature size: (node / 45) (V / 0.9)^2.
double tech_factor(const TechPoint& t);
// A two-port (1R1W, 8T) bit cell is ~1.33x the 6T cell's area; line lengths
// and so line capacitance grow with the square root of the area.
double port_factor(int ports);

// The model's read energy per bit of buffer b (before overrides).
double buffer_model_pj_per_bit(const BufferConfig& b, const TechPoint& t);

// DRAM energy per bit of a technology (ddr4, lpddr4, lpddr5, hbm2, hbm3);
// throws FormatError for another name.
double dram_tech_pj_per_bit(const std::string& technology);
std::vector<std::string> dram_technologies();

// The node of a Liberty library from its name (macforge45 -> 45, sky130 ->
// 130, sg13g2 -> 130); 0 if unknown.
double library_node_nm(const std::string& library_name);

// What one bit costs in each memory, after the config's overrides.
struct BufferEnergy {
  double read_pj_per_bit = 0, write_pj_per_bit = 0, leakage_mw = 0;
  bool overridden_read = false, overridden_write = false, overridden_leakage = false;
};
struct EnergyModel {
  TechPoint tech;
  BufferEnergy input, weight, output;
  std::string dram_technology;
  double dram_pj_per_bit = 0;
  bool dram_overridden = false;
  double clock_mhz = 1000;         // converts cycles to time for leakage
  std::vector<double> pj_per_mac;  // per array mode; empty: array energy unknown
};
// The model for a memory configuration at process point t (the config's
// memory.energy node_nm/voltage, when set, win over t).
EnergyModel make_energy_model(const MemoryConfig& m, const TechPoint& t = {});

// Bits of one copy of an operand tensor (rows x K elements, K padded as
// streamed) in its format: elements, block-scale codes (e8m0 / ue4m3, width
// from the format) and side scales (fp32 channel/tensor scales, NV's fp32
// tensor scale).
struct OperandBits {
  uint64_t elem = 0, block_scales = 0, side_scales = 0;
  uint64_t scales() const { return block_scales + side_scales; }
  uint64_t total() const { return elem + scales(); }
};
OperandBits operand_bits(const BlockFormat& f, int64_t rows, int64_t K);

struct LayerEnergy {
  double array_pj = 0;  // MACs x pJ/MAC of the layer's mode (NaN if unknown)
  double input_pj = 0, weight_pj = 0, output_pj = 0;  // buffer reads and writes
  double dram_pj = 0;
  double leakage_pj = 0;  // every buffer's leakage over the layer's cycles
  double scale_pj = 0;    // the part of buffer + DRAM energy spent on scale bits (included above)
  OperandBits a, b;       // one copy of A and B
  double buffers_pj() const { return input_pj + weight_pj + output_pj; }
  double memory_pj() const { return buffers_pj() + dram_pj + leakage_pj; }
  double total_pj() const;  // NaN if array_pj is
  LayerEnergy& operator+=(const LayerEnergy& o);
};

// The energy of a layer report (all `count` instances; r as run, unscaled).
// Buffer energy counts whole word accesses: words x word bits x pJ/bit.
LayerEnergy layer_energy(const LayerReport& r, const ArraySpec& arr, const EnergyModel& e);

// {"array_pj": ..., "buffers_pj": {...}, "dram_pj": ..., ...}
std::string energy_json(const LayerEnergy& e);
// "memory": the model's figures, for the report's header.
std::string energy_model_json(const EnergyModel& e);

}  // namespace macforge::sim
