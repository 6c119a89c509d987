// The PE datapath emitter: turns a PeSpec (gen/pe_spec.hpp) into Verilog-2005
// modules that implement the PE contract, plus the list of hand-written
// primitives from rtl/ they instantiate. The micro-architecture is described
// in docs/pe.md, the accumulation modes in docs/accumulation.md.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "gen/pe_spec.hpp"

namespace macforge::gen {

// Widths and structure of one PE, computed from the spec (all in bits).
// Exposed for documentation, tests and the synthesis reports.
struct PeWidths {
  int group = 0;            // elements per accumulation group
  int chunks_per_group = 0; // group / lanes
  bool int_only = false;    // INT x INT: no exponent logic before the group stage
  bool aligned = false;     // aligned:W datapath (false when W covers the whole range)
  int lane_product = 0;     // signed significand product
  int lane_exp = 0;         // offset exponent of a product (0: none)
  int lane_value = 0;       // signed product after alignment (fixed point or W-bit window)
  int chunk_sum = 0;        // signed adder-tree output
  int group_sum = 0;        // signed group accumulator
  int scaled_sum = 0;       // signed group sum times the ue4m3 significands
  int norm_sig = 0;         // magnitude bits of the normalized group value
  int exp_bits = 0;         // signed exponent width of the normalized group value
  int add_window = 0;       // significand window of the float32 accumulate adder
  std::vector<std::string> cuts;  // where the `pipeline` extra register stages sit
};

// Validates the spec and computes latency, ports and widths without emitting.
// Throws FormatError with a message naming the offending field.
PeInfo pe_info(const PeSpec& spec);
PeWidths pe_widths(const PeSpec& spec);

// The Verilog of every module generated for this PE, one file per module
// (so that `verilator -Wall` finds each module in a file of its name):
// <module_name>_mul.v (one lane), <module_name>_fadd.v (float32 accumulate
// adder) and <module_name>.v (the PE), in compile order. The primitives of
// pe_primitive_files() must be compiled alongside.
struct PeFile {
  std::string name;  // file name, no directory
  std::string text;
};
std::vector<PeFile> pe_files(const PeSpec& spec);

// The same modules concatenated into one stream.
PeInfo emit_pe(const PeSpec& spec, std::ostream& out);

// Writes the pe_files() into out_dir and copies the primitives it needs there
// (creating the directory). Returns the same PeInfo as pe_info().
PeInfo emit_pe(const PeSpec& spec, const std::string& out_dir);

// Absolute paths of the hand-written rtl/*.v files the PE instantiates, in
// compile order. Their module names (mf_*) are shared by every PE: copy each
// file once per design.
std::vector<std::string> pe_primitive_files(const PeSpec& spec);

// The float32 multiplier primitive of the output stage (tensor/channel scales):
// module mf_fp32_mul (a, b -> y), combinational, y = RNE32(a * b) with IEEE
// subnormals and specials (canonical NaN 0x7FC00000). Returns its files
// (mf_fp32_mul.v and the mf_lzc.v it instantiates), absolute paths.
std::vector<std::string> fp32_mul_primitive_files();

// Directory of the hand-written primitives (the source tree's rtl/).
std::string rtl_dir();

}  // namespace macforge::gen
