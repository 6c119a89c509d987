// Metrics and test-data generation (FORMATS.md section 6, numerics/metrics.hpp,
// numerics/qsnr_study.hpp): hand cases, the structure of the Hadamard rotation
// checked against an explicit Sylvester matrix, the distributions checked
// against Boost.Math's CDFs (Kolmogorov-Smirnov), and the INT v.s. FP paper's
// (arXiv 2510.25602) direction: rotation helps MXINT on outlier-heavy data.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/math/distributions/laplace.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <numeric>
#include <vector>

#include "numerics/metrics.hpp"
#include "numerics/qsnr_study.hpp"
#include "numerics/quantize.hpp"

using namespace macforge;

namespace {

TEST(Qsnr, HandCases) {
  std::vector<float> x = {1, 1}, xq = {1, 0};
  EXPECT_NEAR(qsnr_db(x.data(), xq.data(), 2), 3.0103, 1e-4);  // 10 log10(2)
  EXPECT_NEAR(qsnr_db(x.data(), xq.data(), 2), 10 * std::log10(2.0), 1e-12);
  std::vector<float> a = {2}, aq = {1};
  EXPECT_NEAR(qsnr_db(a.data(), aq.data(), 1), 20 * std::log10(2.0), 1e-12);  // 4 / 1
  std::vector<float> b = {1, 0, 0, 0}, bq = {0.5f, 0.5f, 0, 0};
  EXPECT_NEAR(qsnr_db(b.data(), bq.data(), 4), -10 * std::log10(0.5), 1e-12);
  std::vector<float> c = {3, 4}, cq = {3, 4};
  EXPECT_EQ(qsnr_db(c.data(), cq.data(), 2), INFINITY);
  std::vector<float> d = {1, 1, 1, 1}, dq = {-1, -1, -1, -1};  // error 4x the signal: -6.02 dB
  EXPECT_NEAR(qsnr_db(d.data(), dq.data(), 4), -10 * std::log10(4.0), 1e-12);
  // float64 accumulation: 1e6 values of tiny error are not lost.
  std::vector<float> e(1000000, 1.0f), eq(1000000, 1.0f);
  eq[0] = 1.0f + std::ldexp(1.0f, -20);
  EXPECT_NEAR(qsnr_db(e.data(), eq.data(), e.size()), -10 * std::log10(std::ldexp(1.0, -40) / 1e6), 1e-9);
}

TEST(Crest, HandBlocks) {
  // [1,-1,1,-1]: mean 0, std 1, max 1 -> 1.
  // [4,0,0,0]: mean 1, var (9+1+1+1)/4 = 3 -> 4/sqrt(3).
  // [2,2,2,2]: no spread, skipped. Trailing partial block ignored.
  std::vector<float> x = {1, -1, 1, -1, 4, 0, 0, 0, 2, 2, 2, 2, 100, 0};
  EXPECT_NEAR(crest_mean(x.data(), x.size(), 4), (1.0 + 4.0 / std::sqrt(3.0)) / 2, 1e-12);
  EXPECT_NEAR(crest_mean(x.data(), 4, 4), 1.0, 1e-12);
  EXPECT_EQ(crest_mean(x.data() + 8, 4, 4), 0.0);
  // A block of 32 with one spike c and 31 zeros: mean c/32, std c*sqrt(31)/32.
  std::vector<float> s(32, 0.0f);
  s[7] = -5.0f;
  EXPECT_NEAR(crest_mean(s.data(), 32, 32), 32.0 / std::sqrt(31.0), 1e-12);
}

// Sylvester Hadamard entry.
double H(size_t i, size_t j) { return (__builtin_popcountll(i & j) & 1) ? -1.0 : 1.0; }

TEST(Hadamard, IsHDOverSqrtN) {
  for (size_t B : {16u, 32u})
    for (uint64_t seed : {1u, 2u, 12345u}) {
      // Column j of the rotation: rotate the unit vector e_j.
      std::vector<std::vector<double>> R(B, std::vector<double>(B));
      for (size_t j = 0; j < B; ++j) {
        std::vector<float> e(B, 0.0f);
        e[j] = 1.0f;
        hadamard_rotate(e.data(), B, B, seed);
        for (size_t i = 0; i < B; ++i) R[i][j] = e[i];
      }
      // R = H D / sqrt(B): row 0 of H is all ones, so D's signs are R[0][j]*sqrt(B).
      const double s = 1.0 / std::sqrt(double(B));
      int flips = 0;
      for (size_t j = 0; j < B; ++j) {
        double dj = R[0][j] / s;
        ASSERT_NEAR(std::fabs(dj), 1.0, 1e-6);
        dj = dj > 0 ? 1.0 : -1.0;
        flips += dj < 0;
        for (size_t i = 0; i < B; ++i) ASSERT_NEAR(R[i][j], H(i, j) * dj * s, 1e-7) << B << " " << i << " " << j;
      }
      EXPECT_GT(flips, 0) << "D should be a random sign diagonal";
      EXPECT_LT(flips, int(B));
    }
  std::vector<float> x(64, 1.0f);
  EXPECT_THROW(hadamard_rotate(x.data(), 64, 8, 1), FormatError);
  EXPECT_THROW(hadamard_unrotate(x.data(), 64, 64, 1), FormatError);
}

TEST(Hadamard, RoundTripAndNorm) {
  Distribution d = parse_distribution("student-t:3");
  for (size_t B : {16u, 32u}) {
    const size_t n = 32 * 100 + 7;  // a trailing partial block
    std::vector<float> x = draw(d, n, 3), y = x;
    hadamard_rotate(y.data(), n, B, 77);
    double n0 = 0, n1 = 0;
    for (size_t i = 0; i < n; ++i) {
      n0 += double(x[i]) * x[i];
      n1 += double(y[i]) * y[i];
    }
    EXPECT_NEAR(n1 / n0, 1.0, 1e-6);
    // Per block too.
    for (size_t b0 = 0; b0 + B <= n; b0 += B) {
      double a = 0, c = 0;
      for (size_t i = b0; i < b0 + B; ++i) {
        a += double(x[i]) * x[i];
        c += double(y[i]) * y[i];
      }
      ASSERT_NEAR(c / a, 1.0, 1e-6);
    }
    for (size_t i = n - 7; i < n; ++i) EXPECT_EQ(y[i], x[i]);  // partial block untouched
    size_t changed = 0;
    for (size_t i = 0; i < n - 7; ++i) changed += y[i] != x[i];
    EXPECT_GT(changed, n / 2);
    std::vector<float> z = y;
    hadamard_unrotate(z.data(), n, B, 77);
    for (size_t i = 0; i < n; ++i) ASSERT_NEAR(z[i], x[i], 1e-6 * std::max(1.0f, std::fabs(x[i]))) << i;
    // A different seed is a different rotation.
    std::vector<float> w = x;
    hadamard_rotate(w.data(), n, B, 78);
    EXPECT_NE(w, y);
  }
  // A spike spreads evenly over its block: crest drops from sqrt(31)-ish to 1.
  std::vector<float> s(32, 0.0f);
  s[3] = 8.0f;
  hadamard_rotate(s.data(), 32, 32, 5);
  for (float v : s) EXPECT_NEAR(std::fabs(v), 8.0 / std::sqrt(32.0), 1e-6);
}

TEST(Draw, DeterministicPerSeed) {
  for (const char* name : {"gaussian", "laplace", "student-t:3", "student-t:2.5"}) {
    Distribution d = parse_distribution(name);
    d.outlier_p = 0.01;
    d.outlier_mag = 20;
    std::vector<float> a = draw(d, 5000, 42), b = draw(d, 5000, 42), c = draw(d, 5000, 43);
    EXPECT_EQ(a, b) << name;
    EXPECT_NE(a, c) << name;
    std::vector<float> prefix = draw(d, 100, 42);
    EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), a.begin())) << name;
  }
  EXPECT_THROW(parse_distribution("cauchy"), FormatError);
  EXPECT_THROW(parse_distribution("student-t:"), FormatError);
  EXPECT_THROW(parse_distribution("student-t:0"), FormatError);
  EXPECT_EQ(parse_distribution("student-t:4.5").nu, 4.5);
}

TEST(Draw, GaussianMoments) {
  const size_t n = 100000;
  std::vector<float> x = draw(parse_distribution("gaussian"), n, 2024);
  double m = std::accumulate(x.begin(), x.end(), 0.0) / n, v = 0;
  for (float f : x) v += (f - m) * (f - m);
  double sd = std::sqrt(v / n);
  EXPECT_NEAR(m, 0.0, 0.02);
  EXPECT_NEAR(sd, 1.0, 0.02);
  std::vector<float> l = draw(parse_distribution("laplace"), n, 2024);
  double ml = std::accumulate(l.begin(), l.end(), 0.0) / n, vl = 0;
  for (float f : l) vl += (f - ml) * (f - ml);
  EXPECT_NEAR(ml, 0.0, 0.02);
  EXPECT_NEAR(std::sqrt(vl / n), 1.0, 0.03);  // unit variance Laplace
}

// Kolmogorov-Smirnov distance between the draws and a reference CDF.
template <class Dist>
double ks(std::vector<float> x, const Dist& dist) {
  std::sort(x.begin(), x.end());
  double dmax = 0, n = double(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    double F = boost::math::cdf(dist, double(x[i]));
    dmax = std::max({dmax, std::fabs(F - double(i) / n), std::fabs(F - double(i + 1) / n)});
  }
  return dmax;
}

// The shapes, not just the moments: KS distance below 0.01 with n = 1e5 (the
// 5% critical value is 1.36/sqrt(n) = 0.0043).
TEST(Draw, MatchesReferenceDistributions) {
  const size_t n = 100000;
  EXPECT_LT(ks(draw(parse_distribution("gaussian"), n, 9), boost::math::normal_distribution<double>()), 0.01);
  EXPECT_LT(ks(draw(parse_distribution("laplace"), n, 9),
               boost::math::laplace_distribution<double>(0.0, 1.0 / std::sqrt(2.0))),
            0.01);
  for (double nu : {3.0, 1.0, 5.0, 2.5, 0.7, 1.5}) {
    Distribution d = parse_distribution("student-t:" + std::to_string(nu));
    ASSERT_DOUBLE_EQ(d.nu, nu);
    EXPECT_LT(ks(draw(d, n, 9), boost::math::students_t_distribution<double>(nu)), 0.01) << "nu=" << nu;
  }
}

TEST(Draw, OutliersAndCrest) {
  const size_t n = 100000;
  Distribution d = parse_distribution("gaussian");
  d.outlier_p = 0.01;
  d.outlier_mag = 20;
  std::vector<float> x = draw(d, n, 5);
  size_t big = 0;
  for (float v : x) big += std::fabs(v) > 6;  // a plain Gaussian has ~2e-9 of these
  EXPECT_NEAR(double(big) / n, 0.01 * 0.76, 0.002);  // P(|z| > 0.3) = 0.764
  Distribution c = parse_distribution("gaussian");
  c.crest = 5.0;
  c.crest_block = 32;
  std::vector<float> y = draw(c, 32 * 1000, 5);
  EXPECT_NEAR(crest_mean(y.data(), y.size(), 32), 5.0, 1e-3);
}

double qsnr(const char* fmt, const char* dist, bool rotate, uint64_t seed, double p = 0, double mag = 1,
            double crest = 0) {
  QsnrSetup s;
  s.dist = parse_distribution(dist);
  s.dist.outlier_p = p;
  s.dist.outlier_mag = mag;
  s.dist.crest = crest;
  s.n = 1 << 16;
  s.seed = seed;
  s.rotate = rotate;
  BlockFormat f = parse_block_format(fmt);
  return measure_qsnr(f, f.default_rule, s).qsnr_db;
}

// The INT v.s. FP paper's finding: a Hadamard rotation tames block outliers,
// and MXINT gains clearly from it.
TEST(QsnrStudy, RotationHelpsMxintOnOutlierData) {
  for (uint64_t seed : {1u, 2u, 3u})
    for (const char* fmt : {"mxint8", "mxint4"}) {
      double plain = qsnr(fmt, "student-t:3", false, seed, 0.01, 20);
      double rot = qsnr(fmt, "student-t:3", true, seed, 0.01, 20);
      EXPECT_GT(rot - plain, 1.0) << fmt << " seed " << seed << ": " << plain << " -> " << rot;
      // --crest style: every block's largest |x| at 5 standard deviations
      // (the most a block of 32 allows is sqrt(31) = 5.57).
      double cplain = qsnr(fmt, "gaussian", false, seed, 0, 1, 5.0);
      double crot = qsnr(fmt, "gaussian", true, seed, 0, 1, 5.0);
      EXPECT_GT(crot - cplain, 1.0) << fmt << " crest 5 seed " << seed << ": " << cplain << " -> " << crot;
    }
  // Rotation lowers the crest factor of what is quantized.
  QsnrSetup s;
  s.dist = parse_distribution("student-t:3");
  s.dist.outlier_p = 0.01;
  s.dist.outlier_mag = 20;
  s.rotate = true;
  QsnrResult r = measure_qsnr(parse_block_format("mxint8"), Rule::Ocp, s);
  EXPECT_LT(r.crest_mean_quantized, r.crest_mean - 0.5);
}

// MXINT8 on Gaussian data against uniform-quantization-noise theory: in a block
// with amax in [2^E, 2^(E+1)) the step is 2^(E-6), noise step^2/12 per element.
TEST(QsnrStudy, Mxint8GaussianMatchesTheory) {
  QsnrSetup s;
  s.dist = parse_distribution("gaussian");
  s.n = 1 << 16;
  s.seed = 11;
  double got = measure_qsnr(parse_block_format("mxint8"), Rule::Ocp, s).qsnr_db;
  EXPECT_GT(got, 38.0);
  EXPECT_LT(got, 45.0);
  std::vector<float> x = draw(s.dist, s.n, s.seed);
  double sig = 0, noise = 0;
  for (size_t b0 = 0; b0 < x.size(); b0 += 32) {
    double amax = 0;
    for (size_t i = b0; i < b0 + 32; ++i) {
      amax = std::max(amax, std::fabs(double(x[i])));
      sig += double(x[i]) * x[i];
    }
    int e;
    std::frexp(amax, &e);
    double step = std::ldexp(1.0, (e - 1) - 6);
    noise += 32 * step * step / 12;
  }
  double theory = 10 * std::log10(sig / noise);
  EXPECT_NEAR(got, theory, 0.5) << "theory " << theory;
  // And about 6 dB per bit: MXINT6 / MXINT4 sit ~12 / ~24 dB lower.
  double q6 = qsnr("mxint6", "gaussian", false, 11), q4 = qsnr("mxint4", "gaussian", false, 11);
  EXPECT_NEAR(got - q6, 12.0, 1.5);
  EXPECT_NEAR(got - q4, 24.0, 3.0);
}

TEST(QsnrStudy, ReportsCrestOfTheDrawnData) {
  QsnrSetup s;
  s.dist = parse_distribution("laplace");
  s.n = 4096;
  s.seed = 3;
  QsnrResult r = measure_qsnr(parse_block_format("nvfp4"), Rule::Nv, s);
  std::vector<float> x = draw(s.dist, s.n, s.seed);
  EXPECT_DOUBLE_EQ(r.crest_mean, crest_mean(x.data(), x.size(), 16));
  EXPECT_DOUBLE_EQ(r.crest_mean_quantized, r.crest_mean);
  // QSNR as reported equals qsnr_db of the quantized data.
  QMatrix q = quantize(parse_block_format("nvfp4"), Rule::Nv, x.data(), 1, x.size());
  EXPECT_DOUBLE_EQ(r.qsnr_db, qsnr_db(x.data(), q.dequant.data(), x.size()));
  s.n = 0;
  EXPECT_THROW(measure_qsnr(parse_block_format("nvfp4"), Rule::Nv, s), FormatError);
  EXPECT_THROW(measure_qsnr(parse_block_format("nvfp4"), Rule::Ocp, s), FormatError);
}

}  // namespace
