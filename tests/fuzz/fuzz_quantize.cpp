// libFuzzer harness: the quantizer (numerics/quantize.cpp) on arbitrary float32
// bit patterns, checked against two computations written here, independent of
// the project's rounders:
//   A. brute force: every code of the element format decoded (by the bit
//      layout of FORMATS.md section 1, not ElemFormat::decode), sorted, and the
//      nearest one searched (ties: the even code), for formats of <= 16 bits;
//   B. exact integer arithmetic: x = M * 2^E split off the float's bits and
//      rounded to the format's grid with a shift and round-half-even on the
//      remainder, for every format.
// Input: byte 0 kind / NaN convention, byte 1 exponent bits or int width,
// byte 2 mantissa bits, byte 3 rule (even: cast; odd: OCP e8m0 block of
// 1 + (b3 >> 1) % 32 elements), then float32 bit patterns (little endian).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "numerics/block_format.hpp"
#include "numerics/quantize.hpp"

using namespace macforge;

namespace {

// The format as the harness understands it (its own description, not ElemFormat).
struct Fmt {
  bool is_int = false;
  int bits = 0, e = 0, m = 0, bias = 0;
  int special = 0;  // 0 finite, 1 OCP FN (only all-ones is NaN), 2 IEEE
  bool full = false;
  std::string name;
};

[[noreturn]] void fail(const Fmt& f, float x, const char* what, uint32_t got, uint32_t want) {
  uint32_t xb;
  std::memcpy(&xb, &x, 4);
  std::fprintf(stderr, "quantizer mismatch: %s, format %s, x = %a (0x%08x): got 0x%x, want 0x%x\n", what,
               f.name.c_str(), double(x), xb, got, want);
  std::abort();
}

// Value of a code by its bit fields; *finite false for Inf/NaN codes.
long double code_value(const Fmt& f, uint32_t c, bool* finite) {
  *finite = true;
  if (f.is_int) {
    int64_t q = int64_t(c);
    if (c >> (f.bits - 1)) q -= int64_t{1} << f.bits;
    return (long double)q;
  }
  bool neg = (c >> (f.bits - 1)) & 1u;
  uint32_t ef = (c >> f.m) & ((1u << f.e) - 1u), mf = c & ((1u << f.m) - 1u);
  uint32_t eall = (1u << f.e) - 1u, mall = (1u << f.m) - 1u;
  if (f.special == 2 && ef == eall) *finite = false;
  if (f.special == 1 && ef == eall && mf == mall) *finite = false;
  if (!*finite) return 0;
  long double v = ef ? std::ldexp((long double)((1u << f.m) | mf), int(ef) - f.bias - f.m)
                     : std::ldexp((long double)mf, 1 - f.bias - f.m);
  return neg ? -v : v;
}

bool valid_code(const Fmt& f, uint32_t c) {
  return !(f.is_int && !f.full && c == (1u << (f.bits - 1)));
}

struct Table {
  std::vector<std::pair<long double, uint32_t>> v;  // sorted by value; FP: non-negative codes only
  long double maxv = 0;                             // largest finite magnitude
};

const Table& table(const Fmt& f) {
  static std::map<std::string, Table> cache;
  auto it = cache.find(f.name);
  if (it != cache.end()) return it->second;
  Table t;
  uint32_t n = 1u << f.bits;
  for (uint32_t c = 0; c < n; ++c) {
    if (!valid_code(f, c)) continue;
    if (!f.is_int && (c >> (f.bits - 1))) continue;  // FP: magnitudes; the sign is set apart
    bool fin;
    long double v = code_value(f, c, &fin);
    if (!fin) continue;
    t.v.push_back({v, c});
    t.maxv = std::max(t.maxv, std::fabs(v));
  }
  std::sort(t.v.begin(), t.v.end());
  return cache.emplace(f.name, std::move(t)).first->second;
}

// A: nearest code of the value x * 2^-k (k: the grid's power of two).
uint32_t nearest_bruteforce(const Fmt& f, bool neg, long double mag) {
  const Table& t = table(f);
  long double target = (f.is_int && neg) ? -mag : mag;
  auto it = std::lower_bound(t.v.begin(), t.v.end(), std::make_pair(target, uint32_t(0)),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
  uint32_t code;
  if (it == t.v.begin()) code = it->second;
  else if (it == t.v.end()) code = t.v.back().second;
  else {
    auto lo = it - 1;
    long double dl = target - lo->first, dh = it->first - target;
    if (dl < dh) code = lo->second;
    else if (dh < dl) code = it->second;
    // Tie: the even code. Without mantissa bits (eXm0) every nonzero value has
    // the significand 1, and the project rounds to the even multiple of the
    // quantum, i.e. up to the next power of two (ml_dtypes' float8_e8m0fnu
    // would take the even code instead); 0 stays the even choice next to it.
    else if (!f.is_int && f.m == 0) code = lo->first == 0 ? lo->second : it->second;
    else code = (lo->second & 1u) ? it->second : lo->second;
  }
  if (!f.is_int && neg) code |= 1u << (f.bits - 1);
  return code;
}

int bit_width(uint64_t v) { return v ? 64 - __builtin_clzll(v) : 0; }

// Round M * 2^E half to even onto a multiple of 2^qe; returns the multiple.
uint64_t rne_units(uint64_t M, int E, int qe) {
  if (E >= qe) return M << (E - qe);  // callers keep this below 2^63
  int s = qe - E;
  if (s > 62) return 0;
  uint64_t q = M >> s, rem = M & ((uint64_t{1} << s) - 1), half = uint64_t{1} << (s - 1);
  if (rem > half || (rem == half && (q & 1))) ++q;
  return q;
}

// B: exact integer rounding of (neg, M * 2^E) onto the format's grid.
uint32_t nearest_exact(const Fmt& f, bool neg, uint64_t M, int E) {
  if (f.is_int) {
    uint64_t lim = neg && f.full ? (uint64_t{1} << (f.bits - 1)) : (uint64_t{1} << (f.bits - 1)) - 1;
    uint64_t q;
    if (M == 0) q = 0;
    else if (E + bit_width(M) - 1 > f.bits) q = lim;  // far beyond the range
    else q = std::min(rne_units(M, E, 0), lim);
    int64_t s = neg ? -int64_t(q) : int64_t(q);
    return uint32_t(s) & ((f.bits >= 32) ? 0xFFFFFFFFu : ((1u << f.bits) - 1u));
  }
  uint32_t sign = neg ? 1u << (f.bits - 1) : 0u;
  // Largest finite: exponent field all ones unless IEEE; mantissa all ones
  // unless FN (then one less, or the exponent below when there are no
  // mantissa bits: S.1..1 alone is NaN).
  int emaxf = (1 << f.e) - 1 - (f.special == 2 ? 1 : 0);
  int64_t mmax = (int64_t{1} << f.m) - 1;
  if (f.special == 1) {
    if (f.m == 0) --emaxf;
    else --mmax;
  }
  // max = maxsig * 2^maxexp
  uint64_t maxsig = emaxf ? (uint64_t{1} << f.m) + uint64_t(mmax) : uint64_t(mmax);
  int maxexp = std::max(emaxf, 1) - f.bias - f.m;
  uint32_t maxcode = (uint32_t(emaxf) << f.m) | uint32_t(mmax);
  if (M == 0) return sign;
  int emin = 1 - f.bias;
  int flog = E + bit_width(M) - 1;
  int maxlog = maxexp + bit_width(maxsig) - 1;
  if (flog > maxlog + 1) return sign | maxcode;
  int u = std::max(flog, emin);
  int qe = u - f.m;
  uint64_t units = rne_units(M, E, qe);
  // compare units * 2^qe with maxsig * 2^maxexp
  if (units) {
    int lhs = qe + bit_width(units), rhs = maxexp + bit_width(maxsig);
    bool over = lhs > rhs;
    if (lhs == rhs) {
      // same leading position: compare aligned significands
      int d = qe - maxexp;
      over = d >= 0 ? (units << d) > maxsig : units > (maxsig << -d);
    }
    if (over) return sign | maxcode;
  }
  if (units == 0) return sign;
  int rlog = qe + bit_width(units) - 1;
  uint32_t ef, mf;
  if (rlog < emin) {
    ef = 0;
    mf = uint32_t(units << (qe - (emin - f.m)));  // qe == emin - m here
  } else {
    ef = uint32_t(rlog + f.bias);
    mf = uint32_t((rlog - f.m >= qe ? units >> (rlog - f.m - qe) : units << (qe - rlog + f.m)) - (uint64_t{1} << f.m));
  }
  return sign | (ef << f.m) | mf;
}

bool read_fmt(const uint8_t* d, Fmt& f) {
  if (d[0] % 4 == 0) {
    f.is_int = true;
    f.bits = 2 + d[1] % 15;
    f.full = (d[0] & 4) != 0;
    f.name = "int" + std::to_string(f.bits) + (f.full ? "_full" : "");
    return true;
  }
  f.e = 1 + d[1] % 8;
  f.m = std::min(d[2] % 24, 31 - f.e);
  f.bits = 1 + f.e + f.m;
  f.bias = (1 << (f.e - 1)) - 1;
  f.special = (d[0] >> 2) % 3;
  if (f.special == 2 && f.e < 2) f.special = 0;
  if (f.special == 1 && f.e + f.m < 2) f.special = 0;
  f.name = "e" + std::to_string(f.e) + "m" + std::to_string(f.m) +
           (f.special == 1 ? "_fn" : f.special == 2 ? "_ieee" : "");
  return true;
}

// M, E, sign of a finite float32.
void split(float x, bool& neg, uint64_t& M, int& E) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  neg = b >> 31;
  uint32_t ef = (b >> 23) & 0xFF, mf = b & 0x7FFFFF;
  M = ef ? (mf | 0x800000u) : mf;
  E = (ef ? int(ef) : 1) - 127 - 23;
}

// The reference code of value x * 2^-k (both computations; they must agree).
uint32_t reference(const Fmt& f, float x, int k) {
  bool neg;
  uint64_t M;
  int E;
  split(x, neg, M, E);
  uint32_t b = nearest_exact(f, neg, M, E - k);
  if (f.bits <= 16) {
    uint32_t a = nearest_bruteforce(f, neg, std::ldexp((long double)M, E - k));
    if (a != b) fail(f, x, "the two reference computations disagree", b, a);
  }
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  Fmt f;
  read_fmt(data, f);
  const bool ocp = data[3] & 1;
  const int block = 1 + (data[3] >> 1) % 32;
  size_t n = std::min<size_t>((size - 4) / 4, 64);
  if (n == 0) return 0;
  std::vector<float> x(n);
  std::memcpy(x.data(), data + 4, n * 4);

  BlockFormat bf;
  try {
    bf = parse_block_format(ocp ? f.name + "/" + std::to_string(block) + "/e8m0" : f.name);
  } catch (const FormatError&) {
    if (ocp) return 0;  // a combination the block parser rejects (documented error)
    std::fprintf(stderr, "element format %s rejected\n", f.name.c_str());
    std::abort();
  }
  const ElemFormat& ef = bf.elem;
  if (ef.bits != f.bits || ef.is_int() != f.is_int)
    fail(f, 0.0f, "parsed format differs from the name", uint32_t(ef.bits), uint32_t(f.bits));
  QMatrix q = quantize(bf, ocp ? Rule::Ocp : Rule::Cast, x.data(), 1, n);
  const uint32_t nanflag = 0xFFFFFFFFu;

  if (!ocp) {
    for (size_t i = 0; i < n; ++i) {
      float v = x[i];
      uint32_t got = q.codes[i];
      if (std::isnan(v)) {
        if (!std::isnan(q.dequant[i])) fail(f, v, "NaN input, dequant not NaN", got, nanflag);
        bool fin;
        code_value(f, got, &fin);
        if ((f.special != 0 && !f.is_int) && fin) fail(f, v, "NaN input, code not NaN", got, nanflag);
        continue;
      }
      if (std::isinf(v) && !f.is_int && f.special == 2) {
        uint32_t want = (((1u << f.e) - 1u) << f.m) | (v < 0 ? 1u << (f.bits - 1) : 0u);
        if (got != want) fail(f, v, "Inf input", got, want);
        if (q.dequant[i] != v) fail(f, v, "Inf input, dequant", got, want);
        continue;
      }
      // Inf in a format without Inf saturates like any value beyond the range.
      uint32_t want = std::isinf(v) ? nearest_exact(f, v < 0, 1, 400) : reference(f, v, 0);
      if (got != want) fail(f, v, "cast code", got, want);
      // The scalar encoder (ElemFormat::encode) promises the same rounding.
      uint32_t enc = ef.encode(double(v));
      if (enc != want) fail(f, v, "ElemFormat::encode", enc, want);
      bool fin;
      float dq = float(code_value(f, want, &fin));
      if (std::memcmp(&dq, &q.dequant[i], 4) != 0 && !(dq == 0 && q.dequant[i] == 0 && f.is_int))
        fail(f, v, "cast dequant", 0, 0);
    }
    return 0;
  }

  // OCP MX (FORMATS.md section 4): per block, shared = floor(log2(amax)) -
  // emax_elem, clamped to the e8m0 range; a NaN or Inf in the block makes the
  // scale NaN (0xFF) and every output NaN. Integers sit on a grid of
  // 2^-(N-2) (emax_elem 0).
  const int k = f.is_int ? -(f.bits - 2) : 0;
  int emax_elem;
  if (f.is_int) {
    emax_elem = 0;
  } else {
    // floor(log2(max finite)), from the harness' own table / formula.
    uint32_t mc = nearest_exact(f, false, 1, 400);  // saturates: the max code
    bool fin;
    long double mv = code_value(f, mc, &fin);
    int e2;
    std::frexp(mv, &e2);
    emax_elem = e2 - 1;
  }
  for (size_t c0 = 0; c0 < n; c0 += size_t(block)) {
    size_t len = std::min(size_t(block), n - c0);
    uint32_t scode = q.scale_codes[c0 / size_t(block)];
    bool nonfinite = false;
    float amax = 0;
    for (size_t i = c0; i < c0 + len; ++i) {
      if (!std::isfinite(x[i])) nonfinite = true;
      else amax = std::max(amax, std::fabs(x[i]));
    }
    if (nonfinite) {
      if (scode != 0xFF) fail(f, x[c0], "non-finite block, scale", scode, 0xFF);
      for (size_t i = c0; i < c0 + len; ++i)
        if (!std::isnan(q.dequant[i])) fail(f, x[i], "non-finite block, dequant not NaN", q.codes[i], nanflag);
      continue;
    }
    int shared = 0;
    if (amax != 0) {
      int e2;
      std::frexp(double(amax), &e2);
      shared = std::min(std::max(e2 - 1 - emax_elem, -127), 127);
    }
    uint32_t want_scale = amax == 0 ? 0u : uint32_t(shared + 127);
    if (scode != want_scale) fail(f, amax, "OCP scale code", scode, want_scale);
    for (size_t i = c0; i < c0 + len; ++i) {
      uint32_t want = reference(f, x[i], k + shared);
      if (q.codes[i] != want) fail(f, x[i], "OCP element code", q.codes[i], want);
      bool fin;
      float dq = float(std::ldexp(code_value(f, want, &fin), k + shared));
      if (std::memcmp(&dq, &q.dequant[i], 4) != 0 && !(dq == 0 && q.dequant[i] == 0 && f.is_int))
        fail(f, x[i], "OCP dequant", 0, 0);
    }
  }
  return 0;
}
