#include "array_host.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include "numerics/dot.hpp"

namespace macforge::tb {

void set_bits(BitVec& v, int lo, int width, uint64_t value) {
  size_t need = size_t((lo + width + 31) / 32);
  if (v.size() < need) v.resize(need, 0);
  for (int b = 0; b < width;) {  // at most three words
    int bit = lo + b, off = bit % 32, n = std::min(32 - off, width - b);
    uint32_t mask = (n == 32 ? 0xFFFFFFFFu : ((1u << n) - 1u)) << off;
    uint32_t& w = v[size_t(bit / 32)];
    w = (w & ~mask) | ((uint32_t(value >> b) << off) & mask);
    b += n;
  }
}

uint64_t get_bits(const BitVec& v, int lo, int width) {
  uint64_t r = 0;
  for (int b = 0; b < width;) {
    int bit = lo + b, off = bit % 32, n = std::min(32 - off, width - b);
    size_t w = size_t(bit / 32);
    uint64_t part = w < v.size() ? (v[w] >> off) & (n == 32 ? 0xFFFFFFFFu : ((1u << n) - 1u)) : 0;
    r |= part << b;
    b += n;
  }
  return r;
}

namespace {

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

bool is_nan_bits(uint32_t b) { return (b & 0x7F800000u) == 0x7F800000u && (b & 0x7FFFFFu); }

// A block scale code for padding (rows, columns or blocks beyond the matrix):
// 1.0, never NaN, so padded groups add an exact zero.
uint32_t pad_scale(const BlockFormat& f) { return f.scale == ScaleKind::UE4M3 ? 0x38u : 127u; }

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

ArrayHost::ArrayHost(const gen::ArrayConfig& cfg, const gen::PeInfo& pe) : cfg_(cfg), df_(cfg.dataflow) {
  int n = pe.mode.size() >= 2 ? 2 : 1;
  for (int m = 0; m < n; ++m) {
    Mode md;
    md.a = m ? pe.mode[1].a : cfg.a;
    md.b = m ? pe.mode[1].b : cfg.b;
    md.t = gen::array_timing(cfg, pe, 0, m);
    md.accum = cfg.accum;
    md.accum.lanes = md.t.lanes;
    mode_.push_back(md);
  }
  AW_ = n > 1 ? pe.a_port_bits : cfg.lanes * cfg.a.elem.bits;
  BW_ = n > 1 ? pe.b_port_bits : cfg.lanes * cfg.b.elem.bits;
}

void ArrayHost::error(const std::string& msg) {
  if (errors_.size() < 20) errors_.push_back(msg);
  else if (errors_.size() == 20) errors_.push_back("... (more errors)");
}

uint32_t ArrayHost::a_code(const JobState& j, int64_t m, int64_t k) const {
  return (m < j.M && k < j.K) ? j.A->code(size_t(m), size_t(k)) : 0u;
}
uint32_t ArrayHost::b_code(const JobState& j, int64_t n, int64_t k) const {
  return (n < j.N && k < j.K) ? j.B->code(size_t(n), size_t(k)) : 0u;
}
uint32_t ArrayHost::a_scale(const JobState& j, int64_t m, int64_t k) const {
  if (m >= j.M || k >= j.K) return pad_scale(j.A->fmt);
  return j.A->scale_code(size_t(m), size_t(k) / j.A->block_len());
}
uint32_t ArrayHost::b_scale(const JobState& j, int64_t n, int64_t k) const {
  if (n >= j.N || k >= j.K) return pad_scale(j.B->fmt);
  return j.B->scale_code(size_t(n), size_t(k) / j.B->block_len());
}
float ArrayHost::ga(const JobState& j, int64_t m) const {
  if (j.A->fmt.has_tensor_scale()) return j.A->tensor_gd;
  return m < j.M ? j.A->channel_scale(size_t(m)) : 1.0f;
}
float ArrayHost::gb(const JobState& j, int64_t n) const {
  if (j.B->fmt.has_tensor_scale()) return j.B->tensor_gd;
  return n < j.N ? j.B->channel_scale(size_t(n)) : 1.0f;
}

void ArrayHost::start(const QMatrix& A, const QMatrix& B, unsigned bubble_seed, int mode) {
  start(std::vector<Job>{{&A, &B, mode}}, bubble_seed);
}

void ArrayHost::start(const std::vector<Job>& jobs, unsigned bubble_seed) {
  expect_.clear();
  errors_.clear();
  checked_ = 0;
  jobs_.clear();
  for (const Job& jb : jobs) {
    if (jb.mode < 0 || jb.mode >= modes()) throw std::invalid_argument("ArrayHost: no mode " + std::to_string(jb.mode));
    const Mode& md = mode_[size_t(jb.mode)];
    if (jb.A->fmt.name != md.a.name || jb.B->fmt.name != md.b.name)
      throw std::invalid_argument("ArrayHost: mode " + std::to_string(jb.mode) + " runs " + md.a.name + " x " +
                                  md.b.name + ", not " + jb.A->fmt.name + " x " + jb.B->fmt.name);
    JobState j;
    j.A = jb.A;
    j.B = jb.B;
    j.mode = jb.mode;
    j.M = int64_t(jb.A->rows);
    j.N = int64_t(jb.B->rows);
    j.K = int64_t(jb.A->cols);
    j.gsa = gen::gscale_of(md.a);
    j.gsb = gen::gscale_of(md.b);
    // The mode's own single-format reference: its formats, its lanes.
    j.ref = gemm(*jb.A, *jb.B, md.accum);
    jobs_.push_back(std::move(j));
  }
  if (df_ == gen::Dataflow::OutputStationary) os_plan(bubble_seed);
  else ws_plan_jobs();
}

void ArrayHost::os_plan(unsigned bubble_seed) {
  // Tiles every max(nk, R, C) cycles, or with bubbles: chunks 0..2 idle
  // cycles apart, in_last cycles still max(R, C) apart. Across GEMMs the same
  // rule: a tile's first chunk follows the previous tile's last one, and its
  // in_last is at least max(R, C) after the previous in_last.
  const gen::ArrayTiming& t0 = timing(0);
  int64_t issue = t0.os_issue_interval(), at = -1, prev_last = -1;
  std::mt19937 rng(bubble_seed);
  std::uniform_int_distribution<int> gap(0, 2);
  os_chunk_.clear();
  for (size_t jn = 0; jn < jobs_.size(); ++jn) {
    JobState& j = jobs_[jn];
    const gen::ArrayTiming& t = timing(j.mode);
    j.nk = t.chunks(j.K);
    j.tiles_n = ceil_div(j.N, t.cols);
    j.tiles = ceil_div(j.M, t.rows) * j.tiles_n;
    for (int64_t tile = 0; tile < j.tiles; ++tile)
      for (int64_t c = 0; c < j.nk; ++c) {
        if (c == 0) {
          at = prev_last < 0 ? 0 : std::max(at + 1, prev_last + issue - (j.nk - 1));
          if (bubble_seed && prev_last >= 0) at = std::max(at, prev_last + 1 + gap(rng));
        } else {
          at += 1 + (bubble_seed ? gap(rng) : 0);
        }
        if (c == j.nk - 1 && prev_last >= 0) at = std::max(at, prev_last + issue);
        os_chunk_[at] = {jn, tile, c};
        if (c < j.nk - 1) continue;
        prev_last = at;
        for (int i = 0; i < t.rows; ++i) expect_[at + t.os_row_delay(i)] = {jn, tile, i};
      }
  }
  cycles_ = expect_.rbegin()->first + 1;
  if (!bubble_seed && jobs_.size() == 1 && timing(jobs_[0].mode).os_gemm_cycles(jobs_[0].tiles, jobs_[0].K) != cycles_)
    error("schedule: last expected output at cycle " + std::to_string(cycles_ - 1) + " but the closed form gives " +
          std::to_string(timing(jobs_[0].mode).os_gemm_cycles(jobs_[0].tiles, jobs_[0].K)) + " cycles");
}

void ArrayHost::ws_plan_jobs() {
  passes_.clear();
  for (size_t jn = 0; jn < jobs_.size(); ++jn) {
    JobState& j = jobs_[jn];
    const gen::ArrayTiming& t = timing(j.mode);
    j.plan = gen::ws_plan(t, j.M, j.N, j.K);
    // Shift the job's plan (its own rules are shift-invariant) past the
    // previous passes: one write port, one stream port, and a bank is
    // rewritten only after the last read of the pass two before.
    int64_t shift = 0;
    if (!passes_.empty()) {
      const Pass& p = passes_.back();
      const JobState& pj = jobs_[p.job];
      const gen::ArrayTiming& pt = timing(pj.mode);
      int64_t pq = pt.chunks_per_group();
      shift = std::max(shift, p.write + int64_t(pt.rows) * pq - j.plan.write[0]);
      shift = std::max(shift, p.stream + pj.M * pq - j.plan.stream[0]);
      for (size_t s = 0; s < 2 && s < j.plan.write.size(); ++s) {
        size_t g = passes_.size() + s;
        if (g < 2 || g - 2 >= passes_.size()) continue;
        const Pass& o = passes_[g - 2];
        const JobState& oj = jobs_[o.job];
        int64_t oq = timing(oj.mode).chunks_per_group();
        shift = std::max(shift, t.ws_last_read(o.stream + oj.M * oq - 1) - j.plan.write[s]);
      }
    }
    j.shift = shift;
    for (size_t s = 0; s < j.plan.write.size(); ++s) {
      passes_.push_back({jn, int64_t(s), j.plan.write[s] + shift, j.plan.stream[s] + shift, passes_.size() % 2 == 1});
      for (int64_t m = 0; m < j.M; ++m)
        expect_[passes_.back().stream + m * t.chunks_per_group() + t.chunks_per_group() - 1 + t.ws_out_delay()] = {
            jn, int64_t(s), int(m)};
    }
    j.psum.assign(size_t(j.M), std::vector<uint32_t>(size_t(t.cols), 0u));
  }
  cycles_ = expect_.rbegin()->first + 1;
  if (jobs_.size() == 1 && jobs_[0].plan.cycles() != cycles_)
    error("schedule: last expected output at cycle " + std::to_string(cycles_ - 1) + " but the closed form gives " +
          std::to_string(jobs_[0].plan.cycles()) + " cycles");
}

void ArrayHost::inputs(int64_t cycle, Inputs& in) {
  // Everything idle and zero (the vectors keep their storage).
  for (BitVec* v : {&in.in_a, &in.in_a_scale, &in.in_b, &in.in_b_scale, &in.in_ga, &in.in_gb, &in.in_psum, &in.w_b,
                    &in.w_b_scale, &in.w_gb})
    std::fill(v->begin(), v->end(), 0u);
  in.rst = in.in_valid = in.in_first = in.in_blk_last = in.in_last = in.in_bank = in.in_mode = false;
  in.w_valid = in.w_bank = false;
  in.w_row = in.w_chunk = 0;
  if (df_ == gen::Dataflow::OutputStationary) os_inputs(cycle, in);
  else ws_inputs(cycle, in);
}

void ArrayHost::os_inputs(int64_t cycle, Inputs& in) {
  auto it = os_chunk_.find(cycle);
  if (it == os_chunk_.end()) return;
  const JobState& j = jobs_[it->second.job];
  const Mode& md = mode_[size_t(j.mode)];
  const gen::ArrayTiming& t = md.t;
  int64_t tile = it->second.tile, c = it->second.c;
  int R = t.rows, C = t.cols, L = t.lanes;
  int ab = md.a.elem.bits, bb = md.b.elem.bits;
  int64_t m0 = (tile / j.tiles_n) * R, n0 = (tile % j.tiles_n) * C, k0 = c * L;
  in.in_valid = true;
  in.in_mode = j.mode != 0;
  in.in_first = c == 0;
  in.in_blk_last = t.blk_last(c, j.K);
  in.in_last = c == j.nk - 1;
  for (int i = 0; i < R; ++i) {
    for (int l = 0; l < L; ++l) set_bits(in.in_a, i * AW_ + l * ab, ab, a_code(j, m0 + i, k0 + l));
    if (j.A->fmt.has_block_scale()) set_bits(in.in_a_scale, i * 8, 8, a_scale(j, m0 + i, k0));
    if (j.gsa == gen::GScale::Channel) set_bits(in.in_ga, i * 32, 32, f32_bits(ga(j, m0 + i)));
  }
  if (j.gsa == gen::GScale::Tensor) set_bits(in.in_ga, 0, 32, f32_bits(ga(j, 0)));
  for (int jj = 0; jj < C; ++jj) {
    for (int l = 0; l < L; ++l) set_bits(in.in_b, jj * BW_ + l * bb, bb, b_code(j, n0 + jj, k0 + l));
    if (j.B->fmt.has_block_scale()) set_bits(in.in_b_scale, jj * 8, 8, b_scale(j, n0 + jj, k0));
    if (j.gsb == gen::GScale::Channel) set_bits(in.in_gb, jj * 32, 32, f32_bits(gb(j, n0 + jj)));
  }
  if (j.gsb == gen::GScale::Tensor) set_bits(in.in_gb, 0, 32, f32_bits(gb(j, 0)));
}

void ArrayHost::ws_inputs(int64_t cycle, Inputs& in) {
  for (const Pass& p : passes_) {
    if (cycle < p.write && cycle < p.stream) break;  // passes are in time order
    const JobState& j = jobs_[p.job];
    const Mode& md = mode_[size_t(j.mode)];
    const gen::ArrayTiming& t = md.t;
    int R = t.rows, C = t.cols, L = t.lanes, G = t.group;
    int64_t Q = t.chunks_per_group(), RQ = R * Q, MQ = j.M * Q;
    int ab = md.a.elem.bits, bb = md.b.elem.bits;
    int64_t n0 = p.s / j.plan.k_tiles * C, kt = p.s % j.plan.k_tiles;
    int64_t w = cycle - p.write;
    if (w >= 0 && w < RQ) {
      int i = int(w / Q), q = int(w % Q);
      int64_t kb = (kt * R + i) * G, k0 = kb + q * L;
      in.w_valid = true;
      in.w_bank = p.bank;
      in.w_row = uint32_t(i);
      in.w_chunk = uint32_t(q);
      for (int jj = 0; jj < C; ++jj) {
        for (int l = 0; l < L; ++l) set_bits(in.w_b, jj * BW_ + l * bb, bb, b_code(j, n0 + jj, k0 + l));
        if (j.B->fmt.has_block_scale()) set_bits(in.w_b_scale, jj * 8, 8, b_scale(j, n0 + jj, kb));
        if (j.gsb == gen::GScale::Channel) set_bits(in.w_gb, jj * 32, 32, f32_bits(gb(j, n0 + jj)));
      }
      if (j.gsb == gen::GScale::Tensor) set_bits(in.w_gb, 0, 32, f32_bits(gb(j, 0)));
    }
    int64_t st = cycle - p.stream;
    if (st >= 0 && st < MQ) {
      int64_t m = st / Q;
      int q = int(st % Q);
      in.in_valid = true;
      in.in_mode = j.mode != 0;
      in.in_blk_last = q == Q - 1;
      in.in_last = kt == j.plan.k_tiles - 1;
      in.in_bank = p.bank;
      for (int i = 0; i < R; ++i) {
        int64_t kb = (kt * R + i) * G, k0 = kb + q * L;
        for (int l = 0; l < L; ++l) set_bits(in.in_a, i * AW_ + l * ab, ab, a_code(j, m, k0 + l));
        if (j.A->fmt.has_block_scale()) set_bits(in.in_a_scale, i * 8, 8, a_scale(j, m, kb));
      }
      if (j.gsa != gen::GScale::None) set_bits(in.in_ga, 0, 32, f32_bits(ga(j, m)));
      for (int jj = 0; jj < C; ++jj)
        set_bits(in.in_psum, jj * 32, 32, kt == 0 ? 0u : j.psum[size_t(m)][size_t(jj)]);
    }
  }
}

void ArrayHost::compare(const JobState& j, int64_t m, int64_t n, uint32_t got, const std::string& where) {
  uint32_t want = f32_bits(j.ref[size_t(m * j.N + n)]);
  static const bool trace = std::getenv("MF_TB_TRACE") != nullptr;  // print every comparison
  if (trace)
    std::fprintf(stderr, "%s C[%lld][%lld] got %08x want %08x\n", where.c_str(), (long long)m, (long long)n, got,
                 want);
  ++checked_;
  if (got == want || (is_nan_bits(got) && is_nan_bits(want))) return;
  error(where + ": C[" + std::to_string(m) + "][" + std::to_string(n) + "] = " + hex32(got) + " (" +
        std::to_string(f32_from_bits(got)) + "), reference " + hex32(want) + " (" +
        std::to_string(f32_from_bits(want)) + ")");
}

void ArrayHost::outputs(int64_t cycle, const Outputs& out) {
  auto it = expect_.find(cycle);
  if (it == expect_.end()) {
    if (out.out_valid) error("cycle " + std::to_string(cycle) + ": unexpected out_valid");
    return;
  }
  if (!out.out_valid) {
    error("cycle " + std::to_string(cycle) + ": out_valid missing (expected by the schedule)");
    expect_.erase(it);
    return;
  }
  if (df_ == gen::Dataflow::OutputStationary) os_output(cycle, out, it->second);
  else ws_output(cycle, out, it->second);
  expect_.erase(it);
}

void ArrayHost::os_output(int64_t cycle, const Outputs& out, const Expect& e) {
  const JobState& j = jobs_[e.job];
  const gen::ArrayTiming& t = timing(j.mode);
  std::string where = "cycle " + std::to_string(cycle) + (jobs_.size() > 1 ? " GEMM " + std::to_string(e.job) : "") +
                      " (mode " + std::to_string(j.mode) + ") tile " + std::to_string(e.tile) + " row " +
                      std::to_string(e.row);
  if (int(out.out_row) != e.row) error(where + ": out_row " + std::to_string(out.out_row));
  int64_t m = (e.tile / j.tiles_n) * t.rows + e.row, n0 = (e.tile % j.tiles_n) * t.cols;
  if (m >= j.M) return;
  for (int jj = 0; jj < t.cols && n0 + jj < j.N; ++jj)
    compare(j, m, n0 + jj, uint32_t(get_bits(out.out_c, jj * 32, 32)), where);
}

void ArrayHost::ws_output(int64_t cycle, const Outputs& out, const Expect& e) {
  JobState& j = jobs_[e.job];
  const gen::ArrayTiming& t = timing(j.mode);
  int64_t kt = e.tile % j.plan.k_tiles, n0 = e.tile / j.plan.k_tiles * t.cols;
  bool final = kt == j.plan.k_tiles - 1;
  std::string where = "cycle " + std::to_string(cycle) + (jobs_.size() > 1 ? " GEMM " + std::to_string(e.job) : "") +
                      " (mode " + std::to_string(j.mode) + ") pass " + std::to_string(e.tile) + " row " +
                      std::to_string(e.row);
  if (out.out_last != final) error(where + ": out_last " + std::to_string(out.out_last));
  for (int jj = 0; jj < t.cols; ++jj) {
    uint32_t v = uint32_t(get_bits(out.out_c, jj * 32, 32));
    j.psum[size_t(e.row)][size_t(jj)] = v;
    if (final && n0 + jj < j.N) compare(j, e.row, n0 + jj, v, where);
  }
}

void ArrayHost::finish() {
  for (const auto& kv : expect_)
    error("cycle " + std::to_string(kv.first) + ": expected output never checked (GEMM " +
          std::to_string(kv.second.job) + ", tile/pass " + std::to_string(kv.second.tile) + ", row " +
          std::to_string(kv.second.row) + ")");
  expect_.clear();
}

}  // namespace macforge::tb
