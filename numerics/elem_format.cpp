#include "numerics/elem_format.hpp"

#include <cmath>
#include <limits>
#include <regex>

namespace macforge {
namespace {

ElemFormat fp(const char* name, int e, int m, Special sp) {
  ElemFormat f;
  f.name = name;
  f.kind = ElemKind::Float;
  f.ebits = e;
  f.mbits = m;
  f.bits = 1 + e + m;
  f.bias = (1 << (e - 1)) - 1;
  f.special = sp;
  return f;
}

// The element presets: adding one is adding a row (FORMATS.md section 1).
const ElemFormat kElemPresets[] = {
    fp("fp8_e4m3", 4, 3, Special::NanOnly),
    fp("fp8_e5m2", 5, 2, Special::Ieee),
    fp("fp6_e2m3", 2, 3, Special::Finite),
    fp("fp6_e3m2", 3, 2, Special::Finite),
    fp("fp4_e2m1", 2, 1, Special::Finite),
    fp("bf16", 8, 7, Special::Ieee),
    fp("fp16", 5, 10, Special::Ieee),
    fp("fp32", 8, 23, Special::Ieee),
};

ElemFormat int_format(int n, bool full) {
  ElemFormat f;
  f.name = "int" + std::to_string(n) + (full ? "_full" : "");
  f.kind = ElemKind::Int;
  f.bits = n;
  f.int_full_range = full;
  return f;
}

// Largest exponent field value that encodes finite numbers. An FN format
// without mantissa bits (e2m0_fn) has only S.1..1 at the all-ones exponent,
// and that is NaN: its largest finite number sits one exponent lower (the
// mantissa 'all ones minus one' wrapped to 2^32-1 there, and the quantizer
// emitted the NaN code for large values; found by fuzz_quantize).
int max_exp_field(const ElemFormat& f) {
  int all_ones = (1 << f.ebits) - 1;
  if (f.special == Special::NanOnly && f.mbits == 0) return all_ones - 1;
  return f.special == Special::Ieee ? all_ones - 1 : all_ones;
}

// Largest mantissa field at max_exp_field.
uint32_t max_mant_field(const ElemFormat& f) {
  uint32_t all = (1u << f.mbits) - 1u;
  if (f.special == Special::NanOnly && f.mbits == 0) return 0;
  return f.special == Special::NanOnly ? all - 1u : all;
}

}  // namespace

std::vector<std::string> elem_preset_names() {
  std::vector<std::string> names;
  for (const ElemFormat& f : kElemPresets) names.push_back(f.name);
  names.push_back("intN (N=2..16)");
  names.push_back("intN_full");
  names.push_back("eXmY[_fn|_ieee]");
  return names;
}

// A width from the name; more than 3 digits is out of every range below (and
// would overflow stoi: an uncaught std::out_of_range, found by fuzz_formats).
int width_field(const std::string& digits) { return digits.size() > 3 ? 999 : std::stoi(digits); }

ElemFormat parse_elem_format(const std::string& name) {
  for (const ElemFormat& f : kElemPresets)
    if (f.name == name) return f;
  std::smatch m;
  static const std::regex int_re("int([0-9]+)(_full)?");
  if (std::regex_match(name, m, int_re)) {
    int n = width_field(m[1].str());
    if (n < 2 || n > 16)
      throw FormatError("integer element '" + name + "': width must be 2..16 bits");
    return int_format(n, m[2].matched);
  }
  static const std::regex fp_re("(?:fp[0-9]+_)?e([0-9]+)m([0-9]+)(_fn|_ieee)?");
  if (std::regex_match(name, m, fp_re)) {
    int e = width_field(m[1].str()), mb = width_field(m[2].str());
    if (e < 1 || e > 8 || mb < 0 || mb > 23 || 1 + e + mb > 32)
      throw FormatError("element format '" + name +
                        "': exponent bits must be 1..8 and mantissa bits 0..23");
    Special sp = Special::Finite;
    if (m[3].matched) sp = m[3].str() == "_fn" ? Special::NanOnly : Special::Ieee;
    if (sp == Special::Ieee && e < 2)
      throw FormatError("element format '" + name + "': _ieee needs at least 2 exponent bits");
    if (sp == Special::NanOnly && e + mb < 2)
      throw FormatError("element format '" + name + "': _fn needs at least 2 exponent+mantissa bits");
    ElemFormat f = fp(name.c_str(), e, mb, sp);
    return f;
  }
  std::string valid;
  for (const std::string& s : elem_preset_names()) valid += (valid.empty() ? "" : ", ") + s;
  throw FormatError("unknown element format '" + name + "' (valid: " + valid + ")");
}

double ElemFormat::max_finite() const {
  if (is_int()) return double(int_max());
  int e = max_exp_field(*this);
  double frac = 1.0 + double(max_mant_field(*this)) / double(1u << mbits);
  if (e == 0) frac -= 1.0;  // e1m0-like corner: all codes subnormal
  return std::ldexp(frac, std::max(e, 1) - bias);
}

double ElemFormat::min_normal() const {
  return is_int() ? 1.0 : std::ldexp(1.0, emin());
}

double ElemFormat::min_subnormal() const {
  return is_int() ? 1.0 : std::ldexp(1.0, emin() - mbits);
}

int ElemFormat::emax() const {
  if (is_int()) return 0;
  int e;
  std::frexp(max_finite(), &e);
  return e - 1;
}

int64_t ElemFormat::int_min() const {
  return int_full_range ? -(int64_t{1} << (bits - 1)) : -int_max();
}

bool ElemFormat::is_nan(uint32_t code) const {
  if (is_int()) return false;
  uint32_t mag = code & (code_mask() >> 1);
  uint32_t e = mag >> mbits, m = mag & ((1u << mbits) - 1u);
  uint32_t all = (1u << ebits) - 1u;
  switch (special) {
    case Special::Finite: return false;
    case Special::NanOnly: return e == all && m == (1u << mbits) - 1u;
    case Special::Ieee: return e == all && m != 0;
  }
  return false;
}

bool ElemFormat::is_inf(uint32_t code) const {
  if (is_int() || special != Special::Ieee) return false;
  uint32_t mag = code & (code_mask() >> 1);
  return mag == (((1u << ebits) - 1u) << mbits);
}

bool ElemFormat::is_valid_code(uint32_t code) const {
  if (code > code_mask()) return false;
  if (is_int() && !int_full_range) return code != (1u << (bits - 1));
  return true;
}

double ElemFormat::decode(uint32_t code) const {
  code &= code_mask();
  if (is_int()) {
    // Two's complement: the top bit weighs -2^(N-1).
    int64_t q = int64_t(code);
    if (code >> (bits - 1)) q -= int64_t{1} << bits;
    return double(q);
  }
  bool neg = (code >> (bits - 1)) & 1u;
  if (is_nan(code)) return std::numeric_limits<double>::quiet_NaN();
  if (is_inf(code)) return neg ? -HUGE_VAL : HUGE_VAL;
  uint32_t e = (code >> mbits) & ((1u << ebits) - 1u);
  uint32_t m = code & ((1u << mbits) - 1u);
  double sig = e ? double((1u << mbits) | m) : double(m);
  double v = std::ldexp(sig, int(e ? e : 1) - bias - mbits);
  return neg ? -v : v;
}

void ElemFormat::to_sig_exp(uint32_t code, int64_t& sig, int& exp) const {
  code &= code_mask();
  if (is_int()) {
    int64_t q = int64_t(code);
    if (code >> (bits - 1)) q -= int64_t{1} << bits;
    sig = q;
    exp = 0;
    return;
  }
  uint32_t e = (code >> mbits) & ((1u << ebits) - 1u);
  uint32_t m = code & ((1u << mbits) - 1u);
  int64_t s = e ? int64_t((1u << mbits) | m) : int64_t(m);
  sig = ((code >> (bits - 1)) & 1u) ? -s : s;
  exp = int(e ? e : 1) - bias - mbits;
}

uint32_t ElemFormat::encode(double x) const {
  if (is_int()) {
    if (std::isnan(x)) return 0;
    // nearbyint rounds ties to even in the default rounding mode.
    double q = std::nearbyint(x);
    q = std::min(std::max(q, double(int_min())), double(int_max()));
    int64_t qi = int64_t(q);
    return uint32_t(qi) & code_mask();
  }
  uint32_t sign = std::signbit(x) ? (1u << (bits - 1)) : 0u;
  if (std::isnan(x)) {
    if (special == Special::Ieee) return (((1u << ebits) - 1u) << mbits) | (1u << (mbits ? mbits - 1 : 0)) | sign;
    if (special == Special::NanOnly) return code_mask() >> 1 | sign;
    return sign;
  }
  double a = std::fabs(x);
  double maxv = max_finite();
  if (a >= maxv) {  // saturate (also Inf inputs)
    if (std::isinf(a) && special == Special::Ieee) return sign | (((1u << ebits) - 1u) << mbits);
    return sign | (uint32_t(max_exp_field(*this)) << mbits) | max_mant_field(*this);
  }
  // Quantum of the binade of a (subnormal binade below min normal).
  int e;
  std::frexp(a, &e);  // a = f * 2^e, f in [0.5,1): floor(log2 a) = e-1
  int unb = std::max(e - 1, emin());
  double quantum = std::ldexp(1.0, unb - mbits);
  double units = std::nearbyint(a / quantum);  // exact division: power of two
  double r = units * quantum;
  if (r > maxv) r = maxv;  // a rounds past max only at the saturation boundary
  // Re-encode the rounded value (which may have moved up one binade).
  if (r == 0.0) return sign;
  std::frexp(r, &e);
  unb = e - 1;
  uint32_t efield, mfield;
  if (unb < emin()) {
    efield = 0;
    mfield = uint32_t(std::ldexp(r, mbits - emin()));
  } else {
    efield = uint32_t(unb + bias);
    mfield = uint32_t(std::ldexp(r, mbits - unb)) - (1u << mbits);
  }
  return sign | (efield << mbits) | mfield;
}

}  // namespace macforge
