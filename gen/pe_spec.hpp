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
//   input  in_mode                  only in a multi-format PE (PeSpec::modes == 2): 0 runs mode 0
//                                   (a x b, `lanes` lanes), 1 runs mode 1 (a1 x b1, lanes1()
//                                   lanes). Sampled with every chunk; all chunks of one dot
//                                   product (OS) or group (WS) carry the same mode, and the next
//                                   one may switch mode on the very next cycle (no drain). In
//                                   mode m lane i of A is at in_a[i*BITS_m +: BITS_m]; in_a is
//                                   max over modes of LANES_m*BITS_m wide (upper bits unused in
//                                   the narrower mode), likewise in_b; in_a_scale / in_b_scale
//                                   carry the block-scale code of the running mode's format and
//                                   exist when either mode's operand is block-scaled.
//   output out_valid                one cycle, LATENCY cycles after the in_valid cycle that had
//                                   in_last (Internal) or in_blk_last (External)
//   output [31:0] out_acc           float32 bits: the accumulator, FORMATS.md exact-block (or
//                                   the configured mode), before tensor/channel scales
// A chunk may be presented every cycle, back to back across groups and dot products.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

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

// Circuit reuse between the two modes of a multi-format PE (docs/pe.md
// "Multi-format PEs"; the INT v.s. FP paper, arXiv 2510.25602, Table 7):
//   None        both datapaths side by side, sharing the input registers, the
//               normalizer and the float32 accumulator;
//   IntScheme1  the int8 lane multiplier also computes one int4 product (operands
//               placed in the upper bits, XXXX_0000); the other int4 lanes are extra;
//   IntScheme2  every int8 lane is two int8 x int4 partial multipliers: together the
//               int8 x int8 product, in 4-bit mode two int4 products;
//   FpShared    the fp8 lane multiplier also computes one fp4/fp6 product (the narrow
//               fields placed in the wide ones, E2M1 -> S_00EE_M00 in E4M3).
enum class Reuse { None, IntScheme1, IntScheme2, FpShared };
inline const char* reuse_name(Reuse r) {
  return r == Reuse::IntScheme1 ? "int-scheme1"
         : r == Reuse::IntScheme2 ? "int-scheme2"
         : r == Reuse::FpShared   ? "fp-shared"
                                  : "none";
}
constexpr const char* kReuseChoices = "none, int-scheme1, int-scheme2, fp-shared";

struct PeSpec {
  std::string module_name;  // e.g. "mxint8_pe"
  BlockFormat a, b;         // operand formats (mixed allowed)
  int lanes = 1;            // 1..64; must divide the accumulation group when block-scaled
  AccumSpec accum;          // exact-block (default) or aligned:W
  int pipeline = 0;         // extra register stages inside the PE (0..N)
  AccSource acc_source = AccSource::Internal;
  Multiplier multiplier = kDefaultMultiplier;
  // Multi-format PE: modes == 2 adds mode 1 (in_mode = 1), a1 x b1. Mode 0 (a, b,
  // lanes) has 8-bit elements; mode 1 has 4-bit elements and 2 x lanes lanes (twice
  // the MACs per cycle), or 6-bit elements and `lanes` lanes (the FP6 rate of
  // NVIDIA's f8f6f4 MMA kind equals FP8's). accum must be exact-block.
  int modes = 1;
  BlockFormat a1, b1;
  Reuse reuse = Reuse::None;
};

// The lanes of mode m of a spec (mode 1: 2 x lanes for 4-bit elements).
inline int mode_lanes(const PeSpec& s, int m) {
  if (m == 0 || s.modes < 2) return s.lanes;
  return std::max(s.a1.elem.bits, s.b1.elem.bits) <= 4 ? 2 * s.lanes : s.lanes;
}

// One mode of a PE as the array and the drivers see it.
struct PeModeInfo {
  BlockFormat a, b;
  int lanes = 0;
  int a_bits = 0, b_bits = 0;             // element bits
  bool a_scale = false, b_scale = false;  // block-scaled (scale code on in_*_scale)
  int group = 0;                          // elements per accumulation group
};

struct PeInfo {
  std::string module_name;
  int latency = 0;    // cycles from the last input chunk to out_valid
  int a_bits = 0, b_bits = 0;
  bool a_scale = false, b_scale = false;  // whether in_a_scale / in_b_scale exist
  int group = 0;      // elements per accumulation group (block or lanes)
  // Every mode (one entry for a single-format PE; mode[0] repeats the fields
  // above). Ports: in_mode exists when mode.size() == 2; in_a / in_b are
  // a_port_bits / b_port_bits wide (max over modes of lanes x element bits).
  std::vector<PeModeInfo> mode;
  int a_port_bits = 0, b_port_bits = 0;
};

}  // namespace macforge::gen
