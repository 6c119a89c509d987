#include "sim/rtl_driver.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "numerics/elem_format.hpp"

namespace macforge::sim {
namespace {

// Sets bits [lo, lo + width) of v (width <= 32) to value.
inline void put_bits(BitVec& v, int lo, int width, uint32_t value) {
  size_t w = size_t(lo) >> 5;
  int off = lo & 31;
  uint64_t mask = ((uint64_t(1) << width) - 1) << off;
  uint64_t val = (uint64_t(value) << off) & mask;
  uint64_t cur = uint64_t(v[w]) | (w + 1 < v.size() ? uint64_t(v[w + 1]) << 32 : 0);
  cur = (cur & ~mask) | val;
  v[w] = uint32_t(cur);
  if (w + 1 < v.size()) v[w + 1] = uint32_t(cur >> 32);
}

inline uint32_t get32(const BitVec& v, int lo) {  // lo is a multiple of 32
  size_t w = size_t(lo) >> 5;
  return w < v.size() ? v[w] : 0u;
}

void sized(BitVec& v, int bits) { v.assign(size_t((bits + 31) / 32), 0u); }

// Block scale of padding (rows, columns or K beyond the matrix): 1.0, so a
// padded group adds an exact zero.
uint32_t pad_scale(const BlockFormat& f) { return f.scale == ScaleKind::UE4M3 ? 0x38u : 127u; }

int gscale(const BlockFormat& f) {
  if (f.has_tensor_scale()) return 1;
  if (f.has_fp32_scale()) return f.gran == Granularity::Channel ? 2 : 1;
  return 0;
}

}  // namespace

RtlDriver::RtlDriver(const ArraySpec& arr) : arr_(arr) {
  if (arr.dataflow == Dataflow::IS)
    throw FormatError("the generated RTL has no input-stationary dataflow (valid for co-simulation: os, ws)");
  R_ = arr.rows;
  C_cols_ = arr.cols;
  L_ = arr.lanes;
  G_ = arr.group();
  Q_ = G_ / L_;
  AB_ = arr.a.elem.bits;
  BB_ = arr.b.elem.bits;
  AW_ = L_ * AB_;
  BW_ = L_ * BB_;
  for (const ModeSpec& m : arr.modes) {
    AW_ = std::max(AW_, m.lanes * m.a.elem.bits);
    BW_ = std::max(BW_, m.lanes * m.b.elem.bits);
  }
  mode_ = arr.mode != 0;
  gsa_ = gscale(arr.a);
  gsb_ = gscale(arr.b);
}

void RtlDriver::error(const std::string& msg) {
  if (errors_.size() < 20) errors_.push_back(msg);
  else if (errors_.size() == 20) errors_.push_back("... (more errors)");
}

void RtlDriver::begin(const QMatrix& A, const QMatrix& B) {
  A_ = &A;
  B_ = &B;
  M_ = int64_t(A.rows);
  N_ = int64_t(B.rows);
  K_ = int64_t(A.cols);
  nk_ = arr_.chunks(K_);
  active_.clear();
  expect_.clear();
  remaining_.clear();
  errors_.clear();
  pass_ = -1;
  C_.assign(size_t(M_ * N_), 0.0f);
  psum_.assign(size_t(M_ * N_), 0u);
}

uint32_t RtlDriver::a_code(int64_t m, int64_t k) const {
  return (m < M_ && k < K_) ? A_->codes[size_t(m * K_ + k)] : 0u;
}
uint32_t RtlDriver::b_code(int64_t n, int64_t k) const {
  return (n < N_ && k < K_) ? B_->codes[size_t(n * K_ + k)] : 0u;
}
uint32_t RtlDriver::a_scale(int64_t m, int64_t k) const {
  if (m >= M_ || k >= K_) return pad_scale(A_->fmt);
  return A_->scale_code(size_t(m), size_t(k) / A_->block_len());
}
uint32_t RtlDriver::b_scale(int64_t n, int64_t k) const {
  if (n >= N_ || k >= K_) return pad_scale(B_->fmt);
  return B_->scale_code(size_t(n), size_t(k) / B_->block_len());
}
float RtlDriver::ga(int64_t m) const {
  if (A_->fmt.has_tensor_scale()) return A_->tensor_gd;
  return m < M_ ? A_->channel_scale(size_t(m)) : 1.0f;
}
float RtlDriver::gb(int64_t n) const {
  if (B_->fmt.has_tensor_scale()) return B_->tensor_gd;
  return n < N_ ? B_->channel_scale(size_t(n)) : 1.0f;
}

void RtlDriver::push(const Step& s, int64_t index, const StepTimes& t) {
  Active a{s, index, t, pass_ < 0 ? 0 : pass_ % 2};
  if (arr_.dataflow == Dataflow::WS && s.load) a.bank = ++pass_ % 2;
  active_.push_back(a);
  ArrayController ctl(arr_);
  int64_t rows = 0;
  if (arr_.dataflow == Dataflow::OS) {
    if (s.last) {
      int64_t in_last = t.stream_end - 1;
      for (int i = 0; i < R_; ++i)
        expect_.push_back({in_last + arr_.timing.os_row_delay(i), index, s.m0 + i, s.n0, i, true});
      rows = R_;
    }
  } else {
    for (int64_t r = 0; r < s.rows; ++r)
      expect_.push_back({t.stream_start + r * Q_ + Q_ - 1 + ctl.st_out_delay(), index, s.m0 + r, s.n0, int(r),
                         s.out_final});
    rows = s.rows;
  }
  if (rows) remaining_[index] = {rows, -1};
}

void RtlDriver::os_inputs(const Active& a, int64_t cycle, PortInputs& in) {
  const Step& s = a.s;
  int64_t j = cycle - a.t.stream_start;
  int64_t cg = s.k0 / L_ + j;  // chunk of the tile's dot products
  in.in_valid = true;
  in.in_mode = mode_;
  in.in_first = s.first && j == 0;
  in.in_last = s.last && j == s.chunks - 1;
  in.in_blk_last = ((cg + 1) * L_) % G_ == 0 || cg == nk_ - 1;
  int64_t k0 = cg * L_;
  bool as = A_->fmt.has_block_scale(), bs = B_->fmt.has_block_scale();
  for (int i = 0; i < R_; ++i) {
    int64_t m = s.m0 + i;
    for (int l = 0; l < L_; ++l) put_bits(in.in_a, i * AW_ + l * AB_, AB_, a_code(m, k0 + l));
    if (as) put_bits(in.in_a_scale, i * 8, 8, a_scale(m, k0));
    if (gsa_ == 2) put_bits(in.in_ga, i * 32, 32, f32_bits(ga(m)));
  }
  if (gsa_ == 1) put_bits(in.in_ga, 0, 32, f32_bits(ga(0)));
  for (int jj = 0; jj < C_cols_; ++jj) {
    int64_t n = s.n0 + jj;
    for (int l = 0; l < L_; ++l) put_bits(in.in_b, jj * BW_ + l * BB_, BB_, b_code(n, k0 + l));
    if (bs) put_bits(in.in_b_scale, jj * 8, 8, b_scale(n, k0));
    if (gsb_ == 2) put_bits(in.in_gb, jj * 32, 32, f32_bits(gb(n)));
  }
  if (gsb_ == 1) put_bits(in.in_gb, 0, 32, f32_bits(gb(0)));
}

void RtlDriver::ws_load(const Active& a, int64_t cycle, PortInputs& in) {
  const Step& s = a.s;
  int64_t w = cycle - a.t.load_start;
  int i = int(w / Q_), q = int(w % Q_);
  int64_t kb = s.k0 + int64_t(i) * G_, k0 = kb + int64_t(q) * L_;
  in.w_valid = true;
  in.w_bank = a.bank != 0;
  in.w_row = uint32_t(i);
  in.w_chunk = uint32_t(q);
  bool bs = B_->fmt.has_block_scale();
  for (int j = 0; j < C_cols_; ++j) {
    int64_t n = s.n0 + j;
    for (int l = 0; l < L_; ++l) put_bits(in.w_b, j * BW_ + l * BB_, BB_, b_code(n, k0 + l));
    if (bs) put_bits(in.w_b_scale, j * 8, 8, b_scale(n, kb));
    if (gsb_ == 2) put_bits(in.w_gb, j * 32, 32, f32_bits(gb(n)));
  }
  if (gsb_ == 1) put_bits(in.w_gb, 0, 32, f32_bits(gb(0)));
}

void RtlDriver::ws_stream(const Active& a, int64_t cycle, PortInputs& in) {
  const Step& s = a.s;
  int64_t st = cycle - a.t.stream_start;
  int64_t m = s.m0 + st / Q_;
  int q = int(st % Q_);
  in.in_valid = true;
  in.in_mode = mode_;
  in.in_blk_last = q == Q_ - 1;
  in.in_last = s.out_final;
  in.in_bank = a.bank != 0;
  bool as = A_->fmt.has_block_scale();
  for (int i = 0; i < R_; ++i) {
    int64_t kb = s.k0 + int64_t(i) * G_, k0 = kb + int64_t(q) * L_;
    for (int l = 0; l < L_; ++l) put_bits(in.in_a, i * AW_ + l * AB_, AB_, a_code(m, k0 + l));
    if (as) put_bits(in.in_a_scale, i * 8, 8, a_scale(m, kb));
  }
  if (gsa_) put_bits(in.in_ga, 0, 32, f32_bits(ga(m)));
  if (s.psum_from >= 0 && m < M_)
    for (int j = 0; j < C_cols_; ++j)
      if (s.n0 + j < N_) put_bits(in.in_psum, j * 32, 32, psum_[size_t(m * N_ + s.n0 + j)]);
}

void RtlDriver::inputs(int64_t cycle, PortInputs& in) {
  const bool ws = arr_.dataflow == Dataflow::WS;
  in.rst = in.in_valid = in.in_first = in.in_blk_last = in.in_last = in.in_bank = in.in_mode = false;
  in.w_valid = in.w_bank = false;
  in.w_row = in.w_chunk = 0;
  // Buses keep their size; only what this cycle drives is rewritten (zeros otherwise).
  if (in.in_a.empty()) {
    sized(in.in_a, R_ * AW_);
    sized(in.in_a_scale, R_ * 8);
    sized(in.in_b, C_cols_ * BW_);
    sized(in.in_b_scale, C_cols_ * 8);
    sized(in.in_ga, gsa_ == 2 && !ws ? R_ * 32 : 32);
    sized(in.in_gb, gsb_ == 2 ? C_cols_ * 32 : 32);
    sized(in.in_psum, C_cols_ * 32);
    sized(in.w_b, C_cols_ * BW_);
    sized(in.w_b_scale, C_cols_ * 8);
    sized(in.w_gb, gsb_ == 2 ? C_cols_ * 32 : 32);
  } else {
    for (BitVec* v : {&in.in_a, &in.in_a_scale, &in.in_b, &in.in_b_scale, &in.in_ga, &in.in_gb, &in.in_psum,
                      &in.w_b, &in.w_b_scale, &in.w_gb})
      std::fill(v->begin(), v->end(), 0u);
  }
  // Retire steps whose windows are over.
  ArrayController ctl(arr_);
  while (!active_.empty()) {
    const Active& f = active_.front();
    int64_t end = f.t.stream_end;
    if (f.t.load_start >= 0) end = std::max(end, f.t.load_start + ctl.st_load_cycles());
    if (end > cycle) break;
    active_.pop_front();
  }
  for (const Active& a : active_) {
    if (ws && a.t.load_start >= 0 && cycle >= a.t.load_start && cycle < a.t.load_start + ctl.st_load_cycles())
      ws_load(a, cycle, in);
    if (cycle >= a.t.stream_start && cycle < a.t.stream_end) {
      if (ws) ws_stream(a, cycle, in);
      else os_inputs(a, cycle, in);
    }
  }
}

void RtlDriver::outputs(int64_t cycle, const PortOutputs& out) {
  while (!expect_.empty() && expect_.front().cycle < cycle) {
    const Expect& e = expect_.front();
    error("cycle " + std::to_string(e.cycle) + ": output row of step " + std::to_string(e.index) + " (row m=" +
          std::to_string(e.m) + ") expected by the timing model but out_valid was low");
    auto& r = remaining_[e.index];
    if (--r.first == 0) r.second = e.cycle;
    expect_.pop_front();
  }
  if (!out.out_valid) return;
  if (expect_.empty() || expect_.front().cycle != cycle) {
    error("cycle " + std::to_string(cycle) + ": out_valid but the timing model expects no output now" +
          (expect_.empty() ? std::string() : " (next expected at " + std::to_string(expect_.front().cycle) + ")"));
    return;
  }
  Expect e = expect_.front();
  expect_.pop_front();
  if (arr_.dataflow == Dataflow::OS && int(out.out_row) != e.row)
    error("cycle " + std::to_string(cycle) + ": out_row " + std::to_string(out.out_row) + ", expected " +
          std::to_string(e.row));
  if (arr_.dataflow == Dataflow::WS && out.out_last != e.final)
    error("cycle " + std::to_string(cycle) + ": out_last " + std::to_string(out.out_last) + ", expected " +
          std::to_string(e.final));
  if (e.m < M_) {
    for (int j = 0; j < C_cols_ && e.n0 + j < N_; ++j) {
      uint32_t v = get32(out.out_c, j * 32);
      size_t idx = size_t(e.m * N_ + e.n0 + j);
      psum_[idx] = v;
      if (e.final) C_[idx] = f32_from_bits(v);
    }
  }
  auto& r = remaining_[e.index];
  if (--r.first == 0) r.second = cycle;
}

bool RtlDriver::done(int64_t index, int64_t& last_cycle) const {
  auto it = remaining_.find(index);
  if (it == remaining_.end() || it->second.first > 0) return false;
  last_cycle = it->second.second;
  return true;
}

void RtlDriver::abandon(const std::string& why) {
  error(why);
  for (const Expect& e : expect_) {
    auto& r = remaining_[e.index];
    if (--r.first == 0) r.second = e.cycle;
  }
  expect_.clear();
}

}  // namespace macforge::sim
