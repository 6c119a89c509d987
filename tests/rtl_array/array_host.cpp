#include "array_host.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

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

ArrayHost::ArrayHost(const gen::ArrayConfig& cfg, const gen::ArrayTiming& timing)
    : cfg_(cfg), t_(timing), gsa_(gen::gscale_of(cfg.a)), gsb_(gen::gscale_of(cfg.b)) {}

void ArrayHost::error(const std::string& msg) {
  if (errors_.size() < 20) errors_.push_back(msg);
  else if (errors_.size() == 20) errors_.push_back("... (more errors)");
}

uint32_t ArrayHost::a_code(int64_t m, int64_t k) const {
  return (m < M_ && k < K_) ? A_->code(size_t(m), size_t(k)) : 0u;
}
uint32_t ArrayHost::b_code(int64_t n, int64_t k) const {
  return (n < N_ && k < K_) ? B_->code(size_t(n), size_t(k)) : 0u;
}
uint32_t ArrayHost::a_scale(int64_t m, int64_t k) const {
  if (m >= M_ || k >= K_) return pad_scale(A_->fmt);
  return A_->scale_code(size_t(m), size_t(k) / A_->block_len());
}
uint32_t ArrayHost::b_scale(int64_t n, int64_t k) const {
  if (n >= N_ || k >= K_) return pad_scale(B_->fmt);
  return B_->scale_code(size_t(n), size_t(k) / B_->block_len());
}
float ArrayHost::ga(int64_t m) const {
  if (A_->fmt.has_tensor_scale()) return A_->tensor_gd;
  return m < M_ ? A_->channel_scale(size_t(m)) : 1.0f;
}
float ArrayHost::gb(int64_t n) const {
  if (B_->fmt.has_tensor_scale()) return B_->tensor_gd;
  return n < N_ ? B_->channel_scale(size_t(n)) : 1.0f;
}

void ArrayHost::start(const QMatrix& A, const QMatrix& B, unsigned bubble_seed) {
  A_ = &A;
  B_ = &B;
  M_ = int64_t(A.rows);
  N_ = int64_t(B.rows);
  K_ = int64_t(A.cols);
  ref_ = gemm(A, B, cfg_.accum);
  expect_.clear();
  errors_.clear();
  checked_ = 0;
  if (t_.dataflow == gen::Dataflow::OutputStationary) {
    nk_ = t_.chunks(K_);
    tiles_n_ = ceil_div(N_, t_.cols);
    tiles_ = ceil_div(M_, t_.rows) * tiles_n_;
    // Tiles every max(nk, R, C) cycles, or with bubbles: chunks 0..2 idle
    // cycles apart, in_last cycles still max(R, C) apart.
    int64_t interval = std::max<int64_t>(nk_, t_.os_issue_interval()), at = 0, prev_last = 0;
    std::mt19937 rng(bubble_seed);
    std::uniform_int_distribution<int> gap(0, 2);
    os_chunk_.clear();
    for (int64_t tile = 0; tile < tiles_; ++tile)
      for (int64_t c = 0; c < nk_; ++c) {
        if (!bubble_seed) {
          at = tile * interval + c;
        } else {
          if (tile > 0 || c > 0) at += 1 + (c > 0 ? gap(rng) : 0);
          if (c == nk_ - 1 && tile > 0) at = std::max(at, prev_last + t_.os_issue_interval());
        }
        os_chunk_[at] = {tile, c};
        if (c < nk_ - 1) continue;
        prev_last = at;
        for (int i = 0; i < t_.rows; ++i) expect_[at + t_.os_row_delay(i)] = {tile, i};
      }
    cycles_ = bubble_seed ? expect_.rbegin()->first + 1 : t_.os_gemm_cycles(tiles_, K_);
  } else {
    plan_ = gen::ws_plan(t_, M_, N_, K_);
    int64_t q = t_.chunks_per_group();
    for (size_t s = 0; s < plan_.stream.size(); ++s)
      for (int64_t m = 0; m < M_; ++m) expect_[plan_.stream[s] + m * q + q - 1 + t_.ws_out_delay()] = {int64_t(s), int(m)};
    psum_.assign(size_t(M_), std::vector<uint32_t>(size_t(t_.cols), 0u));
    cycles_ = plan_.cycles();
  }
  if (expect_.rbegin()->first + 1 != cycles_)
    error("schedule: last expected output at cycle " + std::to_string(expect_.rbegin()->first) +
          " but the closed form gives " + std::to_string(cycles_) + " cycles");
}

void ArrayHost::inputs(int64_t cycle, Inputs& in) {
  // Everything idle and zero (the vectors keep their storage).
  for (BitVec* v : {&in.in_a, &in.in_a_scale, &in.in_b, &in.in_b_scale, &in.in_ga, &in.in_gb, &in.in_psum, &in.w_b,
                    &in.w_b_scale, &in.w_gb})
    std::fill(v->begin(), v->end(), 0u);
  in.rst = in.in_valid = in.in_first = in.in_blk_last = in.in_last = in.in_bank = false;
  in.w_valid = in.w_bank = false;
  in.w_row = in.w_chunk = 0;
  if (t_.dataflow == gen::Dataflow::OutputStationary) os_inputs(cycle, in);
  else ws_inputs(cycle, in);
}

void ArrayHost::os_inputs(int64_t cycle, Inputs& in) {
  auto it = os_chunk_.find(cycle);
  if (it == os_chunk_.end()) return;
  int64_t tile = it->second.first, c = it->second.second;
  int R = t_.rows, C = t_.cols, L = t_.lanes;
  int ab = cfg_.a.elem.bits, bb = cfg_.b.elem.bits;
  int64_t m0 = (tile / tiles_n_) * R, n0 = (tile % tiles_n_) * C, k0 = c * L;
  in.in_valid = true;
  in.in_first = c == 0;
  in.in_blk_last = t_.blk_last(c, K_);
  in.in_last = c == nk_ - 1;
  for (int i = 0; i < R; ++i) {
    for (int l = 0; l < L; ++l) set_bits(in.in_a, (i * L + l) * ab, ab, a_code(m0 + i, k0 + l));
    if (A_->fmt.has_block_scale()) set_bits(in.in_a_scale, i * 8, 8, a_scale(m0 + i, k0));
    if (gsa_ == gen::GScale::Channel) set_bits(in.in_ga, i * 32, 32, f32_bits(ga(m0 + i)));
  }
  if (gsa_ == gen::GScale::Tensor) set_bits(in.in_ga, 0, 32, f32_bits(ga(0)));
  for (int j = 0; j < C; ++j) {
    for (int l = 0; l < L; ++l) set_bits(in.in_b, (j * L + l) * bb, bb, b_code(n0 + j, k0 + l));
    if (B_->fmt.has_block_scale()) set_bits(in.in_b_scale, j * 8, 8, b_scale(n0 + j, k0));
    if (gsb_ == gen::GScale::Channel) set_bits(in.in_gb, j * 32, 32, f32_bits(gb(n0 + j)));
  }
  if (gsb_ == gen::GScale::Tensor) set_bits(in.in_gb, 0, 32, f32_bits(gb(0)));
}

void ArrayHost::ws_inputs(int64_t cycle, Inputs& in) {
  int R = t_.rows, C = t_.cols, L = t_.lanes, G = t_.group;
  int64_t Q = t_.chunks_per_group(), RQ = R * Q, MQ = M_ * Q;
  int ab = cfg_.a.elem.bits, bb = cfg_.b.elem.bits;
  for (size_t s = 0; s < plan_.write.size(); ++s) {
    int64_t n0 = int64_t(s) / plan_.k_tiles * C, kt = int64_t(s) % plan_.k_tiles;
    int64_t w = cycle - plan_.write[s];
    if (w >= 0 && w < RQ) {
      int i = int(w / Q), q = int(w % Q);
      int64_t kb = (kt * R + i) * G, k0 = kb + q * L;
      in.w_valid = true;
      in.w_bank = s % 2;
      in.w_row = uint32_t(i);
      in.w_chunk = uint32_t(q);
      for (int j = 0; j < C; ++j) {
        for (int l = 0; l < L; ++l) set_bits(in.w_b, (j * L + l) * bb, bb, b_code(n0 + j, k0 + l));
        if (B_->fmt.has_block_scale()) set_bits(in.w_b_scale, j * 8, 8, b_scale(n0 + j, kb));
        if (gsb_ == gen::GScale::Channel) set_bits(in.w_gb, j * 32, 32, f32_bits(gb(n0 + j)));
      }
      if (gsb_ == gen::GScale::Tensor) set_bits(in.w_gb, 0, 32, f32_bits(gb(0)));
    }
    int64_t st = cycle - plan_.stream[s];
    if (st >= 0 && st < MQ) {
      int64_t m = st / Q;
      int q = int(st % Q);
      in.in_valid = true;
      in.in_blk_last = q == Q - 1;
      in.in_last = kt == plan_.k_tiles - 1;
      in.in_bank = s % 2;
      for (int i = 0; i < R; ++i) {
        int64_t kb = (kt * R + i) * G, k0 = kb + q * L;
        for (int l = 0; l < L; ++l) set_bits(in.in_a, (i * L + l) * ab, ab, a_code(m, k0 + l));
        if (A_->fmt.has_block_scale()) set_bits(in.in_a_scale, i * 8, 8, a_scale(m, kb));
      }
      if (gsa_ != gen::GScale::None) set_bits(in.in_ga, 0, 32, f32_bits(ga(m)));
      for (int j = 0; j < C; ++j) set_bits(in.in_psum, j * 32, 32, kt == 0 ? 0u : psum_[size_t(m)][size_t(j)]);
    }
  }
}

void ArrayHost::compare(int64_t m, int64_t n, uint32_t got, const std::string& where) {
  uint32_t want = f32_bits(ref_[size_t(m * N_ + n)]);
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
  if (t_.dataflow == gen::Dataflow::OutputStationary) os_output(cycle, out, it->second);
  else ws_output(cycle, out, it->second);
  expect_.erase(it);
}

void ArrayHost::os_output(int64_t cycle, const Outputs& out, const Expect& e) {
  std::string where = "cycle " + std::to_string(cycle) + " tile " + std::to_string(e.tile) + " row " +
                      std::to_string(e.row);
  if (int(out.out_row) != e.row) error(where + ": out_row " + std::to_string(out.out_row));
  int64_t m = (e.tile / tiles_n_) * t_.rows + e.row, n0 = (e.tile % tiles_n_) * t_.cols;
  if (m >= M_) return;
  for (int j = 0; j < t_.cols && n0 + j < N_; ++j)
    compare(m, n0 + j, uint32_t(get_bits(out.out_c, j * 32, 32)), where);
}

void ArrayHost::ws_output(int64_t cycle, const Outputs& out, const Expect& e) {
  int64_t kt = e.tile % plan_.k_tiles, n0 = e.tile / plan_.k_tiles * t_.cols;
  bool final = kt == plan_.k_tiles - 1;
  std::string where = "cycle " + std::to_string(cycle) + " pass " + std::to_string(e.tile) + " row " +
                      std::to_string(e.row);
  if (out.out_last != final) error(where + ": out_last " + std::to_string(out.out_last));
  for (int j = 0; j < t_.cols; ++j) {
    uint32_t v = uint32_t(get_bits(out.out_c, j * 32, 32));
    psum_[size_t(e.row)][size_t(j)] = v;
    if (final && n0 + j < N_) compare(e.row, n0 + j, v, where);
  }
}

void ArrayHost::finish() {
  for (const auto& kv : expect_)
    error("cycle " + std::to_string(kv.first) + ": expected output never checked (tile/pass " +
          std::to_string(kv.second.tile) + ", row " + std::to_string(kv.second.row) + ")");
  expect_.clear();
}

}  // namespace macforge::tb
