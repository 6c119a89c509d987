// What the simulator needs to know about the accelerator: the PE array (shape,
// dataflow, lanes, operand formats, PE latency) and its memories. Built from
// the same YAML configuration the generator reads (sim/sim_config.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "numerics/block_format.hpp"
#include "gen/schedule.hpp"
#include "numerics/dot.hpp"
#include "sim/memory_config.hpp"

namespace macforge::sim {

enum class Dataflow { OS, WS, IS };
Dataflow parse_dataflow(const std::string& s);  // os|ws|is (also output-stationary, ...); FormatError
std::string dataflow_name(Dataflow d);          // "os", "ws", "is"

// One mode of a multi-format array (pe.modes; gen/pe_spec.hpp): the operand
// formats and lanes the PEs run when in_mode = m. A single-format array has
// one mode.
struct ModeSpec {
  std::string name;  // as layer files name it: "nvint4", or "A/B" when the operands differ
  BlockFormat a, b;
  int lanes = 1;
  // The generator's cycle definitions in this mode (gen::array_timing(...,
  // mode)); when absent (timing.lanes == 0) in_mode derives them.
  gen::ArrayTiming timing = no_timing();
  static gen::ArrayTiming no_timing() {
    gen::ArrayTiming t;
    t.lanes = 0;
    return t;
  }
};

struct ArraySpec {
  int rows = 8, cols = 8;
  Dataflow dataflow = Dataflow::OS;
  int lanes = 1;
  BlockFormat a, b;  // A: activations (M x K), B: weights (N x K)
  AccumSpec accum;
  int pipeline = 0;    // extra PE register stages
  int pe_latency = 1;  // LAT: PE in_last (OS) / in_blk_last (WS) cycle -> out_valid
  int out_stage = 0;   // S: cycles of the array's tensor/channel scale stage (0 without one)
  // The generator's cycle definitions for this array (gen/schedule.hpp); IS
  // uses the weight-stationary ones. The controller calls these, so the model
  // follows the RTL's documented schedule by construction.
  gen::ArrayTiming timing;
  // The mode this spec runs: a, b, lanes, accum.lanes and timing.lanes/group
  // are mode `mode`'s (in_mode()); `modes` lists every mode of the array
  // (empty or one entry: single-format).
  int mode = 0;
  std::vector<ModeSpec> modes;

  int num_modes() const { return modes.empty() ? 1 : int(modes.size()); }
  // The array running mode m (0 <= m < num_modes()): mode m's formats and
  // lanes, its group and chunks; rows, columns, PE latency and the output
  // stage are the array's (the PE's latency is the same in every mode).
  ArraySpec in_mode(int m) const;
  // The layer-file spelling of mode m ("mxint8", "mxint8/nvint4").
  std::string mode_name(int m) const;
  // The mode a layer-file `format` cell names: "" or "0"/"1" (the mode's
  // number), a mode's format ("nvint4", any spelling parse_block_format
  // accepts), or "A/B" for different operand formats. -1 if none matches.
  int find_mode(const std::string& value) const;
  // "mxint8, nvint4": the modes by name, for messages.
  std::string mode_names() const;

  // Elements per accumulation group along K (the block, or lanes when neither
  // operand is block-scaled): FORMATS.md section 5 / numerics accum_group().
  int group() const;
  // K as streamed: padded with zero elements up to a multiple of lanes
  // (docs/timing_model.md section 2).
  int64_t padded_k(int64_t K) const;
  // Chunks of a dot product of length K: ceil(K / lanes).
  int64_t chunks(int64_t K) const { return (K + lanes - 1) / lanes; }
  // Chunks of `lanes` elements per group.
  int chunks_per_group() const { return group() / lanes; }
  double peak_macs_per_cycle() const { return double(rows) * cols * lanes; }
};

struct AccelConfig {
  ArraySpec array;
  MemoryConfig memory;
  std::string source;  // where it was read from (path), for messages
};

// Bits of one operand slice: `rows` rows of the K range [k0, k1) of a tensor
// whose rows are stored padded to Kp elements, in format f: element bits plus
// one block-scale code (8 bits) for every block the range touches. Channel and
// tensor fp32 scales are counted separately (scale_side_bits).
uint64_t slice_bits(const BlockFormat& f, int64_t rows, int64_t k0, int64_t k1);
// Side scales loaded once with an operand: 32 bits per row for per-channel fp32
// scales, 32 bits for a per-tensor fp32 scale or the NV tensor scale.
uint64_t scale_side_bits(const BlockFormat& f, int64_t rows);
inline uint64_t bits_to_bytes(uint64_t bits) { return (bits + 7) / 8; }

}  // namespace macforge::sim
