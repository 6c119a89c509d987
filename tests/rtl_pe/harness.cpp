#include "harness.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>

#include "numerics/dot.hpp"
#include "numerics/quantize.hpp"
#include "suites.hpp"

namespace macforge::rtl_pe {
namespace {

using Clock = std::chrono::steady_clock;

bool same_f32(uint32_t a, uint32_t b) {
  float fa = f32_from_bits(a), fb = f32_from_bits(b);
  if (std::isnan(fa) || std::isnan(fb)) return std::isnan(fa) && std::isnan(fb);
  return a == b;
}

std::string hex(uint32_t v, int digits = 8) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*x", digits, v);
  return buf;
}

long opt(int argc, char** argv, const char* name, long dflt) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::stol(argv[i + 1]);
  return dflt;
}

// A flat bus image of the test top.
struct Bus {
  int width = 0;
  std::vector<uint32_t> w;
  explicit Bus(int bits = 1) : width(bits), w(size_t((bits + 31) / 32), 0u) {}
  void clear() { std::fill(w.begin(), w.end(), 0u); }
  // Bits [lo, lo+n) of the bus, n <= 64.
  void set(int lo, int n, uint64_t v) {
    for (int done = 0; done < n;) {
      int b = lo + done, off = b % 32, take = std::min(32 - off, n - done);
      uint32_t mask = (take == 32 ? ~0u : ((1u << take) - 1u)) << off;
      uint32_t& x = w[size_t(b / 32)];
      x = (x & ~mask) | ((uint32_t(v >> done) << off) & mask);
      done += take;
    }
  }
  uint64_t get(int lo, int n) const {
    uint64_t v = 0;
    for (int done = 0; done < n;) {
      int b = lo + done, off = b % 32, take = std::min(32 - off, n - done);
      uint32_t mask = take == 32 ? ~0u : ((1u << take) - 1u);
      v |= uint64_t((w[size_t(b / 32)] >> off) & mask) << done;
      done += take;
    }
    return v;
  }
  // Garbage on every bit (idle cycles must not matter), keeping bits beyond the
  // width zero. xorshift: cheap, and the garbage needs no statistical quality.
  void randomize(uint64_t& state) {
    for (uint32_t& x : w) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      x = uint32_t(state);
    }
    if (width % 32) w.back() &= (1u << (width % 32)) - 1u;
  }
};

// ---------------------------------------------------------------------------
// Stimulus.

struct Chunk {
  int mode = 0;                // in_mode (multi-format PEs)
  std::vector<uint32_t> a, b;  // lane codes of the chunk's mode
  uint32_t as = 0, bs = 0, acc = 0;
  bool first = false, blk = false, last = false;
  bool emits = false;  // out_valid follows this chunk after LATENCY cycles
  uint32_t expect = 0;
};

struct Job {
  std::vector<Chunk> chunks;
  int mode = 0;          // in_mode of every chunk
  std::string what;      // generation mode, for failure reports
  QMatrix A, B;          // the operands as the reference saw them
};

struct Expect {
  uint32_t value;
  long due;  // cycle in which out_valid must be high
  std::shared_ptr<const Job> job;
  int group;
};

QMatrix make_q(const BlockFormat& f, size_t K) {
  QMatrix q;
  q.fmt = f;
  q.rule = Rule::Cast;
  q.rows = 1;
  q.cols = K;
  q.codes.assign(K, 0u);
  q.scale_codes.assign(q.blocks_per_row(), 127u);
  if (f.has_fp32_scale()) q.chan_scale = {1.0f};  // tensor/channel scales are applied outside the PE
  q.tensor_gd = 1.0f;
  return q;
}

QMatrix prefix(const QMatrix& q, size_t K) {
  QMatrix p = make_q(q.fmt, K);
  std::copy(q.codes.begin(), q.codes.begin() + long(K), p.codes.begin());
  std::copy(q.scale_codes.begin(), q.scale_codes.begin() + long(p.scale_codes.size()), p.scale_codes.begin());
  p.chan_scale = q.chan_scale;
  return p;
}

std::string describe(const QMatrix& q) {
  std::string s = q.fmt.name + " codes";
  for (size_t k = 0; k < q.cols; ++k) s += (k % 32 == 0 && k ? "\n      " : " ") + hex(q.codes[k], (q.fmt.elem.bits + 3) / 4);
  if (q.fmt.has_block_scale()) {
    s += "\n    scales";
    for (uint32_t c : q.scale_codes) s += " " + hex(c, 2);
  }
  return s;
}

class Source {
 public:
  virtual ~Source() = default;
  virtual bool next(Job& job) = 0;  // false when the PE is done
  long blocks = 0, dots = 0;
  long mode_dots[2] = {0, 0};
};

// Mode m of a PE as the single-format PE whose reference it must equal
// (issue #11: the mode-m result is numerics `dot` with mode m's formats).
struct ModeRef {
  gen::PeSpec spec;  // a, b, lanes, accum of the mode; modes == 1
  int group = 0;     // elements per accumulation group
};
std::vector<ModeRef> mode_refs(const gen::PeSpec& s, const gen::PeInfo& info) {
  std::vector<ModeRef> v;
  for (const gen::PeModeInfo& mi : info.mode) {
    ModeRef r;
    r.spec = s;
    r.spec.modes = 1;
    r.spec.reuse = gen::Reuse::None;
    r.spec.a = mi.a;
    r.spec.b = mi.b;
    r.spec.lanes = mi.lanes;
    r.spec.accum.lanes = mi.lanes;
    r.group = mi.group;
    v.push_back(r);
  }
  return v;
}

// Element and scale codes of one operand.
class CodeGen {
 public:
  CodeGen(const BlockFormat& f, std::mt19937_64& r) : f_(f), e_(f.elem), r_(r) {}

  uint32_t uniform() { return uint32_t(r_()) & e_.code_mask(); }
  bool finite(uint32_t c) const { return !e_.is_nan(c) && !e_.is_inf(c); }
  uint32_t uniform_finite() {
    for (;;) {
      uint32_t c = uniform();
      if (finite(c)) return c;
    }
  }
  uint32_t max_code(bool neg) {
    if (e_.is_int()) {
      int64_t q = neg ? ((r_() % 4 == 0) ? -(int64_t{1} << (e_.bits - 1)) : -e_.int_max()) : e_.int_max();
      return uint32_t(q) & e_.code_mask();
    }
    return e_.encode(neg ? -e_.max_finite() : e_.max_finite());
  }
  uint32_t small() {
    if (e_.is_int()) return uint32_t(int64_t(r_() % 5) - 2) & e_.code_mask();
    uint32_t m = uint32_t(r_()) & ((1u << e_.mbits) - 1u);
    uint32_t s = uint32_t(r_() & 1u) << (e_.bits - 1);
    uint32_t e = (r_() % 4 == 0) ? 1u : 0u;  // mostly subnormal, some smallest normal
    return s | (e << e_.mbits) | m;
  }
  uint32_t special() {
    if (e_.is_int() || e_.special == Special::Finite) return uniform();
    uint32_t s = uint32_t(r_() & 1u) << (e_.bits - 1);
    uint32_t eall = ((1u << e_.ebits) - 1u) << e_.mbits;
    if (e_.special == Special::NanOnly) return s | eall | ((1u << e_.mbits) - 1u);
    uint32_t m = (r_() % 2) ? 0u : 1u + uint32_t(r_() % ((1u << e_.mbits) - 1u));  // Inf or NaN
    return s | eall | m;
  }
  uint32_t negate(uint32_t c) const {
    if (e_.is_int()) return (0u - c) & e_.code_mask();
    return c ^ (1u << (e_.bits - 1));
  }

  // Fills codes[k0, k0+n) of one block in a random mode; returns the mode name.
  std::string block(std::vector<uint32_t>& codes, size_t k0, size_t n, uint32_t* scale) {
    int mode = int(r_() % 100);
    std::string what;
    if (mode < 30) {
      what = "uniform";
      for (size_t k = 0; k < n; ++k) codes[k0 + k] = uniform_finite();
    } else if (mode < 46) {
      what = "quantized";
      std::normal_distribution<float> nd(0.0f, 1.0f);
      float mag = std::ldexp(1.0f, int(r_() % 41) - 20);
      std::vector<float> x(n);
      for (float& v : x) v = nd(r_) * mag * ((r_() % 8 == 0) ? 30.0f : 1.0f);
      QMatrix q = quantize(f_, f_.default_rule, x.data(), 1, n);
      for (size_t k = 0; k < n; ++k) codes[k0 + k] = q.codes[k];
      if (scale && f_.has_block_scale() && r_() % 2) {
        *scale = q.scale_codes[0];
        return what + "+scale";
      }
    } else if (mode < 52) {
      what = "zero";
      for (size_t k = 0; k < n; ++k) codes[k0 + k] = (r_() % 2 && e_.is_float()) ? 1u << (e_.bits - 1) : 0u;
    } else if (mode < 60) {
      what = "saturated";
      for (size_t k = 0; k < n; ++k) codes[k0 + k] = max_code(r_() % 2);
    } else if (mode < 66) {
      what = "saturated-positive";
      for (size_t k = 0; k < n; ++k) codes[k0 + k] = (r_() % 3) ? max_code(false) : uniform_finite() & ~(1u << (e_.bits - 1));
    } else if (mode < 78) {
      what = "small";
      for (size_t k = 0; k < n; ++k) codes[k0 + k] = small();
    } else if (mode < 80) {
      what = "special";
      for (size_t k = 0; k < n; ++k) codes[k0 + k] = uniform_finite();
      codes[k0 + r_() % n] = special();
      if (r_() % 2) codes[k0 + r_() % n] = special();
    } else if (mode < 90) {
      what = "sparse";
      for (size_t k = 0; k < n; ++k) codes[k0 + k] = (r_() % 4 == 0) ? uniform_finite() : 0u;
    } else {
      what = "positive";
      for (size_t k = 0; k < n; ++k) codes[k0 + k] = uniform_finite() & ~(e_.is_float() ? 1u << (e_.bits - 1) : 0u);
      if (e_.is_int())
        for (size_t k = 0; k < n; ++k)
          if (codes[k0 + k] >> (e_.bits - 1)) codes[k0 + k] = negate(codes[k0 + k]);
    }
    if (scale) *scale = scale_code();
    return what;
  }

  // Mostly scales near 1 (so that groups of a dot product interact in the
  // float32 rounding), plus the extremes: e8m0 0 and 254 drive the sums to
  // float32 underflow and overflow, and a few NaN / zero scales.
  uint32_t scale_code() {
    int m = int(r_() % 1000);
    if (f_.scale == ScaleKind::E8M0) {
      if (m < 700) return uint32_t(127 + int(r_() % 21) - 10);
      if (m < 800) return uint32_t(r_() % 255);
      if (m < 840) return 0u;
      if (m < 870) return 254u;
      if (m < 910) return 1u + uint32_t(r_() % 8);
      if (m < 940) return 246u + uint32_t(r_() % 8);
      if (m < 995) return uint32_t(90 + r_() % 20);  // product values around float32's subnormals
      return 255u;  // NaN
    }
    uint32_t sign = (r_() % 4 == 0) ? 0x80u : 0u;  // ignored by the format
    if (m < 600) return sign | uint32_t(0x30 + r_() % 0x20);
    if (m < 800) return sign | uint32_t(r_() % 0x7F);
    if (m < 830) return sign | 0x00u;  // zero scale
    if (m < 870) return sign | 0x01u;  // smallest subnormal
    if (m < 910) return sign | 0x7Eu;  // largest
    if (m < 950) return sign | uint32_t(r_() % 8);  // subnormal
    if (m < 995) return sign | uint32_t(0x38 + r_() % 8);
    return sign | 0x7Fu;  // NaN
  }

 private:
  const BlockFormat& f_;
  const ElemFormat& e_;
  std::mt19937_64& r_;
};

// Random dot products of several groups for one PE.
class RandomSource : public Source {
 public:
  RandomSource(const gen::PeSpec& s, const gen::PeInfo& info, long cycles, uint64_t seed)
      : modes_(mode_refs(s, info)), r_(seed), budget_(cycles) {}

  bool next(Job& job) override {
    if (budget_ <= 0) return false;
    // A multi-format PE: each dot product in a random mode, so the mode
    // switches between back-to-back dot products about every other time.
    const int mode = modes_.size() > 1 ? int(r_() % 2) : 0;
    const ModeRef& ref = modes_[size_t(mode)];
    const gen::PeSpec& spec_ = ref.spec;
    const AccumSpec& acc_ = spec_.accum;
    group_ = ref.group;
    job.mode = mode;
    const int G = ref.group, L = spec_.lanes, cpg = G / L;
    int nb = 1 + int(r_() % 4);
    if (r_() % 16 == 0) nb = 5 + int(r_() % 4);
    size_t K = size_t(nb) * size_t(G);
    job.A = make_q(spec_.a, K);
    job.B = make_q(spec_.b, K);
    CodeGen ga(spec_.a, r_), gb(spec_.b, r_);
    if (modes_.size() > 1) job.what = "mode " + std::to_string(mode) + " ";
    fill(ga, job.A, job.what, "A:");
    fill(gb, job.B, job.what, " B:");
    // Cancellation: group 1 repeats group 0 with B negated, so the float32
    // accumulator meets (nearly) its own negation.
    if (nb >= 2 && r_() % 10 == 0) {
      job.what += " cancel";
      for (size_t k = 0; k < size_t(G); ++k) {
        job.A.codes[size_t(G) + k] = job.A.codes[k];
        job.B.codes[size_t(G) + k] = gb.negate(job.B.codes[k]);
      }
      copy_scales(job.A, G);
      copy_scales(job.B, G);
      if (r_() % 2) {
        size_t k = size_t(G) + r_() % size_t(G);
        job.A.codes[k] = ga.small();
        job.what += "+perturbed";
      }
    }
    bool ext = spec_.acc_source == gen::AccSource::External;
    std::vector<uint32_t> prefix_val;
    if (ext) {
      for (int j = 0; j < nb; ++j) {
        size_t Kj = size_t(j + 1) * size_t(G);
        QMatrix a = prefix(job.A, Kj), b = prefix(job.B, Kj);
        prefix_val.push_back(f32_bits(dot(a, 0, b, 0, acc_)));
      }
    }
    uint32_t final_val = ext ? prefix_val.back() : f32_bits(dot(job.A, 0, job.B, 0, acc_));
    for (int j = 0; j < nb; ++j)
      for (int c = 0; c < cpg; ++c) {
        Chunk ch;
        ch.mode = mode;
        size_t k0 = size_t(j) * size_t(G) + size_t(c) * size_t(L);
        ch.a.assign(job.A.codes.begin() + long(k0), job.A.codes.begin() + long(k0) + L);
        ch.b.assign(job.B.codes.begin() + long(k0), job.B.codes.begin() + long(k0) + L);
        if (spec_.a.has_block_scale()) ch.as = job.A.scale_codes[k0 / size_t(spec_.a.block)];
        if (spec_.b.has_block_scale()) ch.bs = job.B.scale_codes[k0 / size_t(spec_.b.block)];
        ch.first = j == 0 && c == 0;
        ch.blk = c == cpg - 1;
        ch.last = ch.blk && j == nb - 1;
        if (ext) {
          ch.acc = j == 0 ? 0u : prefix_val[size_t(j - 1)];
          if (!ch.blk) ch.acc = uint32_t(r_());  // only the group's last chunk is sampled
          ch.emits = ch.blk;
          ch.expect = ch.blk ? prefix_val[size_t(j)] : 0u;
        } else {
          ch.emits = ch.last;
          ch.expect = final_val;
        }
        job.chunks.push_back(ch);
      }
    budget_ -= long(job.chunks.size());
    blocks += nb;
    ++dots;
    ++mode_dots[mode];
    return true;
  }

 private:
  void fill(CodeGen& g, QMatrix& q, std::string& what, const char* tag) {
    size_t len = q.fmt.has_block_scale() ? size_t(q.fmt.block) : size_t(group_);
    what += tag;
    for (size_t k0 = 0; k0 < q.cols; k0 += len) {
      uint32_t* sc = q.fmt.has_block_scale() ? &q.scale_codes[k0 / len] : nullptr;
      what += " " + g.block(q.codes, k0, std::min(len, q.cols - k0), sc);
    }
  }
  void copy_scales(QMatrix& q, int G) {
    if (!q.fmt.has_block_scale()) return;
    size_t b0 = 0, b1 = size_t(G) / size_t(q.fmt.block);
    if (b1 != b0 && b1 < q.scale_codes.size()) q.scale_codes[b1] = q.scale_codes[b0];
  }

  std::vector<ModeRef> modes_;
  std::mt19937_64 r_;
  long budget_;
  int group_ = 0;
};

// Every code pair, one single-element dot product per cycle.
class ExhaustiveSource : public Source {
 public:
  ExhaustiveSource(const gen::PeSpec& s, uint64_t seed) : spec_(s) {
    std::mt19937_64 r(seed);
    na_ = s.a.elem.num_codes();
    nb_ = s.b.elem.num_codes();
    A_ = all_codes(s.a, na_, r);
    B_ = all_codes(s.b, nb_, r);
    AccumSpec acc = s.accum;
    acc.lanes = 1;
    C_ = gemm(A_, B_, acc);
  }
  bool next(Job& job) override {
    if (t_ >= size_t(na_) * nb_) return false;
    size_t m = t_ / nb_, n = t_ % nb_;
    ++t_;
    Chunk ch;
    ch.a = {A_.codes[m]};
    ch.b = {B_.codes[n]};
    ch.as = A_.scale_codes.empty() ? 0u : A_.scale_codes[m];
    ch.bs = B_.scale_codes.empty() ? 0u : B_.scale_codes[n];
    ch.first = ch.blk = ch.last = ch.emits = true;
    ch.expect = f32_bits(C_[m * nb_ + n]);
    job.chunks = {ch};
    job.what = "pair " + std::to_string(m) + "," + std::to_string(n);
    job.A = make_q(spec_.a, 1);
    job.A.codes[0] = A_.codes[m];
    if (!A_.scale_codes.empty()) job.A.scale_codes.assign(1, A_.scale_codes[m]);
    job.B = make_q(spec_.b, 1);
    job.B.codes[0] = B_.codes[n];
    if (!B_.scale_codes.empty()) job.B.scale_codes.assign(1, B_.scale_codes[n]);
    ++blocks;
    ++dots;
    return true;
  }

 private:
  static QMatrix all_codes(const BlockFormat& f, uint32_t n, std::mt19937_64& r) {
    QMatrix q;
    q.fmt = f;
    q.rule = Rule::Cast;
    q.rows = n;
    q.cols = 1;
    for (uint32_t c = 0; c < n; ++c) q.codes.push_back(c);
    CodeGen g(f, r);
    q.scale_codes.assign(f.has_block_scale() ? n : 0, 127u);
    for (uint32_t& s : q.scale_codes) s = g.scale_code();
    q.tensor_gd = 1.0f;
    return q;
  }
  const gen::PeSpec& spec_;
  uint32_t na_ = 0, nb_ = 0;
  QMatrix A_, B_;
  std::vector<float> C_;
  size_t t_ = 0;
};

// A multi-format PE: every code pair of each mode's elements in every lane of
// that mode (the other lanes zero), one single-chunk dot product per cycle.
// The modes interleave evenly over the run (mode 1 has far fewer cases), so
// nearly every mode-1 dot product sits between two mode-0 ones: in_mode
// switches on consecutive cycles without a drain. Plain element formats only:
// the group is the mode's lanes, one chunk.
class ModeExhaustiveSource : public Source {
 public:
  ModeExhaustiveSource(const gen::PeSpec& s, const gen::PeInfo& info) : modes_(mode_refs(s, info)) {
    for (const ModeRef& m : modes_) {
      if (m.spec.a.has_block_scale() || m.spec.b.has_block_scale() || m.group != m.spec.lanes)
        throw std::invalid_argument("exhaustive mode suite: " + s.module_name + " has block-scaled formats");
      total_.push_back(uint64_t(m.spec.lanes) * m.spec.a.elem.num_codes() * m.spec.b.elem.num_codes());
      done_.push_back(0);
    }
  }
  bool next(Job& job) override {
    // Bresenham over the two modes' case counts.
    int m = -1;
    bool left0 = done_[0] < total_[0], left1 = done_.size() > 1 && done_[1] < total_[1];
    if (left0 && left1)
      m = done_[1] * total_[0] <= done_[0] * total_[1] ? 1 : 0;
    else if (left0 || left1)
      m = left0 ? 0 : 1;
    else
      return false;
    const ModeRef& ref = modes_[size_t(m)];
    const gen::PeSpec& sp = ref.spec;
    uint64_t t = done_[size_t(m)]++;
    uint32_t na = sp.a.elem.num_codes(), nb = sp.b.elem.num_codes();
    uint64_t pairs = uint64_t(na) * nb;
    int lane = int(t / pairs);
    uint32_t ca = uint32_t(t % pairs / nb), cb = uint32_t(t % nb);
    const size_t L = size_t(sp.lanes);
    job.mode = m;
    job.A = make_q(sp.a, L);
    job.B = make_q(sp.b, L);
    job.A.codes[size_t(lane)] = ca;
    job.B.codes[size_t(lane)] = cb;
    Chunk ch;
    ch.mode = m;
    ch.a = job.A.codes;
    ch.b = job.B.codes;
    ch.first = ch.blk = ch.last = ch.emits = true;
    ch.expect = f32_bits(dot(job.A, 0, job.B, 0, sp.accum));
    job.chunks = {ch};
    job.what = "mode " + std::to_string(m) + " lane " + std::to_string(lane) + " pair " + hex(ca, 2) + "," + hex(cb, 2);
    ++blocks;
    ++dots;
    ++mode_dots[m];
    return true;
  }

 private:
  std::vector<ModeRef> modes_;
  std::vector<uint64_t> total_, done_;
};

// Classes of float32 results, to show what the stimulus reached.
constexpr int kClasses = 7;
const char* const kClassName[kClasses] = {"NaN", "+-Inf", "+0", "-0", "subnormal", "normal", "max-binade"};
int value_class(uint32_t v) {
  uint32_t e = (v >> 23) & 0xFFu, m = v & 0x7FFFFFu;
  if (e == 0xFF) return m ? 0 : 1;
  if (e == 0) return m ? 4 : (v >> 31 ? 3 : 2);
  return e == 0xFE ? 6 : 5;
}

// One line per clock edge: the input buses, then the outputs after the edge,
// each as hex (most significant word first). Replayed by the iverilog test.
void record(FILE* f, bool rst, const std::vector<const Bus*>& buses) {
  std::fprintf(f, "%d", rst ? 1 : 0);
  for (const Bus* b : buses) {
    std::fputc(' ', f);
    for (size_t i = b->w.size(); i-- > 0;) std::fprintf(f, "%08x", b->w[i]);
  }
  std::fputc('\n', f);
}

struct PeRun {
  const gen::PeSpec* spec = nullptr;
  gen::PeInfo info;
  std::unique_ptr<Source> src;
  std::shared_ptr<const Job> job;
  size_t pos = 0;
  bool done = false;
  std::deque<Expect> expect;
  long checked = 0;
};

}  // namespace

int run_suite(const std::string& name, Model& m, int argc, char** argv) {
  auto t0 = Clock::now();
  Suite s = make_suite(name);
  Layout lay = layout(s);
  long cycles = opt(argc, argv, "--cycles", s.cycles);
  uint64_t seed = uint64_t(opt(argc, argv, "--seed", 12345));
  std::mt19937_64 r(seed);
  int n = lay.n;
  std::vector<PeRun> pes(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    PeRun& p = pes[size_t(i)];
    p.spec = &s.pes[size_t(i)];
    p.info = gen::pe_info(*p.spec);
    // The drive and the reference follow PeInfo's modes: hold them to the
    // contract of gen/pe_spec.hpp first (lanes per mode, element widths, ports).
    const int nm = p.spec->modes > 1 ? 2 : 1;
    int apb = 0, bpb = 0;
    for (int k = 0; k < int(p.info.mode.size()); ++k) {
      const gen::PeModeInfo& mi = p.info.mode[size_t(k)];
      const BlockFormat &fa = k ? p.spec->a1 : p.spec->a, &fb = k ? p.spec->b1 : p.spec->b;
      if (mi.lanes != gen::mode_lanes(*p.spec, k) || mi.a_bits != fa.elem.bits || mi.b_bits != fb.elem.bits ||
          mi.a.name != fa.name || mi.b.name != fb.name) {
        std::cerr << "CONTRACT " << p.spec->module_name << ": PeInfo mode " << k << " is " << mi.a.name << " x "
                  << mi.b.name << ", " << mi.lanes << " lanes of " << mi.a_bits << "/" << mi.b_bits
                  << " bits; the spec asks " << fa.name << " x " << fb.name << ", " << gen::mode_lanes(*p.spec, k)
                  << " lanes\n";
        return 1;
      }
      apb = std::max(apb, mi.lanes * mi.a_bits);
      bpb = std::max(bpb, mi.lanes * mi.b_bits);
    }
    if (int(p.info.mode.size()) != nm || p.info.a_port_bits != apb || p.info.b_port_bits != bpb) {
      std::cerr << "CONTRACT " << p.spec->module_name << ": PeInfo has " << p.info.mode.size() << " modes, ports "
                << p.info.a_port_bits << "/" << p.info.b_port_bits << " bits; expected " << nm << ", " << apb << "/"
                << bpb << "\n";
      return 1;
    }
    if (s.kind == SuiteKind::Exhaustive && p.spec->modes > 1)
      p.src = std::make_unique<ModeExhaustiveSource>(*p.spec, p.info);
    else if (s.kind == SuiteKind::Exhaustive)
      p.src = std::make_unique<ExhaustiveSource>(*p.spec, seed + uint64_t(i));
    else
      p.src = std::make_unique<RandomSource>(
          *p.spec, p.info, s.weight.empty() ? cycles : long(double(cycles) * s.weight[size_t(i)]),
          seed * 7919u + uint64_t(i));
  }
  auto t_ref = Clock::now();
  Bus valid(n), first(n), blk(n), last(n), mode(n), a(lay.a_width), b(lay.b_width), as(8 * n), bs(8 * n), acc(32 * n),
      ovalid(n), oacc(32 * n);
  uint32_t one = 1, zero = 0;
  auto clock = [&] {
    m.write(Port::Clk, &zero);
    m.eval();
    m.write(Port::Clk, &one);
    m.eval();
  };
  std::unique_ptr<FILE, int (*)(FILE*)> rec(nullptr, &std::fclose);
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--record") == 0) rec.reset(std::fopen(argv[i + 1], "w"));
  const std::vector<const Bus*> recorded = {&valid, &first, &blk, &last, &mode, &a, &b, &as, &bs, &acc, &ovalid, &oacc};
  // Reset.
  m.write(Port::Rst, &one);
  for (Bus* x : {&valid, &first, &blk, &last, &mode, &a, &b, &as, &bs, &acc}) x->clear();
  auto write_inputs = [&] {
    m.write(Port::InValid, valid.w.data());
    m.write(Port::InFirst, first.w.data());
    m.write(Port::InBlkLast, blk.w.data());
    m.write(Port::InLast, last.w.data());
    m.write(Port::InMode, mode.w.data());
    m.write(Port::InA, a.w.data());
    m.write(Port::InB, b.w.data());
    m.write(Port::InAScale, as.w.data());
    m.write(Port::InBScale, bs.w.data());
    m.write(Port::InAcc, acc.w.data());
  };
  write_inputs();
  for (int i = 0; i < 3; ++i) {
    clock();
    m.read(Port::OutValid, ovalid.w.data());
    m.read(Port::OutAcc, oacc.w.data());
    if (rec) record(rec.get(), true, recorded);
  }
  m.write(Port::Rst, &zero);

  long errors = 0, cycle = 0, idle_after = 0;
  long classes[kClasses] = {};
  uint64_t garbage = seed | 1u;
  const double bubble = s.kind == SuiteKind::Exhaustive ? 0.02 : 0.12;
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  for (;; ++cycle) {
    bool busy = false;
    for (Bus* x : {&first, &blk, &last, &mode, &a, &b, &as, &bs, &acc}) x->randomize(garbage);
    valid.clear();
    for (int i = 0; i < n; ++i) {
      PeRun& p = pes[size_t(i)];
      if (!p.done && (!p.job || p.pos == p.job->chunks.size())) {
        auto j = std::make_shared<Job>();
        if (p.src->next(*j)) {
          p.job = j;
          p.pos = 0;
        } else {
          p.done = true;
        }
      }
      if (!p.expect.empty() || !p.done) busy = true;
      if (p.done || u01(r) < bubble) continue;
      const Chunk& c = p.job->chunks[p.pos];
      // In mode m lane l sits at [l*BITS_m +: BITS_m]; the port bits above
      // the mode's lanes keep their garbage (unused in the narrower mode).
      const gen::PeModeInfo& mi = p.info.mode[size_t(c.mode)];
      int L = mi.lanes, ab = mi.a_bits, bb = mi.b_bits;
      valid.set(i, 1, 1);
      mode.set(i, 1, uint64_t(c.mode));
      first.set(i, 1, c.first);
      blk.set(i, 1, c.blk);
      last.set(i, 1, c.last);
      for (int l = 0; l < L; ++l) {
        a.set(lay.a_off[size_t(i)] + l * ab, ab, c.a[size_t(l)]);
        b.set(lay.b_off[size_t(i)] + l * bb, bb, c.b[size_t(l)]);
      }
      as.set(8 * i, 8, c.as);
      bs.set(8 * i, 8, c.bs);
      acc.set(32 * i, 32, c.acc);
      if (c.emits) {
        int group = 0;
        for (size_t k = 0; k < p.pos; ++k) group += p.job->chunks[k].blk;
        p.expect.push_back({c.expect, cycle + p.info.latency, p.job, group});
      }
      ++p.pos;
    }
    if (!busy && ++idle_after > 4) break;
    write_inputs();
    clock();
    m.read(Port::OutValid, ovalid.w.data());
    m.read(Port::OutAcc, oacc.w.data());
    if (rec) record(rec.get(), false, recorded);
    long now = cycle + 1;  // the cycle whose outputs are now visible
    for (int i = 0; i < n; ++i) {
      PeRun& p = pes[size_t(i)];
      bool v = ovalid.get(i, 1);
      bool due = !p.expect.empty() && p.expect.front().due == now;
      if (!v && !due) continue;
      uint32_t got = uint32_t(oacc.get(32 * i, 32));
      bool ok = v && due && same_f32(got, p.expect.front().value);
      if (!ok && ++errors <= 8) {
        std::cerr << "MISMATCH " << p.spec->module_name << " (" << p.spec->a.name << " x " << p.spec->b.name;
        if (p.spec->modes > 1)
          std::cerr << " | mode 1 " << p.spec->a1.name << " x " << p.spec->b1.name << ", reuse "
                    << gen::reuse_name(p.spec->reuse);
        std::cerr << ", lanes " << p.spec->lanes << ", " << p.spec->accum.name() << ", pipeline "
                  << p.spec->pipeline << (p.spec->acc_source == gen::AccSource::External ? ", external" : "")
                  << ") cycle " << now << ": out_valid " << v;
        if (v) std::cerr << " out_acc " << hex(got);
        if (!p.expect.empty()) {
          const Expect& e = p.expect.front();
          std::cerr << "; expected " << hex(e.value) << " due " << e.due << " (group " << e.group << ")\n  "
                    << e.job->what << "\n    " << describe(e.job->A) << "\n    " << describe(e.job->B);
        }
        std::cerr << "\n";
      }
      if (due) {
        ++classes[value_class(p.expect.front().value)];
        p.expect.pop_front();
        ++p.checked;
      }
    }
    if (cycle > 50'000'000) {
      std::cerr << "runaway simulation\n";
      return 1;
    }
  }
  auto t1 = Clock::now();
  long blocks = 0, dots = 0, checked = 0;
  for (PeRun& p : pes) {
    blocks += p.src->blocks;
    dots += p.src->dots;
    checked += p.checked;
  }
  auto secs = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  std::cout << "suite " << name << ": " << n << " PEs, " << cycle << " cycles, " << dots << " dot products, "
            << blocks << " blocks, " << checked << " outputs checked, " << errors << " errors ("
            << secs(t_ref - t0) << " s setup, " << secs(t1 - t_ref) << " s simulation)\n";
  std::cout << "  expected results:";
  for (int c = 0; c < kClasses; ++c) std::cout << " " << kClassName[c] << " " << classes[c];
  std::cout << "\n";
  bool multi = false;
  for (PeRun& p : pes) multi = multi || p.spec->modes > 1;
  if (s.kind == SuiteKind::Random || multi) {
    // Per-format block counts, for the coverage claims of docs/pe.md.
    for (PeRun& p : pes) {
      std::cout << "  " << p.spec->module_name << " " << p.spec->a.name << " x " << p.spec->b.name;
      if (p.spec->modes > 1)
        std::cout << " | " << p.spec->a1.name << " x " << p.spec->b1.name << " (" << gen::reuse_name(p.spec->reuse)
                  << ")";
      std::cout << " lanes " << p.spec->lanes << " pipeline " << p.spec->pipeline << " latency " << p.info.latency
                << " " << p.spec->accum.name() << (p.spec->acc_source == gen::AccSource::External ? " external" : "")
                << ": " << p.src->blocks << " blocks, " << p.src->dots << " dots";
      if (p.spec->modes > 1) std::cout << " (mode 0 " << p.src->mode_dots[0] << ", mode 1 " << p.src->mode_dots[1] << ")";
      std::cout << "\n";
    }
  }
  return errors == 0 && checked > 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------
// Float32 multiplier.

int run_fp32_mul(MulModel& m, int argc, char** argv) {
  auto t0 = Clock::now();
  long pairs = opt(argc, argv, "--pairs", 1'500'000);
  std::mt19937_64 r(uint64_t(opt(argc, argv, "--seed", 777)));
  // Special and boundary operands: zeros, subnormals, normals at the edges,
  // around 1, the largest finite, Inf and NaNs, each with both signs.
  std::vector<uint32_t> sp = {0x00000000, 0x00000001, 0x00000002, 0x00000003, 0x007FFFFF, 0x007FFFFE, 0x00400000,
                              0x00400001, 0x00800000, 0x00800001, 0x00FFFFFF, 0x01000000, 0x0B800000, 0x1F800000,
                              0x1F800001, 0x20000000, 0x33800000, 0x34000000, 0x3F000000, 0x3F7FFFFF, 0x3F800000,
                              0x3F800001, 0x3FB504F3, 0x3FFFFFFF, 0x40000000, 0x40490FDB, 0x5F000000, 0x5F7FFFFF,
                              0x5F800000, 0x7E800000, 0x7F000000, 0x7F7FFFFE, 0x7F7FFFFF, 0x7F800000, 0x7F800001,
                              0x7FC00000, 0x7FFFFFFF};
  size_t ns = sp.size();
  for (size_t i = 0; i < ns; ++i) sp.push_back(sp[i] | 0x80000000u);
  long errors = 0, count = 0;
  auto check = [&](uint32_t a, uint32_t b) {
    float want = f32_from_bits(a) * f32_from_bits(b);
    uint32_t got = m.mul(a, b);
    ++count;
    if (!same_f32(got, f32_bits(want)) && ++errors <= 10)
      std::cerr << "MISMATCH " << hex(a) << " * " << hex(b) << ": got " << hex(got) << " want " << hex(f32_bits(want))
                << "\n";
  };
  for (uint32_t a : sp)
    for (uint32_t b : sp) check(a, b);
  // Random operands in several distributions: raw bits, exponents chosen so the
  // product lands near the subnormal and overflow boundaries, subnormal x normal,
  // and round-to-even ties (significands with few bits).
  for (long i = 0; i < pairs; ++i) {
    uint32_t a = uint32_t(r()), b = uint32_t(r());
    switch (i % 6) {
      case 0: break;
      case 1: {  // product exponent around the subnormal range
        int ea = 1 + int(r() % 253);
        int eb = std::clamp(127 - ea + int(r() % 60) - 45, 0, 254);
        a = (a & 0x807FFFFFu) | (uint32_t(ea) << 23);
        b = (b & 0x807FFFFFu) | (uint32_t(eb) << 23);
        break;
      }
      case 2: {  // around overflow
        int ea = 1 + int(r() % 254);
        int eb = std::clamp(254 + 127 - ea + int(r() % 6) - 4, 1, 254);
        a = (a & 0x807FFFFFu) | (uint32_t(ea) << 23);
        b = (b & 0x807FFFFFu) | (uint32_t(eb) << 23);
        break;
      }
      case 3:  // subnormal x anything
        a &= 0x807FFFFFu;
        if (r() % 2) a &= 0x8000FFFFu;
        break;
      case 4: {  // short significands: exact products and ties
        a &= 0xFFFF0000u | uint32_t(r() % 2);
        b &= 0xFFF80000u;
        int ea = 1 + int(r() % 254);
        int eb = std::clamp(127 - ea + int(r() % 40) - 30, 1, 254);
        a = (a & 0x807FFFFFu) | (uint32_t(ea) << 23);
        b = (b & 0x807FFFFFu) | (uint32_t(eb) << 23);
        break;
      }
      default:  // a special against a random operand
        a = sp[r() % sp.size()];
        break;
    }
    if (r() % 2) std::swap(a, b);
    check(a, b);
  }
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::cout << "mf_fp32_mul: " << count << " operand pairs, " << errors << " errors (" << secs << " s)\n";
  return errors == 0 ? 0 : 1;
}

}  // namespace macforge::rtl_pe
