// Verilator testbench of one generated array (compiled once per test config,
// with MF_VTOP / MF_VTOP_HEADER naming the verilated top and MF_CONFIG its
// YAML): random GEMMs with odd sizes, driven by ArrayHost through the fixed
// schedule and checked bit for bit against numerics gemm(). A multi-format
// array (pe.modes) runs each mode alone once, then sequences of three GEMMs
// back to back whose modes alternate (0, 1, 0 or 1, 0, 1) with no drain
// between them, each checked against the single-format reference of its
// mode's formats.
//
//   tb_NAME [--cases N] [--seed S]    random GEMMs (exit 0 when all match)
//   tb_NAME --bench M N K [--reps R]  simulation speed: cycles/s and MAC/s
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>
#include <string>

#include MF_VTOP_HEADER
#include "array_host.hpp"
#include "gen/pe_emit.hpp"
#include "verilated.h"

using namespace macforge;
using namespace macforge::tb;

namespace {

// One clock: inputs settle, outputs are read, then the rising edge.
template <typename T>
void step(T& top, const Inputs& in, Outputs& out) {
  sim::drive(top, in);
  top.clk = 0;
  top.eval();
  sim::sample(top, out);
  top.clk = 1;
  top.eval();
}

template <typename T>
void reset(T& top) {
  Inputs in;
  in.rst = true;
  Outputs out;
  for (int k = 0; k < 3; ++k) step(top, in, out);
}

// ---- test data ----------------------------------------------------------------
// Magnitude styles: ordinary (a random power of two per block in 2^-24..2^24),
// huge (products near and beyond float32 overflow: Inf results), tiny
// (products in the float32 subnormal range), and special (NaN/Inf inputs,
// only where the format's rule allows them). Every style has exact zeros and
// all-zero blocks.
enum class Style { Normal, Huge, Tiny, Special };

std::vector<float> random_matrix(std::mt19937& rng, size_t rows, size_t cols, int block, Style style,
                                 bool finite_only) {
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  int lo = -24, hi = 24;
  if (style == Style::Huge) lo = 56, hi = 66;
  if (style == Style::Tiny) lo = -75, hi = -60;
  std::uniform_int_distribution<int> mag(lo, hi);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> x(rows * cols);
  for (size_t r = 0; r < rows; ++r)
    for (size_t c0 = 0; c0 < cols; c0 += size_t(block)) {
      float scale = std::ldexp(1.0f, mag(rng));
      bool zero_block = u(rng) < 0.05f;
      for (size_t c = c0; c < std::min(cols, c0 + size_t(block)); ++c) {
        float v = zero_block || u(rng) < 0.05f ? 0.0f : gauss(rng) * scale;
        if (style == Style::Special && !finite_only && u(rng) < 0.01f)
          v = u(rng) < 0.5f ? NAN : (u(rng) < 0.5f ? INFINITY : -INFINITY);
        x[r * cols + c] = v;
      }
    }
  return x;
}

const char* style_name(Style s) {
  switch (s) {
    case Style::Normal: return "";
    case Style::Huge: return " (huge)";
    case Style::Tiny: return " (tiny)";
    case Style::Special: return " (NaN/Inf)";
  }
  return "";
}

struct Case {
  size_t M, N, K;
  Style style;
};

// One GEMM; returns its cycle count and adds the seconds spent in the cycle
// loop (the model and the host, not the reference gemm()) to `seconds`.
template <typename T>
int64_t run(T& top, ArrayHost& host, const std::vector<Job>& jobs, double& seconds, unsigned bubbles = 0) {
  host.start(jobs, bubbles);
  reset(top);
  Inputs in;
  Outputs out;
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t c = 0; c < host.cycles() + 4; ++c) {
    host.inputs(c, in);
    step(top, in, out);
    host.outputs(c, out);
  }
  seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  host.finish();
  return host.cycles();
}

std::string fmt_shape(const Case& c) {
  return std::to_string(c.M) + "x" + std::to_string(c.N) + "x" + std::to_string(c.K);
}

}  // namespace

int main(int argc, char** argv) {
  Verilated::commandArgs(1, argv);
  int cases = 12;
  unsigned seed = 1;
  bool bench = false;
  size_t bM = 0, bN = 0, bK = 0;
  int reps = 1;
  for (int a = 1; a < argc; ++a) {
    std::string s = argv[a];
    if (s == "--cases" && a + 1 < argc) cases = std::atoi(argv[++a]);
    else if (s == "--seed" && a + 1 < argc) seed = unsigned(std::atoi(argv[++a]));
    else if (s == "--reps" && a + 1 < argc) reps = std::atoi(argv[++a]);
    else if (s == "--bench" && a + 3 < argc) {
      bench = true;
      bM = size_t(std::atol(argv[++a]));
      bN = size_t(std::atol(argv[++a]));
      bK = size_t(std::atol(argv[++a]));
    } else {
      std::cerr << "usage: " << argv[0] << " [--cases N] [--seed S] | --bench M N K [--reps R]\n";
      return 2;
    }
  }
  gen::ArrayConfig cfg = gen::load_config(MF_CONFIG);
  gen::PeInfo pe = gen::pe_info(gen::pe_spec(cfg));
  ArrayHost host(cfg, pe);
  MF_VTOP top;
  std::mt19937 rng(seed);
  const int modes = host.modes();
  bool finite_only = false;
  for (int m = 0; m < modes; ++m)
    finite_only = finite_only || host.a_format(m).default_rule == Rule::Nv || host.b_format(m).default_rule == Rule::Nv;
  int R = cfg.rows, C = cfg.cols, G = cfg.group;
  // Random operands of one GEMM, quantized in mode m's formats.
  auto operands = [&](size_t M, size_t N, size_t K, Style style, int m) {
    const BlockFormat &fa = host.a_format(m), &fb = host.b_format(m);
    int g = host.timing(m).group;
    auto xa = random_matrix(rng, M, K, g, style, finite_only);
    auto xb = random_matrix(rng, N, K, g, style, finite_only);
    return std::make_pair(quantize(fa, fa.default_rule, xa.data(), M, K), quantize(fb, fb.default_rule, xb.data(), N, K));
  };

  if (bench) {
    auto [A, B] = operands(bM, bN, bK, Style::Normal, 0);
    int64_t cyc = 0;
    double sec = 0;
    for (int r = 0; r < reps; ++r) cyc += run(top, host, {{&A, &B, 0}}, sec);
    double macs = double(bM) * double(bN) * double(bK) * reps;
    std::printf("{\"config\": \"%s\", \"M\": %zu, \"N\": %zu, \"K\": %zu, \"cycles\": %lld, \"seconds\": %.3f, "
                "\"cycles_per_s\": %.0f, \"mac_per_s\": %.0f, \"ok\": %s}\n",
                cfg.name.c_str(), bM, bN, bK, (long long)(cyc / reps), sec, double(cyc) / sec, macs / sec,
                host.errors().empty() ? "true" : "false");
    return host.errors().empty() ? 0 : 1;
  }

  // Odd sizes: M, N, K not multiples of R, C, G or the lanes; K beyond R blocks
  // exercises the weight-stationary partial-sum feedback.
  auto sz = [](int v) { return size_t(std::max(v, 1)); };
  std::vector<Case> plan = {
      {sz(R + 1), sz(C + 3), sz(2 * G + 5), Style::Normal},
      {1, 1, 1, Style::Normal},
      {sz(2 * R - 1), 1, sz(G - 3), Style::Normal},
      {3, sz(2 * C + 1), sz(R * G + 7), Style::Normal},
      {sz(R + 2), sz(C - 1), sz(2 * R * G + 3), Style::Normal},
      {5, 7, sz(3 * G + cfg.lanes + 1), Style::Special},
      {sz(R), sz(C), sz(G + 1), Style::Huge},
      {sz(R + 3), sz(C + 1), sz(R * G + G / 2 + 1), Style::Tiny},
  };
  std::uniform_int_distribution<int> dm(1, 2 * R + 3), dn(1, 2 * C + 3), dk(1, 3 * R * G + 5), ds(0, 7);
  while (int(plan.size()) < cases) {
    int st = ds(rng);
    Style style = st == 0 ? Style::Special : st == 1 ? Style::Huge : st == 2 ? Style::Tiny : Style::Normal;
    plan.push_back({size_t(dm(rng)), size_t(dn(rng)), size_t(dk(rng)), style});
  }
  plan.resize(size_t(std::max(cases, 1)));
  int failed = 0;
  int64_t checked = 0, cycles = 0;
  int64_t gemms = 0;
  for (size_t k = 0; k < plan.size(); ++k) {
    const Case& c = plan[k];
    // Every third OS GEMM with random idle cycles inside its tiles.
    unsigned bubbles = cfg.dataflow == gen::Dataflow::OutputStationary && k % 3 == 2 ? seed * 1000 + unsigned(k) : 0;
    // Single-format: one GEMM. Multi-format: each mode alone first (the closed
    // forms are checked on single GEMMs), then three back to back, alternating.
    std::vector<int> seq = {0};
    if (modes > 1) seq = k < 2 ? std::vector<int>{int(k)} : std::vector<int>{int(k % 2), int(1 - k % 2), int(k % 2)};
    std::vector<std::pair<QMatrix, QMatrix>> ops;
    ops.reserve(seq.size());
    std::vector<Job> jobs;
    std::string desc;
    size_t expect_checked = 0;
    for (size_t q = 0; q < seq.size(); ++q) {
      // The later GEMMs of a sequence vary the shape (so tile counts differ).
      Case cq = c;
      if (q > 0) {
        cq.M = size_t(std::max<int>(1, int(c.M) + int(q) * 2 - 3));
        cq.K = c.K + q * 5;
      }
      ops.push_back(operands(cq.M, cq.N, cq.K, cq.style, seq[q]));
      jobs.push_back({&ops.back().first, &ops.back().second, seq[q]});
      desc += (q ? ", " : "") + fmt_shape(cq) + (modes > 1 ? " mode " + std::to_string(seq[q]) : "");
      expect_checked += cq.M * cq.N;
    }
    double sec = 0;
    cycles += run(top, host, jobs, sec, bubbles);
    gemms += int64_t(jobs.size());
    checked += host.checked();
    if (!host.errors().empty()) {
      ++failed;
      std::cerr << cfg.name << " GEMM " << desc << style_name(c.style) << (bubbles ? " (bubbles)" : "") << ": "
                << host.errors().size() << " error(s)\n";
      for (const std::string& e : host.errors()) std::cerr << "  " << e << "\n";
    }
    if (host.checked() != int64_t(expect_checked) && host.errors().empty()) {
      ++failed;
      std::cerr << cfg.name << " GEMM " << desc << ": checked " << host.checked() << " of " << expect_checked
                << " outputs\n";
    }
  }
  top.final();
  std::cout << cfg.name << ": " << plan.size() - size_t(failed) << "/" << plan.size() << " runs (" << gemms
            << " GEMMs) bit-exact, " << checked << " outputs, " << cycles << " cycles ("
            << gen::dataflow_name(cfg.dataflow) << ", " << cfg.a_name << " x " << cfg.b_name;
  if (modes > 1)
    std::cout << "; mode 1 " << host.a_format(1).name << " x " << host.b_format(1).name << ", L1=" << host.timing(1).lanes;
  std::cout << ", " << R << "x" << C << ", L=" << cfg.lanes << ", LAT=" << pe.latency << ")\n";
  return failed ? 1 : 0;
}
