#include "synth/stimulus.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "gen/pe_emit.hpp"
#include "numerics/dot.hpp"
#include "numerics/metrics.hpp"
#include "numerics/quantize.hpp"

namespace macforge::synth {

std::string stim_name(StimKind k) {
  switch (k) {
    case StimKind::Realistic: return "realistic";
    case StimKind::Uniform: return "uniform";
    case StimKind::Idle: return "idle";
  }
  return "?";
}

namespace {

// Writes `width` bits of value v at bit offset `off` of a word vector.
void put_bits(std::vector<uint32_t>& w, size_t word0, int off, int width, uint64_t v) {
  for (int b = 0; b < width; ++b)
    if ((v >> b) & 1) {
      int bit = off + b;
      w[word0 + size_t(bit / 32)] |= 1u << (bit % 32);
    }
}

std::vector<uint32_t> finite_codes(const ElemFormat& f) {
  std::vector<uint32_t> v;
  for (uint32_t c = 0; c < f.num_codes(); ++c)
    if (f.is_valid_code(c) && !f.is_nan(c) && !f.is_inf(c)) v.push_back(c);
  return v;
}

QMatrix uniform_matrix(const BlockFormat& fmt, size_t rows, size_t cols, std::mt19937_64& rng) {
  QMatrix q;
  q.fmt = fmt;
  q.rule = fmt.default_rule;
  q.rows = rows;
  q.cols = cols;
  std::vector<uint32_t> codes = finite_codes(fmt.elem);
  q.codes.resize(rows * cols);
  for (uint32_t& c : q.codes) c = codes[rng() % codes.size()];
  if (fmt.has_block_scale()) {
    q.scale_codes.resize(rows * q.blocks_per_row());
    for (uint32_t& c : q.scale_codes)
      c = fmt.scale == ScaleKind::E8M0 ? uint32_t(117 + rng() % 21) : uint32_t(1 + rng() % 126);
  }
  if (fmt.has_fp32_scale()) q.chan_scale.assign(fmt.gran == Granularity::Channel ? rows : 1, 1.0f);
  return q;
}

QMatrix realistic_matrix(const BlockFormat& fmt, size_t rows, size_t cols, uint64_t seed) {
  Distribution d;
  d.kind = Distribution::Gaussian;
  d.outlier_p = 0.01;
  d.outlier_mag = 10.0;
  std::vector<float> x = draw(d, rows * cols, seed);
  QMatrix q = quantize(fmt, fmt.default_rule, x.data(), rows, cols);
  // The PE's result is before the tensor / channel scales (applied in the
  // array's output stage): neutral scales make dot() give exactly that.
  q.tensor_gd = 1.0f;
  for (float& c : q.chan_scale) c = 1.0f;
  return q;
}

// The first `c` columns of a quantized matrix (c a multiple of the block).
QMatrix prefix(const QMatrix& q, size_t c) {
  QMatrix p = q;
  p.cols = c;
  p.codes.clear();
  for (size_t r = 0; r < q.rows; ++r)
    for (size_t k = 0; k < c; ++k) p.codes.push_back(q.code(r, k));
  if (q.fmt.has_block_scale()) {
    p.scale_codes.clear();
    size_t nb = p.blocks_per_row();
    for (size_t r = 0; r < q.rows; ++r)
      for (size_t b = 0; b < nb; ++b) p.scale_codes.push_back(q.scale_code(r, b));
  }
  p.dequant.clear();
  return p;
}

}  // namespace

Stimulus make_pe_stimulus(const gen::PeSpec& spec, StimKind kind, int chunks, uint64_t seed, int mode) {
  gen::PeInfo info = gen::pe_info(spec);
  const bool multi = info.mode.size() > 1;
  if (mode < 0 || mode >= int(std::max<size_t>(1, info.mode.size())))
    throw std::invalid_argument("make_pe_stimulus: mode " + std::to_string(mode) + " of a PE with " +
                                std::to_string(info.mode.size()) + " mode(s)");
  // the running mode's formats and geometry (a single-format PE: mode 0 = the PE)
  const gen::PeModeInfo M = multi ? info.mode[size_t(mode)] : gen::PeModeInfo{};
  const BlockFormat fa = multi ? M.a : spec.a, fb = multi ? M.b : spec.b;
  const int L = multi ? M.lanes : spec.lanes, G = multi ? M.group : info.group;
  const int abits = multi ? M.a_bits : info.a_bits, bbits = multi ? M.b_bits : info.b_bits;
  const bool external = spec.acc_source == gen::AccSource::External;
  Stimulus s;
  s.kind = kind;
  if (multi)
    s.ports = {{"rst", 1}, {"in_valid", 1}, {"in_mode", 1}, {"in_first", 1}, {"in_blk_last", 1}, {"in_last", 1},
               {"in_a", info.a_port_bits}, {"in_b", info.b_port_bits}};
  else
    s.ports = {{"rst", 1}, {"in_valid", 1}, {"in_first", 1}, {"in_blk_last", 1}, {"in_last", 1},
               {"in_a", L * info.a_bits}, {"in_b", L * info.b_bits}};
  if (info.a_scale) s.ports.push_back({"in_a_scale", 8});
  if (info.b_scale) s.ports.push_back({"in_b_scale", 8});
  if (external) s.ports.push_back({"in_acc", 32});
  std::vector<size_t> off;  // word offset of each port
  size_t nw = 0;
  for (const StimPort& p : s.ports) {
    off.push_back(nw);
    nw += size_t(p.words());
  }
  auto port = [&](const char* n) {
    for (size_t i = 0; i < s.ports.size(); ++i)
      if (s.ports[i].name == n) return i;
    return s.ports.size();
  };
  const size_t P_RST = port("rst"), P_VALID = port("in_valid"), P_FIRST = port("in_first"),
               P_BLK = port("in_blk_last"), P_LAST = port("in_last"), P_A = port("in_a"), P_B = port("in_b"),
               P_AS = port("in_a_scale"), P_BS = port("in_b_scale"), P_ACC = port("in_acc"),
               P_MODE = port("in_mode");

  // reset, then idle cycles so that every register has settled before the window
  s.warm = 2 + info.latency + 4;
  for (int c = 0; c < s.warm; ++c) {
    std::vector<uint32_t> w(nw, 0);
    if (c < 2) w[off[P_RST]] = 1;
    s.cycles.push_back(w);
  }
  int K = G;
  while (K < 128) K += G;
  s.k = K;
  const int cpd = K / L;  // chunks per dot product
  if (kind == StimKind::Idle) {
    for (int c = 0; c < chunks; ++c) s.cycles.push_back(std::vector<uint32_t>(nw, 0));
    s.measured_end = int(s.cycles.size());
    s.description = "idle: in_valid = 0, constant zero operands";
    for (int c = 0; c < info.latency + 3; ++c) s.cycles.push_back(std::vector<uint32_t>(nw, 0));
    if (P_MODE < s.ports.size())
      for (std::vector<uint32_t>& w : s.cycles) w[off[P_MODE]] = uint32_t(mode);
    return s;
  }
  int dots = std::max(1, (chunks + cpd - 1) / cpd);
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + 12345);
  QMatrix A, B;
  if (kind == StimKind::Realistic) {
    A = realistic_matrix(fa, size_t(dots), size_t(K), seed * 2 + 1);
    B = realistic_matrix(fb, size_t(dots), size_t(K), seed * 2 + 2);
    s.description = "realistic: Gaussian with 1% outliers x10, quantized by numerics::quantize (" +
                    rule_name(fa.default_rule) + " / " + rule_name(fb.default_rule) + " rule)";
  } else {
    A = uniform_matrix(fa, size_t(dots), size_t(K), rng);
    B = uniform_matrix(fb, size_t(dots), size_t(K), rng);
    s.description = "uniform: element codes uniform over the finite codes, scales uniform (e8m0 117..137, ue4m3 1..126)";
  }
  if (multi)
    s.description = "mode " + std::to_string(mode) + " (in_mode = " + std::to_string(mode) + ", " + fa.name + " x " +
                    fb.name + ", " + std::to_string(L) + " lanes), " + s.description;
  AccumSpec acc = spec.accum;
  acc.lanes = L;
  // expected results; external accumulator: every group adds to the previous prefix result
  std::vector<std::vector<uint32_t>> prefix_bits(static_cast<size_t>(dots));  // external: result after group g
  if (external) {
    int groups = K / G;
    for (int g = 1; g <= groups; ++g) {
      QMatrix pa = prefix(A, size_t(g * G)), pb = prefix(B, size_t(g * G));
      for (int r = 0; r < dots; ++r) prefix_bits[size_t(r)].push_back(f32_bits(dot(pa, size_t(r), pb, size_t(r), acc)));
    }
  }
  for (int r = 0; r < dots; ++r) {
    if (external) {
      for (uint32_t v : prefix_bits[size_t(r)]) s.expected.push_back(v);
    } else {
      s.expected.push_back(f32_bits(dot(A, size_t(r), B, size_t(r), acc)));
    }
    for (int c = 0; c < cpd; ++c) {
      std::vector<uint32_t> w(nw, 0);
      int k0 = c * L;
      bool blk_last = ((k0 + L) % G) == 0;
      w[off[P_VALID]] = 1;
      w[off[P_FIRST]] = c == 0;
      w[off[P_BLK]] = blk_last;
      w[off[P_LAST]] = c == cpd - 1;
      for (int l = 0; l < L; ++l) {
        put_bits(w, off[P_A], l * abits, abits, A.code(size_t(r), size_t(k0 + l)));
        put_bits(w, off[P_B], l * bbits, bbits, B.code(size_t(r), size_t(k0 + l)));
      }
      // a multi-format PE has the scale port when either mode scales that operand
      if (P_AS < s.ports.size() && (!multi || M.a_scale))
        w[off[P_AS]] = A.scale_code(size_t(r), size_t(k0) / A.block_len());
      if (P_BS < s.ports.size() && (!multi || M.b_scale))
        w[off[P_BS]] = B.scale_code(size_t(r), size_t(k0) / B.block_len());
      if (P_ACC < s.ports.size()) {
        int g = k0 / G;
        w[off[P_ACC]] = g == 0 ? 0u : prefix_bits[size_t(r)][size_t(g - 1)];
      }
      s.cycles.push_back(w);
      s.macs += L;
    }
  }
  s.dots = external ? dots * (K / G) : dots;
  s.measured_end = int(s.cycles.size());
  for (int c = 0; c < info.latency + 3; ++c) s.cycles.push_back(std::vector<uint32_t>(nw, 0));
  // in_mode held at the mode in every cycle (reset and drain too): the window
  // sees no mode switch
  if (P_MODE < s.ports.size())
    for (std::vector<uint32_t>& w : s.cycles) w[off[P_MODE]] = uint32_t(mode);
  return s;
}

std::string check_outputs(const Stimulus& s, const std::vector<uint32_t>& got) {
  auto is_nan = [](uint32_t v) { return (v & 0x7F800000u) == 0x7F800000u && (v & 0x007FFFFFu) != 0; };
  size_t n = std::min(got.size(), s.expected.size());
  for (size_t i = 0; i < n; ++i) {
    uint32_t e = s.expected[i], g = got[i];
    if (e == g || (is_nan(e) && is_nan(g))) continue;
    char buf[160];
    std::snprintf(buf, sizeof buf, "result %zu of %zu: the netlist gave 0x%08X, the reference 0x%08X", i + 1,
                  s.expected.size(), g, e);
    return buf;
  }
  if (got.size() != s.expected.size())
    return "the netlist produced " + std::to_string(got.size()) + " results, the reference " +
           std::to_string(s.expected.size());
  return "";
}

}  // namespace macforge::synth
