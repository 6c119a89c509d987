// What one processing element (PE) computes, and the Verilog contract of the
// PE module the generator emits. Shared by the PE emitter (pe_*.cpp) and the
// array emitter (array_*.cpp); neither reaches into the other's internals.
//
// PE module ports (Verilog-2005, flat, all `wire`):
//   input  clk
//   input  rst                      synchronous, active high: clears valid/accumulator state
//   input  in_valid                 a chunk of LANES operand pairs is on in_a/in_b this cycle
//   input  in_first                 first chunk of a dot product (OS: accumulator restarts at +0.0)
//   input  in_blk_last              last chunk of an accumulation group (a block, or a chunk
//                                   of LANES elements when neither operand is block-scaled):
//                                   the group's value is rounded into the accumulator
//   input  in_last                  last chunk of the dot product: the result comes out
//   input  [LANES*A_BITS-1:0] in_a  lane i at [i*A_BITS +: A_BITS], element codes of A
//   input  [LANES*B_BITS-1:0] in_b  likewise for B
//   input  [7:0] in_a_scale         only if A is block-scaled: the e8m0/ue4m3 code of the block
//                                   the chunk belongs to (must be held for every chunk of it)
//   input  [7:0] in_b_scale         only if B is block-scaled
//   input  [31:0] in_acc            only when acc_source == External (weight-stationary chains):
//                                   the float32 the group value is added to; sampled on the
//                                   in_blk_last chunk (in_first is ignored then)
//   output out_valid                one cycle, LATENCY cycles after the in_valid cycle that had
//                                   in_last (Internal) or in_blk_last (External)
//   output [31:0] out_acc           float32 bits: the accumulator, FORMATS.md exact-block (or
//                                   the configured mode), before tensor/channel scales
// A chunk may be presented every cycle, back to back across groups and dot products.
#pragma once

#include <string>

#include "numerics/block_format.hpp"
#include "numerics/dot.hpp"

namespace macforge::gen {

enum class AccSource {
  Internal,  // the PE keeps the float32 accumulator (output-stationary)
  External,  // in_acc + group value -> out_acc (weight-stationary partial-sum chains)
};

// How the lane products are built (docs/pe.md "Multipliers"): Yosys' `*`
// (behavioural), or written out by the generator as an AND array with
// Baugh-Wooley signs (array) or radix-4 Booth rows (booth4), each reduced by a
// Dadda tree of full adders (gen/pe/compressor_tree.hpp). In INT x INT PEs the
// generated kinds put all lanes into one tree (a fused dot-product unit).
enum class Multiplier { Behavioural, Array, Booth4 };
// The smaller on the built-in library over the 8-lane mxint8 and mxfp8_e4m3
// PEs (docs/pe.md "Multipliers": booth4 wins only on 8-bit INT lanes, by 3.6%;
// on 4-bit FP significands its recoding costs more than the rows it saves).
constexpr Multiplier kDefaultMultiplier = Multiplier::Array;
inline const char* multiplier_name(Multiplier m) {
  return m == Multiplier::Booth4 ? "booth4" : m == Multiplier::Array ? "array" : "behavioural";
}
constexpr const char* kMultiplierChoices = "booth4, array, behavioural";

struct PeSpec {
  std::string module_name;  // e.g. "mxint8_pe"
  BlockFormat a, b;         // operand formats (mixed allowed)
  int lanes = 1;            // 1..64; must divide the accumulation group when block-scaled
  AccumSpec accum;          // exact-block (default) or aligned:W
  int pipeline = 0;         // extra register stages inside the PE (0..N)
  AccSource acc_source = AccSource::Internal;
  Multiplier multiplier = kDefaultMultiplier;
};

struct PeInfo {
  std::string module_name;
  int latency = 0;    // cycles from the last input chunk to out_valid
  int a_bits = 0, b_bits = 0;
  bool a_scale = false, b_scale = false;  // whether in_a_scale / in_b_scale exist
  int group = 0;      // elements per accumulation group (block or lanes)
};

}  // namespace macforge::gen
