// libFuzzer harness: format-name parsing (numerics/elem_format.cpp,
// block_format.cpp). Bad names must throw FormatError; an accepted element
// format must be self-consistent: every finite code decodes and re-encodes to
// itself, and max_finite() is the largest decoded value (checked by
// enumerating the codes of formats up to 12 bits).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "numerics/block_format.hpp"

using namespace macforge;

namespace {

[[noreturn]] void fail(const std::string& name, const char* what, double got, double want) {
  std::fprintf(stderr, "format '%s': %s: got %a, want %a\n", name.c_str(), what, got, want);
  std::abort();
}

void check_elem(const ElemFormat& f) {
  if (f.bits < 2 || f.bits > 32) fail(f.name, "width", f.bits, 0);
  if (f.bits > 12) return;
  double maxv = 0;
  for (uint32_t c = 0; c < f.num_codes(); ++c) {
    if (!f.is_valid_code(c)) continue;
    double v = f.decode(c);
    if (std::isnan(v) || std::isinf(v)) continue;
    maxv = std::max(maxv, std::fabs(v));
    uint32_t back = f.encode(v);
    if (back != c) fail(f.name, "encode(decode(code)) != code", back, c);
  }
  if (f.max_finite() != maxv) fail(f.name, "max_finite", f.max_finite(), maxv);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string name(reinterpret_cast<const char*>(data), size);
  try {
    check_elem(parse_elem_format(name));
  } catch (const FormatError&) {
  }
  try {
    BlockFormat b = parse_block_format(name);
    check_elem(b.elem);
    if (b.has_block_scale() && (b.block < 1)) fail(name, "block size", b.block, 1);
    for (Rule r : valid_rules(b)) check_rule(b, r);  // must not throw
    (void)b.describe_block();
    (void)b.scale_name();
  } catch (const FormatError&) {
  }
  try {
    (void)parse_rule(name);
  } catch (const FormatError&) {
  }
  return 0;
}
