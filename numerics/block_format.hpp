// Block formats: an element format plus how it is scaled (FORMATS.md sections
// 2 and 3). A preset is one table row in block_format.cpp (kBlockPresets); any
// other combination is spelled ELEM/BLOCK/SCALE, e.g. fp8_e4m3/64/e8m0,
// int8/channel/fp32, int8/tensor/fp32, fp4_e2m1/16/ue4m3 (two-level, NV style).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "numerics/elem_format.hpp"

namespace macforge {

enum class ScaleKind {
  None,   // plain element cast, no scale
  E8M0,   // per block, power of two, code 0xFF = NaN
  UE4M3,  // per block, positive fp8_e4m3 value, always with an fp32 tensor scale
  FP32,   // one float32 per tensor or per channel (row)
};

enum class Granularity { None, Block, Channel, Tensor };

// Scale-selection rule (FORMATS.md section 4). Absmax is the per-tensor /
// per-channel fp32 rule s = amax / Qmax; Cast is the no-scale direct cast.
enum class Rule { Ocp, Ceil, Nv, Absmax, Cast };

struct BlockFormat {
  std::string name;
  ElemFormat elem;
  Granularity gran = Granularity::None;
  int block = 0;  // elements per block along K (Granularity::Block only)
  ScaleKind scale = ScaleKind::None;
  Rule default_rule = Rule::Cast;

  bool has_block_scale() const { return gran == Granularity::Block; }
  // NV two-level scheme: ue4m3 block scales under one fp32 tensor scale.
  bool has_tensor_scale() const { return scale == ScaleKind::UE4M3; }
  // Channel/tensor fp32 scales, applied after accumulation.
  bool has_fp32_scale() const { return scale == ScaleKind::FP32; }
  int scale_bits() const;  // bits of one block scale code (8) or 0

  // Exponent of the implicit power of two of an integer element inside an
  // e8m0 block: -(N-2) (FORMATS.md section 1); 0 everywhere else.
  int int_implicit_exp() const;
  // Qmax of the ceil/nv/absmax rules: the element's max finite value (Int: the
  // integer max).
  double qmax() const { return elem.max_finite(); }
  // Elements per scale group when quantizing a row of `cols` values.
  size_t group_size(size_t cols) const;

  std::string scale_name() const;
  std::string describe_block() const;  // "32", "channel", "tensor", "-"
};

// Parses a preset name or ELEM/BLOCK/SCALE, or a bare element name (no scale).
// Throws FormatError naming the valid choices.
BlockFormat parse_block_format(const std::string& name);
std::vector<std::string> block_preset_names();

Rule parse_rule(const std::string& name);  // ocp|ceil|nv|absmax|cast
std::string rule_name(Rule r);
// Throws FormatError if the rule does not apply to this format's scale kind.
void check_rule(const BlockFormat& fmt, Rule r);
// Which rules a format accepts, for error messages.
std::vector<Rule> valid_rules(const BlockFormat& fmt);

}  // namespace macforge
