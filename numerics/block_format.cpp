#include "numerics/block_format.hpp"

#include <regex>

namespace macforge {
namespace {

struct BlockPreset {
  const char* name;
  const char* elem;
  int block;
  ScaleKind scale;
  Rule rule;
};

// FORMATS.md section 3. Adding a preset is adding a row.
const BlockPreset kBlockPresets[] = {
    {"mxfp8_e4m3", "fp8_e4m3", 32, ScaleKind::E8M0, Rule::Ocp},
    {"mxfp8_e5m2", "fp8_e5m2", 32, ScaleKind::E8M0, Rule::Ocp},
    {"mxfp6_e2m3", "fp6_e2m3", 32, ScaleKind::E8M0, Rule::Ocp},
    {"mxfp6_e3m2", "fp6_e3m2", 32, ScaleKind::E8M0, Rule::Ocp},
    {"mxfp4_e2m1", "fp4_e2m1", 32, ScaleKind::E8M0, Rule::Ocp},
    {"mxint8", "int8", 32, ScaleKind::E8M0, Rule::Ocp},
    {"mxint6", "int6", 32, ScaleKind::E8M0, Rule::Ocp},
    {"mxint4", "int4", 32, ScaleKind::E8M0, Rule::Ocp},
    {"nvfp4", "fp4_e2m1", 16, ScaleKind::UE4M3, Rule::Nv},
    {"nvint4", "int4", 16, ScaleKind::UE4M3, Rule::Nv},
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

BlockFormat make(const std::string& name, const ElemFormat& elem, Granularity g, int block,
                 ScaleKind scale) {
  BlockFormat f;
  f.name = name;
  f.elem = elem;
  f.gran = g;
  f.block = block;
  f.scale = scale;
  switch (scale) {
    case ScaleKind::None: f.default_rule = Rule::Cast; break;
    case ScaleKind::E8M0: f.default_rule = Rule::Ocp; break;
    case ScaleKind::UE4M3: f.default_rule = Rule::Nv; break;
    case ScaleKind::FP32: f.default_rule = Rule::Absmax; break;
  }
  return f;
}

}  // namespace

int BlockFormat::scale_bits() const {
  return (scale == ScaleKind::E8M0 || scale == ScaleKind::UE4M3) ? 8 : 0;
}

int BlockFormat::int_implicit_exp() const {
  return (elem.is_int() && scale == ScaleKind::E8M0) ? -(elem.bits - 2) : 0;
}

size_t BlockFormat::group_size(size_t cols) const {
  return gran == Granularity::Block ? size_t(block) : cols;
}

std::string BlockFormat::scale_name() const {
  switch (scale) {
    case ScaleKind::None: return "none";
    case ScaleKind::E8M0: return "e8m0";
    case ScaleKind::UE4M3: return "ue4m3+fp32";
    case ScaleKind::FP32: return "fp32";
  }
  return "?";
}

std::string BlockFormat::describe_block() const {
  switch (gran) {
    case Granularity::None: return "-";
    case Granularity::Block: return std::to_string(block);
    case Granularity::Channel: return "channel";
    case Granularity::Tensor: return "tensor";
  }
  return "?";
}

std::vector<std::string> block_preset_names() {
  std::vector<std::string> v;
  for (const BlockPreset& p : kBlockPresets) v.push_back(p.name);
  return v;
}

BlockFormat parse_block_format(const std::string& name) {
  for (const BlockPreset& p : kBlockPresets)
    if (name == p.name)
      return make(p.name, parse_elem_format(p.elem), Granularity::Block, p.block, p.scale);
  static const std::regex re("([^/]+)/([^/]+)/([^/]+)");
  std::smatch m;
  if (std::regex_match(name, m, re)) {
    ElemFormat elem = parse_elem_format(m[1].str());
    std::string blk = m[2].str(), sc = m[3].str();
    ScaleKind scale;
    if (sc == "e8m0") scale = ScaleKind::E8M0;
    else if (sc == "ue4m3") scale = ScaleKind::UE4M3;
    else if (sc == "fp32") scale = ScaleKind::FP32;
    else throw FormatError("format '" + name + "': unknown scale '" + sc + "' (valid: e8m0, ue4m3, fp32)");
    if (blk == "tensor" || blk == "channel") {
      if (scale != ScaleKind::FP32)
        throw FormatError("format '" + name + "': per-" + blk + " scaling takes scale fp32");
      return make(name, elem, blk == "tensor" ? Granularity::Tensor : Granularity::Channel, 0, scale);
    }
    if (!std::regex_match(blk, std::regex("[0-9]{1,6}")) || std::stoi(blk) < 1)
      throw FormatError("format '" + name + "': block must be a positive integer, 'channel' or 'tensor'");
    if (scale == ScaleKind::FP32)
      throw FormatError("format '" + name + "': fp32 scales are per tensor or per channel; use e8m0 or ue4m3 per block");
    if (scale == ScaleKind::UE4M3 && elem.is_float() && elem.special != Special::Finite)
      throw FormatError("format '" + name + "': the nv rule needs a finite-only element (fp4_e2m1, intN, eXmY)");
    return make(name, elem, Granularity::Block, std::stoi(blk), scale);
  }
  try {
    return make(name, parse_elem_format(name), Granularity::None, 0, ScaleKind::None);
  } catch (const FormatError&) {
    throw FormatError("unknown format '" + name + "' (valid: " + join(block_preset_names()) +
                      ", an element format such as fp8_e4m3, int8, e3m4, or ELEM/BLOCK/SCALE such as "
                      "fp8_e4m3/64/e8m0, int8/channel/fp32, int4/16/ue4m3)");
  }
}

Rule parse_rule(const std::string& s) {
  if (s == "ocp") return Rule::Ocp;
  if (s == "ceil") return Rule::Ceil;
  if (s == "nv") return Rule::Nv;
  if (s == "absmax") return Rule::Absmax;
  if (s == "cast") return Rule::Cast;
  throw FormatError("unknown rule '" + s + "' (valid: ocp, ceil, nv, absmax, cast)");
}

std::string rule_name(Rule r) {
  switch (r) {
    case Rule::Ocp: return "ocp";
    case Rule::Ceil: return "ceil";
    case Rule::Nv: return "nv";
    case Rule::Absmax: return "absmax";
    case Rule::Cast: return "cast";
  }
  return "?";
}

std::vector<Rule> valid_rules(const BlockFormat& f) {
  switch (f.scale) {
    case ScaleKind::None: return {Rule::Cast};
    case ScaleKind::E8M0: return {Rule::Ocp, Rule::Ceil};
    case ScaleKind::UE4M3: return {Rule::Nv};
    case ScaleKind::FP32: return {Rule::Absmax};
  }
  return {};
}

void check_rule(const BlockFormat& f, Rule r) {
  std::vector<std::string> names;
  for (Rule v : valid_rules(f)) {
    if (v == r) return;
    names.push_back(rule_name(v));
  }
  throw FormatError("rule '" + rule_name(r) + "' does not apply to format '" + f.name +
                    "' with scale " + f.scale_name() + " (valid: " + join(names) + ")");
}

}  // namespace macforge
