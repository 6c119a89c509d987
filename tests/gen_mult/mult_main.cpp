// Harness of the generated-multiplier test: compiled by Verilator's build
// with the verilated top `tb` (mult_testgen) and the case list cases.inc.
// Truth is plain integer arithmetic: the exact product of the operands'
// two's-complement or unsigned values, and for fused modules the exact sum
// of the shifted lane products, both taken modulo 2^(output width).
//   test_gen_mult [RANDOM_VECTORS]     (default 20000)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <type_traits>
#include <vector>

#include "Vtb.h"
#include "verilated.h"

namespace {

struct Mul {
  int k, na;
  bool sa;
  int nb;
  bool sb;
  std::function<uint64_t()> p;
};

struct Fused {
  int k, lanes, na;
  bool sa;
  int nb;
  bool sb;
  int w;
  std::vector<int> shifts;
  std::function<void(uint64_t, uint64_t)> set;
  std::function<uint64_t()> p;
};

int64_t value(uint64_t code, int n, bool is_signed) {
  code &= (uint64_t(1) << n) - 1;
  return is_signed && (code >> (n - 1)) ? int64_t(code) - (int64_t(1) << n) : int64_t(code);
}

uint64_t mask(int w) { return w >= 64 ? ~uint64_t(0) : (uint64_t(1) << w) - 1; }

uint64_t fused_truth(const Fused& f, uint64_t a, uint64_t b) {
  int64_t s = 0;
  for (int l = 0; l < f.lanes; ++l)
    s += value(a >> (l * f.na), f.na, f.sa) * value(b >> (l * f.nb), f.nb, f.sb) * (int64_t(1) << f.shifts[size_t(l)]);
  return uint64_t(s) & mask(f.w);
}

uint64_t lane_code(int n, bool is_signed, bool hi) {
  if (is_signed) return hi ? (uint64_t(1) << (n - 1)) - 1 : uint64_t(1) << (n - 1);
  return hi ? mask(n) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  long vectors = argc > 1 ? std::atol(argv[1]) : 20000;
  auto ctx = std::make_unique<VerilatedContext>();
  auto top = std::make_unique<Vtb>(ctx.get());
  std::vector<Mul> muls;
  std::vector<Fused> fused;
#define MUL(K, NA, SA, NB, SB) muls.push_back({K, NA, SA, NB, SB, [&] { return uint64_t(top->p_##K); }});
#define FUSED(K, L, NA, SA, NB, SB, W, ...)                                                       \
  fused.push_back({K, L, NA, SA, NB, SB, W, {__VA_ARGS__},                                      \
                   [&](uint64_t x, uint64_t y) {                                                \
                     top->fa_##K = std::remove_reference_t<decltype(top->fa_##K)>(x & mask(L * NA));                      \
                     top->fb_##K = std::remove_reference_t<decltype(top->fb_##K)>(y & mask(L * NB));                      \
                   },                                                                           \
                   [&] { return uint64_t(top->fp_##K); }});
#include "cases.inc"
  long errors = 0, checks = 0;
  auto report = [&](const char* what, int k, uint64_t a, uint64_t b, uint64_t got, uint64_t want) {
    if (++errors <= 20)
      std::printf("MISMATCH %s %d: a=0x%llx b=0x%llx got=0x%llx want=0x%llx\n", what, k, (unsigned long long)a,
                  (unsigned long long)b, (unsigned long long)got, (unsigned long long)want);
  };
  // Every single multiplier: all 2^(na+nb) operand pairs.
  for (uint32_t a = 0; a < 256; ++a)
    for (uint32_t b = 0; b < 256; ++b) {
      top->a = uint8_t(a);
      top->b = uint8_t(b);
      top->eval();
      for (const Mul& m : muls) {
        if ((a >> m.na) || (b >> m.nb)) continue;  // each pair once
        uint64_t want = uint64_t(value(a, m.na, m.sa) * value(b, m.nb, m.sb)) & mask(m.na + m.nb);
        uint64_t got = m.p();
        ++checks;
        if (got != want) report("mul", m.k, a, b, got, want);
      }
    }
  long mul_checks = checks;
  // Fused dot products: every min/max corner per lane (4^lanes, capped at
  // 2^16 combinations), then random vectors.
  auto run = [&](auto gen, long n) {
    for (long t = 0; t < n; ++t) {
      std::vector<std::pair<uint64_t, uint64_t>> in;
      for (const Fused& f : fused) {
        auto ab = gen(f, t);
        f.set(ab.first, ab.second);
        in.push_back(ab);
      }
      top->eval();
      for (size_t i = 0; i < fused.size(); ++i) {
        uint64_t want = fused_truth(fused[i], in[i].first, in[i].second), got = fused[i].p();
        ++checks;
        if (got != want) report("fused", fused[i].k, in[i].first, in[i].second, got, want);
      }
    }
  };
  run(
      [](const Fused& f, long t) {
        uint64_t a = 0, b = 0;
        for (int l = 0; l < f.lanes; ++l) {
          int bits = int((t >> ((2 * l) % 16)) & 3);
          a |= lane_code(f.na, f.sa, bits & 1) << (l * f.na);
          b |= lane_code(f.nb, f.sb, bits & 2) << (l * f.nb);
        }
        return std::make_pair(a, b);
      },
      65536);
  std::mt19937_64 rng(20260410);
  run([&](const Fused&, long) { return std::make_pair(rng(), rng()); }, vectors);
  std::printf("%zu multipliers exhaustively (%ld pairs), %zu fused dot products (%ld vectors): %ld errors\n",
              muls.size(), mul_checks, fused.size(), checks - mul_checks, errors);
  top->final();
  return errors == 0 && !muls.empty() && !fused.empty() ? 0 : 1;
}
