// The on-chip buffers and the DRAM interface of the accelerator: the optional
// `memory:` section of the configuration YAML (docs/timing_model.md section 4).
//
//   memory:
//     dram:   {bandwidth: 64, latency: 100}       # bytes per cycle, cycles
//     input:  {capacity: 256KiB, banks: 2, ports: 2, double_buffer: true, word_bytes: 64}
//     weight: {capacity: 256KiB}                   # any key omitted keeps its default
//     output: {capacity: 256KiB}
//     # energy (docs/memory_energy.md): per buffer read_pj_per_bit,
//     # write_pj_per_bit, leakage_mw; dram: {technology: hbm2, pj_per_bit: 3.9};
//     energy: {node_nm: 45, voltage: 1.1, clock_mhz: 1000}
//
// Every key is optional; an absent section means the defaults below.
#pragma once

#include <cstdint>
#include <string>

namespace YAML {
class Node;
}

namespace macforge::sim {

struct BufferConfig {
  uint64_t capacity = 256 * 1024;  // bytes
  int banks = 2;                   // independent SRAM banks
  int ports = 2;                   // ports per bank: 2 = one read + one write, 1 = shared
  bool double_buffer = true;       // two halves (ping-pong): fill one while the array reads the other
  int word_bytes = 0;              // bank word width in bytes; 0 = auto (one slot delivers the array's peak demand)
  // Energy overrides (sim/memory_energy.hpp); < 0: the model's figure.
  double read_pj_per_bit = -1, write_pj_per_bit = -1, leakage_mw = -1;

  // Bytes one slot can hold: half the capacity when double buffered.
  uint64_t slot_bytes() const { return double_buffer ? capacity / 2 : capacity; }
  int slots() const { return double_buffer ? 2 : 1; }
};

struct DramConfig {
  double bandwidth = 64.0;  // bytes per cycle (> 0)
  int64_t latency = 100;    // cycles from a read request to its first byte (>= 0)
  std::string technology = "ddr4";  // energy per bit by technology (sim/memory_energy.hpp)
  double pj_per_bit = -1;           // < 0: the technology's figure
};

struct MemoryConfig {
  BufferConfig input;   // A (activations)
  BufferConfig weight;  // B (weights)
  BufferConfig output;  // C (float32 results and partial sums)
  DramConfig dram;
  // memory.energy: the process point on-chip figures scale to (0: the
  // library's, else the built-in 45 nm / 1.1 V) and the clock that turns
  // cycles into time for leakage.
  double node_nm = 0, voltage = 0, clock_mhz = 1000;
};

// Parses a `memory:` node (a null/undefined node gives the defaults). Unknown
// keys and out-of-range values throw FormatError naming the place and key, e.g.
// "cfg.yaml:12:12: memory.input.banks: must be in [1, 1024] (got 0)".
MemoryConfig parse_memory_config(const YAML::Node& memory, const std::string& source = "");

// Parses a byte size: an integer, or a number with a suffix B, KiB, MiB, GiB
// (also KB/MB/GB as powers of 1000, K/M/G as powers of 1024). Throws FormatError.
uint64_t parse_bytes(const std::string& text, const std::string& key);

// The configuration as YAML text (one line per buffer), for reports and hashes.
std::string to_yaml(const MemoryConfig& m);

}  // namespace macforge::sim
