#include "sim/arch.hpp"

#include <algorithm>

#include "numerics/elem_format.hpp"

namespace macforge::sim {

Dataflow parse_dataflow(const std::string& s) {
  if (s == "os" || s == "OS" || s == "output-stationary" || s == "output_stationary") return Dataflow::OS;
  if (s == "ws" || s == "WS" || s == "weight-stationary" || s == "weight_stationary") return Dataflow::WS;
  if (s == "is" || s == "IS" || s == "input-stationary" || s == "input_stationary") return Dataflow::IS;
  throw FormatError("unknown dataflow '" + s + "' (valid: os, ws, is)");
}

std::string dataflow_name(Dataflow d) {
  switch (d) {
    case Dataflow::OS: return "os";
    case Dataflow::WS: return "ws";
    case Dataflow::IS: return "is";
  }
  return "?";
}

int ArraySpec::group() const {
  bool ba = a.has_block_scale(), bb = b.has_block_scale();
  if (ba && bb) return std::min(a.block, b.block);  // nesting is checked by the config
  if (ba) return a.block;
  if (bb) return b.block;
  return lanes;
}

int64_t ArraySpec::padded_k(int64_t K) const {
  return chunks(K) * lanes;
}

ArraySpec ArraySpec::in_mode(int m) const {
  if (modes.empty() && m == 0) return *this;
  if (m < 0 || m >= num_modes())
    throw FormatError("mode " + std::to_string(m) + " is not a mode of this array (allowed: " + mode_names() + ")");
  ArraySpec s = *this;
  const ModeSpec& md = modes[size_t(m)];
  s.mode = m;
  s.a = md.a;
  s.b = md.b;
  s.lanes = md.lanes;
  s.accum.lanes = md.lanes;
  // The generator's cycle definitions with this mode's chunks: nk = ceil(K /
  // lanes_m), Q = group_m / lanes_m (docs/timing_model.md section 3.5).
  if (md.timing.lanes > 0) {
    s.timing = md.timing;
  } else {
    s.timing.lanes = md.lanes;
    s.timing.group = s.group();
  }
  return s;
}

std::string ArraySpec::mode_name(int m) const {
  if (modes.empty()) return a.name == b.name ? a.name : a.name + "/" + b.name;
  return modes.at(size_t(m)).name;
}

std::string ArraySpec::mode_names() const {
  std::string s;
  for (int m = 0; m < num_modes(); ++m) s += (m ? ", " : "") + mode_name(m);
  return s;
}

namespace {

// Whether `text` names format f: f's spelling or any spelling that parses to
// the same canonical format.
bool names_format(const std::string& text, const BlockFormat& f) {
  if (text == f.name) return true;
  try {
    return parse_block_format(text).name == f.name;
  } catch (const FormatError&) {
    return false;
  }
}

}  // namespace

int ArraySpec::find_mode(const std::string& value) const {
  if (value.empty()) return 0;
  if (value.size() == 1 && value[0] >= '0' && value[0] < char('0' + num_modes())) return value[0] - '0';
  for (int m = 0; m < num_modes(); ++m) {
    const ArraySpec s = in_mode(m);
    if (value == mode_name(m)) return m;
    if (s.a.name == s.b.name && names_format(value, s.a)) return m;
    // "A/B": block formats may contain '/' themselves (int8/channel/fp32),
    // so try every split.
    for (size_t p = value.find('/'); p != std::string::npos; p = value.find('/', p + 1))
      if (names_format(value.substr(0, p), s.a) && names_format(value.substr(p + 1), s.b)) return m;
  }
  return -1;
}

uint64_t slice_bits(const BlockFormat& f, int64_t rows, int64_t k0, int64_t k1) {
  if (k1 <= k0 || rows <= 0) return 0;
  uint64_t per_row = uint64_t(k1 - k0) * uint64_t(f.elem.bits);
  if (f.has_block_scale()) {
    int64_t blk = f.block;
    int64_t first = k0 / blk, last = (k1 - 1) / blk;
    per_row += uint64_t(last - first + 1) * uint64_t(f.scale_bits());
  }
  return per_row * uint64_t(rows);
}

uint64_t scale_side_bits(const BlockFormat& f, int64_t rows) {
  if (f.has_tensor_scale()) return 32;
  if (f.has_fp32_scale()) return f.gran == Granularity::Channel ? 32 * uint64_t(rows) : 32;
  return 0;
}

}  // namespace macforge::sim
