// Element formats (FORMATS.md section 1) against the formulas, written out
// independently in tests/independent.hpp: every code of every format of up to
// 9 bits is decoded and compared, encode is checked for round trips, exact
// ties (RNE), near-ties, saturation and the special values, and the 16-bit IEEE
// formats are compared with independent conversions over all their codes.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "independent.hpp"
#include "numerics/block_format.hpp"
#include "numerics/elem_format.hpp"
#include "numerics/quantize.hpp"

using namespace macforge;

namespace {

struct FpCase {
  const char* name;
  int E, M;
  indep::Sp sp;
};

// Every FP element of up to 9 bits we support, presets and user ExMy.
const FpCase kFp[] = {
    {"fp8_e4m3", 4, 3, indep::Sp::NanOnly}, {"fp8_e5m2", 5, 2, indep::Sp::Ieee},
    {"fp6_e2m3", 2, 3, indep::Sp::Finite},  {"fp6_e3m2", 3, 2, indep::Sp::Finite},
    {"fp4_e2m1", 2, 1, indep::Sp::Finite},  {"e3m4", 3, 4, indep::Sp::Finite},
    {"e2m5", 2, 5, indep::Sp::Finite},      {"e5m3", 5, 3, indep::Sp::Finite},
    {"e1m2", 1, 2, indep::Sp::Finite},      {"e4m3_ieee", 4, 3, indep::Sp::Ieee},
    {"e4m3_fn", 4, 3, indep::Sp::NanOnly},  {"e5m2_ieee", 5, 2, indep::Sp::Ieee},
    {"e4m3", 4, 3, indep::Sp::Finite},      {"e2m1_fn", 2, 1, indep::Sp::NanOnly},
    {"e3m0", 3, 0, indep::Sp::Finite},      {"e6m1", 6, 1, indep::Sp::Finite},
    {"e3m2_ieee", 3, 2, indep::Sp::Ieee},   {"fp8_e1m6", 1, 6, indep::Sp::Finite},
};

void PrintTo(const FpCase& c, std::ostream* os) { *os << c.name; }

// Same double, including the sign of zero; NaN by class.
bool same_d(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

class FpFormats : public ::testing::TestWithParam<FpCase> {};

TEST_P(FpFormats, ParsedFieldsMatch) {
  const FpCase& c = GetParam();
  ElemFormat f = parse_elem_format(c.name);
  EXPECT_TRUE(f.is_float());
  EXPECT_EQ(f.ebits, c.E);
  EXPECT_EQ(f.mbits, c.M);
  EXPECT_EQ(f.bits, 1 + c.E + c.M);
  EXPECT_EQ(f.bias, (1 << (c.E - 1)) - 1);
  EXPECT_EQ(f.num_codes(), 1u << (1 + c.E + c.M));
}

TEST_P(FpFormats, EveryCodeDecodesToTheFormula) {
  const FpCase& c = GetParam();
  ElemFormat f = parse_elem_format(c.name);
  for (uint32_t code = 0; code < f.num_codes(); ++code) {
    double want = indep::fp_decode(c.E, c.M, c.sp, code);
    double got = f.decode(code);
    ASSERT_TRUE(same_d(got, want)) << c.name << " code " << code << " got " << got << " want " << want;
    EXPECT_EQ(f.is_nan(code), std::isnan(want)) << c.name << " code " << code;
    EXPECT_EQ(f.is_inf(code), std::isinf(want)) << c.name << " code " << code;
    if (std::isfinite(want)) {
      int64_t sig;
      int e;
      f.to_sig_exp(code, sig, e);
      EXPECT_EQ(std::ldexp(double(sig), e), want) << c.name << " code " << code;
    }
  }
}

TEST_P(FpFormats, ExtremesMatchTheEnumeration) {
  const FpCase& c = GetParam();
  ElemFormat f = parse_elem_format(c.name);
  double maxv = 0, minpos = INFINITY;
  for (uint32_t code = 0; code < f.num_codes(); ++code) {
    double v = indep::fp_decode(c.E, c.M, c.sp, code);
    if (!std::isfinite(v)) continue;
    maxv = std::max(maxv, std::fabs(v));
    if (v > 0) minpos = std::min(minpos, v);
  }
  EXPECT_EQ(f.max_finite(), maxv) << c.name;
  EXPECT_EQ(f.min_subnormal(), minpos) << c.name;
  EXPECT_EQ(f.min_normal(), indep::fp_decode(c.E, c.M, c.sp, 1u << c.M)) << c.name;
  EXPECT_EQ(f.emax(), int(std::floor(std::log2(maxv)))) << c.name;
}

TEST_P(FpFormats, EncodeOfDecodeIsIdentity) {
  const FpCase& c = GetParam();
  ElemFormat f = parse_elem_format(c.name);
  for (uint32_t code = 0; code < f.num_codes(); ++code) {
    double v = indep::fp_decode(c.E, c.M, c.sp, code);
    if (std::isnan(v)) {
      EXPECT_TRUE(f.is_nan(f.encode(v))) << c.name;
      continue;
    }
    EXPECT_EQ(f.encode(v), code) << c.name << " value " << v;  // -0 and +0 both
  }
  // NaN input: the format's NaN code where it has one, else code 0.
  uint32_t n = f.encode(std::numeric_limits<double>::quiet_NaN());
  if (c.sp == indep::Sp::Finite) EXPECT_EQ(n, 0u) << c.name;
  else EXPECT_TRUE(f.is_nan(n)) << c.name;
}

// For every pair of neighbouring representable values: the exact midpoint goes
// to the even code, the doubles just beside it to the nearer value. Both signs.
TEST_P(FpFormats, RoundsToNearestTiesToEven) {
  const FpCase& c = GetParam();
  // With no mantissa bit (e3m0) "even" is undefined: only the non-ties are checked.
  ElemFormat f = parse_elem_format(c.name);
  indep::Grid g = indep::Grid::fp(c.E, c.M, c.sp);
  const uint32_t sign = 1u << (f.bits - 1);
  for (size_t i = 0; i + 1 < g.v.size(); ++i) {
    double lo = g.v[i], hi = g.v[i + 1], mid = (lo + hi) / 2;
    ASSERT_EQ((lo + hi) / 2 * 2, lo + hi);  // exact midpoint
    uint32_t even = (i % 2 == 0) ? uint32_t(i) : uint32_t(i + 1);
    if (c.M > 0) {
      EXPECT_EQ(f.encode(mid), even) << c.name << " tie " << mid;
      EXPECT_EQ(f.encode(-mid), even | sign) << c.name << " tie " << -mid;
    }
    EXPECT_EQ(f.encode(std::nextafter(mid, 0.0)), uint32_t(i)) << c.name << " below " << mid;
    EXPECT_EQ(f.encode(std::nextafter(mid, INFINITY)), uint32_t(i + 1)) << c.name << " above " << mid;
    EXPECT_EQ(f.encode(-std::nextafter(mid, 0.0)), uint32_t(i) | sign) << c.name;
    EXPECT_EQ(f.encode(-std::nextafter(mid, INFINITY)), uint32_t(i + 1) | sign) << c.name;
    // A quarter of the way is not a tie.
    EXPECT_EQ(f.encode(lo + (hi - lo) / 4), uint32_t(i)) << c.name;
    EXPECT_EQ(f.encode(hi - (hi - lo) / 4), uint32_t(i + 1)) << c.name;
  }
  // A negative value that rounds to zero keeps the sign.
  EXPECT_EQ(f.encode(-g.v[1] / 4), sign) << c.name;
  EXPECT_EQ(f.encode(-0.0), sign) << c.name;
  EXPECT_EQ(f.encode(0.0), 0u) << c.name;
  EXPECT_EQ(f.encode(-1e-300), sign) << c.name;
}

// The plain cast quantizer (float32 in) agrees with the same truth at the ties
// and at the floats beside them.
TEST_P(FpFormats, CastQuantizerMatchesGrid) {
  const FpCase& c = GetParam();
  BlockFormat bf = parse_block_format(c.name);
  indep::Grid g = indep::Grid::fp(c.E, c.M, c.sp);
  std::vector<float> x;
  for (size_t i = 0; i + 1 < g.v.size(); ++i) {
    float mid = float((g.v[i] + g.v[i + 1]) / 2);
    if (double(mid) != (g.v[i] + g.v[i + 1]) / 2) continue;  // below float32 range
    for (float v : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, INFINITY), float(g.v[i])}) {
      if (v == mid && c.M == 0) continue;  // no even significand without a mantissa bit
      x.push_back(v);
      x.push_back(-v);
    }
  }
  float top = float(g.v.back());
  for (float v : {std::nextafter(top, INFINITY), top * 1.03125f, top * 2.0f, 1e30f, FLT_MAX}) {
    x.push_back(v);
    x.push_back(-v);
  }
  QMatrix q = quantize(bf, Rule::Cast, x.data(), 1, x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    size_t idx = g.round(std::fabs(double(x[i])));
    double want = std::signbit(x[i]) ? -g.v[idx] : g.v[idx];
    uint32_t wcode = uint32_t(idx) | (std::signbit(x[i]) ? 1u << (1 + c.E + c.M) >> 1 : 0u);
    EXPECT_EQ(q.codes[i], wcode) << c.name << " x=" << x[i];
    EXPECT_TRUE(indep::same(q.dequant[i], float(want))) << c.name << " x=" << x[i];
  }
}

// Finite values beyond the maximum, however far, saturate to +-max with the
// sign kept; Inf gives Inf only where the format has one.
TEST_P(FpFormats, Saturates) {
  const FpCase& c = GetParam();
  ElemFormat f = parse_elem_format(c.name);
  indep::Grid g = indep::Grid::fp(c.E, c.M, c.sp);
  const uint32_t maxc = uint32_t(g.v.size() - 1), sign = 1u << (f.bits - 1);
  const double maxv = g.v.back();
  double ulp = maxv - g.v[g.v.size() - 2];
  for (double x : {std::nextafter(maxv, INFINITY), maxv + ulp / 2, maxv + ulp,
                   maxv + ulp * 1.5, maxv * 1.999, maxv * 2, maxv * 1e6, 1e300, DBL_MAX}) {
    EXPECT_EQ(f.encode(x), maxc) << c.name << " x=" << x;
    EXPECT_EQ(f.encode(-x), maxc | sign) << c.name << " x=" << -x;
  }
  uint32_t inf = f.encode(INFINITY), ninf = f.encode(-INFINITY);
  if (c.sp == indep::Sp::Ieee) {
    EXPECT_TRUE(f.is_inf(inf) && f.decode(inf) > 0) << c.name;
    EXPECT_TRUE(f.is_inf(ninf) && f.decode(ninf) < 0) << c.name;
  } else {
    EXPECT_EQ(inf, maxc) << c.name;
    EXPECT_EQ(ninf, maxc | sign) << c.name;
  }
}

INSTANTIATE_TEST_SUITE_P(All, FpFormats, ::testing::ValuesIn(kFp),
                         [](const ::testing::TestParamInfo<FpCase>& i) { return std::string(i.param.name); });

// FORMATS.md section 1 table, literally.
TEST(ElemPresets, TableValues) {
  struct Row {
    const char* name;
    double maxv, min_normal, min_sub;
    int emax;
    uint32_t max_code;
  };
  const Row rows[] = {
      {"fp8_e4m3", 448, std::ldexp(1.0, -6), std::ldexp(1.0, -9), 8, 0x7E},
      {"fp8_e5m2", 57344, std::ldexp(1.0, -14), std::ldexp(1.0, -16), 15, 0x7B},
      {"fp6_e2m3", 7.5, 1.0, 0.125, 2, 0x1F},
      {"fp6_e3m2", 28, 0.25, 0.0625, 4, 0x1F},
      {"fp4_e2m1", 6, 1.0, 0.5, 2, 0x7},
  };
  for (const Row& r : rows) {
    ElemFormat f = parse_elem_format(r.name);
    EXPECT_EQ(f.max_finite(), r.maxv) << r.name;
    EXPECT_EQ(f.min_normal(), r.min_normal) << r.name;
    EXPECT_EQ(f.min_subnormal(), r.min_sub) << r.name;
    EXPECT_EQ(f.emax(), r.emax) << r.name;
    EXPECT_EQ(f.decode(r.max_code), r.maxv) << r.name;
    EXPECT_EQ(f.encode(r.maxv), r.max_code) << r.name;
  }
  ElemFormat e4m3 = parse_elem_format("fp8_e4m3");
  EXPECT_TRUE(std::isnan(e4m3.decode(0x7F)));
  EXPECT_TRUE(std::isnan(e4m3.decode(0xFF)));
  int nans = 0;
  for (uint32_t c = 0; c < 256; ++c) nans += e4m3.is_nan(c);
  EXPECT_EQ(nans, 2);  // 0x7F and 0xFF only
  ElemFormat e5m2 = parse_elem_format("fp8_e5m2");
  EXPECT_EQ(e5m2.decode(0x7C), INFINITY);
  EXPECT_EQ(e5m2.decode(0xFC), -INFINITY);
  for (uint32_t c : {0x7Du, 0x7Eu, 0x7Fu, 0xFDu, 0xFEu, 0xFFu}) EXPECT_TRUE(std::isnan(e5m2.decode(c)));
  for (const char* n : {"fp6_e2m3", "fp6_e3m2", "fp4_e2m1", "e3m4"}) {
    ElemFormat f = parse_elem_format(n);
    for (uint32_t c = 0; c < f.num_codes(); ++c) EXPECT_TRUE(std::isfinite(f.decode(c))) << n;
  }
}

// ---------------------------------------------------------------- integers

struct IntCase {
  const char* name;
  int N;
  bool full;
};
const IntCase kInt[] = {{"int8", 8, false},      {"int6", 6, false},      {"int4", 4, false},
                        {"int2", 2, false},      {"int3", 3, false},      {"int8_full", 8, true},
                        {"int4_full", 4, true},  {"int2_full", 2, true},  {"int16", 16, false}};

void PrintTo(const IntCase& c, std::ostream* os) { *os << c.name; }

class IntFormats : public ::testing::TestWithParam<IntCase> {};

TEST_P(IntFormats, DecodeIsTwosComplement) {
  const IntCase& c = GetParam();
  ElemFormat f = parse_elem_format(c.name);
  ASSERT_TRUE(f.is_int());
  EXPECT_EQ(f.bits, c.N);
  const int64_t half = int64_t{1} << (c.N - 1);
  EXPECT_EQ(f.int_max(), half - 1);
  EXPECT_EQ(f.int_min(), c.full ? -half : -(half - 1));
  EXPECT_EQ(f.max_finite(), double(half - 1));
  for (uint32_t code = 0; code < f.num_codes(); ++code) {
    int64_t want = code < uint32_t(half) ? int64_t(code) : int64_t(code) - 2 * half;
    ASSERT_EQ(indep::int_decode(c.N, code), want);
    EXPECT_EQ(f.decode(code), double(want)) << c.name << " code " << code;
    int64_t sig;
    int e;
    f.to_sig_exp(code, sig, e);
    EXPECT_EQ(sig, want);
    EXPECT_EQ(e, 0);
    EXPECT_EQ(f.is_valid_code(code), c.full || want != -half) << c.name << " code " << code;
    EXPECT_FALSE(f.is_nan(code));
    EXPECT_FALSE(f.is_inf(code));
  }
}

TEST_P(IntFormats, EncodeRoundTripsAndClamps) {
  const IntCase& c = GetParam();
  ElemFormat f = parse_elem_format(c.name);
  const int64_t half = int64_t{1} << (c.N - 1);
  const uint32_t mask = f.code_mask();
  auto code_of = [&](int64_t q) { return uint32_t(q) & mask; };
  const int64_t lo = c.full ? -half : -(half - 1), hi = half - 1;
  for (uint32_t code = 0; code < f.num_codes(); ++code) {
    int64_t q = indep::int_decode(c.N, code);
    if (q < lo) {
      // Symmetric range: -2^(N-1) is never produced; it clamps to -(2^(N-1)-1).
      EXPECT_EQ(f.encode(double(q)), code_of(lo)) << c.name;
      continue;
    }
    EXPECT_EQ(f.encode(double(q)), code) << c.name << " q=" << q;
  }
  EXPECT_EQ(f.encode(-0.0), 0u);
  EXPECT_EQ(f.encode(-0.4), 0u);  // no negative zero
  EXPECT_EQ(f.encode(std::numeric_limits<double>::quiet_NaN()), 0u);
  for (double x : {double(hi) + 0.5, double(hi) + 0.75, double(hi) + 1, 1e30, DBL_MAX, double(INFINITY)})
    EXPECT_EQ(f.encode(x), code_of(hi)) << c.name << " x=" << x;
  for (double x : {double(lo) - 0.5, double(lo) - 1, -double(half) - 7, -1e30, -double(INFINITY)})
    EXPECT_EQ(f.encode(x), code_of(lo)) << c.name << " x=" << x;
}

TEST_P(IntFormats, RoundsToNearestTiesToEven) {
  const IntCase& c = GetParam();
  ElemFormat f = parse_elem_format(c.name);
  const int64_t half = int64_t{1} << (c.N - 1);
  const uint32_t mask = f.code_mask();
  const int64_t lo = c.full ? -half : -(half - 1), hi = half - 1;
  for (int64_t k = lo; k < hi; ++k) {
    double mid = double(k) + 0.5;
    int64_t even = (k % 2 == 0) ? k : k + 1;
    EXPECT_EQ(f.encode(mid), uint32_t(even) & mask) << c.name << " tie " << mid;
    EXPECT_EQ(f.encode(std::nextafter(mid, -INFINITY)), uint32_t(k) & mask) << c.name;
    EXPECT_EQ(f.encode(std::nextafter(mid, INFINITY)), uint32_t(k + 1) & mask) << c.name;
  }
}

INSTANTIATE_TEST_SUITE_P(All, IntFormats, ::testing::ValuesIn(kInt),
                         [](const ::testing::TestParamInfo<IntCase>& i) { return std::string(i.param.name); });

// The cast quantizer on integers: RNE onto the integers, symmetric clamp, +0.
TEST(IntCast, QuantizerMatchesTruth) {
  for (const IntCase& c : kInt) {
    BlockFormat bf = parse_block_format(c.name);
    const int64_t half = int64_t{1} << (c.N - 1);
    const int64_t lo = c.full ? -half : -(half - 1), hi = half - 1;
    std::vector<float> x;
    for (int64_t k = lo - 2; k <= hi + 2; ++k)
      for (float d : {0.0f, 0.25f, 0.5f, 0.75f}) x.push_back(float(k) + d);
    x.push_back(-0.0f);
    x.push_back(-0.3f);
    x.push_back(1e30f);
    x.push_back(-1e30f);
    QMatrix q = quantize(bf, Rule::Cast, x.data(), 1, x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      double r = std::nearbyint(double(x[i]));  // ties to even in the default mode
      int64_t want = int64_t(std::min(std::max(r, double(lo)), double(hi)));
      EXPECT_EQ(q.codes[i], uint32_t(want) & ((1u << c.N) - 1u)) << c.name << " x=" << x[i];
      EXPECT_EQ(indep::bits(q.dequant[i]), indep::bits(float(want))) << c.name << " x=" << x[i];
    }
  }
}

// ------------------------------------------------------------- bf16 / fp16

// Every code: decode against the formula, encode(decode) identity, and the
// midpoint / beside-midpoint rounding between every pair of neighbours.
TEST(Ieee16, AllCodesAgainstFormula) {
  for (const FpCase& c : {FpCase{"bf16", 8, 7, indep::Sp::Ieee}, FpCase{"fp16", 5, 10, indep::Sp::Ieee}}) {
    ElemFormat f = parse_elem_format(c.name);
    ASSERT_EQ(f.num_codes(), 65536u);
    for (uint32_t code = 0; code < 65536; ++code) {
      double want = indep::fp_decode(c.E, c.M, c.sp, code);
      ASSERT_TRUE(same_d(f.decode(code), want)) << c.name << " code " << code;
      if (std::isnan(want)) EXPECT_TRUE(f.is_nan(f.encode(want)));
      else EXPECT_EQ(f.encode(want), code) << c.name << " code " << code;
    }
    indep::Grid g = indep::Grid::fp(c.E, c.M, c.sp);
    ASSERT_EQ(g.v.size(), c.E == 5 ? size_t(0x7C00) : size_t(0x7F80));  // positive finite codes
    for (size_t i = 0; i + 1 < g.v.size(); ++i) {
      double mid = (g.v[i] + g.v[i + 1]) / 2;
      uint32_t even = (i % 2 == 0) ? uint32_t(i) : uint32_t(i + 1);
      ASSERT_EQ(f.encode(mid), even) << c.name << " i=" << i;
      ASSERT_EQ(f.encode(std::nextafter(mid, 0.0)), uint32_t(i));
      ASSERT_EQ(f.encode(std::nextafter(mid, INFINITY)), uint32_t(i + 1));
    }
    EXPECT_EQ(f.max_finite(), g.v.back());
  }
  EXPECT_EQ(parse_elem_format("fp16").max_finite(), 65504.0);
  EXPECT_EQ(parse_elem_format("bf16").max_finite(), std::ldexp(255.0, 120));
}

// Independent float32 -> bf16: the classic bit-level RNE (add 0x7FFF + lsb),
// with this library's saturation of finite overflow.
uint32_t bf16_ref(float x) {
  uint32_t u = indep::bits(x);
  uint32_t r = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
  if ((r & 0x7F80u) == 0x7F80u && std::isfinite(x)) r = (r & 0x8000u) | 0x7F7Fu;  // saturate
  return r;
}

// Independent float32 -> fp16: the compiler's IEEE conversion (_Float16),
// saturating where it overflows to Inf.
uint32_t fp16_ref(float x) {
  _Float16 h = static_cast<_Float16>(x);
  uint16_t u;
  std::memcpy(&u, &h, 2);
  if ((u & 0x7C00u) == 0x7C00u && (u & 0x3FFu) == 0 && std::isfinite(x)) u = uint16_t((u & 0x8000u) | 0x7BFFu);
  return u;
}

TEST(Ieee16, EncodeMatchesIndependentConversion) {
  ElemFormat bf16 = parse_elem_format("bf16"), fp16 = parse_elem_format("fp16");
  BlockFormat bbf = parse_block_format("bf16"), bfp = parse_block_format("fp16");
  std::mt19937_64 gen(12345);
  std::vector<float> x;
  // Random bit patterns (every exponent, subnormals) ...
  for (int i = 0; i < 200000; ++i) {
    float v = indep::from_bits(uint32_t(gen()));
    if (std::isnan(v)) continue;
    x.push_back(v);
  }
  // ... and values near fp16's range: ties, neighbours, overflow boundary.
  for (uint32_t c = 0; c < 0x7C00; ++c) {
    float v = float(indep::fp_decode(5, 10, indep::Sp::Ieee, c));
    float w = float(indep::fp_decode(5, 10, indep::Sp::Ieee, c + 1));
    float mid = (v + w) / 2;
    for (float y : {v, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, INFINITY)}) {
      x.push_back(y);
      x.push_back(-y);
    }
  }
  for (float y : {65504.0f, 65519.0f, 65520.0f, 65536.0f, 1e30f, FLT_MAX, INFINITY}) {
    x.push_back(y);
    x.push_back(-y);
  }
  QMatrix qb = quantize(bbf, Rule::Cast, x.data(), 1, x.size());
  QMatrix qh = quantize(bfp, Rule::Cast, x.data(), 1, x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(bf16.encode(double(x[i])), bf16_ref(x[i])) << "bf16 x=" << x[i];
    ASSERT_EQ(fp16.encode(double(x[i])), fp16_ref(x[i])) << "fp16 x=" << x[i];
    ASSERT_EQ(qb.codes[i], bf16_ref(x[i])) << "bf16 cast x=" << x[i];
    ASSERT_EQ(qh.codes[i], fp16_ref(x[i])) << "fp16 cast x=" << x[i];
    ASSERT_EQ(indep::bits(qh.dequant[i]), indep::bits(float(fp16.decode(fp16_ref(x[i])))));
  }
}

// fp32 as an element: encode of a float is its own bit pattern; a double
// between floats rounds as the hardware conversion does (saturating).
TEST(Ieee32, EncodeMatchesHardwareConversion) {
  ElemFormat f = parse_elem_format("fp32");
  std::mt19937_64 gen(7);
  for (int i = 0; i < 200000; ++i) {
    float v = indep::from_bits(uint32_t(gen()));
    if (std::isnan(v)) continue;
    ASSERT_EQ(f.encode(double(v)), indep::bits(v)) << v;
    ASSERT_EQ(indep::bits(float(f.decode(indep::bits(v)))), indep::bits(v));
    double d = std::ldexp(double(int64_t(gen() >> 11)), int(gen() % 300) - 160 - 53);
    if (gen() & 1) d = -d;
    float want = float(d);  // RNE
    if (std::isinf(want)) want = std::copysign(FLT_MAX, want);
    ASSERT_EQ(f.encode(d), indep::bits(want)) << d;
  }
}

// Parsing: bad names are rejected with a message that names the choices.
TEST(ElemParse, RejectsBadNames) {
  for (const char* bad : {"int1", "int17", "e0m3", "e9m2", "e4m24", "fp9", "e1m0_ieee", "float8", ""}) {
    try {
      parse_elem_format(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()), "") << bad;
    }
  }
  try {
    parse_elem_format("float8");
  } catch (const FormatError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("valid"), std::string::npos) << m;
    EXPECT_NE(m.find("fp8_e4m3"), std::string::npos) << m;
    EXPECT_NE(m.find("intN"), std::string::npos) << m;
  }
}

}  // namespace
