// Quantization rules (FORMATS.md section 4, docs/formats.md for absmax/cast):
// hand-computed cases for every special situation the rules name, and a
// randomized comparison with an independent model of the rules written from
// FORMATS.md (tests/independent.hpp: grid search rounding, frexp exponents).
#include <gtest/gtest.h>

#include <cctype>
#include <cfloat>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "independent.hpp"
#include "numerics/block_format.hpp"
#include "numerics/quantize.hpp"

using namespace macforge;
using indep::same;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

QMatrix q1(const char* fmt, Rule rule, const std::vector<float>& x) {
  return quantize(parse_block_format(fmt), rule, x.data(), 1, x.size());
}

std::vector<float> zeros(size_t n) { return std::vector<float>(n, 0.0f); }

void expect_out(const QMatrix& q, size_t i, float want, const char* what) {
  EXPECT_TRUE(same(q.dequant[i], want))
      << what << " [" << i << "] got " << q.dequant[i] << " (0x" << std::hex << indep::bits(q.dequant[i])
      << ") want " << want << " (0x" << indep::bits(want) << ")";
}

// ------------------------------------------------------------ hand cases

TEST(QuantizeHand, OcpFp8RoundingTiesAndSignedZero) {
  std::vector<float> x = zeros(32);
  x[0] = 1.0625f;                          // amax: E = 0, shared = 0 - 8
  x[1] = 1.0f;                             // 256 exactly
  x[2] = -0.0f;                            // keeps its sign
  x[3] = -std::ldexp(1.0f, -20);           // 2^-12 after scaling: rounds to -0
  x[4] = 0.75f;                            // 192: exact
  x[5] = 1.0625f + std::ldexp(1.0f, -20);  // just above the 272 tie: up to 288
  x[6] = -1.0625f;                         // tie 272 between 256 (even) and 288
  QMatrix q = q1("mxfp8_e4m3", Rule::Ocp, x);
  ASSERT_EQ(q.scale_codes.size(), 1u);
  EXPECT_EQ(q.scale_codes[0], 127u - 8u);
  // 272 = 256 + 16 lies halfway between 256 (1.000b) and 288 (1.001b): even wins.
  EXPECT_EQ(q.codes[0], 0x78u);
  expect_out(q, 0, 1.0f, "tie");
  EXPECT_EQ(q.codes[1], 0x78u);
  EXPECT_EQ(q.codes[2], 0x80u);
  expect_out(q, 2, -0.0f, "-0");
  EXPECT_EQ(q.codes[3], 0x80u);
  expect_out(q, 3, -0.0f, "neg underflow");
  EXPECT_EQ(q.codes[4], 0x74u);  // e = 7+7, m = 4
  expect_out(q, 4, 0.75f, "exact");
  EXPECT_EQ(q.codes[5], 0x79u);
  expect_out(q, 5, 1.125f, "near tie");
  EXPECT_EQ(q.codes[6], 0xF8u);
  expect_out(q, 6, -1.0f, "neg tie");
  for (size_t i = 7; i < 32; ++i) {
    EXPECT_EQ(q.codes[i], 0u);
    expect_out(q, i, 0.0f, "zero");
  }
}

TEST(QuantizeHand, OcpElementSaturation) {
  std::vector<float> x = zeros(32);
  x[0] = 1.9375f;  // amax: 496 after scaling by 2^8 > 448
  x[1] = -1.9375f;
  x[2] = 1.8125f;  // 464: beyond 448, saturates too
  x[3] = 1.75f;    // 448 exactly
  QMatrix q = q1("mxfp8_e4m3", Rule::Ocp, x);
  EXPECT_EQ(q.scale_codes[0], 119u);
  EXPECT_EQ(q.codes[0], 0x7Eu);
  expect_out(q, 0, 1.75f, "sat");
  EXPECT_EQ(q.codes[1], 0xFEu);
  expect_out(q, 1, -1.75f, "sat neg");
  EXPECT_EQ(q.codes[2], 0x7Eu);
  EXPECT_EQ(q.codes[3], 0x7Eu);

  // MXINT8: amax 1.999 -> q = 127.94 -> RNE 128 -> clamp 127 (symmetric range).
  std::vector<float> y = zeros(32);
  y[0] = 1.999f;
  y[1] = -1.999f;
  y[2] = 1.0f;
  QMatrix qi = q1("mxint8", Rule::Ocp, y);
  EXPECT_EQ(qi.scale_codes[0], 127u);
  EXPECT_EQ(qi.codes[0], 0x7Fu);
  expect_out(qi, 0, 127.0f / 64, "int sat");
  EXPECT_EQ(qi.codes[1], 0x81u);  // -127, never -128
  expect_out(qi, 1, -127.0f / 64, "int sat neg");
  EXPECT_EQ(qi.codes[2], 64u);

  // int8_full: the full range is the element format, so -128 is reachable.
  QMatrix qf = q1("int8_full/32/e8m0", Rule::Ocp, y);
  EXPECT_EQ(qf.codes[0], 0x7Fu);
  EXPECT_EQ(qf.codes[1], 0x80u);
  expect_out(qf, 1, -2.0f, "full range");
}

TEST(QuantizeHand, OcpIntTiesAndZeros) {
  std::vector<float> x = zeros(32);
  x[0] = 1.0f;                      // amax: shared 0, step 2^-6
  x[1] = -0.0f;                     // +0: integers have no -0
  x[2] = -0.004f;                   // -0.256 steps -> 0 -> +0
  x[3] = 3 * std::ldexp(1.0f, -7);  // 1.5 steps -> 2
  x[4] = 5 * std::ldexp(1.0f, -7);  // 2.5 steps -> 2
  x[5] = -5 * std::ldexp(1.0f, -7);
  x[6] = -7 * std::ldexp(1.0f, -7);  // -3.5 -> -4
  QMatrix q = q1("mxint8", Rule::Ocp, x);
  EXPECT_EQ(q.scale_codes[0], 127u);
  EXPECT_EQ(q.codes[0], 64u);
  EXPECT_EQ(q.codes[1], 0u);
  expect_out(q, 1, 0.0f, "-0 int");
  EXPECT_EQ(q.codes[2], 0u);
  expect_out(q, 2, 0.0f, "neg underflow int");
  EXPECT_EQ(q.codes[3], 2u);
  expect_out(q, 3, 0.03125f, "tie up");
  EXPECT_EQ(q.codes[4], 2u);
  expect_out(q, 4, 0.03125f, "tie down");
  EXPECT_EQ(q.codes[5], 0xFEu);
  expect_out(q, 5, -0.03125f, "neg tie");
  EXPECT_EQ(q.codes[6], 0xFCu);
  expect_out(q, 6, -0.0625f, "neg tie up");
}

TEST(QuantizeHand, CeilRule) {
  // fp4_e2m1: amax 6.5 -> s = 6.5/6 -> k = 1; 6.5/2 = 3.25 -> 3; 5/2 = 2.5 -> tie -> 2.
  std::vector<float> x = zeros(32);
  x[0] = 6.5f;
  x[1] = 5.0f;
  x[2] = -0.5f;  // 0.25 -> tie between 0 and 0.5 -> 0, sign kept
  QMatrix q = q1("mxfp4_e2m1", Rule::Ceil, x);
  EXPECT_EQ(q.scale_codes[0], 128u);
  expect_out(q, 0, 6.0f, "ceil");
  expect_out(q, 1, 4.0f, "ceil tie");
  EXPECT_EQ(q.codes[1], 0x4u);
  expect_out(q, 2, -0.0f, "ceil -0");
  EXPECT_EQ(q.codes[2], 0x8u);
  // amax exactly Qmax: s = 1, k = 0.
  x[0] = 6.0f;
  q = q1("mxfp4_e2m1", Rule::Ceil, x);
  EXPECT_EQ(q.scale_codes[0], 127u);
  expect_out(q, 0, 6.0f, "ceil exact");
  // mxint8: amax 1 -> s = 1/127 -> k = -6 -> shared = k + 6 = 0, step 2^-6.
  std::vector<float> y = zeros(32);
  y[0] = 1.0f;
  y[1] = 0.5f;
  QMatrix qi = q1("mxint8", Rule::Ceil, y);
  EXPECT_EQ(qi.scale_codes[0], 127u);
  EXPECT_EQ(qi.codes[0], 64u);
  EXPECT_EQ(qi.codes[1], 32u);
  // mxint4: amax 7 -> s = 1 -> k = 0 -> shared = 2, step 1.
  y[0] = 7.0f;
  y[1] = -2.5f;
  QMatrix q4 = q1("mxint4", Rule::Ceil, y);
  EXPECT_EQ(q4.scale_codes[0], 129u);
  EXPECT_EQ(q4.codes[0], 7u);
  EXPECT_EQ(q4.codes[1], 0xEu);  // -2
  expect_out(q4, 1, -2.0f, "int4 ceil tie");
}

TEST(QuantizeHand, NanAndInfBlocks) {
  for (const char* fmt : {"mxfp8_e4m3", "mxfp8_e5m2", "mxfp4_e2m1", "mxint8", "mxint4"})
    for (Rule rule : {Rule::Ocp, Rule::Ceil})
      for (float bad : {kNaN, float(INFINITY), -float(INFINITY)}) {
        std::vector<float> x(64, 1.0f);
        x[5] = bad;
        x[40] = 0.5f;
        QMatrix q = q1(fmt, rule, x);
        ASSERT_EQ(q.scale_codes.size(), 2u);
        EXPECT_EQ(q.scale_codes[0], 0xFFu) << fmt << " " << bad;
        for (size_t i = 0; i < 32; ++i) EXPECT_TRUE(std::isnan(q.dequant[i])) << fmt << " " << i;
        // The other block is untouched.
        EXPECT_NE(q.scale_codes[1], 0xFFu);
        expect_out(q, 33, 1.0f, fmt);
        expect_out(q, 40, 0.5f, fmt);
        std::vector<float> d = dequantize(q);
        for (size_t i = 0; i < 32; ++i) EXPECT_TRUE(std::isnan(d[i]));
        EXPECT_EQ(d[33], 1.0f);
      }
}

TEST(QuantizeHand, AllZeroBlocks) {
  std::vector<float> x = zeros(32);
  for (size_t i = 1; i < 32; i += 2) x[i] = -0.0f;
  for (Rule rule : {Rule::Ocp, Rule::Ceil}) {
    for (const char* fmt : {"mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp4_e2m1"}) {
      QMatrix q = q1(fmt, rule, x);
      EXPECT_EQ(q.scale_codes[0], 0x00u) << fmt;
      for (size_t i = 0; i < 32; ++i) {
        expect_out(q, i, x[i], fmt);  // signed zero kept
        EXPECT_EQ(q.codes[i], (i & 1) ? 1u << (q.fmt.elem.bits - 1) : 0u);
      }
    }
    for (const char* fmt : {"mxint8", "mxint6", "mxint4"}) {
      QMatrix q = q1(fmt, rule, x);
      EXPECT_EQ(q.scale_codes[0], 0x00u) << fmt;
      for (size_t i = 0; i < 32; ++i) {
        expect_out(q, i, 0.0f, fmt);  // +0 for integers
        EXPECT_EQ(q.codes[i], 0u);
      }
    }
  }
  // NV: an all-zero tensor gives gE = FLT_MAX, gD = 1/FLT_MAX (0x00200000).
  for (const char* fmt : {"nvfp4", "nvint4"}) {
    QMatrix q = q1(fmt, Rule::Nv, x);
    EXPECT_EQ(q.tensor_amax, 0.0f);
    EXPECT_EQ(indep::bits(q.tensor_gd), 0x00200000u) << fmt;
    EXPECT_EQ(q.scale_codes.size(), 2u);
    for (uint32_t c : q.scale_codes) EXPECT_EQ(c, 0u);
    bool is_int = std::string(fmt) == "nvint4";
    for (size_t i = 0; i < 32; ++i) expect_out(q, i, is_int ? 0.0f : x[i], fmt);
  }
}

TEST(QuantizeHand, ScaleClampsAtBothEnds) {
  const float tiny = std::numeric_limits<float>::denorm_min();  // 2^-149
  std::vector<float> x = zeros(32);
  x[0] = tiny;
  x[1] = -tiny;
  // ocp: E = -149, shared = -157 -> clamped to -127, code 0; 2^-22 -> 0.
  QMatrix q = q1("mxfp8_e4m3", Rule::Ocp, x);
  EXPECT_EQ(q.scale_codes[0], 0u);
  expect_out(q, 0, 0.0f, "tiny");
  expect_out(q, 1, -0.0f, "tiny neg");
  // ceil: s = 2^-149 / 448 underflows to 0 -> shared -127.
  q = q1("mxfp8_e4m3", Rule::Ceil, x);
  EXPECT_EQ(q.scale_codes[0], 0u);
  expect_out(q, 1, -0.0f, "tiny neg ceil");

  // mxint8 ocp: amax = 3*2^-134 = 1.5*2^-133: E = -133 -> clamped to -127,
  // step 2^-133, q = 1.5 -> 2, output 2^-132 (a float32 subnormal).
  x[0] = 3 * std::ldexp(1.0f, -134);
  x[1] = std::ldexp(1.0f, -135);  // 0.25 steps -> 0
  q = q1("mxint8", Rule::Ocp, x);
  EXPECT_EQ(q.scale_codes[0], 0u);
  EXPECT_EQ(q.codes[0], 2u);
  expect_out(q, 0, std::ldexp(1.0f, -132), "clamped low");
  expect_out(q, 1, 0.0f, "clamped low zero");

  // mxint8 ceil at FLT_MAX: s = FLT_MAX/127 ~ 2^121.01 -> k = 122 -> shared =
  // 128 -> clamped to 127 (code 0xFE); step 2^121; q = 127.99999 -> 128 -> 127.
  x[0] = FLT_MAX;
  x[1] = -FLT_MAX;
  x[2] = std::ldexp(1.0f, 121) * 3;
  q = q1("mxint8", Rule::Ceil, x);
  EXPECT_EQ(q.scale_codes[0], 0xFEu);
  EXPECT_EQ(q.codes[0], 0x7Fu);
  expect_out(q, 0, 127 * std::ldexp(1.0f, 121), "clamped high");
  EXPECT_EQ(q.codes[1], 0x81u);
  expect_out(q, 1, -127 * std::ldexp(1.0f, 121), "clamped high neg");
  EXPECT_EQ(q.codes[2], 3u);

  // mxfp8_e4m3 ceil at FLT_MAX: s = FLT_MAX/448 -> k = 120, no clamp; the
  // element 255.99998 rounds up to 256 and 256 * 2^120 = 2^128 -> +-Inf.
  q = q1("mxfp8_e4m3", Rule::Ceil, x);
  EXPECT_EQ(q.scale_codes[0], 127u + 120u);
  EXPECT_EQ(q.codes[0], 0x78u);
  expect_out(q, 0, INFINITY, "2^128");
  expect_out(q, 1, -INFINITY, "-2^128");
  // ocp at FLT_MAX: E = 127, shared = 119, 511.99 saturates to 448: finite.
  q = q1("mxfp8_e4m3", Rule::Ocp, x);
  EXPECT_EQ(q.scale_codes[0], 127u + 119u);
  expect_out(q, 0, 448 * std::ldexp(1.0f, 119), "ocp FLT_MAX");
}

TEST(QuantizeHand, PartialLastBlock) {
  std::vector<float> x(40, 1.0f);
  x[31] = 1.0625f;  // block 0 amax: shared -8, 272 -> 256
  x[32] = 1024.0f;  // block 1 (8 elements) amax: shared 10 - 8 = 2
  x[33] = 5.0f;     // 1.25 after scaling: exact
  x[34] = 1.0625f;  // 0.265625 -> step 2^-5 -> 0.25 -> 1.0
  x[35] = 1.1875f;  // 0.296875 -> tie between 0.28125 (odd) and 0.3125 (even) -> 1.25
  QMatrix q = q1("mxfp8_e4m3", Rule::Ocp, x);
  EXPECT_EQ(q.blocks_per_row(), 2u);
  ASSERT_EQ(q.scale_codes.size(), 2u);
  EXPECT_EQ(q.scale_codes[0], 119u);
  EXPECT_EQ(q.scale_codes[1], 129u);
  expect_out(q, 31, 1.0f, "blk0");
  expect_out(q, 32, 1024.0f, "blk1");
  expect_out(q, 33, 5.0f, "blk1");
  expect_out(q, 34, 1.0f, "blk1");
  expect_out(q, 35, 1.25f, "blk1 tie");
  expect_out(q, 36, 1.0f, "blk1");
  // The short block alone quantizes the same way.
  std::vector<float> tail(x.begin() + 32, x.end());
  QMatrix qt = q1("mxfp8_e4m3", Rule::Ocp, tail);
  EXPECT_EQ(qt.scale_codes[0], 129u);
  for (size_t i = 0; i < 8; ++i) EXPECT_TRUE(same(qt.dequant[i], q.dequant[32 + i]));
}

TEST(QuantizeHand, RowsAreIndependent) {
  const char* fmts[] = {"mxfp8_e4m3", "mxint8", "mxfp4_e2m1", "nvfp4"};
  for (const char* fmt : fmts) {
    BlockFormat bf = parse_block_format(fmt);
    Rule rule = bf.default_rule;
    const size_t rows = 3, cols = 45;
    std::vector<float> x(rows * cols);
    for (size_t r = 0; r < rows; ++r)
      for (size_t c = 0; c < cols; ++c) x[r * cols + c] = std::ldexp(float(int(c % 7) - 3) + 0.3f, int(r * 5));
    QMatrix q = quantize(bf, rule, x.data(), rows, cols);
    size_t nb = q.blocks_per_row();
    EXPECT_EQ(nb, (cols + size_t(bf.block) - 1) / size_t(bf.block));
    EXPECT_EQ(q.scale_codes.size(), rows * nb);
    if (rule == Rule::Nv) continue;  // the tensor scale couples the rows
    for (size_t r = 0; r < rows; ++r) {
      QMatrix qr = quantize(bf, rule, x.data() + r * cols, 1, cols);
      for (size_t j = 0; j < nb; ++j) EXPECT_EQ(q.scale_code(r, j), qr.scale_codes[j]) << fmt;
      for (size_t c = 0; c < cols; ++c) {
        EXPECT_EQ(q.code(r, c), qr.codes[c]);
        EXPECT_TRUE(same(q.dequant[r * cols + c], qr.dequant[c]));
      }
      if (r > 0) {
        EXPECT_NE(q.scale_code(r, 0), q.scale_code(0, 0)) << fmt;
      }
    }
  }
}

TEST(QuantizeHand, PerChannelAndPerTensor) {
  // row 0: amax 254 -> s = 2: [127, 0.5 -> 0, -1.5 -> -2, 0.45 -> 0]
  // row 1: amax 15.875 -> s = 0.125: [127, -1.5 -> -2, 0.5 -> 0, -0 -> +0]
  std::vector<float> x = {254.0f, 1.0f, -3.0f, 0.9f, 15.875f, -0.1875f, 0.0625f, -0.0f};
  BlockFormat ch = parse_block_format("int8/channel/fp32");
  QMatrix q = quantize(ch, Rule::Absmax, x.data(), 2, 4);
  ASSERT_EQ(q.chan_scale.size(), 2u);
  EXPECT_EQ(q.chan_scale[0], 2.0f);
  EXPECT_EQ(q.chan_scale[1], 0.125f);
  const uint32_t codes[] = {0x7F, 0, 0xFE, 0, 0x7F, 0xFE, 0, 0};
  const float out[] = {254, 0, -4, 0, 15.875f, -0.25f, 0, 0};
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(q.codes[i], codes[i]) << i;
    expect_out(q, i, out[i], "channel");
  }
  std::vector<float> d = dequantize(q);
  for (size_t i = 0; i < 8; ++i) EXPECT_TRUE(same(d[i], out[i]));

  // Per tensor: one scale s = 2; row 1 -> [7.9375 -> 8, -0.09 -> 0, 0.03 -> 0, +0].
  BlockFormat tn = parse_block_format("int8/tensor/fp32");
  QMatrix qt = quantize(tn, Rule::Absmax, x.data(), 2, 4);
  ASSERT_EQ(qt.chan_scale.size(), 1u);
  EXPECT_EQ(qt.chan_scale[0], 2.0f);
  EXPECT_EQ(qt.channel_scale(1), 2.0f);
  const float out_t[] = {254, 0, -4, 0, 16, 0, 0, 0};
  for (size_t i = 0; i < 8; ++i) expect_out(qt, i, out_t[i], "tensor");

  // FP elements per channel keep -0; an all-zero channel gets s = 1; a NaN
  // channel gets a NaN scale and NaN outputs, the other channel is untouched.
  std::vector<float> y = {896.0f, 1.0f, -0.0f, 2.5f, 0.0f, -0.0f, 0.0f, 0.0f, 1.0f, kNaN, 2.0f, 3.0f};
  QMatrix qf = quantize(parse_block_format("fp8_e4m3/channel/fp32"), Rule::Absmax, y.data(), 3, 4);
  EXPECT_EQ(qf.chan_scale[0], 2.0f);
  expect_out(qf, 0, 896.0f, "fp8 ch");
  expect_out(qf, 1, 1.0f, "fp8 ch");
  expect_out(qf, 2, -0.0f, "fp8 ch -0");
  expect_out(qf, 3, 2.5f, "fp8 ch");  // 1.25 exact in e4m3
  EXPECT_EQ(qf.chan_scale[1], 1.0f);
  for (size_t i = 4; i < 8; ++i) expect_out(qf, i, y[i], "zero channel");
  EXPECT_TRUE(std::isnan(qf.chan_scale[2]));
  for (size_t i = 8; i < 12; ++i) EXPECT_TRUE(std::isnan(qf.dequant[i]));
}

TEST(QuantizeHand, CastRule) {
  std::vector<float> x = {kNaN, float(INFINITY), -float(INFINITY), 500.0f, -0.0f, 464.0f, 1.0f / 1024};
  QMatrix q = q1("fp8_e4m3", Rule::Cast, x);
  EXPECT_EQ(q.codes[0] & 0x7F, 0x7Fu);
  EXPECT_TRUE(std::isnan(q.dequant[0]));
  EXPECT_EQ(q.codes[1], 0x7Eu);  // no Inf in e4m3: saturate
  expect_out(q, 1, 448.0f, "inf sat");
  EXPECT_EQ(q.codes[2], 0xFEu);
  EXPECT_EQ(q.codes[3], 0x7Eu);
  EXPECT_EQ(q.codes[4], 0x80u);
  EXPECT_EQ(q.codes[5], 0x7Eu);
  expect_out(q, 6, 0.0f, "below half min subnormal");  // 2^-10 ties to 0
  QMatrix q5 = q1("fp8_e5m2", Rule::Cast, x);
  EXPECT_EQ(q5.codes[1], 0x7Cu);
  expect_out(q5, 1, INFINITY, "e5m2 inf");
  EXPECT_EQ(q5.codes[2], 0xFCu);
  expect_out(q5, 3, 512.0f, "e5m2");
}

TEST(QuantizeErrors, CheckRuleRejectsWrongRules) {
  struct Bad {
    const char* fmt;
    Rule rule;
  };
  const Bad bad[] = {{"mxfp8_e4m3", Rule::Nv},       {"mxint8", Rule::Absmax},
                     {"mxfp4_e2m1", Rule::Cast},     {"nvfp4", Rule::Ocp},
                     {"nvint4", Rule::Ceil},         {"int8/channel/fp32", Rule::Ocp},
                     {"int8/tensor/fp32", Rule::Nv}, {"fp8_e4m3", Rule::Absmax},
                     {"fp8_e4m3", Rule::Ocp}};
  std::vector<float> x(32, 1.0f);
  for (const Bad& b : bad) {
    BlockFormat f = parse_block_format(b.fmt);
    EXPECT_THROW(check_rule(f, b.rule), FormatError) << b.fmt;
    EXPECT_THROW(quantize(f, b.rule, x.data(), 1, 32), FormatError) << b.fmt;
  }
  try {
    check_rule(parse_block_format("mxint8"), Rule::Nv);
    FAIL();
  } catch (const FormatError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("valid: ocp, ceil"), std::string::npos) << m;
  }
  for (const char* ok : {"mxfp8_e4m3", "mxint4"}) {
    EXPECT_NO_THROW(check_rule(parse_block_format(ok), Rule::Ocp));
    EXPECT_NO_THROW(check_rule(parse_block_format(ok), Rule::Ceil));
  }
  EXPECT_NO_THROW(check_rule(parse_block_format("nvint4"), Rule::Nv));
  EXPECT_NO_THROW(check_rule(parse_block_format("int4/channel/fp32"), Rule::Absmax));
  EXPECT_NO_THROW(check_rule(parse_block_format("e3m4"), Rule::Cast));
}

TEST(QuantizeErrors, ParseBlockFormatListsChoices) {
  try {
    parse_block_format("mxfp9");
    FAIL();
  } catch (const FormatError& e) {
    std::string m = e.what();
    for (const std::string& p : block_preset_names()) EXPECT_NE(m.find(p), std::string::npos) << m;
    EXPECT_NE(m.find("valid"), std::string::npos) << m;
    EXPECT_NE(m.find("mxfp9"), std::string::npos) << m;
  }
  try {
    parse_block_format("fp8_e4m3/32/e9m0");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("e8m0, ue4m3, fp32"), std::string::npos) << e.what();
  }
  try {
    parse_rule("floor");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("ocp, ceil, nv, absmax, cast"), std::string::npos) << e.what();
  }
  for (const char* bad : {"fp8_e4m3/0/e8m0", "fp8_e4m3/channel/e8m0", "fp8_e4m3/16/ue4m3",
                          "int8/32/fp32", "int8/x/e8m0", "foo/32/e8m0", "mxint8/32/e8m0", ""})
    EXPECT_THROW(parse_block_format(bad), FormatError) << bad;
  EXPECT_EQ(block_preset_names().size(), 10u);
}

// --------------------------------------------- independent model, randomized

// Element description taken from the parsed format's field widths only; every
// value and rounding decision below is computed here.
struct Model {
  BlockFormat fmt;
  bool is_int;
  int N = 0, E = 0, M = 0;
  indep::Sp sp = indep::Sp::Finite;
  int implicit = 0;  // MX integers: -(N-2)
  indep::Grid grid;  // element grid (with the implicit scale)
  int64_t neg_extra = 0;  // full-range ints: one more step on the negative side
  double qmax = 0;        // FORMATS.md Qmax (integer max for ints)
  int emax = 0;           // floor(log2(largest grid value))

  explicit Model(const BlockFormat& f) : fmt(f) {
    is_int = f.elem.is_int();
    if (is_int) {
      N = f.elem.bits;
      implicit = f.scale == ScaleKind::E8M0 ? -(N - 2) : 0;
      int64_t qm = (int64_t{1} << (N - 1)) - 1;
      grid = indep::Grid::integers(qm + (f.elem.int_full_range ? 1 : 0), implicit);
      neg_extra = f.elem.int_full_range ? 1 : 0;
      qmax = double(qm);
    } else {
      E = f.elem.ebits;
      M = f.elem.mbits;
      sp = f.elem.special == Special::Ieee      ? indep::Sp::Ieee
           : f.elem.special == Special::NanOnly ? indep::Sp::NanOnly
                                                : indep::Sp::Finite;
      grid = indep::Grid::fp(E, M, sp);
      qmax = grid.v.back();
    }
    double top = is_int ? std::ldexp(qmax, implicit) : grid.v.back();
    int e;
    std::frexp(top, &e);
    emax = e - 1;
  }

  // Rounds y (element units incl. implicit scale) onto the grid; returns the
  // signed grid value and the code.
  double round(double y, uint32_t& code) const {
    bool neg = std::signbit(y);
    double a = std::fabs(y);
    size_t idx = grid.round(a);
    if (is_int) {
      if (!neg && idx + size_t(neg_extra) >= grid.v.size()) idx = grid.v.size() - 1 - size_t(neg_extra);
      int64_t q = neg ? -int64_t(idx) : int64_t(idx);
      code = uint32_t(q) & ((1u << N) - 1u);
      return idx == 0 ? 0.0 : (neg ? -grid.v[idx] : grid.v[idx]);
    }
    code = uint32_t(idx) | (neg ? 1u << (E + M) : 0u);
    return neg ? -grid.v[idx] : grid.v[idx];
  }

  struct Out {
    std::vector<uint32_t> scodes, codes;
    std::vector<float> deq, chan;
    float amax_t = 0, gd = 1;
  };

  Out run(Rule rule, const std::vector<float>& x, size_t rows, size_t cols) const {
    Out o;
    o.codes.assign(rows * cols, 0);
    o.deq.assign(rows * cols, 0.0f);
    if (rule == Rule::Ocp || rule == Rule::Ceil) {
      size_t B = size_t(fmt.block);
      for (size_t r = 0; r < rows; ++r)
        for (size_t c0 = 0; c0 < cols; c0 += B) {
          size_t n = std::min(B, cols - c0), i0 = r * cols + c0;
          bool bad = false;
          float amax = 0;
          for (size_t i = 0; i < n; ++i) {
            bad |= !std::isfinite(x[i0 + i]);
            amax = std::max(amax, std::fabs(x[i0 + i]));
          }
          if (bad) {
            o.scodes.push_back(0xFF);
            for (size_t i = 0; i < n; ++i) o.deq[i0 + i] = NAN;
            continue;
          }
          int shared;
          if (amax == 0) {
            shared = 0;
            o.scodes.push_back(0);
          } else {
            int e;
            if (rule == Rule::Ocp) {
              std::frexp(double(amax), &e);
              shared = (e - 1) - emax;
            } else {
              float s = amax / float(qmax);
              if (s == 0) {
                shared = -1000;
              } else {
                double f = std::frexp(double(s), &e);
                int k = f == 0.5 ? e - 1 : e;
                shared = is_int ? k + (N - 2) : k;
              }
            }
            shared = std::min(std::max(shared, -127), 127);
            o.scodes.push_back(uint32_t(shared + 127));
          }
          for (size_t i = 0; i < n; ++i) {
            double y = std::ldexp(double(x[i0 + i]), -shared);
            double v = round(y, o.codes[i0 + i]);
            o.deq[i0 + i] = float(std::ldexp(v, shared));
          }
        }
    } else if (rule == Rule::Nv) {
      const float Q = float(qmax);
      float amax_t = 0;
      for (float v : x) amax_t = std::max(amax_t, std::fabs(v));
      float gE = (448.0f * Q) / amax_t;
      if (!std::isfinite(gE)) gE = FLT_MAX;
      if (gE == 0) gE = 1;
      float gD = 1.0f / gE;
      o.amax_t = amax_t;
      o.gd = gD;
      indep::Grid e4m3 = indep::Grid::fp(4, 3, indep::Sp::NanOnly);
      size_t B = size_t(fmt.block);
      for (size_t r = 0; r < rows; ++r)
        for (size_t c0 = 0; c0 < cols; c0 += B) {
          size_t n = std::min(B, cols - c0), i0 = r * cols + c0;
          float amax_b = 0;
          for (size_t i = 0; i < n; ++i) amax_b = std::max(amax_b, std::fabs(x[i0 + i]));
          float t = std::min(amax_b * (gE * (1.0f / Q)), 448.0f);
          size_t dc = e4m3.round(double(t));
          o.scodes.push_back(uint32_t(dc));
          float d = float(e4m3.v[dc]);
          float sd = d * gD;
          float e = std::min(1.0f / sd, FLT_MAX);
          for (size_t i = 0; i < n; ++i) {
            float y;
            if (d == 0) y = is_int ? 0.0f : std::copysign(0.0f, x[i0 + i]);
            else y = std::min(std::max(x[i0 + i] * e, -Q), Q);
            double v = round(double(y), o.codes[i0 + i]);
            o.deq[i0 + i] = float(v) * sd;
          }
        }
    } else if (rule == Rule::Absmax) {
      bool per_row = fmt.gran == Granularity::Channel;
      size_t ng = per_row ? rows : 1, glen = per_row ? cols : rows * cols;
      const float Q = float(qmax);
      for (size_t g = 0; g < ng; ++g) {
        size_t i0 = g * glen;
        bool bad = false;
        float amax = 0;
        for (size_t i = 0; i < glen; ++i) {
          bad |= !std::isfinite(x[i0 + i]);
          amax = std::max(amax, std::fabs(x[i0 + i]));
        }
        if (bad) {
          o.chan.push_back(NAN);
          for (size_t i = 0; i < glen; ++i) o.deq[i0 + i] = NAN;
          continue;
        }
        float s = amax / Q;
        if (s == 0) s = 1;
        o.chan.push_back(s);
        for (size_t i = 0; i < glen; ++i) {
          float y = std::min(std::max(x[i0 + i] / s, -Q), Q);
          double v = round(double(y), o.codes[i0 + i]);
          o.deq[i0 + i] = float(v) * s;
        }
      }
    }
    return o;
  }
};

// Random tensors over the whole float32 range: Gaussian blocks at random
// magnitudes (float32 subnormals to near FLT_MAX), random bit patterns, zero
// and signed-zero blocks, exact grid ties, and (where defined) NaN/Inf.
std::vector<float> random_tensor(std::mt19937_64& gen, size_t n, bool specials, int block) {
  std::normal_distribution<double> nd;
  std::vector<float> x(n);
  int mode = 0, mag = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i % size_t(block) == 0) {
      mode = int(gen() % 8);
      mag = int(gen() % 270) - 145;
    }
    float v;
    switch (mode) {
      case 0: v = 0.0f; break;
      case 1: v = (gen() & 1) ? -0.0f : float(std::ldexp(nd(gen), mag)); break;
      case 2:
        do v = indep::from_bits(uint32_t(gen()));
        while (!std::isfinite(v));
        break;
      case 3: {  // small integers and halves: exact ties on coarse grids
        v = std::ldexp(float(int(gen() % 33) - 16) / 2, mag / 8);
        break;
      }
      default: v = float(std::ldexp(nd(gen), mag)); break;
    }
    if (!std::isfinite(v)) v = FLT_MAX;
    x[i] = v;
  }
  if (specials && n > 3) {
    const float sp[] = {NAN, INFINITY, -INFINITY};
    for (int k = 0; k < 2; ++k) x[gen() % n] = sp[gen() % 3];
  }
  return x;
}

struct RandCase {
  const char* fmt;
  Rule rule;
};

void PrintTo(const RandCase& c, std::ostream* os) { *os << c.fmt << " " << rule_name(c.rule); }

class QuantizeModel : public ::testing::TestWithParam<RandCase> {};

TEST_P(QuantizeModel, MatchesIndependentModel) {
  const RandCase& rc = GetParam();
  BlockFormat bf = parse_block_format(rc.fmt);
  Model model(bf);
  std::mt19937_64 gen(std::hash<std::string>{}(std::string(rc.fmt) + rule_name(rc.rule)));
  int block = bf.has_block_scale() ? bf.block : 16;
  size_t checked = 0;
  for (int iter = 0; iter < 300; ++iter) {
    size_t rows = 1 + gen() % 3, cols = 1 + gen() % 100;
    bool specials = rc.rule != Rule::Nv && iter % 3 == 0;
    std::vector<float> x = random_tensor(gen, rows * cols, specials, block);
    if (rc.rule == Rule::Nv && iter % 5 == 0)  // moderate tensors too (NV's intended use)
      for (float& v : x) v = float(int(gen() % 2001) - 1000) / 64;
    QMatrix q = quantize(bf, rc.rule, x.data(), rows, cols);
    Model::Out o = model.run(rc.rule, x, rows, cols);
    if (rc.rule == Rule::Ocp || rc.rule == Rule::Ceil || rc.rule == Rule::Nv) {
      ASSERT_EQ(q.scale_codes, o.scodes) << rc.fmt << " iter " << iter;
    }
    if (rc.rule == Rule::Nv) {
      ASSERT_EQ(indep::bits(q.tensor_amax), indep::bits(o.amax_t));
      ASSERT_EQ(indep::bits(q.tensor_gd), indep::bits(o.gd));
    }
    if (rc.rule == Rule::Absmax) {
      ASSERT_EQ(q.chan_scale.size(), o.chan.size());
      for (size_t g = 0; g < o.chan.size(); ++g) ASSERT_TRUE(same(q.chan_scale[g], o.chan[g]));
    }
    std::vector<float> d = dequantize(q);
    for (size_t i = 0; i < rows * cols; ++i) {
      ASSERT_TRUE(same(q.dequant[i], o.deq[i]))
          << rc.fmt << " iter " << iter << " i " << i << " x=" << x[i] << " (0x" << std::hex
          << indep::bits(x[i]) << ") got 0x" << indep::bits(q.dequant[i]) << " want 0x" << indep::bits(o.deq[i]);
      ASSERT_TRUE(same(d[i], o.deq[i])) << "dequantize() " << rc.fmt << " i " << i;
      if (!std::isnan(o.deq[i])) {
        ASSERT_EQ(q.codes[i], o.codes[i]) << rc.fmt << " i " << i << " x=" << x[i];
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 10000u);
}

const RandCase kRand[] = {
    {"mxfp8_e4m3", Rule::Ocp},        {"mxfp8_e4m3", Rule::Ceil},       {"mxfp8_e5m2", Rule::Ocp},
    {"mxfp8_e5m2", Rule::Ceil},       {"mxfp6_e2m3", Rule::Ocp},        {"mxfp6_e2m3", Rule::Ceil},
    {"mxfp6_e3m2", Rule::Ocp},        {"mxfp6_e3m2", Rule::Ceil},       {"mxfp4_e2m1", Rule::Ocp},
    {"mxfp4_e2m1", Rule::Ceil},       {"mxint8", Rule::Ocp},            {"mxint8", Rule::Ceil},
    {"mxint6", Rule::Ocp},            {"mxint6", Rule::Ceil},           {"mxint4", Rule::Ocp},
    {"mxint4", Rule::Ceil},           {"nvfp4", Rule::Nv},              {"nvint4", Rule::Nv},
    {"fp8_e4m3/64/e8m0", Rule::Ocp},  {"int4/16/e8m0", Rule::Ceil},     {"e3m4/32/e8m0", Rule::Ocp},
    {"int8_full/32/e8m0", Rule::Ocp}, {"int2/8/e8m0", Rule::Ceil},      {"fp6_e2m3/16/ue4m3", Rule::Nv},
    {"int8/16/ue4m3", Rule::Nv},      {"int8/channel/fp32", Rule::Absmax}, {"int4/channel/fp32", Rule::Absmax},
    {"fp8_e4m3/channel/fp32", Rule::Absmax}, {"int8/tensor/fp32", Rule::Absmax},
    {"fp4_e2m1/tensor/fp32", Rule::Absmax},
};

INSTANTIATE_TEST_SUITE_P(All, QuantizeModel, ::testing::ValuesIn(kRand),
                         [](const ::testing::TestParamInfo<RandCase>& i) {
                           std::string n = std::string(i.param.fmt) + "_" + rule_name(i.param.rule);
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
