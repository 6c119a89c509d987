#include "numerics/dot.hpp"
#include "numerics/shift.hpp"

#include <algorithm>
#include <boost/multiprecision/cpp_int.hpp>
#include <cmath>
#include <limits>
#include <regex>

namespace macforge {

using u128 = unsigned __int128;
using i128 = __int128;
using BigInt = boost::multiprecision::cpp_int;

std::string AccumSpec::name() const {
  if (mode == AccumMode::Fused) return preset.empty() ? fused.describe() : preset;
  return mode == AccumMode::ExactBlock ? "exact-block" : "aligned:" + std::to_string(width);
}

AccumSpec parse_accum(const std::string& s) {
  AccumSpec a;
  if (s == "exact-block") return a;
  std::smatch m;
  static const std::regex re("aligned:([0-9]{1,3})");
  if (std::regex_match(s, m, re)) {
    a.mode = AccumMode::Aligned;
    a.width = std::stoi(m[1].str());
    if (a.width < 2 || a.width > 96)
      throw FormatError("accumulation '" + s + "': W must be 2..96");
    return a;
  }
  if (const FusedPreset* p = find_fused_preset(s)) {
    a.mode = AccumMode::Fused;
    a.fused = p->spec;
    a.preset = p->name;
    return a;
  }
  if (s.compare(0, 6, "fused:") == 0) {
    a.mode = AccumMode::Fused;
    a.fused = parse_fused(s.substr(6));
    return a;
  }
  std::string valid = "exact-block, aligned:W";
  for (const FusedPreset& p : fused_presets()) valid += std::string(", ") + p.name;
  throw FormatError("unknown accumulation mode '" + s + "' (valid: " + valid + ", fused:g=G,f=F,...)");
}

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

int bitlen(u128 x) {
  uint64_t hi = uint64_t(x >> 64), lo = uint64_t(x);
  if (hi) return 128 - __builtin_clzll(hi);
  if (lo) return 64 - __builtin_clzll(lo);
  return 0;
}

// Rounds (-1)^neg * mag * 2^e to float32, ties to even, subnormals kept,
// overflow to Inf. Exact zero gives +0.
float round_f32(bool neg, u128 mag, int e) {
  if (mag == 0) return 0.0f;
  int top = bitlen(mag) - 1 + e;  // exponent of the leading bit
  if (top > 127) return neg ? -HUGE_VALF : HUGE_VALF;
  int lsb = std::max(top - 23, -149);  // exponent of the result's last bit
  int shift = lsb - e;
  uint64_t sig;
  if (shift <= 0) {
    sig = uint64_t(mag << -shift);
  } else if (shift >= 128) {
    sig = 0;  // mag < 2^127 <= half an ulp
  } else {
    sig = uint64_t(mag >> shift);
    u128 rem = mag & ((u128(1) << shift) - 1), half = u128(1) << (shift - 1);
    if (rem > half || (rem == half && (sig & 1u))) ++sig;
  }
  float v = std::ldexp(float(sig), lsb);  // sig <= 2^24: exact, or Inf past FLT_MAX
  return neg ? -v : v;
}

// A float32 as sig * 2^e (sig signed, 24 bits).
void f32_sig_exp(float f, int64_t& sig, int& e) {
  uint32_t b = f32_bits(f);
  uint32_t ef = (b >> 23) & 0xFFu, m = b & 0x7FFFFFu;
  sig = ef ? int64_t(m | 0x800000u) : int64_t(m);
  e = (ef ? int(ef) : 1) - 127 - 23;
  if (b >> 31) sig = -sig;
}

// Rounds the exact big value X * 2^e to float32.
float round_big(const BigInt& X, int e) {
  if (X == 0) return 0.0f;
  bool neg = X < 0;
  BigInt mag = neg ? BigInt(-X) : X;
  int n = int(boost::multiprecision::msb(mag)) + 1;
  if (n > 120) {
    int sh = n - 120;
    bool lost = (mag & ((BigInt(1) << sh) - 1)) != 0;
    mag >>= sh;
    e += sh;
    u128 m = 0;
    for (int i = 0; i < 2; ++i) m |= u128(uint64_t(mag >> (64 * i) & 0xFFFFFFFFFFFFFFFFull)) << (64 * i);
    return round_f32(neg, m | u128(lost), e);
  }
  u128 m = 0;
  for (int i = 0; i < 2; ++i) m |= u128(uint64_t(mag >> (64 * i) & 0xFFFFFFFFFFFFFFFFull)) << (64 * i);
  return round_f32(neg, m, e);
}

BigInt to_big(i128 v) {
  bool neg = v < 0;
  u128 m = neg ? u128(0) - u128(v) : u128(v);
  BigInt b = BigInt(uint64_t(m >> 64));
  b <<= 64;
  b += uint64_t(m);
  return neg ? BigInt(-b) : b;
}

}  // namespace

float add_round_f32(float acc, i128 sig, int exp) {
  if (sig == 0) return acc + 0.0f;
  int64_t sa;
  int ea;
  f32_sig_exp(acc, sa, ea);
  if (sa == 0) {
    bool neg = sig < 0;
    return round_f32(neg, neg ? u128(0) - u128(sig) : u128(sig), exp);
  }
  bool neg_s = sig < 0;
  u128 ms = neg_s ? u128(0) - u128(sig) : u128(sig);
  int lo = std::min(ea, exp);
  int top = std::max(ea + 24, exp + bitlen(ms));
  if (top - lo <= 125) {
    // Both fit one 127-bit two's-complement word exactly: add and round once.
    i128 x = shl(i128(sa), ea - lo) + shl(i128(sig), exp - lo);
    bool neg = x < 0;
    return round_f32(neg, neg ? u128(0) - u128(x) : u128(x), lo);
  }
  // Wide spread: exact in an arbitrary-precision integer.
  BigInt X = (BigInt(sa) << (ea - lo)) + (to_big(sig) << (exp - lo));
  return round_big(X, lo);
}

namespace {

// Per-operand constants of the dot product: element codes as fixed-point
// integers in units of 2^lsb (table for codes up to 16 bits), with NaN/Inf flags.
struct OperandTable {
  const QMatrix* q = nullptr;
  int lsb = 0;                 // exponent of one unit of the fixed value
  int width = 0;               // bits of the largest |fixed value|
  std::vector<int64_t> fixed;  // empty when the format is too wide for a table
  std::vector<uint8_t> flag;   // bit0 NaN, bit1 Inf
  bool table = false;

  explicit OperandTable(const QMatrix& m) : q(&m) {
    const ElemFormat& f = m.fmt.elem;
    int ie = m.fmt.int_implicit_exp();
    lsb = (f.is_int() ? 0 : f.emin() - f.mbits) + ie;
    double maxfix = std::ldexp(std::max(f.max_finite(), double(-f.int_min())), ie - lsb);
    width = int(std::ceil(std::log2(maxfix + 1.0)));
    table = f.bits <= 16 && width <= 62;
    if (!table) return;
    fixed.resize(f.num_codes());
    flag.resize(f.num_codes());
    for (uint32_t c = 0; c < f.num_codes(); ++c) {
      flag[c] = uint8_t((f.is_nan(c) ? 1 : 0) | (f.is_inf(c) ? 2 : 0));
      if (flag[c]) continue;
      int64_t s;
      int e;
      f.to_sig_exp(c, s, e);
      fixed[c] = shl(s, e + ie - lsb);
    }
  }
};

// The block scale of operand row r at K index k as sig * 2^exp; false if NaN.
bool block_scale(const QMatrix& q, size_t r, size_t k, int64_t& sig, int& exp) {
  sig = 1;
  exp = 0;
  if (!q.fmt.has_block_scale()) return true;
  uint32_t c = q.scale_code(r, k / q.block_len());
  if (q.fmt.scale == ScaleKind::E8M0) {
    if (c == 0xFF) return false;
    exp = int(c) - 127;
    return true;
  }
  static const ElemFormat e4m3 = parse_elem_format("fp8_e4m3");
  c &= 0x7F;  // ue4m3: the sign bit is not part of the scale
  if (e4m3.is_nan(c)) return false;
  e4m3.to_sig_exp(c, sig, exp);
  return true;
}

// IEEE semantics for a group that holds an Inf or NaN element: the group value
// is NaN or +-Inf (finite elements do not matter then).
float special_group(const QMatrix& A, size_t m, const QMatrix& B, size_t n, size_t k0, size_t k1) {
  const ElemFormat &fa = A.fmt.elem, &fb = B.fmt.elem;
  bool pos = false, neg = false;
  for (size_t k = k0; k < k1; ++k) {
    uint32_t a = A.code(m, k), b = B.code(n, k);
    if (fa.is_nan(a) || fb.is_nan(b)) return kNaN;
    double va = fa.decode(a), vb = fb.decode(b);
    if (std::isinf(va) || std::isinf(vb)) {
      double p = va * vb;  // Inf*0 = NaN
      if (std::isnan(p)) return kNaN;
      (p > 0 ? pos : neg) = true;
    }
  }
  if (pos && neg) return kNaN;
  return pos ? HUGE_VALF : -HUGE_VALF;
}

struct GroupValue {
  bool nan = false;
  float inf = 0.0f;  // +-Inf when the group is infinite
  BigInt big;        // used when !fast
  i128 sig = 0;
  int exp = 0;
  bool fast = true;
};

// Exact sum of products of one group (before block scales), FORMATS.md
// exact-block, or the aligned:W truncation (docs/accumulation.md).
GroupValue group_sum(const OperandTable& TA, size_t m, const OperandTable& TB, size_t n, size_t k0,
                     size_t k1, const AccumSpec& acc) {
  const QMatrix &A = *TA.q, &B = *TB.q;
  GroupValue g;
  if (TA.table && TB.table) {
    uint8_t fl = 0;
    const uint32_t* ca = &A.codes[m * A.cols];
    const uint32_t* cb = &B.codes[n * B.cols];
    for (size_t k = k0; k < k1; ++k) fl |= TA.flag[ca[k]] | TB.flag[cb[k]];
    if (fl) {
      float s = special_group(A, m, B, n, k0, k1);
      if (std::isnan(s)) g.nan = true;
      else g.inf = s;
      return g;
    }
  }
  if (acc.mode == AccumMode::ExactBlock && TA.table && TB.table &&
      TA.width + TB.width + bitlen(u128(k1 - k0)) <= 118) {
    const uint32_t* ca = &A.codes[m * A.cols];
    const uint32_t* cb = &B.codes[n * B.cols];
    if (TA.width + TB.width + bitlen(u128(k1 - k0)) <= 62) {
      int64_t s = 0;
      for (size_t k = k0; k < k1; ++k) s += TA.fixed[ca[k]] * TB.fixed[cb[k]];
      g.sig = s;
    } else {
      i128 s = 0;
      for (size_t k = k0; k < k1; ++k) s += i128(TA.fixed[ca[k]]) * TB.fixed[cb[k]];
      g.sig = s;
    }
    g.exp = TA.lsb + TB.lsb;
    return g;
  }
  // General path: every product as sig * 2^exp, summed exactly.
  const ElemFormat &fa = A.fmt.elem, &fb = B.fmt.elem;
  if (!(TA.table && TB.table)) {
    for (size_t k = k0; k < k1; ++k)
      if (fa.is_nan(A.code(m, k)) || fb.is_nan(B.code(n, k)) || fa.is_inf(A.code(m, k)) ||
          fb.is_inf(B.code(n, k))) {
        float s = special_group(A, m, B, n, k0, k1);
        if (std::isnan(s)) g.nan = true;
        else g.inf = s;
        return g;
      }
  }
  int ia = A.fmt.int_implicit_exp(), ib = B.fmt.int_implicit_exp();
  struct Prod {
    int64_t sa, sb;
    int e;
  };
  std::vector<Prod> prods;
  prods.reserve(k1 - k0);
  int emin = std::numeric_limits<int>::max(), emax = std::numeric_limits<int>::min();
  for (size_t k = k0; k < k1; ++k) {
    Prod p;
    int ea, eb;
    fa.to_sig_exp(A.code(m, k), p.sa, ea);
    fb.to_sig_exp(B.code(n, k), p.sb, eb);
    p.e = ea + ia + eb + ib;
    prods.push_back(p);
    if (p.sa != 0 && p.sb != 0) {
      emin = std::min(emin, p.e);
      emax = std::max(emax, p.e);
    }
  }
  g.fast = false;
  if (emin > emax) {  // every product is zero
    g.big = 0;
    g.exp = 0;
    return g;
  }
  if (acc.mode == AccumMode::Aligned) {
    // aligned:W, the narrow adder-tree datapath (docs/accumulation.md). The
    // group is cut into chunks of acc.lanes products starting at its first
    // element (one pass through the PE's adder tree each). Within a chunk every
    // product is aligned to the chunk's largest product exponent (over nonzero
    // products) and truncated toward -inf, like an arithmetic right shift of a
    // two's-complement value, to a window of W bits whose top is the top of a
    // product significand (pa + pb bits). The chunk sums are added exactly.
    int pa = fa.is_int() ? fa.bits : fa.mbits + 1, pb = fb.is_int() ? fb.bits : fb.mbits + 1;
    size_t chunk = acc.lanes >= 1 ? size_t(acc.lanes) : prods.size();
    std::vector<std::pair<BigInt, int>> parts;  // chunk sum, exponent of its unit
    int lo = std::numeric_limits<int>::max();
    for (size_t c0 = 0; c0 < prods.size(); c0 += chunk) {
      size_t c1 = std::min(prods.size(), c0 + chunk);
      int cmax = std::numeric_limits<int>::min();
      for (size_t i = c0; i < c1; ++i)
        if (prods[i].sa != 0 && prods[i].sb != 0) cmax = std::max(cmax, prods[i].e);
      if (cmax == std::numeric_limits<int>::min()) continue;  // an all-zero chunk
      int unit = cmax + pa + pb - acc.width;  // exponent of one unit of the chunk sum
      BigInt S = 0;
      for (size_t i = c0; i < c1; ++i) {
        const Prod& p = prods[i];
        if (p.sa == 0 || p.sb == 0) continue;
        BigInt v = BigInt(p.sa) * p.sb;
        int d = p.e - unit;
        if (d >= 0) {
          S += v << d;
        } else {
          // floor(v / 2^-d): shift magnitude, adjust negatives that lost bits.
          BigInt mag = v < 0 ? BigInt(-v) : v;
          BigInt q = mag >> -d;
          if (v < 0) {
            bool lost = (q << -d) != mag;
            S -= q + (lost ? 1 : 0);
          } else {
            S += q;
          }
        }
      }
      parts.push_back({S, unit});
      lo = std::min(lo, unit);
    }
    BigInt S = 0;
    for (const auto& [Sc, unit] : parts) S += Sc << (unit - lo);
    g.big = S;
    g.exp = lo;
    return g;
  }
  BigInt S = 0;
  for (const Prod& p : prods)
    if (p.sa != 0 && p.sb != 0) S += (BigInt(p.sa) * p.sb) << (p.e - emin);
  g.big = S;
  g.exp = emin;
  return g;
}

size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

float dot_impl(const OperandTable& TA, size_t m, const OperandTable& TB, size_t n, size_t G,
               const AccumSpec& acc) {
  const QMatrix &A = *TA.q, &B = *TB.q;
  float accum = 0.0f;
  size_t K = A.cols;
  for (size_t j = 0; j < ceil_div(K, G); ++j) {
    size_t k0 = j * G, k1 = std::min(K, k0 + G);
    int64_t sa, sb;
    int xa, xb;
    // both calls run (they set sa/xa and sb/xb): no short circuit
    const bool ok_a = block_scale(A, m, k0, sa, xa);
    const bool ok_b = block_scale(B, n, k0, sb, xb);
    const bool ok = ok_a && ok_b;
    GroupValue g = group_sum(TA, m, TB, n, k0, k1, acc);
    if (!ok || g.nan) return kNaN;
    if (g.inf != 0.0f) {
      if (sa == 0 || sb == 0) return kNaN;  // Inf * zero ue4m3 scale
      accum = accum + g.inf;                // Inf + -Inf = NaN, as IEEE
      continue;
    }
    // Finite additions leave an infinite sum alone and a NaN one NaN (an Inf
    // group meeting the opposite Inf makes NaN; add_round_f32 needs a finite acc).
    if (!std::isfinite(accum)) continue;
    int e = g.exp + xa + xb;
    // An exact-zero group still goes through acc = RNE32(acc + 0): -0 + 0 = +0.
    if (g.fast && g.sig == 0) {
      accum = accum + 0.0f;
      continue;
    }
    if (g.fast && bitlen(g.sig < 0 ? u128(0) - u128(g.sig) : u128(g.sig)) + 10 <= 126) {
      accum = add_round_f32(accum, g.sig * sa * sb, e);
      continue;
    }
    BigInt S = g.fast ? to_big(g.sig) : g.big;
    if (S == 0) {
      accum = accum + 0.0f;
      continue;
    }
    S *= sa;
    S *= sb;
    int64_t acc_sig;
    int acc_e;
    f32_sig_exp(accum, acc_sig, acc_e);
    int lo = std::min(acc_e, e);
    BigInt X = (BigInt(acc_sig) << (acc_e - lo)) + (S << (e - lo));
    accum = round_big(X, lo);
  }
  // Tensor / channel scales last: C = RNE32(acc * RNE32(gA * gB)).
  bool ta = A.fmt.has_tensor_scale() || A.fmt.has_fp32_scale();
  bool tb = B.fmt.has_tensor_scale() || B.fmt.has_fp32_scale();
  if (ta || tb) {
    float ga = A.fmt.has_tensor_scale() ? A.tensor_gd : A.channel_scale(m);
    float gb = B.fmt.has_tensor_scale() ? B.tensor_gd : B.channel_scale(n);
    float g = ga * gb;
    accum = accum * g;
  }
  return accum;
}

}  // namespace

size_t accum_group(const QMatrix& A, const QMatrix& B, const AccumSpec& acc) {
  if (acc.mode == AccumMode::Fused) return size_t(std::max(acc.fused.terms, 1));
  bool ba = A.fmt.has_block_scale(), bb = B.fmt.has_block_scale();
  size_t ga = ba ? size_t(A.fmt.block) : 0, gb = bb ? size_t(B.fmt.block) : 0;
  if (ba && bb) {
    if (ga % gb == 0) return gb;
    if (gb % ga == 0) return ga;
    throw FormatError("block sizes " + std::to_string(ga) + " (" + A.fmt.name + ") and " +
                      std::to_string(gb) + " (" + B.fmt.name +
                      ") do not nest: one must divide the other");
  }
  if (ba) return ga;
  if (bb) return gb;
  if (acc.lanes < 1) throw FormatError("lanes must be at least 1");
  return size_t(acc.lanes);
}

float dot(const QMatrix& A, size_t m, const QMatrix& B, size_t n, const AccumSpec& acc) {
  if (A.cols != B.cols) throw FormatError("dot: operands differ in K");
  if (acc.mode == AccumMode::Fused) return fused_dot(A, m, B, n, acc.fused);
  OperandTable TA(A), TB(B);
  return dot_impl(TA, m, TB, n, accum_group(A, B, acc), acc);
}

std::vector<float> gemm(const QMatrix& A, const QMatrix& B, const AccumSpec& acc) {
  if (A.cols != B.cols)
    throw FormatError("gemm: A has K=" + std::to_string(A.cols) + " but B has K=" + std::to_string(B.cols));
  if (acc.mode == AccumMode::Fused) return fused_gemm(A, B, acc.fused);
  OperandTable TA(A), TB(B);
  size_t G = accum_group(A, B, acc);
  std::vector<float> C(A.rows * B.rows);
  for (size_t m = 0; m < A.rows; ++m)
    for (size_t n = 0; n < B.rows; ++n) C[m * B.rows + n] = dot_impl(TA, m, TB, n, G, acc);
  return C;
}

}  // namespace macforge
