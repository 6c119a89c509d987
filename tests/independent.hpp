// Independent models of FORMATS.md used as test truth. Nothing here calls the
// rounding, encoding or accumulation code of numerics/: element values come
// from the FORMATS.md formulas, rounding onto a grid is a nearest-value search
// over an explicit list of representable values, and float32 rounding of exact
// values is done on boost::multiprecision rationals.
#pragma once

#include <algorithm>
// GCC 12 at -O3 reports a false -Wmaybe-uninitialized inside Boost's rational
// normalisation; the warning is Boost-internal, so silence it for these headers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/multiprecision/cpp_int.hpp>
#pragma GCC diagnostic pop
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace indep {

using BigInt = boost::multiprecision::cpp_int;
using Rat = boost::multiprecision::cpp_rational;

enum class Sp { Finite, NanOnly, Ieee };

// FORMATS.md section 1, written out: FP element with E exponent bits, M mantissa
// bits, bias 2^(E-1)-1. NaN/Inf per the special-value convention.
inline double fp_decode(int E, int M, Sp sp, uint32_t code) {
  const uint32_t s = (code >> (E + M)) & 1u;
  const uint32_t e = (code >> M) & ((1u << E) - 1u);
  const uint32_t m = code & ((1u << M) - 1u);
  const int B = (1 << (E - 1)) - 1;
  const uint32_t eall = (1u << E) - 1u, mall = (1u << M) - 1u;
  if (sp == Sp::Ieee && e == eall)
    return m == 0 ? (s ? -INFINITY : INFINITY) : std::numeric_limits<double>::quiet_NaN();
  if (sp == Sp::NanOnly && e == eall && m == mall) return std::numeric_limits<double>::quiet_NaN();
  double v;
  if (e > 0)
    v = std::pow(2.0, int(e) - B) * (1.0 + double(m) / std::pow(2.0, M));
  else
    v = std::pow(2.0, 1 - B) * (double(m) / std::pow(2.0, M));
  return s ? -v : v;
}

// Two's complement N-bit integer.
inline int64_t int_decode(int N, uint32_t code) {
  code &= (N >= 32 ? 0xFFFFFFFFu : ((1u << N) - 1u));
  return code >= (1u << (N - 1)) ? int64_t(code) - (int64_t{1} << N) : int64_t(code);
}

inline Rat pow2(int e) {
  BigInt one = 1;
  return e >= 0 ? Rat(BigInt(one << e)) : Rat(BigInt(1), BigInt(one << -e));
}

// Exact rational of a finite double.
inline Rat rat(double d) {
  if (d == 0.0) return Rat(0);
  int e;
  double f = std::frexp(std::fabs(d), &e);  // d = f * 2^e, f in [0.5,1)
  int64_t mant = int64_t(std::ldexp(f, 53));
  Rat r = Rat(BigInt(mant)) * pow2(e - 53);
  return d < 0 ? Rat(-r) : r;
}

// floor(log2(r)) for r > 0.
inline int floor_log2(const Rat& r) {
  BigInt n = boost::multiprecision::numerator(r), d = boost::multiprecision::denominator(r);
  int k = int(boost::multiprecision::msb(n)) - int(boost::multiprecision::msb(d));
  // 2^k <= r < 2^(k+1) after at most one adjustment.
  if (r < pow2(k)) --k;
  if (r >= pow2(k + 1)) ++k;
  return k;
}

// float32 round-to-nearest-even of an exact rational: subnormals kept, overflow
// to +-Inf. Exact zero gives +0; a nonzero value that rounds to zero keeps its
// sign.
inline float rne32(const Rat& r) {
  if (r == 0) return 0.0f;
  bool neg = r < 0;
  Rat a = neg ? Rat(-r) : r;
  int k = floor_log2(a);
  if (k > 127) return neg ? -INFINITY : INFINITY;
  int lsb = std::max(k - 23, -149);
  Rat scaled = a / pow2(lsb);  // < 2^24
  BigInt n = boost::multiprecision::numerator(scaled), d = boost::multiprecision::denominator(scaled);
  BigInt q = n / d, rem = n - q * d;
  BigInt twice = rem * 2;
  if (twice > d || (twice == d && (q & 1) != 0)) q += 1;
  float v = std::ldexp(float(q.convert_to<int64_t>()), lsb);  // q <= 2^24: exact or Inf
  return neg ? -v : v;
}

inline uint32_t bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
inline float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
// Same float32, NaN by class.
inline bool same(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return bits(a) == bits(b);
}

// A sorted list of the non-negative finite grid values of a format, index i
// holding the value of (positive) code i for FP and q = i for integers. Rounding
// is a search for the nearest value; a tie goes to the even index (even
// mantissa / even integer); beyond the last value saturates.
struct Grid {
  std::vector<double> v;  // v[0] = 0, ascending

  static Grid fp(int E, int M, Sp sp, int scale_exp = 0) {
    Grid g;
    for (uint32_t c = 0; c < (1u << (E + M)); ++c) {
      double x = fp_decode(E, M, sp, c);
      if (!std::isfinite(x)) break;  // NaN/Inf codes are the top of the positive range
      g.v.push_back(std::ldexp(x, scale_exp));
    }
    return g;
  }
  static Grid integers(int64_t qmax, int scale_exp = 0) {
    Grid g;
    for (int64_t q = 0; q <= qmax; ++q) g.v.push_back(std::ldexp(double(q), scale_exp));
    return g;
  }
  // Nearest index for y >= 0 (y exact double).
  size_t round(double y) const {
    if (y >= v.back()) return v.size() - 1;
    size_t hi = size_t(std::upper_bound(v.begin(), v.end(), y) - v.begin());  // v[hi] > y
    size_t lo = hi - 1;
    double twice = 2.0 * y, sum = v[lo] + v[hi];  // both exact for these small grids
    if (twice < sum) return lo;
    if (twice > sum) return hi;
    return (lo % 2 == 0) ? lo : hi;
  }
};

}  // namespace indep
