#include "sim/schedule.hpp"

#include <algorithm>
#include <limits>

#include "numerics/elem_format.hpp"

namespace macforge::sim {
namespace {

int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

std::string kib(uint64_t bytes) {
  if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " B";
}

constexpr uint64_t kUnbounded = std::numeric_limits<uint64_t>::max() / 4;

uint64_t pow2_at_least(uint64_t x) {
  uint64_t p = 4;
  while (p < x) p <<= 1;
  return p;
}

// Resolved word width: the configured one, or (0 = auto) the smallest power of
// two such that one slot's banks deliver `demand` bytes per cycle.
uint64_t word_width(const BufferConfig& b, double demand) {
  if (b.word_bytes > 0) return uint64_t(b.word_bytes);
  int slot_banks = std::max(1, b.banks / b.slots());
  return pow2_at_least(uint64_t(demand / slot_banks + 0.999999));
}

// Bytes per cycle `rows` operand rows of A (or B) take at full rate: lanes x
// (element bits + scale bits per element). The buffers are built once for the
// array, so `auto` words serve the hungriest of its modes (a multi-format
// array's 4-bit mode streams 2 x lanes narrower elements).
double peak_demand(const ArraySpec& arr, int64_t rows, bool a) {
  double d = 0;
  for (int m = 0; m < arr.num_modes(); ++m) {
    ArraySpec s = arr.in_mode(m);
    const BlockFormat& f = a ? s.a : s.b;
    d = std::max(d, double(rows) * s.lanes * (f.elem.bits + (f.has_block_scale() ? 8.0 / f.block : 0)) / 8);
  }
  return d;
}

}  // namespace

// ---------------------------------------------------------------------------

Schedule::Schedule(const ArraySpec& arr, const MemoryConfig& mem, const Gemm& g, bool ideal)
    : arr_(arr), mem_(mem), g_(g) {
  if (g.M <= 0 || g.N <= 0 || g.K <= 0)
    throw FormatError("GEMM '" + g.name + "': M, N and K must be positive");
  info_.Kp = arr.padded_k(g.K);
  if (arr.dataflow == Dataflow::OS) plan_os(ideal);
  else plan_stationary(ideal);
}

void Schedule::plan_os(bool ideal) {
  const int64_t R = arr_.rows, C = arr_.cols, G = arr_.group(), Kp = info_.Kp;
  Mt_ = cdiv(g_.M, R);
  Nt_ = cdiv(g_.N, C);
  uint64_t in_slot = ideal ? kUnbounded : mem_.input.slot_bytes();
  uint64_t w_slot = ideal ? kUnbounded : mem_.weight.slot_bytes();
  uint64_t o_slot = ideal ? kUnbounded : mem_.output.slot_bytes();
  auto a_bytes = [&](int64_t k) {
    return bits_to_bytes(slice_bits(arr_.a, R, 0, k) + scale_side_bits(arr_.a, R) + 32);
  };
  auto b_bytes = [&](int64_t k) {
    return bits_to_bytes(slice_bits(arr_.b, C, 0, k) + scale_side_bits(arr_.b, C) + 32);
  };
  uint64_t out_tile = uint64_t(R) * uint64_t(C) * 4;
  if (a_bytes(G) > in_slot)
    throw FormatError("input buffer too small for one tile: a slot holds " + kib(in_slot) + " but " +
                      std::to_string(R) + " rows x " + std::to_string(G) + " elements of " + arr_.a.name +
                      " need " + std::to_string(a_bytes(G)) + " B");
  if (b_bytes(G) > w_slot)
    throw FormatError("weight buffer too small for one tile: a slot holds " + kib(w_slot) + " but " +
                      std::to_string(C) + " rows x " + std::to_string(G) + " elements of " + arr_.b.name +
                      " need " + std::to_string(b_bytes(G)) + " B");
  if (out_tile > o_slot)
    throw FormatError("output buffer too small for one tile: a slot holds " + kib(o_slot) + " but " +
                      std::to_string(R) + " x " + std::to_string(C) + " float32 results need " +
                      std::to_string(out_tile) + " B");
  // Largest number of groups per slice that fits both slots; slices start
  // on group boundaries, the last one ends at Kp.
  const int64_t groups = cdiv(Kp, G);
  int64_t lo = 1, hi = groups;
  while (lo < hi) {
    int64_t mid = (lo + hi + 1) / 2;
    if (a_bytes(mid * G) <= in_slot && b_bytes(mid * G) <= w_slot) lo = mid;
    else hi = mid - 1;
  }
  Ks_ = cdiv(groups, lo);
  tk_ = cdiv(groups, Ks_) * G;  // balanced slices
  // Loop order: with a single K slice the operand of the outer loop stays
  // resident; pick the order that moves fewer DRAM bytes (ties: m outer).
  n_outer_ = false;
  if (Ks_ == 1) {
    double A = double(bits_to_bytes(slice_bits(arr_.a, g_.M, 0, Kp)));
    double B = double(bits_to_bytes(slice_bits(arr_.b, g_.N, 0, Kp)));
    double m_outer = A + double(Mt_) * B, n_outer = double(Nt_) * A + B;
    n_outer_ = n_outer < m_outer;
  }
  info_.order = n_outer_ ? "n,m,k" : "m,n,k";
  info_.tile_k = std::min(tk_, Kp);
  info_.tile_rows = R;
  info_.steps = Mt_ * Nt_ * Ks_;
  info_.word_bytes[0] = word_width(mem_.input, peak_demand(arr_, R, true));
  info_.word_bytes[1] = word_width(mem_.weight, peak_demand(arr_, C, false));
  info_.word_bytes[2] = word_width(mem_.output, double(C) * 4);
}

Step Schedule::os_step(int64_t i) const {
  const int64_t R = arr_.rows, C = arr_.cols;
  int64_t ks = i % Ks_, t = i / Ks_;
  int64_t mt, nt;
  if (n_outer_) {
    mt = t % Mt_;
    nt = t / Mt_;
  } else {
    nt = t % Nt_;
    mt = t / Nt_;
  }
  Step s;
  s.m0 = mt * R;
  s.m1 = std::min(g_.M, s.m0 + R);
  s.n0 = nt * C;
  s.n1 = std::min(g_.N, s.n0 + C);
  s.k0 = ks * tk_;
  s.k1 = std::min(info_.Kp, s.k0 + tk_);
  int64_t mr = s.m1 - s.m0, nr = s.n1 - s.n0;
  uint64_t abits = slice_bits(arr_.a, mr, s.k0, s.k1), bbits = slice_bits(arr_.b, nr, s.k0, s.k1);
  if (s.k0 == 0) {
    abits += arr_.a.gran == Granularity::Channel ? scale_side_bits(arr_.a, mr) : 0;
    bbits += arr_.b.gran == Granularity::Channel ? scale_side_bits(arr_.b, nr) : 0;
  }
  if (i == 0) {  // per-tensor scales travel once, with the first slices
    abits += arr_.a.gran == Granularity::Channel ? 0 : scale_side_bits(arr_.a, mr);
    bbits += arr_.b.gran == Granularity::Channel ? 0 : scale_side_bits(arr_.b, nr);
  }
  s.a = {uint64_t(1 + mt * Ks_ + ks), bits_to_bytes(abits)};
  s.b = {uint64_t(1 + nt * Ks_ + ks), bits_to_bytes(bbits)};
  s.out = {uint64_t(1 + t), uint64_t(mr * nr * 4)};
  s.a_read = s.a.bytes;
  s.b_read = s.b.bytes;
  s.first = ks == 0;
  s.last = ks == Ks_ - 1;
  if (s.last) {
    s.out_write = uint64_t(mr * nr * 4);
    s.out_store = s.out_final = true;
  }
  s.chunks = (s.k1 - s.k0) / arr_.lanes;
  int64_t kr = std::min(s.k1, g_.K) - std::min(s.k0, g_.K);
  s.macs = mr * nr * kr;
  return s;
}

void Schedule::plan_stationary(bool ideal) {
  const bool ws = arr_.dataflow == Dataflow::WS;
  const int64_t R = arr_.rows, C = arr_.cols, G = arr_.group(), Kp = info_.Kp;
  const BlockFormat& sf = ws ? arr_.b : arr_.a;  // stationary operand
  const BlockFormat& tf = ws ? arr_.a : arr_.b;  // streamed operand
  const int64_t srows = ws ? g_.N : g_.M, trows = ws ? g_.M : g_.N;
  const BufferConfig& sbuf = ws ? mem_.weight : mem_.input;
  const BufferConfig& tbuf = ws ? mem_.input : mem_.weight;
  const char* sname = ws ? "weight" : "input";
  const char* tname = ws ? "input" : "weight";
  uint64_t s_slot = ideal ? kUnbounded : sbuf.slot_bytes();
  uint64_t t_slot = ideal ? kUnbounded : tbuf.slot_bytes();
  uint64_t o_slot = ideal ? kUnbounded : mem_.output.slot_bytes();
  const int64_t kp = R * G;  // K elements of one pass
  St_ = cdiv(srows, C);
  Pt_ = cdiv(Kp, kp);
  int64_t kpass = std::min(kp, Kp);
  uint64_t s_tile = bits_to_bytes(slice_bits(sf, C, 0, kpass) + scale_side_bits(sf, C) + 32);
  if (s_tile > s_slot)
    throw FormatError(std::string(sname) + " buffer too small for one tile: a slot holds " + kib(s_slot) +
                      " but the stationary tile (" + std::to_string(C) + " rows x " + std::to_string(kpass) +
                      " elements of " + sf.name + ") needs " + std::to_string(s_tile) + " B");
  auto t_bytes = [&](int64_t rows) {
    return bits_to_bytes(slice_bits(tf, rows, 0, kpass) + scale_side_bits(tf, rows) + 32);
  };
  auto o_bytes = [&](int64_t rows) { return uint64_t(rows) * uint64_t(C) * 4; };
  if (t_bytes(1) > t_slot)
    throw FormatError(std::string(tname) + " buffer too small for one tile: a slot holds " + kib(t_slot) +
                      " but one row of " + std::to_string(kpass) + " elements of " + tf.name + " needs " +
                      std::to_string(t_bytes(1)) + " B");
  if (o_bytes(1) > o_slot)
    throw FormatError("output buffer too small for one tile: a slot holds " + kib(o_slot) + " but one row of " +
                      std::to_string(C) + " float32 partial sums needs " + std::to_string(o_bytes(1)) + " B");
  int64_t lo = 1, hi = trows;
  while (lo < hi) {
    int64_t mid = (lo + hi + 1) / 2;
    if (t_bytes(mid) <= t_slot && o_bytes(mid) <= o_slot) lo = mid;
    else hi = mid - 1;
  }
  Rs_ = cdiv(trows, lo);
  ts_ = cdiv(trows, Rs_);
  // Loop order. k inner: partial sums stay in the output buffer, the
  // stationary tile is reloaded for every row slice. k outer: the stationary
  // tile stays while the row slices stream past; with more than one row slice
  // the partial sums spill to DRAM between passes. Pick the order that moves
  // fewer DRAM bytes (ties: k inner).
  k_inner_ = true;
  if (Rs_ > 1 && Pt_ > 1 && !ideal) {
    double S = double(bits_to_bytes(slice_bits(sf, srows, 0, Kp)));
    double psum = double(trows) * double(srows) * 4.0;
    double kin = S * double(Rs_);
    double kout = S + 2 * psum * double(Pt_ - 1);
    k_inner_ = !(kout < kin);
  }
  info_.order = ws ? (k_inner_ ? "n,m,k" : "n,k,m") : (k_inner_ ? "m,n,k" : "m,k,n");
  info_.tile_k = std::min(kp, Kp);
  info_.tile_rows = ts_;
  info_.steps = St_ * Pt_ * Rs_;
  info_.word_bytes[ws ? 0 : 1] = word_width(tbuf, peak_demand(arr_, R, ws));
  info_.word_bytes[ws ? 1 : 0] = word_width(sbuf, peak_demand(arr_, C, !ws));
  info_.word_bytes[2] = word_width(mem_.output, double(C) * 8);
}

Step Schedule::st_step(int64_t i) const {
  const bool ws = arr_.dataflow == Dataflow::WS;
  const int64_t R = arr_.rows, C = arr_.cols, G = arr_.group();
  const int64_t kp = R * G;
  int64_t st, pt, rs;
  if (k_inner_) {
    pt = i % Pt_;
    rs = (i / Pt_) % Rs_;
    st = i / (Pt_ * Rs_);
  } else {
    rs = i % Rs_;
    pt = (i / Rs_) % Pt_;
    st = i / (Pt_ * Rs_);
  }
  const int64_t srows = ws ? g_.N : g_.M, trows = ws ? g_.M : g_.N;
  int64_t s0 = st * C, s1 = std::min(srows, s0 + C);
  int64_t t0 = rs * ts_, t1 = std::min(trows, t0 + ts_);
  Step s;
  s.k0 = pt * kp;
  s.k1 = std::min(info_.Kp, s.k0 + kp);
  if (ws) {
    s.n0 = s0, s.n1 = s1, s.m0 = t0, s.m1 = t1;
  } else {
    s.m0 = s0, s.m1 = s1, s.n0 = t0, s.n1 = t1;
  }
  int64_t sr = s1 - s0, tr = t1 - t0;
  const BlockFormat& sf = ws ? arr_.b : arr_.a;
  const BlockFormat& tf = ws ? arr_.a : arr_.b;
  uint64_t sbits = slice_bits(sf, sr, s.k0, s.k1), tbits = slice_bits(tf, tr, s.k0, s.k1);
  if (s.k0 == 0) {
    sbits += sf.gran == Granularity::Channel ? scale_side_bits(sf, sr) : 0;
    tbits += tf.gran == Granularity::Channel ? scale_side_bits(tf, tr) : 0;
  }
  if (i == 0) {
    sbits += sf.gran == Granularity::Channel ? 0 : scale_side_bits(sf, sr);
    tbits += tf.gran == Granularity::Channel ? 0 : scale_side_bits(tf, tr);
  }
  Slice ss{uint64_t(1 + st * Pt_ + pt), bits_to_bytes(sbits)};
  Slice ts{uint64_t(1 + rs * Pt_ + pt), bits_to_bytes(tbits)};
  (ws ? s.b : s.a) = ss;
  (ws ? s.a : s.b) = ts;
  uint64_t psum = uint64_t(sr * tr * 4);
  bool spill = !k_inner_ && Rs_ > 1;
  if (spill) {
    s.out = {uint64_t(1 + i), psum};
    s.psum_load = pt > 0;
    s.out_store = true;
  } else {
    s.out = {uint64_t(1 + st * Rs_ + rs), psum};
    s.out_store = pt == Pt_ - 1;
  }
  if (pt > 0) s.psum_from = k_inner_ ? i - 1 : i - Rs_;
  // The stationary tile is written into the array when it differs from the
  // previous step's.
  if (i == 0) {
    s.load = true;
  } else if (k_inner_) {
    s.load = Pt_ > 1 || rs == 0;
  } else {
    s.load = rs == 0;
  }
  s.rows = tr;
  s.out_final = pt == Pt_ - 1;
  s.a_read = s.a.bytes;
  s.b_read = s.b.bytes;
  s.out_read = pt > 0 ? psum : 0;
  s.out_write = psum;
  int64_t kr = std::min(s.k1, g_.K) - std::min(s.k0, g_.K);
  s.macs = sr * tr * kr;
  return s;
}

Step Schedule::at(int64_t i) const {
  return arr_.dataflow == Dataflow::OS ? os_step(i) : st_step(i);
}

}  // namespace macforge::sim
