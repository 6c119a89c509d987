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
