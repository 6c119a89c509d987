// Drives the fused-mode PEs of cases.hpp (Verilated tb.v) with random and
// corner-case dot products, back to back, and compares every output bit for
// bit with numerics::fused_dot on the same codes (NaN: any NaN, since the
// model's NaN sign follows the host's Inf - Inf; the PE gives 0x7FC00000).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "Vtb.h"
#include "cases.hpp"
#include "numerics/dot.hpp"
#include "numerics/fused_accum.hpp"
#include "verilated.h"

using namespace macforge;

namespace {

struct Fmt {
  ElemFormat e;
  std::vector<uint32_t> finite, nonzero_sub, nan, inf;
  explicit Fmt(const std::string& name) : e(parse_block_format(name).elem) {
    for (uint32_t c = 0; c < e.num_codes(); ++c) {
      if (e.is_nan(c)) nan.push_back(c);
      else if (e.is_inf(c)) inf.push_back(c);
      else {
        finite.push_back(c);
        uint32_t field = (c >> e.mbits) & ((1u << e.ebits) - 1);
        if (field == 0 && (c & ((1u << e.mbits) - 1))) nonzero_sub.push_back(c);
      }
    }
  }
  uint32_t sign() const { return 1u << (e.bits - 1); }
};

enum Kind { Gauss, Wide, Outlier, Zeros, Cancel, StepCancel, Subnormal, Specials, SmallMix, NumKinds };

void fill(std::vector<uint32_t>& a, std::vector<uint32_t>& b, const Fmt& fa, const Fmt& fb, size_t K, size_t G,
          int kind, std::mt19937_64& rng) {
  std::normal_distribution<double> nd(0.0, 1.0);
  auto pick = [&](const std::vector<uint32_t>& v) { return v[rng() % v.size()]; };
  double sa = std::ldexp(1.0, int(rng() % 9) - 4), sb = std::ldexp(1.0, int(rng() % 9) - 4);
  for (size_t k = 0; k < K; ++k) {
    switch (kind) {
      case Wide:
        a[k] = pick(fa.finite), b[k] = pick(fb.finite);
        break;
      case Zeros:
        a[k] = (rng() & 1) ? fa.sign() : 0, b[k] = (rng() & 3) ? pick(fb.finite) : fb.sign();
        break;
      case Subnormal:
        a[k] = (rng() & 3) ? pick(fa.nonzero_sub) : pick(fa.finite);
        b[k] = (rng() & 3) ? pick(fb.nonzero_sub) : fb.e.encode(nd(rng) * sb);
        break;
      case SmallMix:  // one big product among tiny ones: truncation of the small terms
        a[k] = (rng() % 8) ? pick(fa.nonzero_sub) : pick(fa.finite);
        b[k] = pick(fb.finite);
        break;
      default:
        a[k] = fa.e.encode(nd(rng) * sa), b[k] = fb.e.encode(nd(rng) * sb);
        if (kind == Outlier && rng() % 16 == 0) a[k] = pick(fa.finite);
        break;
    }
  }
  if (kind == Cancel)  // pairs of opposite products: every step sums to exactly 0
    for (size_t k = 1; k < K; k += 2) a[k] = a[k - 1] ^ fa.sign(), b[k] = b[k - 1];
  if (kind == StepCancel && K >= 2 * G)  // the second step undoes the first
    for (size_t k = G; k < 2 * G; ++k) a[k] = a[k - G] ^ fa.sign(), b[k] = b[k - G];
  if (kind == Specials) {
    int n = 1 + int(rng() % 3);
    for (int i = 0; i < n; ++i) {
      size_t k = rng() % K;
      int what = int(rng() % 4);
      std::vector<uint32_t>& v = (rng() & 1) ? a : b;
      const Fmt& f = (&v == &a) ? fa : fb;
      if (what == 0 && !f.nan.empty()) v[k] = pick(f.nan);
      else if (!f.inf.empty()) {
        v[k] = pick(f.inf);
        if (what == 1) ((&v == &a) ? b : a)[k] = 0;  // Inf x 0
      }
    }
  }
}

struct Expect {
  uint32_t bits;
  int c;
  size_t dot;
  long due;  // the tick after which out_valid must be high
};

}  // namespace

int main(int argc, char** argv) {
  Verilated::commandArgs(argc, argv);
  unsigned long long seed = 12345;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--seed") seed = std::stoull(argv[i + 1]);
  std::mt19937_64 rng(seed);
  Vtb* t = new Vtb;
  long cycles = 0;
  std::deque<Expect> q;
  long checked = 0, bad = 0, nans = 0, infs = 0, zeros = 0, subs = 0;
  auto tick = [&]() {
    t->clk = 0;
    t->eval();
    t->clk = 1;
    t->eval();
    ++cycles;
    if (t->out_valid) {
      if (q.empty()) {
        std::printf("FAIL: out_valid with no dot product pending (cycle %ld)\n", cycles);
        std::exit(1);
      }
      Expect e = q.front();
      q.pop_front();
      uint32_t got = t->out_acc;
      if (cycles != e.due) {
        std::printf("FAIL: %s dot %zu came out after tick %ld, expected %ld (latency %d)\n",
                    fused_test::kCases[e.c].name, e.dot, cycles, e.due, 1 + fused_test::kCases[e.c].pipeline);
        std::exit(1);
      }
      bool en = ((e.bits >> 23) & 0xFF) == 0xFF && (e.bits & 0x7FFFFF);
      bool gn = ((got >> 23) & 0xFF) == 0xFF && (got & 0x7FFFFF);
      bool ok = en ? gn : got == e.bits;
      ++checked;
      nans += en;
      infs += !en && ((e.bits & 0x7FFFFFFF) == 0x7F800000u);
      zeros += e.bits == 0;
      subs += e.bits != 0 && ((e.bits >> 23) & 0xFF) == 0;
      if (!ok && ++bad <= 10)
        std::printf("MISMATCH %s dot %zu: rtl %08x model %08x\n", fused_test::kCases[e.c].name, e.dot, got, e.bits);
    }
  };
  t->rst = 1;
  t->in_valid = 0;
  tick();
  tick();
  t->rst = 0;
  for (int c = 0; c < fused_test::kNumCases; ++c) {
    const fused_test::Case& cs = fused_test::kCases[c];
    AccumSpec acc = parse_accum(cs.accum);
    const FusedSpec& fs = acc.fused;
    size_t G = size_t(fs.terms);
    Fmt fa(cs.a), fb(cs.b);
    QMatrix A, B;
    A.fmt = parse_block_format(cs.a);
    B.fmt = parse_block_format(cs.b);
    A.rows = B.rows = 1;
    t->sel = uint8_t(c);
    for (int d = 0; d < cs.dots; ++d) {
      size_t steps = 1 + rng() % size_t(cs.max_steps);
      if (G == 32 && d % 3 == 0) steps = 4;  // K = 128, the H200 promotion interval
      size_t K = steps * G;
      int kind = d < 3 * NumKinds ? d % NumKinds : int(rng() % NumKinds);
      A.cols = B.cols = K;
      A.codes.assign(K, 0);
      B.codes.assign(K, 0);
      fill(A.codes, B.codes, fa, fb, K, G, kind, rng);
      // e8m0 block scales: near 1, anywhere, large (sums around float32 overflow),
      // small (sums around the subnormal range), now and then NaN.
      int smode = int(rng() % 6);
      for (QMatrix* q : {&A, &B}) {
        q->scale_codes.clear();
        if (!q->fmt.has_block_scale()) continue;
        for (size_t blk = 0; blk < q->blocks_per_row(); ++blk) {
          uint32_t sc = smode <= 2 ? uint32_t(117 + rng() % 21)
                        : smode == 3 ? uint32_t(rng() % 255)
                        : smode == 4 ? uint32_t(180 + rng() % 50)
                                     : uint32_t(50 + rng() % 25);
          if (rng() % 64 == 0) sc = 0xFF;
          q->scale_codes.push_back(sc);
        }
      }
      float want = fused_dot(A, 0, B, 0, fs);
      uint32_t wb;
      std::memcpy(&wb, &want, 4);
      q.push_back({wb, c, size_t(d), 0});
      for (size_t s = 0; s < steps; ++s) {
        for (int w = 0; w < fused_test::kPortBits / 32; ++w) t->in_a[w] = t->in_b[w] = 0;
        for (size_t l = 0; l < G; ++l) {
          size_t bit_a = l * size_t(fa.e.bits), bit_b = l * size_t(fb.e.bits);
          t->in_a[bit_a / 32] |= A.codes[s * G + l] << (bit_a % 32);
          t->in_b[bit_b / 32] |= B.codes[s * G + l] << (bit_b % 32);
        }
        t->in_a_scale = A.scale_codes.empty() ? 0 : uint8_t(A.scale_codes[s * G / A.block_len()]);
        t->in_b_scale = B.scale_codes.empty() ? 0 : uint8_t(B.scale_codes[s * G / B.block_len()]);
        t->in_valid = 1;
        t->in_first = s == 0;
        t->in_last = s + 1 == steps;
        // Latency L (gen/pe_spec.hpp): the chunk presented before tick N
        // shows out_valid after tick N + L - 1.
        if (s + 1 == steps) q.back().due = cycles + 1 + (1 + cs.pipeline) - 1;
        tick();
      }
      if (rng() % 4 == 0) {  // sometimes a gap between dot products
        t->in_valid = 0;
        tick();
      }
    }
    t->in_valid = 0;
    for (int i = 0; i < 8; ++i) tick();
  }
  if (!q.empty()) {
    std::printf("FAIL: %zu results never came out\n", q.size());
    return 1;
  }
  std::printf("%ld dot products over %d PEs (%ld NaN, %ld Inf, %ld zero, %ld subnormal results), %ld cycles: "
              "%ld mismatches\n",
              checked, fused_test::kNumCases, nans, infs, zeros, subs, cycles, bad);
  t->final();
  delete t;
  return bad ? 1 : 0;
}
