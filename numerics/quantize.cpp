#include "numerics/quantize.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

namespace macforge {

uint32_t f32_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

float f32_from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

namespace {

uint64_t f64_bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

double f64_from_bits(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

constexpr double kTwo52 = 4503599627370496.0;  // 2^52: adding it rounds to an integer, ties even

// Rounds a non-negative magnitude onto an element grid and returns the code
// magnitude (sign bit clear). The grid is the element format's values times
// 2^implicit_exp (MX integers). Built once per quantize call so the per-element
// work is a few integer operations on the double's bits.
struct ElemRounder {
  bool is_int = false;
  int mbits = 0;
  int bias = 0;
  int implicit_exp = 0;
  double maxv = 0;         // largest grid value
  uint32_t max_code = 0;   // its code magnitude
  double min_normal = 0;   // FP: smallest normal grid value
  double sub_quantum = 0;  // FP: grid step below min_normal; Int: the step
  double inv_sub_quantum = 0;
  uint32_t sign_bit = 0;

  explicit ElemRounder(const ElemFormat& f, int implicit = 0) {
    is_int = f.is_int();
    mbits = f.mbits;
    bias = f.bias;
    implicit_exp = implicit;
    maxv = std::ldexp(f.max_finite(), implicit);
    max_code = f.encode(f.max_finite()) & (f.code_mask() >> 1);
    if (is_int) max_code = uint32_t(f.int_max());
    min_normal = is_int ? 0.0 : std::ldexp(1.0, f.emin() + implicit);
    sub_quantum = is_int ? std::ldexp(1.0, implicit) : std::ldexp(f.min_subnormal(), implicit);
    inv_sub_quantum = 1.0 / sub_quantum;
    sign_bit = 1u << (f.bits - 1);
  }

  // Exponent of maxv's leading bit: FORMATS.md's emax_elem (0 for MX integers).
  int emax() const {
    int e;
    std::frexp(maxv, &e);
    return e - 1;
  }

  // y >= 0 finite. Returns the code magnitude (Int: |q|); r gets the grid value.
  uint32_t round_mag(double y, double& r) const {
    if (y >= maxv) {
      r = maxv;
      return max_code;
    }
    if (is_int || y < min_normal) {
      // Fixed step: y/step is exact, +2^52 rounds it to an integer ties-even.
      double units = (y * inv_sub_quantum + kTwo52) - kTwo52;
      r = units * sub_quantum;
      return uint32_t(units);  // FP subnormal: e=0, m=units (units==2^M is min normal)
    }
    // Normal binade: round the double's fraction to mbits, ties to even; a carry
    // out of the fraction correctly bumps the exponent.
    int shift = 52 - mbits;
    uint64_t b = f64_bits(y);
    uint64_t lsb = (b >> shift) & 1u;
    b = (b + ((uint64_t{1} << (shift - 1)) - 1u) + lsb) & ~((uint64_t{1} << shift) - 1u);
    r = f64_from_bits(b);
    int unb = int(b >> 52) - 1023 - implicit_exp;
    uint32_t efield = uint32_t(unb + bias);
    uint32_t mfield = uint32_t(b >> shift) & ((1u << mbits) - 1u);
    return (efield << mbits) | mfield;
  }

  // Signed: the code and the grid value (sign kept for FP zero; Int has no -0).
  uint32_t round(double v, double& r, uint32_t code_mask) const {
    bool neg = std::signbit(v);
    uint32_t mag = round_mag(std::fabs(v), r);
    if (is_int) {
      if (neg && mag) {
        r = -r;
        return (0u - mag) & code_mask;
      }
      r = std::fabs(r);  // +0.0
      return mag;
    }
    if (neg) {
      r = -r;
      return mag | sign_bit;
    }
    return mag;
  }
};

bool block_has_nonfinite(const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return true;
  return false;
}

float abs_max(const float* x, size_t n) {
  float m = 0.0f;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Codes for a block whose every output is NaN: elements 0, or the element's NaN.
void fill_nan(const ElemFormat& f, uint32_t* codes, float* out, size_t n) {
  uint32_t c = f.is_int() || f.special == Special::Finite ? 0u : f.encode(std::nan(""));
  for (size_t i = 0; i < n; ++i) {
    codes[i] = c;
    out[i] = kNaN;
  }
}

// Quantizes one e8m0-scaled block with exponent `shared`; returns nothing, the
// scale code is the caller's.
void quantize_pow2_block(const ElemRounder& rnd, uint32_t code_mask, int shared, const float* x,
                         size_t n, uint32_t* codes, float* out) {
  double down = std::ldexp(1.0, -shared), up = std::ldexp(1.0, shared);
  for (size_t i = 0; i < n; ++i) {
    double r;
    codes[i] = rnd.round(double(x[i]) * down, r, code_mask);  // exact: power of two in double
    out[i] = float(r * up);  // exact, or +-Inf past FLT_MAX (ceil rule, FORMATS.md 7)
  }
}

void quantize_e8m0(const BlockFormat& fmt, Rule rule, const ElemRounder& rnd, const float* x,
                   size_t n, uint32_t& scode, uint32_t* codes, float* out) {
  const ElemFormat& f = fmt.elem;
  if (block_has_nonfinite(x, n)) {
    scode = 0xFF;
    fill_nan(f, codes, out, n);
    return;
  }
  float amax = abs_max(x, n);
  if (amax == 0.0f) {
    scode = 0x00;
    for (size_t i = 0; i < n; ++i) {
      double r;
      codes[i] = rnd.round(double(x[i]), r, f.code_mask());  // keeps -0 for FP
      out[i] = float(r);
    }
    return;
  }
  int shared;
  if (rule == Rule::Ocp) {
    shared = f32_floor_log2(amax) - rnd.emax();
  } else {  // ceil
    float s = amax / float(fmt.qmax());
    shared = s == 0.0f ? -127 : f32_ceil_log2(s) - fmt.int_implicit_exp();
  }
  shared = std::min(std::max(shared, -127), 127);
  scode = uint32_t(shared + 127);
  quantize_pow2_block(rnd, f.code_mask(), shared, x, n, codes, out);
}

}  // namespace

int f32_floor_log2(float x) {
  uint32_t b = f32_bits(x) & 0x7FFFFFFFu;
  int e = int(b >> 23);
  if (e) return e - 127;
  // Subnormal: value = m * 2^-149, floor(log2) = -149 + index of the top bit.
  int top = 31 - __builtin_clz(b);
  return -149 + top;
}

int f32_ceil_log2(float x) {
  uint32_t b = f32_bits(x) & 0x7FFFFFFFu;
  int fl = f32_floor_log2(x);
  int e = int(b >> 23);
  bool pow2 = e ? (b & 0x7FFFFFu) == 0 : (b & (b - 1)) == 0;
  return pow2 ? fl : fl + 1;
}

double scale_value(ScaleKind kind, uint32_t code) {
  static const ElemFormat e4m3 = parse_elem_format("fp8_e4m3");
  switch (kind) {
    case ScaleKind::E8M0:
      return code == 0xFF ? std::nan("") : std::ldexp(1.0, int(code) - 127);
    case ScaleKind::UE4M3: return e4m3.decode(code & 0x7F);
    case ScaleKind::FP32: return double(f32_from_bits(code));
    case ScaleKind::None: return 1.0;
  }
  return 1.0;
}

size_t QMatrix::blocks_per_row() const {
  if (fmt.gran != Granularity::Block) return 1;
  return (cols + size_t(fmt.block) - 1) / size_t(fmt.block);
}

size_t QMatrix::block_len() const {
  return fmt.gran == Granularity::Block ? size_t(fmt.block) : cols;
}

float QMatrix::channel_scale(size_t r) const {
  if (!fmt.has_fp32_scale()) return 1.0f;
  return chan_scale.size() == 1 ? chan_scale[0] : chan_scale[r];
}

QMatrix quantize(const BlockFormat& fmt, Rule rule, const float* x, size_t rows, size_t cols) {
  check_rule(fmt, rule);
  QMatrix q;
  q.fmt = fmt;
  q.rule = rule;
  q.rows = rows;
  q.cols = cols;
  q.codes.assign(rows * cols, 0);
  q.dequant.assign(rows * cols, 0.0f);
  const ElemFormat& f = fmt.elem;
  const uint32_t mask = f.code_mask();

  if (rule == Rule::Cast) {
    ElemRounder rnd(f);
    for (size_t i = 0; i < rows * cols; ++i) {
      float v = x[i];
      if (std::isnan(v)) {
        q.codes[i] = f.is_int() ? 0u : f.encode(double(v));
        q.dequant[i] = kNaN;
      } else if (std::isinf(v) && f.special == Special::Ieee) {
        q.codes[i] = f.encode(double(v));
        q.dequant[i] = v;
      } else {
        double r;
        q.codes[i] = rnd.round(double(v), r, mask);
        q.dequant[i] = float(r);
      }
    }
    return q;
  }

  if (rule == Rule::Ocp || rule == Rule::Ceil) {
    ElemRounder rnd(f, fmt.int_implicit_exp());
    size_t nb = q.blocks_per_row(), B = size_t(fmt.block);
    q.scale_codes.assign(rows * nb, 0);
    for (size_t r = 0; r < rows; ++r)
      for (size_t j = 0; j < nb; ++j) {
        size_t c0 = j * B, n = std::min(B, cols - c0), i0 = r * cols + c0;
        quantize_e8m0(fmt, rule, rnd, x + i0, n, q.scale_codes[r * nb + j], &q.codes[i0],
                      &q.dequant[i0]);
      }
    return q;
  }

  if (rule == Rule::Nv) {
    // NVIDIA Transformer Engine order; every step one float32 operation (RNE).
    static const ElemFormat e4m3 = parse_elem_format("fp8_e4m3");
    ElemRounder rnd(f);
    const float qmax = float(fmt.qmax());
    float amax_t = abs_max(x, rows * cols);
    float gE = (448.0f * qmax) / amax_t;
    if (!std::isfinite(gE)) gE = FLT_MAX;
    if (gE == 0.0f) gE = 1.0f;
    float gD = 1.0f / gE;
    q.tensor_amax = amax_t;
    q.tensor_gd = gD;
    const float ginv = gE * (1.0f / qmax);
    size_t nb = q.blocks_per_row(), B = size_t(fmt.block);
    q.scale_codes.assign(rows * nb, 0);
    for (size_t r = 0; r < rows; ++r)
      for (size_t j = 0; j < nb; ++j) {
        size_t c0 = j * B, n = std::min(B, cols - c0), i0 = r * cols + c0;
        const float* xb = x + i0;
        float t = std::min(abs_max(xb, n) * ginv, 448.0f);
        uint32_t dcode = e4m3.encode(double(t));
        q.scale_codes[r * nb + j] = dcode;
        float d = float(e4m3.decode(dcode));
        float sd = d * gD;
        float e = std::min(1.0f / sd, FLT_MAX);
        for (size_t i = 0; i < n; ++i) {
          double rv;
          if (d == 0.0f) {
            q.codes[i0 + i] = rnd.round(f.is_int() ? 0.0 : std::copysign(0.0, xb[i]), rv, mask);
          } else {
            float y = std::min(std::max(xb[i] * e, -qmax), qmax);
            q.codes[i0 + i] = rnd.round(double(y), rv, mask);
          }
          q.dequant[i0 + i] = float(rv) * sd;
        }
      }
    return q;
  }

  // Absmax: one fp32 scale s = amax/Qmax per channel (row) or per tensor.
  ElemRounder rnd(f);
  const float qmax = float(fmt.qmax());
  bool per_row = fmt.gran == Granularity::Channel;
  size_t ngroups = per_row ? rows : 1, glen = per_row ? cols : rows * cols;
  q.chan_scale.assign(ngroups, 1.0f);
  for (size_t g = 0; g < ngroups; ++g) {
    const float* xg = x + g * glen;
    if (block_has_nonfinite(xg, glen)) {
      q.chan_scale[g] = kNaN;
      fill_nan(f, &q.codes[g * glen], &q.dequant[g * glen], glen);
      continue;
    }
    float amax = abs_max(xg, glen);
    float s = amax / qmax;
    if (s == 0.0f) s = 1.0f;  // all-zero (or underflowing) group: elements 0, scale 1
    q.chan_scale[g] = s;
    for (size_t i = 0; i < glen; ++i) {
      float y = std::min(std::max(xg[i] / s, -qmax), qmax);
      double rv;
      q.codes[g * glen + i] = rnd.round(double(y), rv, mask);
      q.dequant[g * glen + i] = float(rv) * s;
    }
  }
  return q;
}

std::vector<float> dequantize(const QMatrix& q) {
  const ElemFormat& f = q.fmt.elem;
  std::vector<float> out(q.rows * q.cols);
  int ie = q.fmt.int_implicit_exp();
  for (size_t r = 0; r < q.rows; ++r)
    for (size_t c = 0; c < q.cols; ++c) {
      double v = std::ldexp(f.decode(q.code(r, c)), ie);
      double s = 1.0;
      if (q.fmt.has_block_scale()) s = scale_value(q.fmt.scale, q.scale_code(r, c / q.block_len()));
      if (q.fmt.has_tensor_scale()) {
        // NV: q * (d * gD), two float32 roundings as in the rule.
        float sd = float(s) * q.tensor_gd;
        out[r * q.cols + c] = float(v) * sd;
        continue;
      }
      if (q.fmt.has_fp32_scale()) {
        out[r * q.cols + c] = float(v) * q.channel_scale(r);
        continue;
      }
      out[r * q.cols + c] = float(v * s);  // e8m0: exact, or +-Inf past FLT_MAX
    }
  return out;
}

}  // namespace macforge
