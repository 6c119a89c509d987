// The fused multi-term (tensor-core) accumulation mode, docs/accumulation.md:
//  - every H200 GEMM of tests/data/tensorcore bit for bit (the real hardware
//    is the truth: fast files with hopper-fp8, promoted ones with
//    hopper-fp8-cublas);
//  - small cases worked out by hand (exact binary fractions in the comments);
//  - random steps against an independent model on exact rationals;
//  - parameter, file and CLI errors.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <random>
#include <sstream>

#include "numerics/dot.hpp"
#include "tests/independent.hpp"

using namespace macforge;
namespace fs = std::filesystem;

namespace {

QMatrix fp8(const char* fmt, size_t rows, const std::vector<uint32_t>& codes) {
  QMatrix q;
  q.fmt = parse_block_format(fmt);
  q.rows = rows;
  q.cols = codes.size() / rows;
  q.codes = codes;
  return q;
}

float dot1(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b, const std::string& mode,
           const char* fa = "fp8_e4m3", const char* fb = "fp8_e4m3") {
  return dot(fp8(fa, 1, a), 0, fp8(fb, 1, b), 0, parse_accum(mode));
}

// e4m3 codes used below: 1.0 = 0x38, 1.5 = 0x3c, 0.5 = 0x30, 2^-7 = 0x04
// (subnormal 4/8 * 2^-6), 2^-6 = 0x08, 2^-9 = 0x01, -1.125 * 2^-3 = 0xa1, 0 = 0x00.
std::vector<uint32_t> pad(std::vector<uint32_t> v, size_t n) {
  v.resize(n, 0x00);
  return v;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

// ---------------------------------------------------------------------------
// The H200 files

namespace {

std::vector<std::string> tensorcore_files() {
  std::vector<std::string> v;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(MF_TENSORCORE_DIR, ec))
    if (e.path().extension() == ".txt") v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST(FusedH200, AllFortyTwoFilesArePresent) {
  // 42 GEMMs: tests/data/tensorcore/README.md.
  EXPECT_EQ(tensorcore_files().size(), 42u) << "unpacked from tests/data/tensorcore/h200.tar.xz into "
                                            << MF_TENSORCORE_DIR;
}

class FusedH200File : public ::testing::TestWithParam<std::string> {};

TEST_P(FusedH200File, BitForBit) {
  const std::string name = GetParam();
  TensorcoreGemm g = read_tensorcore(std::string(MF_TENSORCORE_DIR) + "/" + name);
  bool fast = name.find("_fast_") != std::string::npos;
  ASSERT_TRUE(fast || name.find("_promote_") != std::string::npos) << name;
  ASSERT_EQ(g.fast_accum, fast ? 1 : 0) << "the name and the use_fast_accum line disagree";
  ASSERT_EQ(g.out_bf16, name.find("_bf16") != std::string::npos);
  ASSERT_EQ(g.D.size(), g.M * g.N);
  std::vector<uint32_t> w = output_words(gemm(g.A, g.B, parse_accum(fast ? "hopper-fp8" : "hopper-fp8-cublas")),
                                         g.out_bf16);
  size_t equal = 0;
  for (size_t i = 0; i < w.size(); ++i) equal += w[i] == g.D[i];
  EXPECT_EQ(equal, w.size()) << name;
}

INSTANTIATE_TEST_SUITE_P(Files, FusedH200File, ::testing::ValuesIn(tensorcore_files()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string s = i.param.substr(0, i.param.size() - 4);
                           for (char& c : s)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s;
                         });

TEST(FusedH200, PromotionIntervalIsPinnedByTheData) {
  // Beyond K = 128 the promoted files differ from the fast model, and only the
  // interval 128 reproduces them: 64 and 256 each miss most outputs.
  TensorcoreGemm g = read_tensorcore(std::string(MF_TENSORCORE_DIR) + "/e4m3xe4m3_uniform_K1024_promote_f32.txt");
  auto equal = [&](const std::string& mode) {
    std::vector<uint32_t> w = output_words(gemm(g.A, g.B, parse_accum(mode)), false);
    size_t e = 0;
    for (size_t i = 0; i < w.size(); ++i) e += w[i] == g.D[i];
    return e;
  };
  EXPECT_EQ(equal("fused:p=128"), 4096u);
  EXPECT_LT(equal("fused:p=64"), 400u);
  EXPECT_LT(equal("fused:p=256"), 400u);
  EXPECT_LT(equal("hopper-fp8"), 1000u);
}

// ---------------------------------------------------------------------------
// Hand-computed cases (hopper-fp8: G = 32, F = 13, e8m13 RZ)

TEST(FusedHand, TermsBelowTheWindowAreTruncated) {
  // 1*1 + 2^-9 * 2^-9: the second product's exponent is emin + emin = -12 (both
  // subnormal), the step's maximum 0; 2^-18 / 2^-13 truncates to 0.
  std::vector<uint32_t> a = pad({0x38, 0x01}, 32), b = pad({0x38, 0x01}, 32);
  EXPECT_EQ(dot1(a, b, "hopper-fp8"), 1.0f);
  // exact-block (one float32 rounding of the exact sum) keeps it: 1 + 2^-18.
  EXPECT_EQ(dot1(a, b, "exact-block"), 1.0f + std::ldexp(1.0f, -18));
}

TEST(FusedHand, ThirteenFractionalBitsOfTheLargestExponent) {
  // 1 + 2^-7 * 2^-6 + 2^-7 * 2^-7 = 1 + 2^-13 + 2^-14: both small products have
  // alignment exponent -12; 2^-13 is one unit of 2^-13 (kept), 2^-14 half a unit
  // (dropped). 1 + 2^-13 fits e8m13 exactly.
  std::vector<uint32_t> a = pad({0x38, 0x04, 0x04}, 32), b = pad({0x38, 0x08, 0x04}, 32);
  EXPECT_EQ(dot1(a, b, "hopper-fp8"), 1.0f + std::ldexp(1.0f, -13));
  // F = 14 keeps 2^-14 in the sum, but the e8m13 accumulator truncates it
  // again; a float32 accumulator keeps it.
  EXPECT_EQ(dot1(a, b, "fused:f=14"), 1.0f + std::ldexp(1.0f, -13));
  EXPECT_EQ(dot1(a, b, "fused:f=14,acc=f32"), 1.0f + std::ldexp(1.0f, -13) + std::ldexp(1.0f, -14));
}

TEST(FusedHand, TruncationIsTowardZeroAndTheAccumulatorJoinsTheStep) {
  // Step 1: 1.5. Step 2 adds (-1.125 * 2^-3) * 2^-9 = -1.125 * 2^-12 = -2.25
  // units of 2^-13 next to the accumulator (exponent 0): toward zero -2, so
  // 1.5 - 2^-12 (floor would give -3 units).
  std::vector<uint32_t> a = pad({0x3c}, 64), b = pad({0x38}, 64);
  a[32] = 0xa1;
  b[32] = 0x01;
  EXPECT_EQ(dot1(a, b, "hopper-fp8"), 1.5f - std::ldexp(1.0f, -12));
  // With the step summed apart from the accumulator (accin=0) the product is
  // aligned to its own exponent and kept whole: 1.5 - 1.125 * 2^-12, then RZ to
  // e8m13 (quantum 2^-13 in [1,2)): 1.5 - 2^-13 * 3 (exact value -2.25 units).
  EXPECT_EQ(dot1(a, b, "fused:accin=0"), 1.5f - 3 * std::ldexp(1.0f, -13));
}

TEST(FusedHand, AccumulatorRoundingRzAndRne) {
  // Step 1: 1.5; step 2: 0.5 + 3 * 2^-13 (three products 2^-7 * 2^-6): the sum
  // 2 + 3 * 2^-13 lands in [2,4) where e8m13's quantum is 2^-12: 1.5 quanta
  // above 2. RZ keeps 2 + 2^-12, RNE rounds to 2 + 2^-11.
  std::vector<uint32_t> a = pad({0x3c}, 64), b = pad({0x38}, 64);
  a[32] = 0x30, b[32] = 0x38;
  for (int i = 33; i < 36; ++i) a[i] = 0x04, b[i] = 0x08;
  EXPECT_EQ(dot1(a, b, "hopper-fp8"), 2.0f + std::ldexp(1.0f, -12));
  EXPECT_EQ(dot1(a, b, "fused:accround=rne"), 2.0f + std::ldexp(1.0f, -11));
}

TEST(FusedHand, AlignmentRne) {
  // 1 + 3 * (2^-7 * 2^-7): each 2^-14 is half a unit of 2^-13; RZ drops all
  // three, RNE rounds each tie to even (0), 0.75 units would round up.
  std::vector<uint32_t> a = pad({0x38, 0x04, 0x04, 0x04}, 32), b = pad({0x38, 0x04, 0x04, 0x04}, 32);
  EXPECT_EQ(dot1(a, b, "hopper-fp8"), 1.0f);
  EXPECT_EQ(dot1(a, b, "fused:align=rne"), 1.0f);
  // 0x0c is e=1, m=4: 1.5 * 2^-6, so 2^-7 * 1.5 * 2^-6 = 1.5 units of 2^-13
  // (alignment exponent -12): RZ keeps 1 unit, RNE rounds the tie to 2.
  std::vector<uint32_t> c = pad({0x38, 0x04}, 32), d = pad({0x38, 0x0c}, 32);
  EXPECT_EQ(dot1(c, d, "hopper-fp8"), 1.0f + std::ldexp(1.0f, -13));
  EXPECT_EQ(dot1(c, d, "fused:align=rne"), 1.0f + std::ldexp(2.0f, -13));
}

TEST(FusedHand, PromotionToFloat32) {
  // K = 64, step 1: 1, step 2: 2^-7 * 2^-7 = 2^-14. Fast: the accumulator (1)
  // joins step 2 and 2^-14 is half a unit: 1. Promoted every 32 elements: step 2
  // starts from 0, keeps 2^-14 whole, and float32 RNE adds 1 + 2^-14 exactly.
  std::vector<uint32_t> a = pad({0x38}, 64), b = pad({0x38}, 64);
  a[32] = 0x04, b[32] = 0x04;
  EXPECT_EQ(dot1(a, b, "hopper-fp8"), 1.0f);
  EXPECT_EQ(dot1(a, b, "fused:p=32"), 1.0f + std::ldexp(1.0f, -14));
  // P = 64 covers all of K: the same as no promotion.
  EXPECT_EQ(dot1(a, b, "fused:p=64"), 1.0f);
}

TEST(FusedHand, ZeroAndSigns) {
  std::vector<uint32_t> z(32, 0x00), n(32, 0x80);  // +0 and -0 elements
  EXPECT_EQ(f32_bits(dot1(z, n, "hopper-fp8")), 0u);  // an exact zero is +0
  // 1 * 1 - 1 * 1 = 0 exactly: +0.
  std::vector<uint32_t> a = pad({0x38, 0x38}, 32), b = pad({0x38, 0xb8}, 32);
  EXPECT_EQ(f32_bits(dot1(a, b, "hopper-fp8")), 0u);
  // NaN (e4m3 0x7f) anywhere: NaN.
  a[5] = 0x7f;
  EXPECT_TRUE(std::isnan(dot1(a, b, "hopper-fp8")));
  // e5m2 Inf (0x7c) times 1: +Inf; Inf * 0: NaN.
  std::vector<uint32_t> i5 = pad({0x7c}, 32), one = pad({0x38}, 32);
  EXPECT_EQ(dot1(one, i5, "hopper-fp8", "fp8_e4m3", "fp8_e5m2"), HUGE_VALF);
  EXPECT_TRUE(std::isnan(dot1(z, i5, "hopper-fp8", "fp8_e4m3", "fp8_e5m2")));
}

TEST(FusedHand, SubnormalAccumulatorQuantum) {
  // e8m13 below 2^-126 keeps the quantum 2^-139 (MMA-Sim normalizes with
  // float32's minimum exponent): a value the hardware cannot reach with fp8
  // inputs, so round_acc is checked directly. 3 * 2^-140 -> RZ 2^-139.
  EXPECT_EQ(round_acc(3, -140, 13, Rounding::RZ), std::ldexp(1.0f, -139));
  EXPECT_EQ(round_acc(3, -140, 13, Rounding::RNE), std::ldexp(1.0f, -138));
  EXPECT_EQ(round_acc(-3, -140, 13, Rounding::RZ), -std::ldexp(1.0f, -139));
  // (2^24 - 1) * 2^104 is FLT_MAX; one more unit of 2^103 rounds RZ back to it.
  EXPECT_EQ(round_acc((__int128(1) << 25) - 1, 103, 23, Rounding::RZ), FLT_MAX);
  EXPECT_EQ(round_acc(__int128(1) << 24, 104, 23, Rounding::RZ), HUGE_VALF);
}

// Block-scaled presets (MMA-Sim's tcgen05 models).
namespace {

QMatrix nvfp4_row(const std::vector<uint32_t>& codes, const std::vector<uint32_t>& scales) {
  QMatrix q;
  q.fmt = parse_block_format("nvfp4");
  q.rows = 1;
  q.cols = codes.size();
  q.codes = codes;
  q.scale_codes = scales;
  q.tensor_gd = 1.0f;
  return q;
}

}  // namespace

TEST(FusedHand, Nvfp4GroupsOfSixteen) {
  // fp4 codes: 6 = 0x7, 0.5 = 0x1, 0 = 0x0, -0.5 = 0x9; ue4m3 scales 1.0 = 0x38,
  // 448 = 0x7e, 2^-9 = 0x01.
  // Group 0: 6*6 + 0.5*0.5 = 36.25, scales 1 * 1 (exponent 0).
  // Group 1: 0.5*0.5 = 0.25, scales 448 * 448: 50176, exponent 8 + 8 = 16.
  // Group 2: -0.5 * 0.5 = -0.25 with scales 2^-9 * 2^-9: -2^-20, exponent -12.
  // Group 3: zero. The step's maximum exponent is 16, F = 35: the unit is
  // 2^-19 and -2^-20 truncates toward zero to 0. 50176 + 36.25 = 50212.25 is a
  // float32; had the -2^-20 survived, RZ would give 50212.25 - 2^-8.
  std::vector<uint32_t> a(64, 0), b(64, 0);
  a[0] = b[0] = 0x7;
  a[1] = b[1] = 0x1;
  a[16] = b[16] = 0x1;
  a[32] = 0x9, b[32] = 0x1;
  QMatrix A = nvfp4_row(a, {0x38, 0x7e, 0x01, 0x38}), B = nvfp4_row(b, {0x38, 0x7e, 0x01, 0x38});
  EXPECT_EQ(dot(A, 0, B, 0, parse_accum("blackwell-nvfp4")), 50212.25f);
  EXPECT_EQ(dot(A, 0, B, 0, parse_accum("fused:g=64,f=60,acc=f32,q=16")), 50212.25f - std::ldexp(1.0f, -8));
}

TEST(FusedHand, Nvfp4ZeroGroupStillSetsTheExponent) {
  // Group 0: 0.5*0.5 under scales 2^-9 * 2^-9 = 2^-20 (exponent -12); group 1
  // sums to zero under scales 448 * 448 (exponent 16): it still sets the step's
  // maximum (MMA-Sim's nv_fused_dot_add_with_block_scale), so 2^-20 < 2^-19 is
  // truncated and the result is +0. Without that group: 2^-20.
  std::vector<uint32_t> a(64, 0), b(64, 0);
  a[0] = b[0] = 0x1;
  QMatrix A = nvfp4_row(a, {0x01, 0x7e, 0x00, 0x00}), B = nvfp4_row(b, {0x01, 0x7e, 0x00, 0x00});
  EXPECT_EQ(f32_bits(dot(A, 0, B, 0, parse_accum("blackwell-nvfp4"))), 0u);
  QMatrix A2 = nvfp4_row(a, {0x01, 0x00, 0x00, 0x00}), B2 = nvfp4_row(b, {0x01, 0x00, 0x00, 0x00});
  EXPECT_EQ(dot(A2, 0, B2, 0, parse_accum("blackwell-nvfp4")), std::ldexp(1.0f, -20));
}

TEST(FusedHand, Mxf8ScaleExponentsJoinTheProducts) {
  // mxfp8_e4m3, one block of 32: A = [448, 2^-9], B = [448, -2^-9], scales
  // 2^10 (code 137) and 1 (127). Products 200704 * 2^10 (exponent 16 + 10)
  // and -2^-18 * 2^10 = -2^-8 (exponent -12 + 10). F = 25: unit 2^1, so -2^-8
  // truncates to 0 and the result is 200704 * 1024 exactly (a float32).
  // Without the scale in the exponent the alignment would not change (both
  // products share it): the scale moves the whole window, and 2^-8 is still
  // far below it.
  QMatrix A, B;
  for (QMatrix* q : {&A, &B}) {
    q->fmt = parse_block_format("mxfp8_e4m3");
    q->rows = 1;
    q->cols = 32;
    q->codes.assign(32, 0);
  }
  A.codes[0] = 0x7e, A.codes[1] = 0x01;
  B.codes[0] = 0x7e, B.codes[1] = 0x81;
  A.scale_codes = {137};
  B.scale_codes = {127};
  EXPECT_EQ(dot(A, 0, B, 0, parse_accum("blackwell-mxf8f6f4")), 200704.0f * 1024.0f);
  // exact-block rounds 200704 * 1024 - 2^-8 to nearest: the same float32.
  EXPECT_EQ(dot(A, 0, B, 0, parse_accum("exact-block")), 200704.0f * 1024.0f);
  // f8f6f4 (no scales) on the elements alone: 200704 - 2^-18 with unit 2^-9:
  // RZ of the truncated sum 200704 = 200704.
  EXPECT_EQ(dot1(pad({0x7e, 0x01}, 32), pad({0x7e, 0x81}, 32), "blackwell-f8f6f4"), 200704.0f);
}

// ---------------------------------------------------------------------------
// Random steps against an independent model on exact rationals: the MMA-Sim
// algorithm (arXiv 2511.10909) written out with indep::Rat.

namespace {

using indep::BigInt;
using indep::Rat;

Rat pow2(int e) {
  return e >= 0 ? Rat(BigInt(1) << e) : Rat(BigInt(1), BigInt(1) << -e);
}

int floor_log2(const Rat& x) {  // x > 0
  int e = 0;
  while (x >= pow2(e + 1)) ++e;
  while (x < pow2(e)) --e;
  return e;
}

// Integer x rounded toward zero or to nearest even.
BigInt round_int(const Rat& x, bool rne) {
  BigInt n = boost::multiprecision::numerator(x), d = boost::multiprecision::denominator(x);
  BigInt q = n / d;  // toward zero
  if (!rne) return q;
  Rat r = x - Rat(q);
  Rat half(1, 2);
  Rat ar = r < 0 ? Rat(-r) : r;
  if (ar > half || (ar == half && (q % 2 != 0))) q += (r < 0 ? -1 : 1);
  return q;
}

// An exact value onto e8mM (float32 exponent range, subnormal quantum 2^(-126-M)).
Rat to_acc(const Rat& x, int M, bool rne) {
  if (x == 0) return Rat(0);
  int e = std::max(floor_log2(x < 0 ? Rat(-x) : x), -126);
  Rat unit = pow2(e - M);
  return Rat(round_int(x / unit, rne)) * unit;
}

struct Elem {
  Rat v;
  int ex;  // floor(log2|v|) clamped to emin; meaningless for 0
};

// e4m3 (E4M3FN: NaN only), e5m2 (IEEE), e2m1 (all finite): FORMATS.md section 1.
Elem elem(int E, int M, uint32_t code) {
  indep::Sp sp = E == 4 ? indep::Sp::NanOnly : E == 5 ? indep::Sp::Ieee : indep::Sp::Finite;
  double d = indep::fp_decode(E, M, sp, code);
  Elem r;
  r.v = Rat(d);
  int emin = 1 - ((1 << (E - 1)) - 1);
  r.ex = d == 0 ? 0 : std::max(std::ilogb(d), emin);
  return r;
}

struct Model {
  int G, F, M, P;
  bool align_rne, acc_rne, accin;
};

float model_dot(const Model& md, const std::vector<Elem>& a, const std::vector<Elem>& b) {
  Rat acc = 0, acc32 = 0;
  size_t K = a.size(), since = 0;
  for (size_t k0 = 0; k0 < K; k0 += size_t(md.G)) {
    size_t k1 = std::min(K, k0 + size_t(md.G));
    std::vector<std::pair<Rat, int>> t;
    for (size_t k = k0; k < k1; ++k)
      if (a[k].v != 0 && b[k].v != 0) t.push_back({a[k].v * b[k].v, a[k].ex + b[k].ex});
    if (md.accin && acc != 0) t.push_back({acc, std::max(floor_log2(acc < 0 ? Rat(-acc) : acc), -126)});
    if (!t.empty()) {
      int emax = t[0].second;
      for (auto& p : t) emax = std::max(emax, p.second);
      Rat unit = pow2(emax - md.F), S = 0;
      for (auto& p : t) S += Rat(round_int(p.first / unit, md.align_rne)) * unit;
      acc = to_acc(md.accin ? S : acc + S, md.M, md.acc_rne);
    } else if (md.accin) {
      acc = 0;
    }
    since += k1 - k0;
    if (md.P && (since == size_t(md.P) || k1 == K)) {
      acc32 = to_acc(acc32 + acc, 23, true);  // float32 RNE of the exact sum
      acc = 0;
      since = 0;
    }
  }
  return md.P ? float(double(acc32)) : float(double(acc));
}

}  // namespace

TEST(FusedRandom, MatchesTheRationalModel) {
  // e4m3 x e4m3 and e4m3 x e5m2 rows with exponents over the whole range, K
  // up to 300 (several steps and promotions, a partial last step), under the
  // presets and variants of every parameter.
  const std::vector<std::pair<std::string, Model>> modes = {
      {"hopper-fp8", {32, 13, 13, 0, false, false, true}},
      {"hopper-fp8-cublas", {32, 13, 13, 128, false, false, true}},
      {"blackwell-f8f6f4", {32, 25, 23, 0, false, false, true}},
      {"fused:g=16,f=10,align=rne,acc=e8m10,accround=rne", {16, 10, 10, 0, true, true, true}},
      {"fused:g=8,f=20,accin=0,p=64", {8, 20, 13, 64, false, false, false}},
      {"fused:g=4,f=0,acc=f32,accround=rne,accin=0", {4, 0, 23, 0, false, true, false}},
  };
  std::mt19937_64 rng(12);
  int checked = 0;
  for (int t = 0; t < 240; ++t) {
    bool e5 = t % 2;
    size_t K = 1 + rng() % 300;
    std::vector<uint32_t> ca(K), cb(K);
    std::vector<Elem> ea(K), eb(K);
    for (size_t k = 0; k < K; ++k) {
      do ca[k] = uint32_t(rng() & 0xFF);
      while ((ca[k] & 0x7F) == 0x7F);  // e4m3 NaN
      do cb[k] = uint32_t(rng() & 0xFF);
      while (e5 ? ((cb[k] & 0x7C) == 0x7C) : ((cb[k] & 0x7F) == 0x7F));  // e5m2 Inf/NaN
      if (rng() % 8 == 0) ca[k] = 0;  // some zero products
      ea[k] = elem(4, 3, ca[k]);
      eb[k] = e5 ? elem(5, 2, cb[k]) : elem(4, 3, cb[k]);
    }
    const auto& [mode, md] = modes[size_t(t) % modes.size()];
    float got = dot1(ca, cb, mode, "fp8_e4m3", e5 ? "fp8_e5m2" : "fp8_e4m3");
    float want = model_dot(md, ea, eb);
    ASSERT_EQ(f32_bits(got), f32_bits(want)) << mode << " K=" << K << " case " << t;
    ++checked;
  }
  EXPECT_EQ(checked, 240);
}

TEST(FusedRandom, Nvfp4MatchesTheRationalModel) {
  // blackwell-nvfp4 on random nvfp4 rows (ue4m3 scales over the whole range,
  // zero scales included): every group of 16 is one term S * sA * sB with the
  // scales' exponents, as in MMA-Sim's nv_fused_dot_add_with_block_scale.
  std::mt19937_64 rng(7);
  for (int t = 0; t < 120; ++t) {
    size_t K = 64 * (1 + rng() % 4);
    std::vector<uint32_t> ca(K), cb(K), sa(K / 16), sb(K / 16);
    for (auto* v : {&ca, &cb})
      for (auto& c : *v) c = rng() % 4 == 0 ? 0u : uint32_t(rng() & 0xF);
    for (auto* v : {&sa, &sb})
      for (auto& c : *v) c = rng() % 10 == 0 ? 0u : uint32_t(rng() % 0x7F);  // 0x00..0x7e
    QMatrix A = nvfp4_row(ca, sa), B = nvfp4_row(cb, sb);
    Rat acc = 0;
    for (size_t k0 = 0; k0 < K; k0 += 64) {
      std::vector<std::pair<Rat, int>> terms;
      if (acc != 0) terms.push_back({acc, std::max(floor_log2(acc < 0 ? Rat(-acc) : acc), -126)});
      for (size_t g = k0; g < k0 + 64; g += 16) {
        Elem xa = elem(4, 3, sa[g / 16]), xb = elem(4, 3, sb[g / 16]);
        if (xa.v == 0 || xb.v == 0) continue;
        Rat S = 0;
        for (size_t k = g; k < g + 16; ++k) S += elem(2, 1, ca[k]).v * elem(2, 1, cb[k]).v;
        terms.push_back({S * xa.v * xb.v, xa.ex + xb.ex});
      }
      if (terms.empty()) {
        acc = 0;
        continue;
      }
      int emax = terms[0].second;
      for (auto& p : terms) emax = std::max(emax, p.second);
      Rat unit = pow2(emax - 35), T = 0;
      for (auto& p : terms) T += Rat(round_int(p.first / unit, false)) * unit;
      acc = to_acc(T, 23, false);
    }
    float want = float(double(acc));
    ASSERT_EQ(f32_bits(dot(A, 0, B, 0, parse_accum("blackwell-nvfp4"))), f32_bits(want)) << "case " << t;
  }
}

TEST(FusedRandom, Mxf8ScalesArePowersOfTwo) {
  // One block of 32 (one step): blackwell-mxf8f6f4 with e8m0 scales 2^xa, 2^xb
  // equals blackwell-f8f6f4 on the elements times 2^(xa + xb) (RZ on a
  // float32 grid commutes with powers of two away from the subnormals).
  std::mt19937_64 rng(3);
  for (int t = 0; t < 200; ++t) {
    std::vector<uint32_t> a(32), b(32);
    for (auto* v : {&a, &b})
      for (auto& c : *v) do c = uint32_t(rng() & 0xFF);
        while ((c & 0x7F) == 0x7F);
    int xa = int(rng() % 41) - 20, xb = int(rng() % 41) - 20;
    QMatrix A = fp8("mxfp8_e4m3", 1, a), B = fp8("mxfp8_e4m3", 1, b);
    A.scale_codes = {uint32_t(127 + xa)};
    B.scale_codes = {uint32_t(127 + xb)};
    float plain = dot1(a, b, "blackwell-f8f6f4");
    EXPECT_EQ(dot(A, 0, B, 0, parse_accum("blackwell-mxf8f6f4")), std::ldexp(plain, xa + xb)) << "case " << t;
  }
}

// ---------------------------------------------------------------------------
// Parameters

TEST(FusedParams, OutOfRangeNamesTheField) {
  EXPECT_NE(error_of([] { parse_accum("fused:g=0"); }).find("g (terms per step) = 0"), std::string::npos);
  EXPECT_NE(error_of([] { parse_accum("fused:f=-1"); }).find("f (fractional bits) = -1"), std::string::npos);
  EXPECT_NE(error_of([] { parse_accum("fused:g=32,p=48"); }).find("p (promotion interval) = 48 is not a multiple of g = 32"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_accum("fused:acc=e8m30"); }).find("acc"), std::string::npos);
  EXPECT_NE(error_of([] { parse_accum("fused:q=5"); }).find("q (scale group)"), std::string::npos);
  EXPECT_NE(error_of([] { parse_accum("fused:g=x"); }).find("g='x' is not an integer"), std::string::npos);
  EXPECT_NE(error_of([] { parse_accum("fused:zz=1"); }).find("unknown key 'zz'"), std::string::npos);
  std::string e = error_of([] { parse_accum("hopper-fp9"); });
  EXPECT_NE(e.find("unknown accumulation mode 'hopper-fp9'"), std::string::npos);
  EXPECT_NE(e.find("hopper-fp8-cublas"), std::string::npos);  // the valid choices are listed
  // The presets parse, name themselves, and keep their parameters.
  for (const FusedPreset& p : fused_presets()) {
    AccumSpec a = parse_accum(p.name);
    EXPECT_EQ(a.mode, AccumMode::Fused);
    EXPECT_EQ(a.name(), p.name);
    EXPECT_EQ(parse_accum(a.fused.describe()).fused.describe(), a.fused.describe());
  }
  EXPECT_EQ(parse_accum("hopper-fp8-cublas").fused.promote, 128);
  // Existing modes are untouched.
  EXPECT_EQ(parse_accum("exact-block").name(), "exact-block");
  EXPECT_EQ(parse_accum("aligned:24").name(), "aligned:24");
  // Integer elements are not defined for the fused mode.
  EXPECT_NE(error_of([] { dot1({1}, {1}, "hopper-fp8", "int8", "int8"); }).find("not floating point"), std::string::npos);
}

// ---------------------------------------------------------------------------
// The tensorcore file reader

namespace {

std::string tc_text(size_t M, size_t N, size_t K, bool with_d) {
  std::ostringstream s;
  s << "# test\na e4m3\nb e4m3\nout f32\nM " << M << "\nN " << N << "\nK " << K << "\nuse_fast_accum 1\nA\n";
  for (size_t m = 0; m < M; ++m) s << std::string(2 * K, '0').replace(0, 2, "38") << "\n";
  s << "B\n";
  for (size_t n = 0; n < N; ++n) s << std::string(2 * K, '0').replace(0, 2, "38") << "\n";
  if (with_d) {
    s << "D\n";
    for (size_t m = 0; m < M; ++m) {
      for (size_t n = 0; n < N; ++n) s << (n ? " " : "") << "3f800000";
      s << "\n";
    }
  }
  return s.str();
}

std::string parse_error(const std::string& text) {
  return error_of([&] { parse_tensorcore(text, "f.txt"); });
}

}  // namespace

TEST(TensorcoreFile, ReadsAndWritesTheLayout) {
  TensorcoreGemm g = parse_tensorcore(tc_text(2, 3, 4, true), "f.txt");
  EXPECT_EQ(g.M, 2u);
  EXPECT_EQ(g.N, 3u);
  EXPECT_EQ(g.K, 4u);
  EXPECT_EQ(g.fast_accum, 1);
  ASSERT_EQ(g.D.size(), 6u);
  std::vector<uint32_t> w = output_words(gemm(g.A, g.B, parse_accum("hopper-fp8")), false);
  EXPECT_EQ(w, g.D);  // 1 * 1 = 1.0 everywhere
  EXPECT_EQ(format_words(w, 2, 3, false), "3f800000 3f800000 3f800000\n3f800000 3f800000 3f800000\n");
  EXPECT_EQ(format_words({0x3f80, 0xc121}, 1, 2, true), "3f80 c121\n");
  // D may be absent.
  EXPECT_TRUE(parse_tensorcore(tc_text(2, 3, 4, false), "f.txt").D.empty());
  // bfloat16 rounding: ties to even, carries into the exponent.
  EXPECT_EQ(f32_to_bf16_rne(f32_from_bits(0x3f808000)), 0x3f80);  // tie, even stays
  EXPECT_EQ(f32_to_bf16_rne(f32_from_bits(0x3f818000)), 0x3f82);  // tie, odd rounds up
  EXPECT_EQ(f32_to_bf16_rne(f32_from_bits(0x3f808001)), 0x3f81);
  EXPECT_EQ(f32_to_bf16_rne(f32_from_bits(0x7f7fffff)), 0x7f80);  // FLT_MAX -> Inf
}

TEST(TensorcoreFile, MalformedFilesNameFileAndLine) {
  std::string t = tc_text(2, 3, 4, true);
  // Line numbers: 1 comment, 2-8 header, 9 A, 10-11 rows, 12 B, 13-15, 16 D, 17-18.
  auto with_line = [&](int line, const std::string& repl) {
    std::istringstream in(t);
    std::string l, out;
    for (int i = 1; std::getline(in, l); ++i) out += (i == line ? repl : l) + "\n";
    return out;
  };
  EXPECT_EQ(parse_error(with_line(10, "380000")).rfind("f.txt:10: A row 0 has 6 characters, expected 8", 0), 0u);
  EXPECT_EQ(parse_error(with_line(11, "38zz0000")).rfind("f.txt:11: A row 1: 'z' at column 3 is not a hex digit", 0), 0u);
  EXPECT_EQ(parse_error(with_line(17, "3f800000 3f800000")).rfind("f.txt:17: D row 0 has 17 characters", 0), 0u);
  EXPECT_EQ(parse_error(with_line(18, "3f800000 3f80000g 3f800000")).rfind("f.txt:18: D row 1", 0), 0u);
  EXPECT_EQ(parse_error(with_line(6, "N 0")).rfind("f.txt:6: N '0' is not a size", 0), 0u);
  EXPECT_EQ(parse_error(with_line(4, "out f16")).rfind("f.txt:4: out 'f16' (valid: f32, bf16)", 0), 0u);
  EXPECT_EQ(parse_error(with_line(2, "a e9m9")).rfind("f.txt:9: unknown element format 'e9m9'", 0), 0u);
  EXPECT_EQ(parse_error(with_line(5, "")).rfind("f.txt:9: header line 'M' is missing", 0), 0u);
  // Too few rows: B is cut short by the D line.
  EXPECT_EQ(parse_error(with_line(15, "D")).rfind("f.txt:15: B row 2 has 1 characters", 0), 0u);
  // Too few D rows (end of file).
  std::string cut = t.substr(0, t.rfind("3f800000 3f800000 3f800000\n"));
  EXPECT_EQ(parse_error(cut).rfind("f.txt:17: D has 1 rows, expected 2", 0), 0u);
  EXPECT_EQ(parse_error(t + "extra\n").rfind("f.txt:19: unexpected line after D", 0), 0u);
  EXPECT_EQ(parse_error("# nothing\n").rfind("f.txt:1: no line 'A'", 0), 0u);
  EXPECT_EQ(error_of([] { read_tensorcore("/nonexistent/x.txt"); }).rfind("/nonexistent/x.txt:0: cannot open", 0), 0u);
}

// ---------------------------------------------------------------------------
// macforge gemm

namespace {

struct CliRun {
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ctest runs each test as its own process in parallel: each test gets its own
// directory, or two tests' captured stdout files would overwrite each other.
fs::path test_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return fs::path(MF_WORK_DIR) / (std::string(info->test_suite_name()) + "." + info->name());
}

CliRun run_gemm(const std::string& args) {
  fs::path dir = test_dir();
  fs::create_directories(dir);
  std::string o = (dir / "stdout.txt").string(), e = (dir / "stderr.txt").string();
  int st = std::system((std::string(MF_MACFORGE) + " gemm " + args + " > " + o + " 2> " + e).c_str());
  CliRun r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp(o);
  r.err = slurp(e);
  return r;
}

fs::path write_tmp(const std::string& name, const std::string& text) {
  fs::path p = test_dir() / name;
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
  return p;
}

}  // namespace

TEST(GemmCli, WritesDAndChecks) {
  std::string f = std::string(MF_TENSORCORE_DIR) + "/e4m3xe5m2_uniform_K32_fast_bf16.txt";
  CliRun r = run_gemm("--in " + f);
  ASSERT_EQ(r.code, 0) << r.err;
  std::string text = slurp(f);
  EXPECT_EQ(r.out, text.substr(text.find("\nD\n") + 3));  // exactly the file's D lines
  EXPECT_EQ(r.err, "");
  r = run_gemm("--in " + f + " --check");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "equal 4096/4096\n");
  // The promoted model on a file beyond K = 128 of the fast kind differs: exit 1.
  r = run_gemm("--in " + std::string(MF_TENSORCORE_DIR) + "/e4m3xe4m3_gauss_K256_fast_f32.txt --accum hopper-fp8-cublas --check");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out.rfind("equal ", 0), 0u);
  // --out: the file holds D, stdout stays empty.
  fs::path out = test_dir() / "d.txt";
  fs::remove(out);
  r = run_gemm("--in " + f + " --accum hopper-fp8 --out " + out.string());
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(slurp(out), text.substr(text.find("\nD\n") + 3));
  r = run_gemm("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("blackwell-nvfp4"), std::string::npos);
}

TEST(GemmCli, BadInputExitsTwoAndWritesNothing) {
  fs::path out = test_dir() / "never.txt";
  fs::remove(out);
  std::string good = tc_text(2, 3, 4, true);
  std::string bad = good;
  bad.replace(bad.find("\nA\n") + 3, 2, "3g");
  fs::path p = write_tmp("bad.txt", bad);
  CliRun r = run_gemm("--in " + p.string() + " --out " + out.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "error: " + p.string() + ":10: A row 0: 'g' at column 2 is not a hex digit\n");
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(r.out, "");
  fs::path g = write_tmp("good.txt", good);
  r = run_gemm("--in " + g.string() + " --accum fused:g=32,p=48 --out " + out.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("p (promotion interval) = 48 is not a multiple of g = 32"), std::string::npos);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  EXPECT_FALSE(fs::exists(out));
  r = run_gemm("--in " + g.string() + " --accum nope");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown accumulation mode 'nope'"), std::string::npos);
  r = run_gemm("--in " + write_tmp("nod.txt", tc_text(2, 3, 4, false)).string() + " --check");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("has no D"), std::string::npos);
  r = run_gemm("--accum hopper-fp8");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--in FILE is required"), std::string::npos);
}
