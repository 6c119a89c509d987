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
constexpr uint64_t kExpMask = 0x7FF0000000000000ull;  // exponent field of a double

// Rounds a value onto an element grid and returns its code. The grid is the
// element format's values times 2^implicit_exp (MX integers). Built once per
// quantize call; the per-element work is branch-free double arithmetic:
//   FP:  y = min(|v|, max); r = (y + 2^(u+52)) - 2^(u+52) rounds y to a multiple
//        of its quantum 2^u (u = max(floor(log2 y), emin) - mbits) ties to even,
//        since the magic constant's last place is 2^u and its own bits are zero
//        there; the code is read off r's bits (normal) or r / quantum (subnormal).
//   Int: q = RNE(min(|v|, limit) / step) by the 2^52 trick, limit = max, or
//        2^(N-1) steps on the negative side of a full-range intN.
// A finite value beyond the grid saturates (sign kept), as does +-Inf.
struct ElemRounder {
  bool is_int = false;
  int mbits = 0;
  double maxv = 0;         // largest grid value
  double neg_maxv = 0;     // Int: magnitude of the most negative value (> maxv for _full)
  double min_normal = 0;   // FP: smallest normal grid value
  double sub_quantum = 0;  // FP: grid step below min_normal; Int: the step
  double inv_sub_quantum = 0;
  uint64_t magic_add = 0;   // FP: (52 - mbits) << 52, added to an exponent field
  uint64_t code_bias = 0;   // FP: (bits(r) >> (52-mbits)) - code_bias = code of a normal r
  uint32_t sign_bit = 0;
  int emax_ = 0;

  explicit ElemRounder(const ElemFormat& f, int implicit = 0) {
    is_int = f.is_int();
    mbits = f.mbits;
    maxv = std::ldexp(f.max_finite(), implicit);
    neg_maxv = is_int ? std::ldexp(double(-f.int_min()), implicit) : maxv;
    min_normal = is_int ? 0.0 : std::ldexp(1.0, f.emin() + implicit);
    sub_quantum = is_int ? std::ldexp(1.0, implicit) : std::ldexp(f.min_subnormal(), implicit);
    inv_sub_quantum = 1.0 / sub_quantum;
    magic_add = uint64_t(52 - mbits) << 52;
    code_bias = is_int ? 0 : uint64_t(1023 + implicit - f.bias) << mbits;
    sign_bit = 1u << (f.bits - 1);
    int e;
    std::frexp(maxv, &e);
    emax_ = e - 1;
  }

  // Exponent of maxv's leading bit: FORMATS.md's emax_elem (0 for MX integers).
  int emax() const { return emax_; }

  // The code of v (sign kept for FP zero; Int has no -0); r gets the grid value.
  uint32_t round(double v, double& r, uint32_t code_mask) const {
    return is_int ? round_int(v, r, code_mask) : round_fp(v, r);
  }

  // Both are branch-free: signs are random in real data, so a branch on them
  // (or on "subnormal?") mispredicts half the time.
  uint32_t round_int(double v, double& r, uint32_t code_mask) const {
    const uint64_t vb = f64_bits(v);
    const int64_t nm = int64_t(vb) >> 63;  // all ones if negative
    const double a = f64_from_bits(vb & ~(uint64_t{1} << 63));
    const double lim = f64_from_bits((f64_bits(neg_maxv) & uint64_t(nm)) | (f64_bits(maxv) & ~uint64_t(nm)));
    const double y = a < lim ? a : lim;  // NaN saturates too
    const int64_t u = int64_t((y * inv_sub_quantum + kTwo52) - kTwo52);  // exact: power of two
    const int64_t q = (u ^ nm) - nm;
    r = double(q) * sub_quantum;  // +0.0 for q == 0
    return uint32_t(q) & code_mask;
  }

  uint32_t round_fp(double v, double& r) const {
    const uint64_t vb = f64_bits(v);
    const double a = f64_from_bits(vb & ~(uint64_t{1} << 63));
    const double y = a < maxv ? a : maxv;
    const double yn = y > min_normal ? y : min_normal;  // same binade exponent as max(y's, emin)
    const double magic = f64_from_bits((f64_bits(yn) & kExpMask) + magic_add);
    const double rr = (y + magic) - magic;
    // Only a subnormal rr is scaled to its code: a normal one can exceed 2^32
    // quanta, and that float -> uint32 conversion is undefined (UBSan, found
    // by fuzz_quantize); the select stays branch-free.
    const double rs = rr < min_normal ? rr : 0.0;
    const uint32_t sub = uint32_t(rs * inv_sub_quantum);
    const uint32_t nrm = uint32_t((f64_bits(rr) >> (52 - mbits)) - code_bias);
    const uint32_t is_sub = 0u - uint32_t(rr < min_normal);
    const uint32_t code = (sub & is_sub) | (nrm & ~is_sub);
    r = f64_from_bits(f64_bits(rr) | (vb & (uint64_t{1} << 63)));
    return code | (sign_bit & (0u - uint32_t(vb >> 63)));
  }
};

// 2^e as a double, |e| <= 1022.
inline double pow2d(int e) { return f64_from_bits(uint64_t(e + 1023) << 52); }

bool block_has_nonfinite(const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return true;
  return false;
}

// max |x| ignoring NaNs (as std::max(m, |x|) does), on the bits so that it
// vectorizes: |x| as an integer orders non-NaN floats like the floats.
float abs_max(const float* x, size_t n) {
  int32_t m = 0;  // signed: SSE2 has a signed 32-bit compare, not an unsigned one
  for (size_t i = 0; i < n; ++i) {
    int32_t b = int32_t(f32_bits(x[i]) & 0x7FFFFFFFu);
    b = b > 0x7F800000 ? 0 : b;
    m = b > m ? b : m;
  }
  return f32_from_bits(uint32_t(m));
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
  const double down = pow2d(-shared), up = pow2d(shared);
  // x * down is exact (a power of two in double); r * up is exact in float32,
  // or +-Inf past FLT_MAX (ceil rule, FORMATS.md 7).
  if (rnd.is_int) {
    for (size_t i = 0; i < n; ++i) {
      double r;
      codes[i] = rnd.round_int(double(x[i]) * down, r, code_mask);
      out[i] = float(r * up);
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      double r;
      codes[i] = rnd.round_fp(double(x[i]) * down, r);
      out[i] = float(r * up);
    }
  }
}

void quantize_e8m0(const BlockFormat& fmt, Rule rule, const ElemRounder& rnd, const float* x,
                   size_t n, uint32_t& scode, uint32_t* codes, float* out) {
  const ElemFormat& f = fmt.elem;
  // One pass over the bits: |x| as an integer orders finite floats like the
  // floats, and any NaN or Inf is at least 0x7F800000.
  int32_t mbits = 0;
  for (size_t i = 0; i < n; ++i) {
    int32_t b = int32_t(f32_bits(x[i]) & 0x7FFFFFFFu);
    mbits = b > mbits ? b : mbits;
  }
  if (mbits >= 0x7F800000) {
    scode = 0xFF;
    fill_nan(f, codes, out, n);
    return;
  }
  float amax = f32_from_bits(uint32_t(mbits));
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
    const ElemRounder rnd_scale(e4m3);  // RNE onto the fp8_e4m3 grid (t <= 448)
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
        double dv;
        uint32_t dcode = rnd_scale.round(double(t), dv, e4m3.code_mask());
        q.scale_codes[r * nb + j] = dcode;
        float d = float(dv);
        float sd = d * gD;
        float e = std::min(1.0f / sd, FLT_MAX);
        uint32_t* codes = &q.codes[i0];
        float* out = &q.dequant[i0];
        double rv;
        if (d == 0.0f) {
          for (size_t i = 0; i < n; ++i) {
            codes[i] = rnd.round(f.is_int() ? 0.0 : std::copysign(0.0, xb[i]), rv, mask);
            out[i] = float(rv) * sd;
          }
        } else if (rnd.is_int) {
          for (size_t i = 0; i < n; ++i) {
            float y = std::min(std::max(xb[i] * e, -qmax), qmax);
            codes[i] = rnd.round_int(double(y), rv, mask);
            out[i] = float(rv) * sd;
          }
        } else {
          for (size_t i = 0; i < n; ++i) {
            float y = std::min(std::max(xb[i] * e, -qmax), qmax);
            codes[i] = rnd.round_fp(double(y), rv);
            out[i] = float(rv) * sd;
          }
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
