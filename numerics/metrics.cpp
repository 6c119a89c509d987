#include "numerics/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <regex>

#include "numerics/elem_format.hpp"

namespace macforge {

double qsnr_db(const float* x, const float* xq, size_t n) {
  double sig = 0.0, err = 0.0;
  for (size_t i = 0; i < n; ++i) {
    double d = double(x[i]) - double(xq[i]);
    sig += double(x[i]) * double(x[i]);
    err += d * d;
  }
  if (err == 0.0) return std::numeric_limits<double>::infinity();
  return -10.0 * std::log10(err / sig);
}

double crest_mean(const float* x, size_t n, size_t block) {
  double total = 0.0;
  size_t count = 0;
  for (size_t b0 = 0; b0 + block <= n; b0 += block) {
    double mean = 0.0, amax = 0.0;
    for (size_t i = 0; i < block; ++i) mean += x[b0 + i];
    mean /= double(block);
    double var = 0.0;
    for (size_t i = 0; i < block; ++i) {
      double d = x[b0 + i] - mean;
      var += d * d;
      amax = std::max(amax, std::fabs(double(x[b0 + i])));
    }
    double sd = std::sqrt(var / double(block));
    if (sd == 0.0) continue;
    total += amax / sd;
    ++count;
  }
  return count ? total / double(count) : 0.0;
}

Distribution parse_distribution(const std::string& s) {
  Distribution d;
  std::smatch m;
  if (s == "gaussian") return d;
  if (s == "laplace") {
    d.kind = Distribution::Laplace;
    return d;
  }
  static const std::regex t_re("student-t:([0-9]+(\\.[0-9]*)?)");
  if (std::regex_match(s, m, t_re)) {
    d.kind = Distribution::StudentT;
    d.nu = std::stod(m[1].str());
    if (d.nu <= 0.0) throw FormatError("distribution '" + s + "': NU must be positive");
    return d;
  }
  throw FormatError("unknown distribution '" + s + "' (valid: gaussian, laplace, student-t:NU)");
}

std::vector<float> draw(const Distribution& d, size_t n, uint64_t seed) {
  // mt19937_64 is specified exactly by the standard; the transforms below are
  // written out so the draws do not depend on the library's distributions.
  std::mt19937_64 gen(seed);
  auto uniform = [&]() {  // (0,1), 53 random bits
    return (double(gen() >> 11) + 0.5) * (1.0 / 9007199254740992.0);
  };
  auto normal = [&]() {  // Box-Muller
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  };
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    double v;
    switch (d.kind) {
      case Distribution::Gaussian: v = normal(); break;
      case Distribution::Laplace: {
        double u = uniform() - 0.5;
        v = (u < 0 ? 1.0 : -1.0) * std::log(1.0 - 2.0 * std::fabs(u)) / std::sqrt(2.0);
        break;
      }
      default: {
        // t = Z / sqrt(V/nu), V chi-square(nu) as a sum of squares (integer
        // part) plus a Gamma draw for a fractional part.
        double z = normal(), chi = 0.0;
        int k = int(d.nu);
        for (int j = 0; j < k; ++j) {
          double g = normal();
          chi += g * g;
        }
        double frac = d.nu - k;
        if (frac > 0.0) {
          // chi-square(frac) = 2 Gamma(frac/2): Marsaglia-Tsang for shape
          // a+1, then times U^(1/a) for shape a < 1.
          double a = frac / 2.0, dd = a + 1.0 - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * dd), g;
          for (;;) {
            double xn = normal(), v = 1.0 + c * xn;
            if (v <= 0.0) continue;
            v = v * v * v;
            if (std::log(uniform()) < 0.5 * xn * xn + dd - dd * v + dd * std::log(v)) {
              g = dd * v;
              break;
            }
          }
          chi += 2.0 * g * std::pow(uniform(), 1.0 / a);
        }
        v = z / std::sqrt(chi / d.nu);
      }
    }
    if (d.outlier_p > 0.0 && uniform() < d.outlier_p) v *= d.outlier_mag;
    x[i] = float(v);
  }
  if (d.crest > 0.0) {
    size_t B = d.crest_block;
    for (size_t b0 = 0; b0 + B <= n; b0 += B) {
      // Set the largest |x| so that max|x| / std = crest exactly (solving for
      // the new value y with the rest of the block fixed), when reachable.
      size_t imax = b0;
      for (size_t i = b0; i < b0 + B; ++i)
        if (std::fabs(x[i]) > std::fabs(x[imax])) imax = i;
      double s1 = 0.0, s2 = 0.0;
      for (size_t i = b0; i < b0 + B; ++i)
        if (i != imax) {
          s1 += x[i];
          s2 += double(x[i]) * x[i];
        }
      // crest^2 * var(y) = y^2 with var = (s2+y^2)/B - ((s1+y)/B)^2.
      double c2 = d.crest * d.crest, Bd = double(B);
      double a = c2 / Bd - c2 / (Bd * Bd) - 1.0;
      double bq = -2.0 * c2 * s1 / (Bd * Bd);
      double cq = c2 * (s2 / Bd - s1 * s1 / (Bd * Bd));
      double disc = bq * bq - 4.0 * a * cq;
      if (a >= 0.0 || disc < 0.0) continue;  // crest beyond sqrt(B-1): unreachable
      double y = (-bq - std::sqrt(disc)) / (2.0 * a);
      x[imax] = float(x[imax] < 0 ? -std::fabs(y) : std::fabs(y));
    }
  }
  return x;
}

namespace {

// Fast Walsh-Hadamard transform, normalised by 1/sqrt(n): orthonormal, so its
// own inverse.
void fwht(double* v, size_t n) {
  for (size_t h = 1; h < n; h <<= 1)
    for (size_t i = 0; i < n; i += h << 1)
      for (size_t j = i; j < i + h; ++j) {
        double a = v[j], b = v[j + h];
        v[j] = a + b;
        v[j + h] = a - b;
      }
  double s = 1.0 / std::sqrt(double(n));
  for (size_t i = 0; i < n; ++i) v[i] *= s;
}

std::vector<double> random_signs(size_t n, uint64_t seed) {
  std::mt19937_64 gen(seed ^ 0x9E3779B97F4A7C15ull);
  std::vector<double> s(n);
  for (double& x : s) x = (gen() >> 63) ? -1.0 : 1.0;
  return s;
}

void check_block(size_t block) {
  if (block != 16 && block != 32)
    throw FormatError("Hadamard rotation block must be 16 or 32, got " + std::to_string(block));
}

}  // namespace

void hadamard_rotate(float* x, size_t n, size_t block, uint64_t seed) {
  check_block(block);
  std::vector<double> sign = random_signs(block, seed), v(block);
  for (size_t b0 = 0; b0 + block <= n; b0 += block) {
    for (size_t i = 0; i < block; ++i) v[i] = sign[i] * x[b0 + i];
    fwht(v.data(), block);
    for (size_t i = 0; i < block; ++i) x[b0 + i] = float(v[i]);
  }
}

void hadamard_unrotate(float* x, size_t n, size_t block, uint64_t seed) {
  check_block(block);
  std::vector<double> sign = random_signs(block, seed), v(block);
  for (size_t b0 = 0; b0 + block <= n; b0 += block) {
    for (size_t i = 0; i < block; ++i) v[i] = x[b0 + i];
    fwht(v.data(), block);
    for (size_t i = 0; i < block; ++i) x[b0 + i] = float(sign[i] * v[i]);
  }
}

}  // namespace macforge
