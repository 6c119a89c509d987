// The exact-block GEMM (FORMATS.md section 5) and the aligned:W mode (numerics/
// dot.cpp, group_sum) against an independent model on exact rationals
// (boost::multiprecision::cpp_rational): every element is decoded with the
// FORMATS.md formula, block sums and block values are exact, and the float32
// accumulator is rounded by tests/independent.hpp's rne32.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "independent.hpp"
#include "numerics/dot.hpp"
#include "numerics/quantize.hpp"

using namespace macforge;
using indep::BigInt;
using indep::pow2;
using indep::Rat;
using indep::rat;
using indep::rne32;
using indep::same;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// ------------------------------------------------------------------ model

// One element as the model sees it.
struct Elem {
  enum Kind { Finite, PosInf, NegInf, NaN } kind = Finite;
  Rat value;      // exact value incl. the MX integer implicit scale
  BigInt sig;     // signed significand (aligned mode)
  int lsb_exp = 0;  // value = sig * 2^lsb_exp
  int p = 0;      // significand width: M+1 (FP) or N (int)
};

Elem element(const QMatrix& q, size_t r, size_t k) {
  const ElemFormat& f = q.fmt.elem;
  uint32_t code = q.code(r, k);
  Elem e;
  if (f.is_int()) {
    int N = f.bits;
    int implicit = q.fmt.scale == ScaleKind::E8M0 ? -(N - 2) : 0;
    int64_t v = indep::int_decode(N, code);
    e.sig = v;
    e.lsb_exp = implicit;
    e.p = N;
    e.value = Rat(BigInt(v)) * pow2(implicit);
    return e;
  }
  const int E = f.ebits, M = f.mbits;
  indep::Sp sp = f.special == Special::Ieee      ? indep::Sp::Ieee
                 : f.special == Special::NanOnly ? indep::Sp::NanOnly
                                                 : indep::Sp::Finite;
  double d = indep::fp_decode(E, M, sp, code);
  if (std::isnan(d)) {
    e.kind = Elem::NaN;
    return e;
  }
  if (std::isinf(d)) {
    e.kind = d > 0 ? Elem::PosInf : Elem::NegInf;
    return e;
  }
  e.value = rat(d);
  uint32_t ef = (code >> M) & ((1u << E) - 1u), m = code & ((1u << M) - 1u);
  bool neg = (code >> (E + M)) & 1u;
  int64_t s = ef ? int64_t((uint64_t{1} << M) | m) : int64_t(m);
  e.sig = neg ? -s : s;
  e.lsb_exp = int(ef ? ef : 1) - ((1 << (E - 1)) - 1) - M;
  e.p = M + 1;
  return e;
}

// Block scale of row r at K index k; false for a NaN scale.
bool block_scale(const QMatrix& q, size_t r, size_t k, Rat& s) {
  s = 1;
  if (!q.fmt.has_block_scale()) return true;
  uint32_t c = q.scale_codes[r * ((q.cols + size_t(q.fmt.block) - 1) / size_t(q.fmt.block)) +
                             k / size_t(q.fmt.block)];
  if (q.fmt.scale == ScaleKind::E8M0) {
    if (c == 0xFF) return false;
    s = pow2(int(c) - 127);
    return true;
  }
  double d = indep::fp_decode(4, 3, indep::Sp::NanOnly, c & 0x7F);
  if (std::isnan(d)) return false;
  s = rat(d);
  return true;
}

// Tensor (NV gD) or channel/tensor fp32 scale; false when there is none.
bool tensor_scale(const QMatrix& q, size_t r, float& g) {
  if (q.fmt.scale == ScaleKind::UE4M3) {
    g = q.tensor_gd;
    return true;
  }
  if (q.fmt.scale == ScaleKind::FP32) {
    g = q.chan_scale.size() == 1 ? q.chan_scale[0] : q.chan_scale[r];
    return true;
  }
  return false;
}

size_t group_len(const QMatrix& A, const QMatrix& B, int lanes) {
  bool ba = A.fmt.has_block_scale(), bb = B.fmt.has_block_scale();
  if (ba && bb) return size_t(std::min(A.fmt.block, B.fmt.block));
  if (ba) return size_t(A.fmt.block);
  if (bb) return size_t(B.fmt.block);
  return size_t(lanes);
}

BigInt floor_div_pow2(const BigInt& v, int d) {  // floor(v / 2^d), d > 0
  BigInt den = BigInt(1) << d;
  BigInt q = v / den;  // truncates toward zero
  if (v < 0 && q * den != v) q -= 1;
  return q;
}

// width == 0: exact-block; else aligned:width.
float model_dot(const QMatrix& A, size_t m, const QMatrix& B, size_t n, int lanes, int width) {
  const size_t K = A.cols, G = group_len(A, B, lanes);
  float acc = 0.0f;
  for (size_t k0 = 0; k0 < K; k0 += G) {
    size_t k1 = std::min(K, k0 + G);
    Rat sa, sb;
    if (!block_scale(A, m, k0, sa) || !block_scale(B, n, k0, sb)) return kNaN;
    std::vector<Elem> ea, eb;
    bool pinf = false, ninf = false;
    for (size_t k = k0; k < k1; ++k) {
      Elem a = element(A, m, k), b = element(B, n, k);
      if (a.kind == Elem::NaN || b.kind == Elem::NaN) return kNaN;
      bool ia = a.kind != Elem::Finite, ib = b.kind != Elem::Finite;
      if (ia || ib) {
        if ((!ia && a.value == 0) || (!ib && b.value == 0)) return kNaN;  // Inf * 0
        bool na = ia ? a.kind == Elem::NegInf : a.value < 0;
        bool nb = ib ? b.kind == Elem::NegInf : b.value < 0;
        (na != nb ? ninf : pinf) = true;
      }
      ea.push_back(a);
      eb.push_back(b);
    }
    if (pinf && ninf) return kNaN;
    if (pinf || ninf) {
      if (sa == 0 || sb == 0) return kNaN;
      acc = acc + (pinf ? INFINITY : -INFINITY);  // IEEE: Inf + -Inf = NaN
      if (std::isnan(acc)) return kNaN;
      continue;
    }
    if (std::isinf(acc)) continue;
    Rat S = 0;
    if (width == 0) {
      for (size_t i = 0; i < ea.size(); ++i) S += ea[i].value * eb[i].value;
    } else {
      // aligned:W: the group is cut into chunks of `lanes` products from its
      // first element. In a chunk, align to the largest product exponent among
      // the nonzero products, keep W bits from the top of the P = pa + pb bit
      // product significand, truncate toward -inf. Chunk sums add exactly.
      const size_t chunk = size_t(std::max(lanes, 1));
      for (size_t c0 = 0; c0 < ea.size(); c0 += chunk) {
        size_t c1 = std::min(ea.size(), c0 + chunk);
        bool any = false;
        int top = 0;
        for (size_t i = c0; i < c1; ++i) {
          if (ea[i].sig == 0 || eb[i].sig == 0) continue;
          int t = ea[i].lsb_exp + eb[i].lsb_exp + ea[i].p + eb[i].p;  // one above the MSB slot
          top = any ? std::max(top, t) : t;
          any = true;
        }
        if (!any) continue;
        int unit = top - width;
        BigInt units = 0;
        for (size_t i = c0; i < c1; ++i) {
          BigInt prod = ea[i].sig * eb[i].sig;
          if (prod == 0) continue;
          int sh = ea[i].lsb_exp + eb[i].lsb_exp - unit;
          units += sh >= 0 ? BigInt(prod << sh) : floor_div_pow2(prod, -sh);
        }
        S += Rat(units) * pow2(unit);
      }
    }
    acc = rne32(rat(double(acc)) + S * sa * sb);
  }
  float ga, gb;
  bool ta = tensor_scale(A, m, ga), tb = tensor_scale(B, n, gb);
  if (ta || tb) {
    if (!ta) ga = 1.0f;
    if (!tb) gb = 1.0f;
    if (!std::isfinite(ga) || !std::isfinite(gb) || !std::isfinite(acc)) return acc * (ga * gb);
    float g = rne32(rat(ga) * rat(gb));
    if (!std::isfinite(g)) return acc * g;
    acc = rne32(rat(acc) * rat(g));
  }
  return acc;
}

// ------------------------------------------------------------------ data

// Gaussian values, each block of 32 at its own magnitude 2^U(-range, range);
// some blocks and elements exactly zero.
std::vector<float> gen_data(std::mt19937_64& gen, size_t rows, size_t cols, int range) {
  std::normal_distribution<double> nd;
  std::vector<float> x(rows * cols);
  for (size_t r = 0; r < rows; ++r) {
    int mag = 0;
    bool zero_block = false;
    for (size_t c = 0; c < cols; ++c) {
      if (c % 32 == 0) {
        mag = range ? int(gen() % uint64_t(2 * range + 1)) - range : 0;
        zero_block = gen() % 16 == 0;
      }
      double v = nd(gen);
      if (zero_block || gen() % 20 == 0) v = 0.0;
      x[r * cols + c] = float(std::ldexp(v, mag));
    }
  }
  return x;
}

QMatrix make(const char* fmt, Rule rule, const std::vector<float>& x, size_t rows, size_t cols) {
  return quantize(parse_block_format(fmt), rule, x.data(), rows, cols);
}

Rule default_rule(const char* fmt) { return parse_block_format(fmt).default_rule; }

// Compares gemm (and dot) with the model; returns the number of outputs that
// differ from a naive double-precision sum of the dequantized products.
size_t check_gemm(const QMatrix& A, const QMatrix& B, AccumSpec acc, const std::string& what) {
  std::vector<float> C = gemm(A, B, acc);
  EXPECT_EQ(C.size(), A.rows * B.rows);
  std::vector<float> da = dequantize(A), db = dequantize(B);
  size_t naive_diff = 0;
  int width = acc.mode == AccumMode::Aligned ? acc.width : 0;
  for (size_t m = 0; m < A.rows; ++m)
    for (size_t n = 0; n < B.rows; ++n) {
      float want = model_dot(A, m, B, n, acc.lanes, width);
      float got = C[m * B.rows + n];
      EXPECT_TRUE(same(got, want)) << what << " m=" << m << " n=" << n << " got " << got << " (0x"
                                   << std::hex << indep::bits(got) << ") want " << want << " (0x"
                                   << indep::bits(want) << ")";
      if (m == 0 || n == 0) {
        EXPECT_TRUE(same(dot(A, m, B, n, acc), got)) << what;
      }
      double s = 0;
      for (size_t k = 0; k < A.cols; ++k) s += double(da[m * A.cols + k]) * double(db[n * B.cols + k]);
      if (!same(float(s), got)) ++naive_diff;
    }
  return naive_diff;
}

// ------------------------------------------------------------------ tests

struct Pair {
  const char* a;
  const char* b;
  int lanes;
};
void PrintTo(const Pair& p, std::ostream* os) { *os << p.a << " x " << p.b << " lanes " << p.lanes; }

class GemmPairs : public ::testing::TestWithParam<Pair> {};

TEST_P(GemmPairs, MatchesExactModel) {
  const Pair& p = GetParam();
  std::mt19937_64 gen(std::hash<std::string>{}(std::string(p.a) + p.b + std::to_string(p.lanes)));
  AccumSpec acc;
  acc.lanes = p.lanes;
  std::vector<Rule> ra = {default_rule(p.a)}, rb = {default_rule(p.b)};
  if (ra[0] == Rule::Ocp) ra.push_back(Rule::Ceil);
  if (rb[0] == Rule::Ocp) rb.push_back(Rule::Ceil);
  for (int iter = 0; iter < 12; ++iter) {
    size_t M = 1 + gen() % 4, N = 1 + gen() % 4, K = 1 + gen() % 200;
    if (iter == 0) K = 64;
    int range = iter % 3 == 0 ? 0 : (iter % 3 == 1 ? 4 : 30);
    std::vector<float> xa = gen_data(gen, M, K, range), xb = gen_data(gen, N, K, range);
    QMatrix A = make(p.a, ra[size_t(iter) % ra.size()], xa, M, K);
    QMatrix B = make(p.b, rb[size_t(iter / 2) % rb.size()], xb, N, K);
    check_gemm(A, B, acc, std::string(p.a) + " x " + p.b + " K=" + std::to_string(K));
  }
}

const Pair kPairs[] = {
    // every block preset with itself
    {"mxfp8_e4m3", "mxfp8_e4m3", 1}, {"mxfp8_e5m2", "mxfp8_e5m2", 1}, {"mxfp6_e2m3", "mxfp6_e2m3", 1},
    {"mxfp6_e3m2", "mxfp6_e3m2", 1}, {"mxfp4_e2m1", "mxfp4_e2m1", 1}, {"mxint8", "mxint8", 1},
    {"mxint6", "mxint6", 1},         {"mxint4", "mxint4", 1},         {"nvfp4", "nvfp4", 1},
    {"nvint4", "nvint4", 1},
    // mixed pairs
    {"mxint4", "mxfp8_e4m3", 1}, {"mxfp4_e2m1", "mxint8", 1}, {"nvfp4", "nvint4", 1},
    {"mxfp8_e5m2", "mxint8", 1}, {"nvfp4", "mxfp8_e4m3", 1},  // 16 nested in 32
    {"fp8_e4m3/64/e8m0", "mxint8", 1}, {"e3m4/32/e8m0", "int4/16/e8m0", 1},
    {"int8_full/32/e8m0", "mxint8", 1}, {"mxint8", "int8/channel/fp32", 1},
    {"int8/channel/fp32", "int8/tensor/fp32", 1}, {"int8/channel/fp32", "int8/tensor/fp32", 4},
    {"int8/channel/fp32", "int8/tensor/fp32", 32}, {"int4/channel/fp32", "fp8_e4m3/tensor/fp32", 8},
    {"fp8_e4m3", "fp8_e4m3", 1}, {"fp8_e4m3", "fp8_e4m3", 3}, {"fp8_e4m3", "fp8_e4m3", 8},
    {"fp8_e4m3", "fp8_e4m3", 32}, {"fp8_e5m2", "fp4_e2m1", 16}, {"fp16", "fp16", 16},
    {"bf16", "bf16", 8}, {"bf16", "int8", 4}, {"fp16", "int8/channel/fp32", 7},
    {"fp32", "fp8_e4m3", 5}, {"int16", "int16", 32},
};

INSTANTIATE_TEST_SUITE_P(All, GemmPairs, ::testing::ValuesIn(kPairs),
                         [](const ::testing::TestParamInfo<Pair>& i) {
                           std::string n = std::string(i.param.a) + "_x_" + i.param.b + "_l" +
                                           std::to_string(i.param.lanes);
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// Blocks at very different magnitudes: one rounding per block makes results
// differ from a naive double-precision sum; the model still agrees bit for bit.
TEST(ExactGemm, RoundingPerBlockIsVisible) {
  std::mt19937_64 gen(99);
  size_t total_diff = 0;
  for (const char* fmt : {"mxfp8_e4m3", "mxint8", "mxfp4_e2m1", "nvfp4"}) {
    size_t M = 6, N = 5, K = 32 * 7 + 5;
    std::vector<float> xa = gen_data(gen, M, K, 40), xb = gen_data(gen, N, K, 40);
    QMatrix A = make(fmt, default_rule(fmt), xa, M, K), B = make(fmt, default_rule(fmt), xb, N, K);
    size_t d = check_gemm(A, B, AccumSpec{}, fmt);
    total_diff += d;
  }
  EXPECT_GE(total_diff, 5u) << "the test data does not exercise the per-block rounding";

  // A hand-made case: block 0 = 2^30 + 3, block 1 = -2^30, block 2 = 0.75.
  // Per block: RNE32(2^30 + 3) = 2^30, then 0, then 0.75. Exact total: 3.75.
  std::vector<float> a(96, 0.0f), b(96, 0.0f);
  a[0] = std::ldexp(1.0f, 15);
  b[0] = std::ldexp(1.0f, 15);
  a[1] = 3.0f;
  b[1] = 1.0f;
  a[32] = -std::ldexp(1.0f, 15);
  b[32] = std::ldexp(1.0f, 15);
  a[64] = 0.75f;
  b[64] = 1.0f;
  QMatrix A = make("mxfp8_e4m3", Rule::Ocp, a, 1, 96), B = make("mxfp8_e4m3", Rule::Ocp, b, 1, 96);
  // Block 0 elements: 2^15 and 3 share the scale 2^7; 3 / 2^7 is exact in e4m3.
  ASSERT_EQ(A.dequant[1], 3.0f);
  float c = gemm(A, B, AccumSpec{})[0];
  EXPECT_EQ(c, 0.75f);
  EXPECT_EQ(model_dot(A, 0, B, 0, 1, 0), 0.75f);
}

// Random GEMMs with odd sizes that are not multiples of the block.
TEST(ExactGemm, OddSizes) {
  std::mt19937_64 gen(2024);
  for (size_t K : {1u, 5u, 31u, 33u, 47u, 65u, 100u, 161u})
    for (const char* fmt : {"mxfp8_e4m3", "mxint4", "nvfp4", "mxfp6_e3m2"}) {
      size_t M = 1 + gen() % 7, N = 1 + gen() % 7;
      std::vector<float> xa = gen_data(gen, M, K, 6), xb = gen_data(gen, N, K, 6);
      QMatrix A = make(fmt, default_rule(fmt), xa, M, K), B = make(fmt, default_rule(fmt), xb, N, K);
      check_gemm(A, B, AccumSpec{}, std::string(fmt) + " K=" + std::to_string(K));
    }
}

TEST(ExactGemm, NaNScaleGivesNaN) {
  std::vector<float> a(64, 1.0f), b(64, 0.5f);
  a[40] = kNaN;  // block 1 of row 0 -> scale 0xFF
  QMatrix A = make("mxfp8_e4m3", Rule::Ocp, a, 2, 32);  // row 1 holds the NaN
  QMatrix B = make("mxint8", Rule::Ocp, b, 2, 32);
  ASSERT_EQ(A.scale_codes[1], 0xFFu);
  std::vector<float> C = gemm(A, B, AccumSpec{});
  EXPECT_EQ(C[0], 16.0f);
  EXPECT_EQ(C[1], 16.0f);
  EXPECT_TRUE(std::isnan(C[2]));
  EXPECT_TRUE(std::isnan(C[3]));
  check_gemm(A, B, AccumSpec{}, "nan scale");
  // A NaN block later in K overrides everything accumulated before it.
  std::vector<float> c(96, 1.0f);
  c[90] = INFINITY;
  QMatrix Cq = make("mxfp4_e2m1", Rule::Ocp, c, 1, 96);
  EXPECT_TRUE(std::isnan(gemm(Cq, Cq, AccumSpec{})[0]));
}

TEST(ExactGemm, InfElementsFollowIeee) {
  const float inf = INFINITY;
  struct Case {
    std::vector<float> a, b;
    int lanes;
    float want;  // NaN by class
  };
  const Case cases[] = {
      {{inf, 1, 2, 3}, {1, 1, 1, 1}, 4, inf},            // Inf * 1
      {{inf, 1, 2, 3}, {-1, 1, 1, 1}, 4, -inf},          // Inf * -1
      {{inf, 1, 2, 3}, {0, 1, 1, 1}, 4, kNaN},           // Inf * 0
      {{inf, -inf, 2, 3}, {1, 1, 1, 1}, 4, kNaN},        // Inf - Inf in one group
      {{inf, 1, -inf, 3}, {1, 1, 1, 1}, 2, kNaN},        // Inf + -Inf across groups
      {{inf, 1, inf, 3}, {1, 1, 1, 1}, 2, inf},          // Inf + Inf
      {{inf, 1, 2, -inf}, {1, 1, 1, -1}, 1, inf},        // Inf + (-Inf * -1)
      {{kNaN, 1, 2, 3}, {1, 1, 1, 1}, 4, kNaN},          // NaN element
  };
  for (const Case& c : cases) {
    QMatrix A = make("fp8_e5m2", Rule::Cast, c.a, 1, 4), B = make("fp8_e5m2", Rule::Cast, c.b, 1, 4);
    AccumSpec acc;
    acc.lanes = c.lanes;
    float got = gemm(A, B, acc)[0];
    EXPECT_TRUE(same(got, c.want)) << "a0=" << c.a[0] << " lanes " << c.lanes << " got " << got;
    EXPECT_TRUE(same(model_dot(A, 0, B, 0, c.lanes, 0), c.want));
  }
  // Finite overflow of the accumulator gives Inf, which later finite blocks
  // (however large and of the opposite sign) leave alone; an Inf group of the
  // opposite sign then makes NaN.
  {
    std::vector<float> a(96, 0.0f), b(96, 0.0f);
    a[0] = std::ldexp(1.0f, 100);
    b[0] = std::ldexp(1.0f, 100);  // block 0: 2^200 -> +Inf
    a[32] = -std::ldexp(1.0f, 120);
    b[32] = std::ldexp(1.0f, 120);  // block 1: -2^240, exact, finite
    a[64] = 1.0f;
    b[64] = 1.0f;
    QMatrix A = make("mxfp8_e4m3", Rule::Ocp, a, 1, 96), B = make("mxfp8_e4m3", Rule::Ocp, b, 1, 96);
    EXPECT_EQ(gemm(A, B, AccumSpec{})[0], inf);
    EXPECT_EQ(model_dot(A, 0, B, 0, 1, 0), inf);
    // Half of FLT_MAX twice: the second block overflows.
    std::vector<float> c(64, 0.0f), d(64, 0.0f);
    c[0] = std::ldexp(1.0f, 127);
    d[0] = 1.0f;
    c[32] = std::ldexp(1.0f, 127);
    d[32] = 1.0f;
    QMatrix C = make("mxfp8_e5m2", Rule::Ocp, c, 1, 64), D = make("mxfp8_e5m2", Rule::Ocp, d, 1, 64);
    EXPECT_EQ(gemm(C, D, AccumSpec{})[0], inf);
    d[32] = -1.0f;
    D = make("mxfp8_e5m2", Rule::Ocp, d, 1, 64);
    EXPECT_EQ(gemm(C, D, AccumSpec{})[0], 0.0f);
  }
  // Random mixes of Inf, NaN and finite values against the model.
  std::mt19937_64 gen(5);
  const float pool[] = {inf, -inf, kNaN, 0.0f, -0.0f, 1.0f, -2.5f, 57344.0f, 3e-5f};
  for (int it = 0; it < 300; ++it) {
    size_t K = 1 + gen() % 12;
    std::vector<float> a(2 * K), b(3 * K);
    for (float& v : a) v = pool[gen() % 9];
    for (float& v : b) v = pool[gen() % 9];
    AccumSpec acc;
    acc.lanes = int(1 + gen() % 4);
    QMatrix A = make("fp8_e5m2", Rule::Cast, a, 2, K), B = make("fp8_e5m2", Rule::Cast, b, 3, K);
    std::string dump = "lanes " + std::to_string(acc.lanes) + " K " + std::to_string(K) + " a:";
    for (float v : a) dump += " " + std::to_string(v);
    dump += " b:";
    for (float v : b) dump += " " + std::to_string(v);
    check_gemm(A, B, acc, "inf mix " + dump);
  }
}

// Hand cases of the accumulator's single rounding.
TEST(AddRoundF32, HandCases) {
  const float two126 = std::ldexp(1.0f, 126);
  const __int128 one = 1;
  // Catastrophic cancellation: -2^126 + (2^126 + 1) = 1 exactly.
  EXPECT_EQ(add_round_f32(-two126, (one << 126) + 1, 0), 1.0f);
  EXPECT_EQ(add_round_f32(two126, -((one << 126) + 1), 0), -1.0f);
  EXPECT_EQ(add_round_f32(-two126, (one << 126) + 3, -1), -two126 / 2 + 1.5f);
  // -2^126 + (2^126 + 1) * 2^-100 : far apart, the small side is rounded away.
  EXPECT_EQ(add_round_f32(-two126, (one << 126) + 1, -100), -two126);
  // Exactly half an ulp of 1.0 (2^-24): tie to even stays at 1.0 ...
  EXPECT_EQ(add_round_f32(1.0f, 1, -24), 1.0f);
  // ... from the odd neighbour it goes up.
  EXPECT_EQ(add_round_f32(std::nextafter(1.0f, 2.0f), 1, -24), 1.0f + std::ldexp(1.0f, -22));
  // Half an ulp plus 2^-134 (110-bit gap): above the tie, rounds up.
  EXPECT_EQ(add_round_f32(1.0f, (one << 110) + 1, -134), std::nextafter(1.0f, 2.0f));
  // Half an ulp minus 2^-150: below the tie, stays.
  EXPECT_EQ(add_round_f32(1.0f, (one << 126) - 1, -150), 1.0f);
  // Huge exponent gap both ways.
  EXPECT_EQ(add_round_f32(1.0f, 1, -1000), 1.0f);
  EXPECT_EQ(add_round_f32(1.0f, -1, -1000), 1.0f);
  EXPECT_EQ(add_round_f32(std::ldexp(1.0f, -149), 1, 100), std::ldexp(1.0f, 100));
  EXPECT_EQ(add_round_f32(std::ldexp(1.0f, -149), -1, 100), -std::ldexp(1.0f, 100));
  // Just below 1.0 the ulp is 2^-24: subtracting 2^-25 from 1.0 is a tie -> 1.0.
  EXPECT_EQ(add_round_f32(1.0f, -1, -25), 1.0f);
  EXPECT_EQ(add_round_f32(1.0f, -3, -26), std::nextafter(1.0f, 0.0f));  // 1 - 0.75 ulp
  // Overflow: FLT_MAX + half its ulp (2^103) is a tie; FLT_MAX is odd -> 2^128 = Inf.
  EXPECT_EQ(add_round_f32(FLT_MAX, 1, 103), INFINITY);
  EXPECT_EQ(add_round_f32(FLT_MAX, 1, 102), FLT_MAX);
  EXPECT_EQ(add_round_f32(-FLT_MAX, -1, 103), -INFINITY);
  EXPECT_EQ(add_round_f32(0.0f, 1, 128), INFINITY);
  EXPECT_EQ(add_round_f32(0.0f, (one << 100), 28), INFINITY);
  // Subnormals: 2^-150 is a tie between 0 and 2^-149 -> 0; 3*2^-151 -> 2^-149.
  EXPECT_EQ(indep::bits(add_round_f32(0.0f, 1, -150)), 0u);
  EXPECT_EQ(indep::bits(add_round_f32(0.0f, -1, -150)), 0x80000000u);  // -0: sign kept
  EXPECT_EQ(add_round_f32(0.0f, 3, -151), std::ldexp(1.0f, -149));
  EXPECT_EQ(add_round_f32(std::ldexp(1.0f, -149), 1, -149), std::ldexp(1.0f, -148));
  EXPECT_EQ(indep::bits(add_round_f32(std::ldexp(1.0f, -149), -1, -149)), 0u);  // exact 0 -> +0
  EXPECT_EQ(add_round_f32(std::ldexp(1.0f, -126), -1, -149), std::ldexp(1.0f, -126) - std::ldexp(1.0f, -149));
  // sig 0: acc + 0 (IEEE: -0 + 0 = +0).
  EXPECT_EQ(add_round_f32(2.5f, 0, 7), 2.5f);
  EXPECT_EQ(indep::bits(add_round_f32(-0.0f, 0, 0)), 0u);
  // Extreme significands.
  const __int128 maxi = ~(__int128(1) << 127);  // 2^127 - 1
  EXPECT_EQ(add_round_f32(0.0f, maxi, 0), std::ldexp(1.0f, 127));
  EXPECT_EQ(add_round_f32(0.0f, -maxi - 1, 0), -std::ldexp(1.0f, 127));
  EXPECT_EQ(add_round_f32(-std::ldexp(1.0f, 127), maxi, 0), -1.0f);  // -2^127 + 2^127 - 1 = -1
}

// The same rounding against the rational model over random operands, with
// exponents spread so that every branch (narrow, wide, subnormal, overflow) runs.
TEST(AddRoundF32, MatchesRationalModel) {
  std::mt19937_64 gen(31337);
  for (int it = 0; it < 200000; ++it) {
    float acc;
    do acc = indep::from_bits(uint32_t(gen()));
    while (!std::isfinite(acc));
    if (it % 4 == 0) acc = float(std::ldexp(double(int32_t(gen())), int(gen() % 60) - 30));
    int bitsn = int(gen() % 127);
    __int128 sig = (__int128(gen()) << 64 | __int128(gen())) & ((__int128(1) << bitsn) - 1);
    if (gen() & 1) sig = -sig;
    int ea = int((indep::bits(acc) >> 23) & 0xFF) - 127;
    int exp = it % 3 == 0 ? int(gen() % 600) - 400 : ea - bitsn + int(gen() % 60) - 30;
    BigInt s = BigInt(int64_t(sig >> 64)) * (BigInt(1) << 64) + BigInt(uint64_t(sig));
    Rat exact = rat(double(acc)) + Rat(s) * pow2(exp);
    float want = sig == 0 ? acc + 0.0f : rne32(exact);
    float got = add_round_f32(acc, sig, exp);
    ASSERT_EQ(indep::bits(got), indep::bits(want)) << "acc=" << acc << " bits " << bitsn << " exp " << exp;
  }
}

// aligned:W against the model of its definition; small W differs from
// exact-block, large W equals it.
TEST(AlignedAccum, MatchesModelOfTheDefinition) {
  std::mt19937_64 gen(77);
  struct P {
    const char* a;
    const char* b;
  };
  for (P p : {P{"mxfp8_e4m3", "mxfp8_e4m3"}, P{"mxint8", "mxint8"}, P{"mxint4", "mxfp8_e4m3"},
              P{"nvfp4", "nvfp4"}, P{"mxfp4_e2m1", "mxint8"}, P{"mxfp8_e5m2", "mxfp6_e3m2"}})
    for (int W : {2, 4, 8, 12, 16, 24, 32, 40})
      for (int lanes : {1, 4, 8, 32}) {
        size_t M = 3, N = 3, K = 32 * 3 + 11;
        std::vector<float> xa = gen_data(gen, M, K, 3), xb = gen_data(gen, N, K, 3);
        QMatrix A = make(p.a, default_rule(p.a), xa, M, K), B = make(p.b, default_rule(p.b), xb, N, K);
        AccumSpec acc = parse_accum("aligned:" + std::to_string(W));
        EXPECT_EQ(acc.name(), "aligned:" + std::to_string(W));
        acc.lanes = lanes;
        check_gemm(A, B, acc,
                   std::string(p.a) + " x " + p.b + " W=" + std::to_string(W) + " lanes " + std::to_string(lanes));
      }
  // Plain formats in lanes too.
  for (int lanes : {1, 4, 16}) {
    std::vector<float> xa = gen_data(gen, 2, 50, 2), xb = gen_data(gen, 3, 50, 2);
    QMatrix A = make("fp8_e4m3", Rule::Cast, xa, 2, 50), B = make("int8/channel/fp32", Rule::Absmax, xb, 3, 50);
    AccumSpec acc = parse_accum("aligned:10");
    acc.lanes = lanes;
    check_gemm(A, B, acc, "plain aligned");
  }
}

TEST(AlignedAccum, DiffersForSmallWEqualsForLargeW) {
  std::mt19937_64 gen(4242);
  size_t M = 8, N = 8, K = 256;
  std::vector<float> xa = gen_data(gen, M, K, 0), xb = gen_data(gen, N, K, 0);
  QMatrix A = make("mxfp8_e4m3", Rule::Ocp, xa, M, K), B = make("mxfp8_e4m3", Rule::Ocp, xb, N, K);
  std::vector<float> exact = gemm(A, B, AccumSpec{});
  AccumSpec a8 = parse_accum("aligned:8"), a96 = parse_accum("aligned:96");
  a8.lanes = a96.lanes = 32;  // one adder-tree pass per block
  std::vector<float> w8 = gemm(A, B, a8);
  std::vector<float> w96 = gemm(A, B, a96);
  // With one product per pass, W = P = 8 keeps every e4m3 x e4m3 product whole.
  AccumSpec a8l1 = parse_accum("aligned:8");
  std::vector<float> w8l1 = gemm(A, B, a8l1);
  size_t diff8 = 0, diff96 = 0;
  for (size_t i = 0; i < exact.size(); ++i) {
    diff8 += !same(exact[i], w8[i]);
    diff96 += !same(exact[i], w96[i]);
  }
  EXPECT_GT(diff8, exact.size() / 2);
  EXPECT_EQ(diff96, 0u);
  for (size_t i = 0; i < exact.size(); ++i) EXPECT_TRUE(same(exact[i], w8l1[i])) << i;

  // Hand case: two products 1*1 and 2^-9 * 2^-9 = 2^-18 in an fp8_e4m3 group.
  // P = 8 bits, the largest product 1.0 has its MSB slot at 2^1, so W bits keep
  // units down to 2^(2-W). W = 8: 2^-18 is truncated away; W = 20: 2^-18 is
  // kept; the tiny product truncated toward -inf when negative gives -2^(2-W).
  std::vector<float> a = {1.0f, std::ldexp(1.0f, -9)}, b = {1.0f, std::ldexp(1.0f, -9)};
  std::vector<float> bn = {1.0f, -std::ldexp(1.0f, -9)};
  QMatrix Aq = make("fp8_e4m3", Rule::Cast, a, 1, 2), Bq = make("fp8_e4m3", Rule::Cast, b, 1, 2);
  QMatrix Bn = make("fp8_e4m3", Rule::Cast, bn, 1, 2);
  AccumSpec acc = parse_accum("aligned:8");
  acc.lanes = 2;
  EXPECT_EQ(gemm(Aq, Bq, acc)[0], 1.0f);
  EXPECT_EQ(gemm(Aq, Bn, acc)[0], 1.0f - std::ldexp(1.0f, -6));  // floor(-2^-18 / 2^-6) = -1
  acc.width = 20;
  EXPECT_EQ(gemm(Aq, Bq, acc)[0], 1.0f + std::ldexp(1.0f, -18));
  EXPECT_EQ(gemm(Aq, Bn, acc)[0], 1.0f - std::ldexp(1.0f, -18));
  AccumSpec ex;
  ex.lanes = 2;
  EXPECT_EQ(gemm(Aq, Bq, ex)[0], 1.0f + std::ldexp(1.0f, -18));
}

// docs/accumulation.md's aligned:W worked example, one block of four
// fp8_e4m3 products with unit block scales, built from codes directly.
TEST(AlignedAccum, DocsWorkedExample) {
  auto block = [](std::vector<uint32_t> codes) {
    QMatrix q;
    q.fmt = parse_block_format("fp8_e4m3/4/e8m0");
    q.rule = Rule::Ocp;
    q.rows = 1;
    q.cols = 4;
    q.codes = codes;
    q.scale_codes = {127};
    q.dequant = dequantize(q);
    return q;
  };
  QMatrix A = block({0x7E, 0x3C, 0xAC, 0x81}), B = block({0x7E, 0x44, 0x3A, 0x01});
  ASSERT_EQ(A.dequant, (std::vector<float>{448, 1.5f, -0.375f, -std::ldexp(1.0f, -9)}));
  ASSERT_EQ(B.dequant, (std::vector<float>{448, 3, 1.25f, std::ldexp(1.0f, -9)}));
  auto run = [&](const char* mode, int lanes) {
    AccumSpec acc = parse_accum(mode);
    acc.lanes = lanes;
    float c = gemm(A, B, acc)[0];
    EXPECT_TRUE(same(c, model_dot(A, 0, B, 0, lanes, acc.mode == AccumMode::Aligned ? acc.width : 0)));
    return indep::bits(c);
  };
  EXPECT_EQ(run("aligned:8", 4), 0x48420000u);   // 198656
  EXPECT_EQ(run("aligned:12", 4), 0x4843e000u);  // 200576
  EXPECT_EQ(run("aligned:20", 4), 0x484400f0u);  // 200707.75
  EXPECT_EQ(run("aligned:8", 2), 0x4843ffe2u);   // 200703.53125
  EXPECT_EQ(run("exact-block", 4), 0x48440102u);  // 200708.03125
  EXPECT_EQ(run("exact-block", 1), 0x48440102u);  // lanes do not matter
}

// A block whose exact value is zero leaves the accumulator as RNE32(acc + 0):
// with acc = -0 (a negative value rounded to zero) that is +0, as IEEE adds.
TEST(ExactGemm, ZeroBlockAfterNegativeUnderflow) {
  // Block 0: (-2^-9 * 2^-127) * (2^-9 * 2^-127) -> rounds to -0. Block 1: all zero.
  std::vector<float> a(64, 0.0f), b(64, 0.0f);
  a[0] = -std::ldexp(1.0f, -136);
  b[0] = std::ldexp(1.0f, -136);
  QMatrix A = make("mxfp8_e4m3", Rule::Ocp, a, 1, 64), B = make("mxfp8_e4m3", Rule::Ocp, b, 1, 64);
  ASSERT_EQ(A.dequant[0], -std::ldexp(1.0f, -136));
  std::vector<float> a1(a.begin(), a.begin() + 32), b1(b.begin(), b.begin() + 32);
  QMatrix A1 = make("mxfp8_e4m3", Rule::Ocp, a1, 1, 32), B1 = make("mxfp8_e4m3", Rule::Ocp, b1, 1, 32);
  EXPECT_EQ(indep::bits(gemm(A1, B1, AccumSpec{})[0]), 0x80000000u);  // one block: -0
  EXPECT_EQ(indep::bits(gemm(A, B, AccumSpec{})[0]), 0u);             // then + 0: +0
  EXPECT_EQ(indep::bits(model_dot(A, 0, B, 0, 1, 0)), 0u);
}

TEST(ExactGemm, ShapeErrors) {
  std::vector<float> x(96, 1.0f);
  QMatrix A = make("fp8_e4m3/48/e8m0", Rule::Ocp, x, 1, 96), B = make("mxfp8_e4m3", Rule::Ocp, x, 1, 96);
  EXPECT_THROW(gemm(A, B, AccumSpec{}), FormatError);  // 48 and 32 do not nest
  QMatrix C = make("mxfp8_e4m3", Rule::Ocp, x, 2, 48);
  EXPECT_THROW(gemm(B, C, AccumSpec{}), FormatError);  // K differs
  EXPECT_THROW(parse_accum("aligned:1"), FormatError);
  EXPECT_THROW(parse_accum("aligned"), FormatError);
  EXPECT_THROW(parse_accum("exact"), FormatError);
  EXPECT_EQ(parse_accum("exact-block").mode, AccumMode::ExactBlock);
  QMatrix D = make("fp8_e4m3", Rule::Cast, x, 1, 96);
  AccumSpec bad;
  bad.lanes = 0;
  EXPECT_THROW(gemm(D, D, bad), FormatError);
  EXPECT_EQ(accum_group(A, make("nvfp4", Rule::Nv, x, 1, 96), AccumSpec{}), 16u);
}

}  // namespace
