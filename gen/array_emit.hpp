// The systolic array and top-level modules around the emitted PE
// (docs/array.md): an R x C grid of PEs with operands forwarded one PE per
// cycle, input skew, output collection and the tensor/channel scale stage.
#pragma once

#include <string>
#include <vector>

#include "gen/config.hpp"
#include "gen/pe_spec.hpp"
#include "gen/schedule.hpp"
#include "gen/verilog.hpp"

namespace macforge::gen {

// The float32 multiplier primitive of the output stage: y = RNE32(a * b),
// IEEE specials and subnormals, `latency` register stages (clk port when > 0).
struct Fp32Mul {
  std::string module;
  std::string a = "a", b = "b", y = "y", clk = "clk";
  int latency = 0;
};

// How an operand's tensor/channel float32 scale reaches the output stage.
enum class GScale { None, Tensor, Channel };
GScale gscale_of(const BlockFormat& f);

struct ArrayDesign {
  std::string top, array, pe;  // module names
  std::vector<Port> ports;     // ports of the top module
  ArrayTiming timing;
  GScale ga = GScale::None, gb = GScale::None;
  int scale_slots = 0;         // OS: per-tile scale buffer depth
  int mul_count = 0;           // float32 multipliers in the output stage
  struct File {
    std::string name, text;
  };
  std::vector<File> files;     // the part, array and top modules, compile order
  // Modules instantiated many times (PE positions of the grid, register
  // stages, hold registers), one file each: synthesis maps each once.
  std::vector<std::string> parts;
};

// The name prefix of a config's part modules: NAME_p_ (synthesis keeps their
// hierarchy; docs/synthesis.md).
std::string part_prefix(const std::string& config_name);

// The schedule constants of a config with this PE (what emit_array uses), in
// mode `mode` of a multi-format PE: that mode's lanes and group (so its chunks
// nk and Q); rows, columns, LAT and the output stage S are the same in every
// mode (S covers the tensor/channel scales of all modes; docs/array.md
// section 6). Throws std::invalid_argument for a mode the PE lacks.
ArrayTiming array_timing(const ArrayConfig& cfg, const PeInfo& pe, int mul_latency = 0, int mode = 0);

// Emits the grid and top modules for a validated config and its PE.
ArrayDesign emit_array(const ArrayConfig& cfg, const PeInfo& pe, const Fp32Mul& mul);

}  // namespace macforge::gen
