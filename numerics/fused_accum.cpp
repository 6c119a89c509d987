#include "numerics/fused_accum.hpp"
#include "numerics/shift.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace macforge {

using u128 = unsigned __int128;
using i128 = __int128;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr int kNoExp = std::numeric_limits<int>::min() / 4;  // "no term" (a zero)

int bitlen(u128 x) {
  uint64_t hi = uint64_t(x >> 64), lo = uint64_t(x);
  if (hi) return 128 - __builtin_clzll(hi);
  if (lo) return 64 - __builtin_clzll(lo);
  return 0;
}

u128 umag(i128 v) { return v < 0 ? u128(0) - u128(v) : u128(v); }

// |x| / 2^s rounded (toward zero or to nearest even), s > 0.
u128 shift_round(u128 mag, int s, Rounding r) {
  if (s >= 128) {
    // Below half an ulp unless s == 128 and mag >= 2^127 (impossible for our terms).
    return 0;
  }
  u128 q = mag >> s;
  if (r == Rounding::RNE) {
    u128 rem = mag & ((u128(1) << s) - 1), half = u128(1) << (s - 1);
    if (rem > half || (rem == half && (q & 1))) ++q;
  }
  return q;
}

}  // namespace

float round_acc(i128 sig, int exp, int mbits, Rounding r) {
  if (sig == 0) return 0.0f;
  bool neg = sig < 0;
  u128 mag = umag(sig);
  int top = bitlen(mag) - 1 + exp;
  if (top > 127) return neg ? -HUGE_VALF : HUGE_VALF;
  int lsb = std::max(top - mbits, -126 - mbits);
  int shift = lsb - exp;
  u128 q = shift <= 0 ? mag << -shift : shift_round(mag, shift, r);
  // Underflow to zero gives +0, as MMA-Sim's trunc does (unreachable with
  // fp8 inputs: their products stay far above 2^-126).
  if (q == 0) return 0.0f;
  // q < 2^(mbits+2): exact in a double; a round-up to 2^128 becomes Inf.
  float v = float(std::ldexp(double(uint64_t(q)), lsb));
  return neg ? -v : v;
}

uint16_t f32_to_bf16_rne(float f) {
  uint32_t b = f32_bits(f);
  if (std::isnan(f)) return uint16_t((b >> 16) | 0x0040u);
  uint32_t lsb = (b >> 16) & 1u;
  b += 0x7FFFu + lsb;  // carries into the exponent give the right Inf / next binade
  return uint16_t(b >> 16);
}

// ---------------------------------------------------------------------------
// Spec, parsing, presets

void FusedSpec::check() const {
  if (terms < 1 || terms > 65536)
    throw FormatError("fused accumulation: g (terms per step) = " + std::to_string(terms) +
                      " is out of range (valid: 1..65536)");
  if (frac_bits < 0 || frac_bits > 64)
    throw FormatError("fused accumulation: f (fractional bits) = " + std::to_string(frac_bits) +
                      " is out of range (valid: 0..64)");
  if (acc_mbits < 1 || acc_mbits > 23)
    throw FormatError("fused accumulation: acc mantissa bits = " + std::to_string(acc_mbits) +
                      " is out of range (valid: e8m1..e8m23, e8m23 = f32)");
  if (promote < 0)
    throw FormatError("fused accumulation: p (promotion interval) = " + std::to_string(promote) +
                      " is negative (valid: 0 = none, or a multiple of g)");
  if (promote > 0 && promote % terms != 0)
    throw FormatError("fused accumulation: p (promotion interval) = " + std::to_string(promote) +
                      " is not a multiple of g = " + std::to_string(terms));
  if (group < 0 || (group > 0 && terms % group != 0))
    throw FormatError("fused accumulation: q (scale group) = " + std::to_string(group) +
                      " must be 0 or divide g = " + std::to_string(terms));
}

std::string FusedSpec::describe() const {
  std::ostringstream s;
  s << "fused:g=" << terms << ",f=" << frac_bits << ",align=" << (align_round == Rounding::RZ ? "rz" : "rne")
    << ",acc=" << (acc_mbits == 23 ? std::string("f32") : "e8m" + std::to_string(acc_mbits))
    << ",accround=" << (acc_round == Rounding::RZ ? "rz" : "rne") << ",accin=" << (acc_in_step ? 1 : 0)
    << ",p=" << promote << ",q=" << group;
  return s.str();
}

namespace {

int parse_int_field(const std::string& key, const std::string& v) {
  size_t used = 0;
  long x = 0;
  try {
    x = std::stol(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size() || x < -1000000 || x > 1000000)
    throw FormatError("fused accumulation: " + key + "='" + v + "' is not an integer");
  return int(x);
}

Rounding parse_rounding(const std::string& key, const std::string& v) {
  if (v == "rz") return Rounding::RZ;
  if (v == "rne") return Rounding::RNE;
  throw FormatError("fused accumulation: " + key + "='" + v + "' (valid: rz, rne)");
}

}  // namespace

FusedSpec parse_fused(const std::string& body) {
  FusedSpec f;
  std::stringstream ss(body);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string::npos)
      throw FormatError("fused accumulation: '" + item +
                        "' is not key=value (keys: g, f, align, acc, accround, accin, p, q)");
    std::string k = item.substr(0, eq), v = item.substr(eq + 1);
    if (k == "g") f.terms = parse_int_field(k, v);
    else if (k == "f") f.frac_bits = parse_int_field(k, v);
    else if (k == "p") f.promote = parse_int_field(k, v);
    else if (k == "q") f.group = parse_int_field(k, v);
    else if (k == "align") f.align_round = parse_rounding(k, v);
    else if (k == "accround") f.acc_round = parse_rounding(k, v);
    else if (k == "accin") {
      if (v != "0" && v != "1") throw FormatError("fused accumulation: accin='" + v + "' (valid: 0, 1)");
      f.acc_in_step = v == "1";
    } else if (k == "acc") {
      if (v == "f32") f.acc_mbits = 23;
      else if (v.size() > 3 && v.compare(0, 3, "e8m") == 0) f.acc_mbits = parse_int_field(k, v.substr(3));
      else throw FormatError("fused accumulation: acc='" + v + "' (valid: f32, e8mN with N = 1..23)");
    } else {
      throw FormatError("fused accumulation: unknown key '" + k +
                        "' (keys: g, f, align, acc, accround, accin, p, q)");
    }
  }
  f.check();
  return f;
}

const std::vector<FusedPreset>& fused_presets() {
  static const std::vector<FusedPreset> list = [] {
    std::vector<FusedPreset> v;
    FusedSpec h;  // the defaults are one Hopper FP8 wgmma step
    v.push_back({"hopper-fp8",
                 "MMA-Sim (arXiv 2511.10909) WGMMA FP8: K=32 per step, 13 fractional bits, e8m13 RZ; "
                 "matches the H200 use_fast_accum=1 files",
                 h});
    FusedSpec hc = h;
    hc.promote = 128;
    v.push_back({"hopper-fp8-cublas",
                 "hopper-fp8 steps, partial sums promoted to float32 (RNE) every 128 elements of K: "
                 "identified from the H200 use_fast_accum=0 files",
                 hc});
    FusedSpec b;
    b.frac_bits = 25;
    b.acc_mbits = 23;
    v.push_back({"blackwell-f8f6f4",
                 "MMA-Sim (arXiv 2511.10909) tcgen05.mma kind::f8f6f4: K=32 per step, 25 fractional "
                 "bits, float32 RZ",
                 b});
    v.push_back({"blackwell-mxf8f6f4",
                 "MMA-Sim (arXiv 2511.10909) tcgen05.mma kind::mxf8f6f4.block_scale: as f8f6f4 with the "
                 "e8m0 scale exponents added to the product exponents",
                 b});
    FusedSpec n;
    n.terms = 64;
    n.frac_bits = 35;
    n.acc_mbits = 23;
    n.group = 16;
    v.push_back({"blackwell-nvfp4",
                 "MMA-Sim (arXiv 2511.10909) tcgen05.mma kind::mxf4nvf4.block_scale: K=64 per step, "
                 "groups of 16 products summed exactly times their scales, 35 fractional bits, float32 RZ",
                 n});
    return v;
  }();
  return list;
}

const FusedPreset* find_fused_preset(const std::string& name) {
  for (const FusedPreset& p : fused_presets())
    if (name == p.name) return &p;
  return nullptr;
}

// ---------------------------------------------------------------------------
// The datapath

namespace {

// One element code decoded: value = sig * 2^unit, alignment exponent
// ex = unit + mbits (floor(log2|x|) for normals, emin for subnormals).
struct Decoded {
  int64_t sig = 0;
  int unit = 0;
  int ex = kNoExp;
  uint8_t flag = 0;  // bit0 NaN, bit1 Inf
  bool neg = false;  // the sign bit (what an Inf contributes)
};

struct Operand {
  const QMatrix* q;
  std::vector<Decoded> table;
  int fixed_lsb = 0;  // unit of the fixed-point value of any code (scale groups)

  explicit Operand(const QMatrix& m) : q(&m) {
    const ElemFormat& f = m.fmt.elem;
    if (!f.is_float())
      throw FormatError("fused accumulation: element format " + f.name +
                        " is not floating point (the fused mode models FP tensor cores)");
    fixed_lsb = f.emin() - f.mbits;
    if (f.bits <= 16) {
      table.resize(f.num_codes());
      for (uint32_t c = 0; c < f.num_codes(); ++c) table[c] = decode(c);
    }
  }
  Decoded decode(uint32_t c) const {
    const ElemFormat& f = q->fmt.elem;
    Decoded d;
    d.flag = uint8_t((f.is_nan(c) ? 1 : 0) | (f.is_inf(c) ? 2 : 0));
    d.neg = (c >> (f.bits - 1)) & 1u;
    if (d.flag) return d;
    f.to_sig_exp(c, d.sig, d.unit);
    d.ex = d.sig ? d.unit + f.mbits : kNoExp;
    return d;
  }
  const Decoded& get(size_t r, size_t k, Decoded& tmp) const {
    uint32_t c = q->code(r, k);
    if (!table.empty()) return table[c];
    tmp = decode(c);
    return tmp;
  }
};

// A block scale as sig * 2^unit with its alignment exponent; false for NaN.
struct Scale {
  int64_t sig = 1;
  int unit = 0;
  int ex = 0;  // kNoExp for a zero ue4m3 scale
};
bool get_scale(const QMatrix& q, size_t r, size_t k, Scale& s) {
  s = Scale{};
  if (!q.fmt.has_block_scale()) return true;
  uint32_t c = q.scale_code(r, k / q.block_len());
  if (q.fmt.scale == ScaleKind::E8M0) {
    if (c == 0xFF) return false;
    s.unit = s.ex = int(c) - 127;
    return true;
  }
  static const ElemFormat e4m3 = parse_elem_format("fp8_e4m3");
  c &= 0x7F;  // ue4m3: the sign bit is not part of the scale
  if (e4m3.is_nan(c)) return false;
  e4m3.to_sig_exp(c, s.sig, s.unit);
  s.ex = s.sig ? s.unit + e4m3.mbits : kNoExp;
  return true;
}

struct Term {
  i128 sig;  // value = sig * 2^unit
  int unit;
  int ex;  // alignment exponent
};

// Bits a term may take relative to 2^ex (its value is below 2^(ex + bits)).
int term_headroom(const QMatrix& A, const QMatrix& B, const FusedSpec& f) {
  int h = 4;  // [1,2) x [1,2) significands, times two scale significands in [1,2)
  if (f.group > 0) {
    // Q products of up to max|a| * max|b| each, against the scale exponents only.
    double mx = double(f.group) * A.fmt.elem.max_finite() * B.fmt.elem.max_finite();
    h = int(std::ceil(std::log2(mx))) + 3;
  }
  return h;
}

class FusedEngine {
 public:
  FusedEngine(const QMatrix& A, const QMatrix& B, const FusedSpec& f) : A_(A), B_(B), f_(f), TA_(A), TB_(B) {
    f.check();
    if (A.cols != B.cols)
      throw FormatError("fused accumulation: A has K=" + std::to_string(A.cols) + " but B has K=" +
                        std::to_string(B.cols));
    if (f.group > 0) {
      for (const QMatrix* q : {&A, &B})
        if (q->fmt.has_block_scale() && q->fmt.block % f.group != 0)
          throw FormatError("fused accumulation: q (scale group) = " + std::to_string(f.group) +
                            " does not divide the block of " + q->fmt.name + " (" +
                            std::to_string(q->fmt.block) + ")");
    }
    int need = f.frac_bits + term_headroom(A, B, f) + bitlen(u128(f.terms + 1)) + 1;
    if (need > 100)
      throw FormatError("fused accumulation: f = " + std::to_string(f.frac_bits) + " with these formats needs " +
                        std::to_string(need) + "-bit step sums (limit 100)");
    terms_.reserve(size_t(f.terms) + 1);
  }

  float dot(size_t m, size_t n) {
    const size_t K = A_.cols, G = size_t(f_.terms);
    float acc = 0.0f;    // the tensor core's accumulator (acc format)
    float acc32 = 0.0f;  // the promotion accumulator (float32)
    bool promoted = f_.promote > 0;
    size_t since = 0;
    for (size_t k0 = 0; k0 < K; k0 += G) {
      size_t k1 = std::min(K, k0 + G);
      float special = 0.0f;
      bool nan = false;
      if (!collect(m, n, k0, k1, special, nan)) return kNaN;
      if (nan) return kNaN;
      if (special != 0.0f) {
        acc = acc + special;  // IEEE: Inf + -Inf = NaN
      } else if (std::isfinite(acc)) {
        step(acc);
      }
      since += k1 - k0;
      if (promoted && (since == size_t(f_.promote) || k1 == K)) {
        acc32 = acc32 + acc;  // ordinary float32 addition, RNE
        acc = 0.0f;
        since = 0;
      }
    }
    float r = promoted ? acc32 : acc;
    bool ta = A_.fmt.has_tensor_scale() || A_.fmt.has_fp32_scale();
    bool tb = B_.fmt.has_tensor_scale() || B_.fmt.has_fp32_scale();
    if (ta || tb) {
      float ga = A_.fmt.has_tensor_scale() ? A_.tensor_gd : A_.channel_scale(m);
      float gb = B_.fmt.has_tensor_scale() ? B_.tensor_gd : B_.channel_scale(n);
      float g = ga * gb;
      r = r * g;
    }
    return r;
  }

 private:
  // Gathers the step's product terms into terms_ (not the accumulator).
  // Returns false for a NaN scale; sets nan / special (+-Inf) for non-finite
  // products.
  bool collect(size_t m, size_t n, size_t k0, size_t k1, float& special, bool& nan) {
    terms_.clear();
    Decoded ta, tb;
    bool pos = false, neg = false;
    if (f_.group == 0) {
      Scale sa, sb;
      size_t blk_end = 0;
      for (size_t k = k0; k < k1; ++k) {
        if (k >= blk_end) {
          if (!get_scale(A_, m, k, sa) || !get_scale(B_, n, k, sb)) return false;
          blk_end = k + 1;
          if (A_.fmt.has_block_scale() || B_.fmt.has_block_scale()) {
            size_t la = A_.fmt.has_block_scale() ? A_.block_len() : K_inf;
            size_t lb = B_.fmt.has_block_scale() ? B_.block_len() : K_inf;
            blk_end = std::min((k / la + 1) * la, (k / lb + 1) * lb);
          } else {
            blk_end = k1;
          }
        }
        const Decoded& a = TA_.get(m, k, ta);
        const Decoded& b = TB_.get(n, k, tb);
        if (a.flag | b.flag) {
          if (!inf_product(a, b, pos, neg)) {
            nan = true;
            return true;
          }
          continue;
        }
        if (a.sig == 0 || b.sig == 0 || sa.ex == kNoExp || sb.ex == kNoExp) continue;
        terms_.push_back({i128(a.sig * b.sig) * (sa.sig * sb.sig), a.unit + b.unit + sa.unit + sb.unit,
                          a.ex + b.ex + sa.ex + sb.ex});
      }
    } else {
      const size_t Q = size_t(f_.group);
      for (size_t g0 = k0; g0 < k1; g0 += Q) {
        size_t g1 = std::min(k1, g0 + Q);
        Scale sa, sb;
        if (!get_scale(A_, m, g0, sa) || !get_scale(B_, n, g0, sb)) return false;
        i128 S = 0;
        for (size_t k = g0; k < g1; ++k) {
          const Decoded& a = TA_.get(m, k, ta);
          const Decoded& b = TB_.get(n, k, tb);
          if (a.flag | b.flag) {
            if (!inf_product(a, b, pos, neg)) {
              nan = true;
              return true;
            }
            continue;
          }
          S += shl(i128(a.sig * b.sig), a.unit - TA_.fixed_lsb + b.unit - TB_.fixed_lsb);
        }
        if (sa.ex == kNoExp || sb.ex == kNoExp) continue;  // a zero ue4m3 scale: no term
        // A zero group sum still takes part in the step's maximum exponent, as
        // in MMA-Sim (the scale exponents are known before the sum).
        terms_.push_back({S * (sa.sig * sb.sig), TA_.fixed_lsb + TB_.fixed_lsb + sa.unit + sb.unit, sa.ex + sb.ex});
      }
    }
    if (pos && neg) nan = true;
    else if (pos || neg) special = pos ? HUGE_VALF : -HUGE_VALF;
    return true;
  }

  // An Inf element meets the other factor: false for Inf x 0 or NaN.
  static bool inf_product(const Decoded& a, const Decoded& b, bool& pos, bool& neg) {
    if ((a.flag | b.flag) & 1) return false;
    bool ainf = a.flag & 2, binf = b.flag & 2;
    if ((ainf && !binf && b.sig == 0) || (binf && !ainf && a.sig == 0)) return false;
    (a.neg != b.neg ? neg : pos) = true;
    return true;
  }

  // One fused step on the gathered terms: acc = round_acc(sum of aligned terms).
  void step(float& acc) {
    int emax = kNoExp;
    for (const Term& t : terms_) emax = std::max(emax, t.ex);
    int64_t asig = 0;
    int aunit = 0, aex = kNoExp;
    if (acc != 0.0f) {
      uint32_t b = f32_bits(acc);
      uint32_t ef = (b >> 23) & 0xFFu, mm = b & 0x7FFFFFu;
      asig = ef ? int64_t(mm | 0x800000u) : int64_t(mm);
      aunit = (ef ? int(ef) : 1) - 127 - 23;
      aex = aunit + 23;
      if (b >> 31) asig = -asig;
    }
    if (!f_.acc_in_step) {
      if (emax == kNoExp) {
        acc = acc + 0.0f;
        return;
      }
      int lsb = emax - f_.frac_bits;
      i128 T = 0;
      for (const Term& t : terms_) T += align(t.sig, t.unit - lsb);
      if (asig == 0) {
        acc = round_acc(T, lsb, f_.acc_mbits, f_.acc_round);
        return;
      }
      acc = add_round(asig, aunit, T, lsb);
      return;
    }
    if (aex != kNoExp) emax = std::max(emax, aex);
    if (emax == kNoExp) {
      acc = 0.0f;  // acc +-0 and every product zero: +0, as the hardware's fused sum
      return;
    }
    int lsb = emax - f_.frac_bits;
    i128 T = 0;
    if (asig) T += align(asig, aunit - lsb);
    for (const Term& t : terms_) T += align(t.sig, t.unit - lsb);
    acc = round_acc(T, lsb, f_.acc_mbits, f_.acc_round);
  }

  // sig * 2^d aligned to the step's grid: exact for d >= 0, else rounded.
  i128 align(i128 sig, int d) const {
    if (d >= 0) return shl(sig, d);
    u128 q = shift_round(umag(sig), -d, f_.align_round);
    return sig < 0 ? -i128(q) : i128(q);
  }

  // round_acc(x * 2^ex + y * 2^ey), both nonzero, exact whatever the spread:
  // bits of the smaller far below the larger's top only act as a sticky bit
  float add_round(i128 x, int ex, i128 y, int ey) const {
    if (y == 0) return round_acc(x, ex, f_.acc_mbits, f_.acc_round);
    if (x == 0) return round_acc(y, ey, f_.acc_mbits, f_.acc_round);
    int tx = bitlen(umag(x)) - 1 + ex, ty = bitlen(umag(y)) - 1 + ey;
    if (ty > tx) {
      std::swap(x, y);
      std::swap(ex, ey);
      std::swap(tx, ty);
    }
    // Sums within 1 binade of each other may cancel to any depth: exact (both
    // spans are <= 100 bits, checked in the constructor). Otherwise the sum
    // keeps its top within one bit of tx and the cut sits <= mbits + 2 below.
    int floor_e = tx - 60;
    if (ty < tx - 1 && ey < floor_e) {
      int k = floor_e - ey;
      u128 m = umag(y);
      u128 q = k >= 128 ? 0 : m >> k;
      bool lost = k >= 128 ? m != 0 : (q << k) != m;
      q |= lost ? 1 : 0;
      y = y < 0 ? -i128(q) : i128(q);
      ey = floor_e;
    }
    int lo = std::min(ex, ey);
    i128 sum = shl(x, ex - lo) + shl(y, ey - lo);
    return round_acc(sum, lo, f_.acc_mbits, f_.acc_round);
  }

  static constexpr size_t K_inf = std::numeric_limits<size_t>::max() / 2;
  const QMatrix &A_, &B_;
  FusedSpec f_;
  Operand TA_, TB_;
  std::vector<Term> terms_;
};

}  // namespace

float fused_dot(const QMatrix& A, size_t m, const QMatrix& B, size_t n, const FusedSpec& f) {
  FusedEngine e(A, B, f);
  return e.dot(m, n);
}

std::vector<float> fused_gemm(const QMatrix& A, const QMatrix& B, const FusedSpec& f) {
  FusedEngine e(A, B, f);
  std::vector<float> C(A.rows * B.rows);
  for (size_t m = 0; m < A.rows; ++m)
    for (size_t n = 0; n < B.rows; ++n) C[m * B.rows + n] = e.dot(m, n);
  return C;
}

}  // namespace macforge

// ---------------------------------------------------------------------------
// The tensorcore file format

namespace macforge {

namespace {

ElemFormat tc_format(const std::string& name, const std::string& where) {
  // The H200 files name the OCP formats; anything parse_elem_format knows works too.
  if (name == "e4m3") return parse_elem_format("fp8_e4m3");
  if (name == "e5m2") return parse_elem_format("fp8_e5m2");
  try {
    return parse_elem_format(name);
  } catch (const FormatError&) {
    throw FormatError(where + ": unknown element format '" + name + "' (valid: e4m3, e5m2, or a format name)");
  }
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

TensorcoreGemm parse_tensorcore(const std::string& text, const std::string& path) {
  std::vector<std::string> lines;
  {
    std::stringstream ss(text);
    std::string l;
    while (std::getline(ss, l)) {
      if (!l.empty() && l.back() == '\r') l.pop_back();
      lines.push_back(l);
    }
  }
  size_t i = 0;
  auto where = [&](size_t idx) { return path + ":" + std::to_string(idx + 1); };
  auto fail = [&](size_t idx, const std::string& what) -> FormatError {
    return FormatError(where(idx) + ": " + what);
  };
  TensorcoreGemm g;
  bool seen_a = false, seen_b = false, seen_out = false, seen_m = false, seen_n = false, seen_k = false;
  auto size_field = [&](size_t idx, const std::string& key, const std::string& v) -> size_t {
    size_t used = 0;
    unsigned long long x = 0;
    try {
      if (v.empty() || v[0] == '-' || v[0] == '+') throw std::invalid_argument("");
      x = std::stoull(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != v.size() || x < 1 || x > (1u << 20))
      throw fail(idx, key + " '" + v + "' is not a size (valid: 1.." + std::to_string(1u << 20) + ")");
    return size_t(x);
  };
  // Header: comments, then key value lines up to the line "A".
  for (; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.empty() || l[0] == '#') continue;
    if (l == "A") break;
    size_t sp = l.find(' ');
    std::string key = l.substr(0, sp), v = sp == std::string::npos ? "" : l.substr(sp + 1);
    if (key == "a") g.a_name = v, seen_a = true;
    else if (key == "b") g.b_name = v, seen_b = true;
    else if (key == "out") {
      if (v != "f32" && v != "bf16") throw fail(i, "out '" + v + "' (valid: f32, bf16)");
      g.out_bf16 = v == "bf16";
      seen_out = true;
    } else if (key == "M") g.M = size_field(i, key, v), seen_m = true;
    else if (key == "N") g.N = size_field(i, key, v), seen_n = true;
    else if (key == "K") g.K = size_field(i, key, v), seen_k = true;
    else if (key == "use_fast_accum") {
      if (v != "0" && v != "1") throw fail(i, "use_fast_accum '" + v + "' (valid: 0, 1)");
      g.fast_accum = v == "1";
    } else {
      throw fail(i, "unexpected line '" + l.substr(0, 40) +
                        "' (header keys: a, b, out, M, N, K, use_fast_accum; then a line A)");
    }
  }
  if (i == lines.size()) throw fail(lines.empty() ? 0 : lines.size() - 1, "no line 'A' (the A matrix) in the file");
  const char* keys[] = {"a", "b", "out", "M", "N", "K"};
  bool seen[] = {seen_a, seen_b, seen_out, seen_m, seen_n, seen_k};
  for (int k = 0; k < 6; ++k)
    if (!seen[k]) throw fail(i, std::string("header line '") + keys[k] + "' is missing before 'A'");
  ElemFormat fa = tc_format(g.a_name, where(i)), fb = tc_format(g.b_name, where(i));
  if (g.M * g.K > (size_t(1) << 26) || g.N * g.K > (size_t(1) << 26))
    throw fail(i, "matrices larger than 2^26 elements are not supported");

  // A block of `rows` lines of `count` hex words of `digits` digits each,
  // packed (A, B) or separated by single spaces (D).
  auto read_block = [&](const std::string& label, size_t rows, size_t count, int digits, uint32_t mask, bool spaced,
                        std::vector<uint32_t>& out) {
    if (i >= lines.size() || lines[i] != label)
      throw fail(std::min(i, lines.size() - 1), "expected the line '" + label + "'");
    ++i;
    out.resize(rows * count);
    const size_t step = size_t(digits) + (spaced ? 1 : 0);
    for (size_t r = 0; r < rows; ++r, ++i) {
      if (i >= lines.size())
        throw fail(lines.size() - 1, label + " has " + std::to_string(r) + " rows, expected " + std::to_string(rows));
      const std::string& l = lines[i];
      size_t want = count * step - (spaced ? 1 : 0);
      if (l.size() != want)
        throw fail(i, label + " row " + std::to_string(r) + " has " + std::to_string(l.size()) + " characters, expected " +
                          std::to_string(want) + " (" + std::to_string(count) + " words of " + std::to_string(digits) +
                          " hex digits" + (spaced ? ", one space apart)" : ", no spaces)"));
      for (size_t c = 0; c < count; ++c) {
        uint32_t v = 0;
        size_t at = c * step;
        if (spaced && c > 0 && l[at - 1] != ' ')
          throw fail(i, label + " row " + std::to_string(r) + ": expected a space at column " + std::to_string(at));
        for (int d = 0; d < digits; ++d) {
          int h = hexval(l[at + size_t(d)]);
          if (h < 0)
            throw fail(i, label + " row " + std::to_string(r) + ": '" + std::string(1, l[at + size_t(d)]) +
                              "' at column " + std::to_string(at + size_t(d) + 1) + " is not a hex digit");
          v = v << 4 | uint32_t(h);
        }
        if (v & ~mask)
          throw fail(i, label + " row " + std::to_string(r) + " word " + std::to_string(c) + " = " +
                            l.substr(at, size_t(digits)) + " is not a code of the format");
        out[r * count + c] = v;
      }
    }
  };
  auto setup = [&](QMatrix& q, const ElemFormat& f, size_t rows) {
    q.fmt = parse_block_format(f.name);
    q.rows = rows;
    q.cols = g.K;
  };
  setup(g.A, fa, g.M);
  setup(g.B, fb, g.N);
  read_block("A", g.M, g.K, (fa.bits + 3) / 4, fa.code_mask(), false, g.A.codes);
  read_block("B", g.N, g.K, (fb.bits + 3) / 4, fb.code_mask(), false, g.B.codes);
  while (i < lines.size() && lines[i].empty()) ++i;
  if (i < lines.size()) {
    read_block("D", g.M, g.N, g.out_bf16 ? 4 : 8, g.out_bf16 ? 0xFFFFu : 0xFFFFFFFFu, true, g.D);
    while (i < lines.size() && lines[i].empty()) ++i;
    if (i < lines.size()) throw fail(i, "unexpected line after D (the file has " + std::to_string(g.M) + " D rows)");
  }
  return g;
}

TensorcoreGemm read_tensorcore(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(path + ":0: cannot open the file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_tensorcore(ss.str(), path);
}

std::vector<uint32_t> output_words(const std::vector<float>& C, bool bf16) {
  std::vector<uint32_t> w(C.size());
  for (size_t i = 0; i < C.size(); ++i) w[i] = bf16 ? f32_to_bf16_rne(C[i]) : f32_bits(C[i]);
  return w;
}

std::string format_words(const std::vector<uint32_t>& D, size_t M, size_t N, bool bf16) {
  std::string s;
  s.reserve(M * N * (bf16 ? 5 : 9));
  static const char* hex = "0123456789abcdef";
  int digits = bf16 ? 4 : 8;
  for (size_t m = 0; m < M; ++m) {
    for (size_t n = 0; n < N; ++n) {
      if (n) s += ' ';
      for (int d = digits - 1; d >= 0; --d) s += hex[(D[m * N + n] >> (4 * d)) & 0xF];
    }
    s += '\n';
  }
  return s;
}

}  // namespace macforge
